/**
 * XEP-0115 entity capabilities: a hash of an entity's disco#info, carried in its presences, so
 * that clients know what a contact or the transport supports (corrections, reactions, ...)
 * without asking each one, and ask once per hash.
 */
import { createHash } from 'node:crypto';
import xml, { type Element } from '@xmpp/xml';
import type { DiscoIdentity } from './types';

export const CAPS_NS = 'http://jabber.org/protocol/caps';
/** Names this software in the caps it sends; clients ask `node#ver` for the features behind a hash. */
export const CAPS_NODE = 'urn:xmpp-transport-gateway:caps';

export interface Caps {
  node: string;
  ver: string;
}

/** The verification string of XEP-0115 section 5.1 (no extended forms), SHA-1, base64. */
export function capsVer(identities: DiscoIdentity[], features: Iterable<string>): string {
  const ids = identities
    .map((i) => `${i.category}/${i.type}//${i.name ?? ''}`)
    .sort();
  const feats = [...new Set(features)].sort();
  const s = [...ids, ...feats].map((part) => `${part}<`).join('');
  return createHash('sha1').update(s, 'utf8').digest('base64');
}

export function capsElement(caps: Caps): Element {
  return xml('c', { xmlns: CAPS_NS, hash: 'sha-1', node: caps.node, ver: caps.ver });
}
