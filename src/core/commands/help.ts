/** What the chat interface says unasked: the help list and the welcome message. */
import type { AdhocContext } from '../adapter';
import type { TransportContext } from '../transport-context';
import { isSecret } from './dialogue';
import { hasRooms, helperUsage, offeredHelpers } from './helpers';
import { commandContext, visibleCommands, type CommandEntry } from './registry';

/** A form with more fields than this is a dialogue, not a command line: help shows no arguments. */
const MAX_SHOWN_ARGUMENTS = 2;

async function usage(found: CommandEntry, actx: AdhocContext): Promise<string> {
  if (found.usage) return found.usage;
  const name = found.names[0];
  if (!found.positional || !found.command.form) return name;
  try {
    const fields = (await found.command.form(actx)).fields.filter((f) => f.type !== 'fixed' && f.type !== 'boolean' && !isSecret(f));
    if (!fields.length || fields.length > MAX_SHOWN_ARGUMENTS) return name;
    return [name, ...fields.map((f) => (f.required ? `<${f.var}>` : `[${f.var}]`))].join(' ');
  } catch {
    return name;
  }
}

/** The commands this user may run now, one line each. */
export async function helpText(ctx: TransportContext, fullJid: string, user: string): Promise<string> {
  const actx = await commandContext(ctx, fullJid, user);
  const visible = visibleCommands(ctx, user);
  const line = async (c: CommandEntry) => `${await usage(c, actx)} — ${c.command.name}`;
  const own = await Promise.all(visible.filter((c) => !c.admin).map(line));
  const admin = await Promise.all(visible.filter((c) => c.admin).map(line));
  const helpers = offeredHelpers(ctx).map((h) => `${helperUsage(ctx, h)} — ${h.description}`);
  return [
    `Commands of ${ctx.domain} (send one as a message here):`,
    ...own,
    ...helpers,
    ...(admin.length ? ['', 'For administrators:', ...admin] : []),
    '',
    'A command that asks questions also takes the answers after its name (e.g. "nick newname"). '
      + 'If your client has ad-hoc commands, the same commands are in its menu for this address.',
  ].join('\n');
}

export function welcomeText(ctx: TransportContext, registered: boolean): string {
  const { name } = ctx.adapter.identity;
  const address = `<${ctx.adapter.gatewayPrompt.prompt.toLowerCase()}>`;
  const rooms = hasRooms(ctx);
  const addressLine = rooms
    ? 'join <#room> — the address of a room, to join it'
    : `contact ${address} — the address of a contact, to write to them`;
  if (!registered) {
    return [
      `This is ${name}. Register here in this chat, one question at a time: send register.`,
      'register — start registering',
      addressLine,
      'help — all commands',
    ].join('\n');
  }
  return [
    `Welcome to ${name}! This chat is the gateway's command line. The three commands that matter:`,
    addressLine,
    rooms ? `query ${address} — the address of a person, to write to them` : 'status — your connection and registration',
    'help — everything else (status, reconnect, unregister, …)',
  ].join('\n');
}
