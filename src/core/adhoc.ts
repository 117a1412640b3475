import type { Element } from '@xmpp/xml';
import { randomUUID } from 'node:crypto';
import { commandCanceled, commandCompleted, commandForm, readCommand } from '../component/service-answers';
import { bare } from '../component/stanzas';
import type { AdhocContext } from './adapter';
import { ExpiringMap } from './commands/expiring-map';
import { isSecret } from './commands/dialogue';
import { commandContext, findByNode, refusal, type CommandEntry } from './commands/registry';
import { GatewayError } from './errors';
import type { TransportContext } from './transport-context';

/**
 * Commands open for a form answer, by session id. Anyone may open one, so they are bounded in
 * number and expire: an abandoned form costs nothing after a while.
 */
const pending = new ExpiringMap<string, { node: string; user: string }>(10000, 10 * 60 * 1000);

/** XEP-0050 execute / complete / cancel, for every command of the registry. */
export async function executeCommand(ctx: TransportContext, iq: Element, command: Element): Promise<Element> {
  const fullJid = iq.attrs.from ?? '';
  const user = bare(fullJid);
  const request = readCommand(command);
  const { node, sessionid } = request;

  const found = findByNode(ctx, user, node);
  if (!found) throw new GatewayError('item-not-found', `No such command: ${node}`);
  const refused = refusal(ctx, user, found);
  if (refused) throw refused;

  if (request.action === 'cancel') {
    if (sessionid) pending.delete(sessionid);
    return commandCanceled(iq, node, sessionid);
  }
  const actx = await commandContext(ctx, fullJid, user);
  if (sessionid) {
    const open = pending.get(sessionid);
    if (!open || open.user !== user || open.node !== node) throw new GatewayError('bad-request', 'This command session has expired; run the command again.');
    pending.delete(sessionid);
    return run(ctx, iq, found, actx, request.values ?? {}, sessionid);
  }
  if (found.command.form) return showForm(iq, found, actx, randomUUID());
  return run(ctx, iq, found, actx, {}, randomUUID());
}

async function showForm(
  iq: Element,
  found: CommandEntry,
  actx: AdhocContext,
  sessionid: string,
  again?: { values: Record<string, string>; error: string },
): Promise<Element> {
  const { command } = found;
  const form = await command.form!(actx);
  pending.set(sessionid, { node: command.node, user: actx.user });
  // Secrets are typed again: they are never sent back.
  const values = again && Object.fromEntries(Object.entries(again.values).filter(([name]) => !form.fields.some((f) => f.var === name && isSecret(f))));
  return commandForm(iq, command.node, sessionid, { title: form.title ?? command.name, instructions: form.instructions, fields: form.fields, values },
    again && { type: 'error', text: again.error });
}

async function run(ctx: TransportContext, iq: Element, found: CommandEntry, actx: AdhocContext, values: Record<string, string>, sessionid: string): Promise<Element> {
  const { command } = found;
  try {
    const note = await command.run(actx, values);
    return commandCompleted(iq, command.node, sessionid, note);
  } catch (err) {
    if (!(err instanceof GatewayError)) {
      ctx.logger.error({ node: command.node, err: (err as Error).message }, 'ad-hoc command failed');
      return commandCompleted(iq, command.node, sessionid, 'The gateway hit an internal error; it has been logged.', 'error');
    }
    // A refused form (wrong password, nick taken) comes back with the reason, to be corrected.
    if (command.form) return showForm(iq, found, actx, sessionid, { values, error: err.message });
    return commandCompleted(iq, command.node, sessionid, err.message, 'error');
  }
}
