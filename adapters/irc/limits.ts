/**
 * Upper bounds on what users type into the registration form or JIDs, so every line the gateway
 * builds from them (NICK, USER, JOIN, PRIVMSG with its prefix) fits in IRC's 512 bytes with room
 * left for text. Servers announce tighter limits (NICKLEN, CHANNELLEN) once connected.
 */
import { GatewayError } from '../../src/core/errors';

/** Longer than any server's NICKLEN in use; a nick this long still leaves PRIVMSG ~150 bytes of text. */
export const NICK_MAX = 64;
/** RFC 1459's channel name limit. */
export const CHANNEL_MAX = 200;
export const CHANNEL_KEY_MAX = 100;
/** The ident field: servers cut it to about 10, the form allows some slack. */
export const USERNAME_MAX = 32;
export const REALNAME_MAX = 200;
/** Fits `PRIVMSG NickServ :IDENTIFY account password` and SASL PLAIN in a few chunks. */
export const PASSWORD_MAX = 300;
/** DNS's limit on a host name. */
export const HOST_MAX = 253;

/** not-acceptable naming the field, e.g. "The real name is too long (100000 characters; at most 200)." */
export function tooLong(field: string, length: number, max: number): GatewayError {
  return new GatewayError('not-acceptable', `The ${field} is too long (${length} characters; at most ${max}).`);
}

export function checkLength(field: string, value: string, max: number): void {
  if (value.length > max) throw tooLong(field, value.length, max);
}

/** A numeric ISUPPORT token (NICKLEN, CHANNELLEN) if the server announced a usable one. */
export function serverLimit(options: Record<string, unknown> | undefined, token: string): number | undefined {
  const value = Number(options?.[token]);
  return Number.isInteger(value) && value > 0 ? value : undefined;
}
