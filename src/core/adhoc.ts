import type { Element } from '@xmpp/xml';
import { randomUUID } from 'node:crypto';
import { commandCanceled, commandCompleted, commandForm, readCommand } from '../component/service-answers';
import { bare } from '../component/stanzas';
import type { AdhocCommand, AdhocContext } from './adapter';
import { GatewayError, toGatewayError } from './errors';
import type { TransportContext } from './transport-context';

/** Commands open for a form answer, by session id; they expire so abandoned ones do not pile up. */
const pending = new Map<string, { node: string; user: string; expires: number }>();
const PENDING_TTL_MS = 10 * 60 * 1000;

function commandsFor(ctx: TransportContext, user: string): AdhocCommand[] {
  const session = ctx.sessions.get(user)?.legacy;
  return [...ctx.commands, ...(session?.commands?.() ?? [])];
}

export async function executeCommand(ctx: TransportContext, iq: Element, command: Element): Promise<Element> {
  const user = bare(iq.attrs.from ?? '');
  const request = readCommand(command);
  const { node, sessionid } = request;
  const now = Date.now();
  for (const [id, p] of pending) if (p.expires < now) pending.delete(id);

  const found = commandsFor(ctx, user).find((c) => c.node === node);
  if (!found) throw new GatewayError('item-not-found', `No such command: ${node}`);
  const session = ctx.sessions.get(user);
  if (found.requiresSession !== false && !session) throw new GatewayError('registration-required', `Register with ${ctx.domain} to use "${found.name}".`);
  if (!ctx.isAllowed(user)) throw new GatewayError('forbidden', `${user} is not allowed to use ${ctx.domain}.`);
  const registration = await ctx.sessions.registrations.get(user);
  const actx: AdhocContext = { user, fullJid: iq.attrs.from ?? user, session: session?.legacy, registration: registration?.credentials };

  if (request.action === 'cancel') {
    if (sessionid) pending.delete(sessionid);
    return commandCanceled(iq, node, sessionid);
  }
  if (sessionid) {
    const open = pending.get(sessionid);
    if (!open || open.user !== user || open.node !== node) throw new GatewayError('bad-request', 'This command session has expired; run the command again.');
    pending.delete(sessionid);
    return run(ctx, iq, found, actx, request.values ?? {}, sessionid);
  }
  if (found.form) {
    const form = await found.form(actx);
    const id = randomUUID();
    pending.set(id, { node, user, expires: now + PENDING_TTL_MS });
    return commandForm(iq, node, id, { title: form.title ?? found.name, instructions: form.instructions, fields: form.fields });
  }
  return run(ctx, iq, found, actx, {}, randomUUID());
}

async function run(ctx: TransportContext, iq: Element, command: AdhocCommand, actx: AdhocContext, values: Record<string, string>, sessionid: string): Promise<Element> {
  try {
    const note = await command.run(actx, values);
    return commandCompleted(iq, command.node, sessionid, note);
  } catch (err) {
    const error = toGatewayError(err);
    if (!(err instanceof GatewayError)) ctx.logger.error({ node: command.node, err: (err as Error).message }, 'ad-hoc command failed');
    return commandCompleted(iq, command.node, sessionid, error.message, 'error');
  }
}
