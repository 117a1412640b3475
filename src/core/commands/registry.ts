/**
 * The one command registry of a transport: what a user may run, by ad-hoc node (XEP-0050,
 * disco#items) and by chat name. Everything comes from here, so the three always agree.
 *
 * Order: registration, the transport-wide commands (core's, then the adapter's), the commands
 * of the user's live legacy session, then admin commands. A chat name belongs to the first
 * command that claims it.
 */
import { NS } from '../../component/namespaces';
import type { AdhocCommand, AdhocContext } from '../adapter';
import { GatewayError } from '../errors';
import type { TransportContext } from '../transport-context';
import { adminCommands, type NamedCommand } from './admin';
import { gatewayControl, isAdmin } from './control';
import { registerCommand } from './register-command';

export interface CommandEntry {
  command: AdhocCommand;
  /** Chat names, the first shown in help. */
  names: string[];
  admin: boolean;
  /** Words after the chat name fill the form's fields; registration is always asked field by field. */
  positional: boolean;
  /** How help shows it; default: the name and the form's fields. */
  usage?: string;
}

/** Chat names of the core's own transport-wide commands. */
const CORE_NAMES: Record<string, string[]> = {
  'show-registration': ['status', 'show-registration'],
};

/**
 * A network's command is reachable by its node and, shorter, by what follows the network's
 * prefix: `irc-nick` also as `nick`, `sms-release-number` as `release-number`.
 */
export function chatNamesOf(node: string): string[] {
  const tail = node.split(/[#/]/).pop() ?? node;
  const short = tail.includes('-') ? tail.slice(tail.indexOf('-') + 1) : tail;
  return [...new Set([short, tail, node].map((n) => n.toLowerCase()).filter((n) => n && !/\s/.test(n)))];
}

/** Per transport: the commands that do not depend on the user, made once. */
const fixed = new WeakMap<TransportContext, { register: CommandEntry; admin: CommandEntry[] }>();

function fixedEntries(ctx: TransportContext): { register: CommandEntry; admin: CommandEntry[] } {
  let entries = fixed.get(ctx);
  if (!entries) {
    const control = gatewayControl(ctx);
    const admin = control ? adminCommands(ctx, control) : [];
    entries = {
      register: { command: registerCommand(ctx), names: ['register'], admin: false, positional: false },
      admin: admin.map((c: NamedCommand) => ({ command: c.command, names: c.names, usage: c.usage, admin: true, positional: true })),
    };
    fixed.set(ctx, entries);
  }
  return entries;
}

function entry(command: AdhocCommand): CommandEntry {
  return { command, names: CORE_NAMES[command.node] ?? chatNamesOf(command.node), admin: false, positional: true };
}

/** Every command that exists for this user, admin commands included (they are refused, not unknown). */
export function allCommands(ctx: TransportContext, user: string): CommandEntry[] {
  const { register, admin } = fixedEntries(ctx);
  const live = ctx.sessions.get(user)?.legacy?.commands?.() ?? [];
  return [register, ...ctx.commands.map(entry), ...live.map(entry), ...admin];
}

/** Why this user may not run this command now, or undefined. */
export function refusal(ctx: TransportContext, user: string, found: CommandEntry): GatewayError | undefined {
  const { command } = found;
  if (found.admin) {
    return isAdmin(ctx, user) ? undefined : new GatewayError('forbidden', `Only the administrators of this gateway may run "${command.name}".`);
  }
  if (!ctx.isAllowed(user)) return new GatewayError('forbidden', `${user} is not allowed to use ${ctx.domain}.`);
  if (command.requiresSession !== false && !ctx.sessions.get(user)) {
    return new GatewayError('registration-required', `Register with ${ctx.domain} to use "${command.name}".`);
  }
  return undefined;
}

/** What this user may run now: what help and disco#items list. */
export function visibleCommands(ctx: TransportContext, user: string): CommandEntry[] {
  return allCommands(ctx, user).filter((c) => !refusal(ctx, user, c));
}

export function findByNode(ctx: TransportContext, user: string, node: string): CommandEntry | undefined {
  return allCommands(ctx, user).find((c) => c.command.node === node);
}

export function findByChatName(ctx: TransportContext, user: string, name: string): CommandEntry | undefined {
  const word = name.toLowerCase();
  return allCommands(ctx, user).find((c) => c.names.includes(word));
}

export async function commandContext(ctx: TransportContext, fullJid: string, user: string): Promise<AdhocContext> {
  const registration = await ctx.sessions.registrations.get(user);
  return { user, fullJid, session: ctx.sessions.get(user)?.legacy, registration: registration?.credentials };
}

/** The registration node: the chat dialogue treats it specially (secrets, progress line). */
export function isRegistration(found: CommandEntry): boolean {
  return found.command.node === NS.register;
}
