import xml, { type Element } from '@xmpp/xml';
import { randomUUID } from 'node:crypto';
import type { AdhocCommand, AdhocContext } from '../core/adapter';
import { GatewayError, toGatewayError } from '../core/errors';
import type { TransportContext } from './context';
import { buildForm, readForm } from './forms';
import { NS } from './namespaces';
import { bare, iqResult } from './stanzas';

/** Commands open for a form answer, by session id; they expire so abandoned ones do not pile up. */
const pending = new Map<string, { node: string; user: string; expires: number }>();
const PENDING_TTL_MS = 10 * 60 * 1000;

function commandsFor(ctx: TransportContext, user: string): AdhocCommand[] {
  const session = ctx.sessions.get(user)?.legacy;
  return [...ctx.commands, ...(session?.commands?.() ?? [])];
}

function completed(iq: Element, node: string, sessionid: string, note: string, type: 'info' | 'error' = 'info'): Element {
  return iqResult(iq, xml('command', { xmlns: NS.commands, node, sessionid, status: 'completed' }, xml('note', { type }, note)));
}

export async function executeCommand(ctx: TransportContext, iq: Element, command: Element): Promise<Element> {
  const user = bare(iq.attrs.from ?? '');
  const node = command.attrs.node ?? '';
  const action = command.attrs.action ?? 'execute';
  const now = Date.now();
  for (const [id, p] of pending) if (p.expires < now) pending.delete(id);

  const found = commandsFor(ctx, user).find((c) => c.node === node);
  if (!found) throw new GatewayError('item-not-found', `No such command: ${node}`);
  const session = ctx.sessions.get(user);
  if (found.requiresSession !== false && !session) throw new GatewayError('registration-required', `Register with ${ctx.domain} to use "${found.name}".`);
  if (!ctx.isAllowed(user)) throw new GatewayError('forbidden', `${user} is not allowed to use ${ctx.domain}.`);
  const registration = await ctx.sessions.registrations.get(user);
  const actx: AdhocContext = { user, fullJid: iq.attrs.from ?? user, session: session?.legacy, registration: registration?.credentials };

  const sessionid = command.attrs.sessionid;
  if (action === 'cancel') {
    if (sessionid) pending.delete(sessionid);
    return iqResult(iq, xml('command', { xmlns: NS.commands, node, sessionid, status: 'canceled' }));
  }
  if (sessionid) {
    const open = pending.get(sessionid);
    if (!open || open.user !== user || open.node !== node) throw new GatewayError('bad-request', 'This command session has expired; run the command again.');
    pending.delete(sessionid);
    const form = command.getChild('x', NS.data);
    return run(ctx, iq, found, actx, form ? readForm(form) : {}, sessionid);
  }
  if (found.form) {
    const form = await found.form(actx);
    const id = randomUUID();
    pending.set(id, { node, user, expires: now + PENDING_TTL_MS });
    return iqResult(iq, xml('command', { xmlns: NS.commands, node, sessionid: id, status: 'executing' },
      xml('actions', { execute: 'complete' }, xml('complete')),
      buildForm(form.fields, { title: form.title ?? found.name, instructions: form.instructions })));
  }
  return run(ctx, iq, found, actx, {}, randomUUID());
}

async function run(ctx: TransportContext, iq: Element, command: AdhocCommand, actx: AdhocContext, values: Record<string, string>, sessionid: string): Promise<Element> {
  try {
    const note = await command.run(actx, values);
    return completed(iq, command.node, sessionid, note);
  } catch (err) {
    const error = toGatewayError(err);
    if (!(err instanceof GatewayError)) ctx.logger.error({ node: command.node, err: (err as Error).message }, 'ad-hoc command failed');
    return completed(iq, command.node, sessionid, error.message, 'error');
  }
}
