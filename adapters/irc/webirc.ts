/**
 * WEBIRC (IRCv3 webirc extension, also what KiwiIRC and other web gateways send): the first line
 * on a connection, before CAP/NICK/USER, tells a server that trusts the gateway (by a password
 * agreed with its operators) which host and address to show and ban instead of the gateway's.
 *
 *     WEBIRC <password> <gateway> <hostname> <ip>
 *
 * The host is either one fixed name for every user, or `<hash>.<suffix>` with a keyed hash of the
 * user's bare JID: stable for one user (so bans and channel access lists keep working), different
 * between users, and revealing nothing about the JID to anyone without the key. The address is the
 * one the connection really comes from: the user's own source address when `sourceAddresses` is
 * set (so every user differs there too), otherwise the gateway's.
 */
import { createHmac } from 'node:crypto';
import { isIP } from 'node:net';

export interface WebircSettings {
  password: string;
  gateway: string;
  hostMode: 'hashed' | 'fixed';
  /** The host every user gets (hostMode fixed). */
  host?: string;
  /** After the hash (hostMode hashed); the transport's domain when unset. */
  hostSuffix?: string;
}

/** What one WEBIRC parameter may be: one word, not starting with ":" (that would begin the trailing parameter). */
export const WEBIRC_WORD = /^[^\s:\0][^\s\0]*$/;

/** Most servers cut hosts at 63 characters (HOSTLEN); the hash takes 17 of them. */
export const MAX_HOST_SUFFIX = 46;
const HASH_CHARS = 16;

export function hashedHost(user: string, key: string, suffix: string): string {
  const digest = createHmac('sha256', key).update(`irc-webirc-host\0${user.toLowerCase()}`).digest('hex');
  return `${digest.slice(0, HASH_CHARS)}.${suffix}`;
}

/** The host WEBIRC announces for `user`. */
export function webircHost(settings: WebircSettings, user: string, key: string | undefined, domain: string): string {
  if (settings.hostMode === 'fixed') {
    if (!settings.host) throw new Error('webirc: hostMode fixed needs a host');
    return settings.host;
  }
  if (!key) throw new Error('webirc: hostMode hashed needs hashKey');
  const suffix = settings.hostSuffix ?? (domain.length <= MAX_HOST_SUFFIX ? domain : 'xmpp');
  return hashedHost(user, key, suffix);
}

/** The WEBIRC line for a connection whose local (source) address is `ip`. */
export function webircLine(settings: WebircSettings, host: string, ip: string): string {
  let address = ip.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1').replace(/%.*$/, '');
  if (isIP(address) === 0) throw new Error(`webirc: "${ip}" is not an IP address`);
  // "::1" would read as the trailing parameter "::1" -> ":1"; servers expect the zero added.
  if (address.startsWith(':')) address = `0${address}`;
  for (const word of [settings.password, settings.gateway, host]) {
    if (!WEBIRC_WORD.test(word)) throw new Error('webirc: a parameter is not one word');
  }
  return `WEBIRC ${settings.password} ${settings.gateway} ${host} ${address}`;
}
