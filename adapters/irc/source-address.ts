/**
 * Per-user source addresses: each user's IRC connections leave from an address of a configured
 * range (typically an IPv6 /64 routed to the gateway host), picked by a keyed hash of the bare
 * JID. The IRC server then sees one address per user, as if each had connected on their own, so
 * its per-address limits, bans and clone counts apply to one user rather than the whole gateway.
 * The key keeps the mapping private: without it nobody can tell which JID an address belongs to.
 */
import { createHmac } from 'node:crypto';
import { isIP } from 'node:net';

export interface SourceRange {
  family: 4 | 6;
  /** The network address as a number. */
  base: bigint;
  prefix: number;
}

/** Parses `2001:db8:1::/64` or `127.0.0.128/25`; undefined when the text is not a CIDR range. */
export function parseSourceRange(text: string): SourceRange | undefined {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(text.trim());
  if (!match) return undefined;
  const family = isIP(match[1]);
  const prefix = Number(match[2]);
  if (family === 0 || prefix > (family === 4 ? 32 : 128)) return undefined;
  const bits = family === 4 ? 32 : 128;
  const value = family === 4 ? ipv4ToBigint(match[1]) : ipv6ToBigint(match[1]);
  const hostMask = (1n << BigInt(bits - prefix)) - 1n;
  return { family: family as 4 | 6, base: value & ~hostMask & ((1n << BigInt(bits)) - 1n), prefix };
}

/** Why a `sourceAddresses` entry is unusable, or undefined when it is fine. */
export function sourceRangeProblem(text: string): string | undefined {
  const range = parseSourceRange(text);
  if (!range) return 'must be a CIDR range such as 2001:db8:42::/64 or 127.0.0.128/25';
  if (range.family === 4 && range.prefix > 30) return 'must leave at least two host bits (an IPv4 range up to /30)';
  if (range.family === 6 && range.prefix > 120) return 'must leave at least 8 host bits (an IPv6 range up to /120)';
  return undefined;
}

function ipv4ToBigint(address: string): bigint {
  return address.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function ipv6ToBigint(address: string): bigint {
  let text = address.toLowerCase();
  const tail: string[] = [];
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad) {
    const v4 = ipv4ToBigint(quad[1]);
    tail.push((v4 >> 16n).toString(16), (v4 & 0xffffn).toString(16));
    // What precedes the dotted quad ends in "::" (keep it) or in a group's ":" (drop it).
    text = text.slice(0, quad.index);
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const split = (part: string) => (part === '' ? [] : part.split(':'));
  const gap = text.indexOf('::');
  let groups: string[];
  if (gap === -1) {
    groups = [...split(text), ...tail];
  } else {
    const left = split(text.slice(0, gap));
    const right = [...split(text.slice(gap + 2)), ...tail];
    groups = [...left, ...new Array<string>(8 - left.length - right.length).fill('0'), ...right];
  }
  return groups.reduce((acc, group) => (acc << 16n) | BigInt(parseInt(group, 16)), 0n);
}

function formatAddress(family: 4 | 6, value: bigint): string {
  if (family === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 255n)).join('.');
  }
  const groups: string[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(((value >> shift) & 0xffffn).toString(16));
  // Node accepts the uncompressed form; compression only matters for what a person reads.
  return groups.join(':');
}

/**
 * The address in `range` for `user` (a bare JID, compared case-insensitively). The all-zeros host
 * (IPv4 network address, IPv6 subnet-router anycast) and the IPv4 broadcast address are never used.
 */
export function sourceAddressFor(range: SourceRange, user: string, key: string): string {
  const bits = range.family === 4 ? 32 : 128;
  const hostBits = BigInt(bits - range.prefix);
  const digest = createHmac('sha256', key).update(`irc-source-address\0${user.toLowerCase()}`).digest();
  const hash = BigInt(`0x${digest.toString('hex')}`);
  // Usable hosts: 1 .. 2^hostBits - 2 for IPv4 (no broadcast), 1 .. 2^hostBits - 1 for IPv6.
  const usable = (1n << hostBits) - (range.family === 4 ? 2n : 1n);
  const host = 1n + (hash % usable);
  return formatAddress(range.family, range.base + host);
}

/** The configured range of the target's address family, if any. */
export function rangeFor(ranges: SourceRange[], family: 4 | 6): SourceRange | undefined {
  return ranges.find((r) => r.family === family);
}
