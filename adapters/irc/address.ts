/**
 * biboumi-compatible JID localparts for IRC:
 *   `#chan%irc.server.net` a channel, `nick%irc.server.net` a user, `irc.server.net` the server.
 * With a fixed default server, `#chan` and `nick` work too. Localparts are XEP-0106 escaped
 * because nicks and channel names may contain `\`, `@`, `/`, `:` and friends.
 */
import { GatewayError } from '../../src/core/errors';
import { CHANNEL_MAX, HOST_MAX, NICK_MAX, serverLimit } from './limits';

const XEP0106: Record<string, string> = {
  ' ': '\\20', '"': '\\22', '&': '\\26', "'": '\\27', '/': '\\2f',
  ':': '\\3a', '<': '\\3c', '>': '\\3e', '@': '\\40', '\\': '\\5c',
};
const UNESCAPE = new Map(Object.entries(XEP0106).map(([ch, seq]) => [seq, ch]));

export function escapeLocalpart(raw: string): string {
  return [...raw].map((ch) => XEP0106[ch] ?? ch).join('');
}

export function unescapeLocalpart(localpart: string): string {
  return localpart.replace(/\\(20|22|26|27|2f|3a|3c|3e|40|5c)/gi, (seq) => UNESCAPE.get(seq.toLowerCase()) ?? seq);
}

export type IrcAddress =
  | { kind: 'room'; channel: string; server: string }
  | { kind: 'contact'; nick: string; server: string }
  | { kind: 'server'; server: string };

export const CHANNEL_PREFIXES = '#&+!';
// RFC 2812 nick characters, plus what modern servers accept in the first position.
const NICK = /^[A-Za-z0-9[\]\\`_^{|}-]+$/;
const HOST = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
// Characters that can never be part of a channel name (RFC 2812: space, comma, ^G) or a line.
const CHANNEL_FORBIDDEN = /[\s,\x07\0]/;

export function isChannelName(name: string): boolean {
  return name.length > 1 && CHANNEL_PREFIXES.includes(name[0]) && !CHANNEL_FORBIDDEN.test(name);
}

export function isNick(name: string): boolean {
  return NICK.test(name) && !/^[0-9-]/.test(name);
}

export function isHostname(name: string): boolean {
  return name.length <= HOST_MAX && HOST.test(name);
}

/**
 * Parses a (still escaped) localpart. `defaultServer` is the one fixed network, if any.
 * Throws GatewayError('jid-malformed') with a sentence saying what a valid address looks like.
 */
export function parseLocalpart(localpart: string, defaultServer?: string): IrcAddress {
  const raw = unescapeLocalpart(localpart);
  const percent = raw.lastIndexOf('%');
  let name = raw;
  let server = defaultServer;
  if (percent !== -1) {
    name = raw.slice(0, percent);
    server = raw.slice(percent + 1).toLowerCase();
    if (!isHostname(server)) throw new GatewayError('jid-malformed', `"${server}" is not an IRC server name.`);
  } else if (!CHANNEL_PREFIXES.includes(raw[0] ?? '') && raw.includes('.')) {
    if (!isHostname(raw)) throw new GatewayError('jid-malformed', `"${raw}" is not an IRC server name.`);
    return { kind: 'server', server: raw.toLowerCase() };
  }
  if (!server) {
    throw new GatewayError('jid-malformed', `Address IRC peers as nick%irc.server.net or #channel%irc.server.net ("${raw}" names no server).`);
  }
  if (isChannelName(name)) {
    if (name.length > CHANNEL_MAX) throw new GatewayError('jid-malformed', `IRC channel names have at most ${CHANNEL_MAX} characters; this one has ${name.length}.`);
    return { kind: 'room', channel: name, server };
  }
  if (isNick(name)) {
    if (name.length > NICK_MAX) throw new GatewayError('jid-malformed', `IRC nicknames have at most ${NICK_MAX} characters; this one has ${name.length}.`);
    return { kind: 'contact', nick: name, server };
  }
  throw new GatewayError('jid-malformed', `"${name}" is neither an IRC nickname nor a channel name.`);
}

/** Builds the localpart for an address; the server part is left out for the fixed default server. */
export function formatLocalpart(address: IrcAddress, defaultServer?: string): string {
  if (address.kind === 'server') return escapeLocalpart(address.server.toLowerCase());
  const name = address.kind === 'room' ? address.channel : address.nick;
  const server = address.server.toLowerCase();
  return escapeLocalpart(server === defaultServer ? name : `${name}%${server}`);
}

/** A nick or channel longer than the server's NICKLEN / CHANNELLEN cannot exist there: say so. */
export function checkServerLimits(address: IrcAddress, isupport: Record<string, unknown> | undefined): void {
  if (address.kind === 'server') return;
  const [name, token, what] = address.kind === 'room' ? [address.channel, 'CHANNELLEN', 'channel names'] : [address.nick, 'NICKLEN', 'nicknames'];
  const limit = serverLimit(isupport, token);
  if (limit && name.length > limit) {
    throw new GatewayError('not-acceptable', `${address.server} allows ${what} of at most ${limit} characters; ${name.slice(0, 20)}… has ${name.length}.`);
  }
}
