/**
 * Chat helpers that turn a legacy address into the XMPP address to use: `join #chan [key]`,
 * `query nick`, `contact +1 555 123 4567`. Generic: the adapter's own address rules do the work
 * (toLocalpart, parseAddress), so every network has them without code of its own.
 */
import { NS } from '../../component/namespaces';
import { GatewayError } from '../errors';
import type { TransportContext } from '../transport-context';

export interface ChatHelper {
  names: string[];
  usage: string;
  description: string;
  /** Offered on this transport (join only where the network has rooms). */
  offered(ctx: TransportContext): boolean;
  /** The answer; throws GatewayError with a sentence for what cannot be an address. */
  run(ctx: TransportContext, args: string): string;
}

export function hasRooms(ctx: TransportContext): boolean {
  return ctx.adapter.features.includes(NS.muc);
}

/** RFC 5122: what the node part of an xmpp: URI may carry as is; everything else is percent-encoded. */
const NODE_SAFE = /^[A-Za-z0-9\-._~!$()*+,;=]$/;
const VALUE_SAFE = /^[A-Za-z0-9\-._~]$/;

function percentEncode(text: string, safe: RegExp): string {
  return Array.from(text).map((ch) => (safe.test(ch) ? ch : encodeURIComponent(ch).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))).join('');
}

/** An xmpp: URI (RFC 5122, XEP-0147 actions) that clients open as a chat or a join. */
export function xmppUri(jid: string, action: 'join' | 'message', params: Record<string, string> = {}): string {
  const at = jid.lastIndexOf('@');
  const address = at === -1 ? jid : `${percentEncode(jid.slice(0, at), NODE_SAFE)}@${jid.slice(at + 1)}`;
  const query = Object.entries(params).map(([key, value]) => `;${key}=${percentEncode(value, VALUE_SAFE)}`).join('');
  return `xmpp:${address}?${action}${query}`;
}

function firstWord(text: string): [string, string] {
  const trimmed = text.trim();
  const space = trimmed.search(/\s/);
  return space === -1 ? [trimmed, ''] : [trimmed.slice(0, space), trimmed.slice(space).trim()];
}

function prompt(ctx: TransportContext): string {
  return `<${ctx.adapter.gatewayPrompt.prompt.toLowerCase()}>`;
}

const join: ChatHelper = {
  names: ['join'],
  usage: 'join <#room> [key]',
  description: 'the address of a room, to join it from your client',
  offered: hasRooms,
  run(ctx, args) {
    const [room, key] = firstWord(args);
    if (!room) throw new GatewayError('bad-request', 'Name the room: join #room (and its key, if it has one).');
    const localpart = ctx.adapter.toLocalpart(room);
    const address = ctx.adapter.parseAddress(localpart);
    if (address.kind !== 'room') throw new GatewayError('not-acceptable', `${address.display} is not a room; send query ${room} for a person's address.`);
    const jid = `${localpart}@${ctx.domain}`;
    return `${address.display}: ${jid}\n${xmppUri(jid, 'join', key ? { password: key } : {})}\nOpen the link, or join ${jid} as a group chat in your client.`;
  },
};

const contact: ChatHelper = {
  names: ['contact', 'query'],
  usage: 'contact <address>',
  description: 'the address of a contact, to write to them',
  offered: () => true,
  run(ctx, args) {
    const typed = args.trim();
    if (!typed) throw new GatewayError('bad-request', `Give the address after the command: contact ${prompt(ctx)}.`);
    const localpart = ctx.adapter.toLocalpart(typed);
    const address = ctx.adapter.parseAddress(localpart);
    if (address.kind === 'room') throw new GatewayError('not-acceptable', `${address.display} is a room; send join ${typed} for its address.`);
    const jid = `${localpart}@${ctx.domain}`;
    return `${address.display}: ${jid}\n${xmppUri(jid, 'message')}\nOpen the link, or add ${jid} as a contact in your client.`;
  },
};

const HELPERS = [join, contact];

export function offeredHelpers(ctx: TransportContext): ChatHelper[] {
  return HELPERS.filter((h) => h.offered(ctx));
}

/** Help lines of the helpers, with this network's words in the placeholders. */
export function helperUsage(ctx: TransportContext, helper: ChatHelper): string {
  if (helper !== contact) return helper.usage;
  return hasRooms(ctx) ? `query ${prompt(ctx)}` : `contact ${prompt(ctx)}`;
}

export function findHelper(name: string): ChatHelper | undefined {
  return HELPERS.find((h) => h.names.includes(name));
}
