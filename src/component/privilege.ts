/**
 * XEP-0356 (Privileged Entity), the roster part: reading what a server lets the component do
 * with its users' rosters, and the stanzas that use it. ejabberd 23.01 speaks
 * urn:xmpp:privilege:1, Prosody's mod_privilege urn:xmpp:privilege:2; both address roster
 * requests the same way (to the user's bare JID), so only the advertisement needs to know.
 */
import xml, { type Element } from '@xmpp/xml';
import { NS } from './namespaces';
import { bare, splitJid, xmlSafe } from './stanzas';

export const PRIVILEGE_NS = ['urn:xmpp:privilege:1', 'urn:xmpp:privilege:2'] as const;
export type PrivilegeNamespace = (typeof PRIVILEGE_NS)[number];

export const ROSTER_NS = 'jabber:iq:roster';

const ROSTER_ACCESS = ['none', 'get', 'set', 'both'] as const;
const MESSAGE_ACCESS = ['none', 'outgoing'] as const;
const PRESENCE_ACCESS = ['none', 'managed_entity', 'roster'] as const;
export type RosterAccess = (typeof ROSTER_ACCESS)[number];
export type MessageAccess = (typeof MESSAGE_ACCESS)[number];
export type PresenceAccess = (typeof PRESENCE_ACCESS)[number];

export interface PrivilegeAdvertisement {
  /** The server whose users the grant covers (the advertisement's sender). */
  serverDomain: string;
  namespace: PrivilegeNamespace;
  roster: RosterAccess;
  /** :2 only: the server also sends the component its users' roster pushes. */
  rosterPush: boolean;
  message: MessageAccess;
  presence: PresenceAccess;
  /** :2 only: namespaces the component may send iqs in on a user's behalf. */
  iq: { namespace: string; type: 'get' | 'set' | 'both' }[];
  /** What was not understood and read as 'none', for the log. */
  ignored: string[];
}

export function canGetRoster(grant: PrivilegeAdvertisement | undefined): boolean {
  return grant?.roster === 'get' || grant?.roster === 'both';
}

export function canSetRoster(grant: PrivilegeAdvertisement | undefined): boolean {
  return grant?.roster === 'set' || grant?.roster === 'both';
}

function privilegeChild(message: Element): Element | undefined {
  for (const ns of PRIVILEGE_NS) {
    const child = message.getChild('privilege', ns);
    if (child) return child;
  }
  return undefined;
}

/**
 * A server's advertisement of what the component may do, or undefined when `message` is not one.
 * Only a server may grant: a sender with a localpart or a resource is not one (anybody can send
 * the component a message). Values it does not know are read as 'none' and listed in `ignored`.
 */
export function parsePrivilegeAdvertisement(message: Element): PrivilegeAdvertisement | undefined {
  if (message.name !== 'message' || message.attrs.type === 'error') return undefined;
  // Only the server itself (a bare domain) grants privileges: users' messages stop here, cheaply.
  const sender: string = message.attrs.from ?? '';
  if (!sender || sender.includes('@') || sender.includes('/')) return undefined;
  const privilege = privilegeChild(message);
  // A <forwarded/> inside is a privileged message going the other way, not a grant.
  if (!privilege || privilege.getChild('forwarded')) return undefined;
  const from = splitJid(message.attrs.from ?? '');
  if (from.local || from.resource || !from.domain) return undefined;
  const grant: PrivilegeAdvertisement = {
    serverDomain: from.domain.toLowerCase(),
    namespace: privilege.attrs.xmlns as PrivilegeNamespace,
    roster: 'none',
    rosterPush: false,
    message: 'none',
    presence: 'none',
    iq: [],
    ignored: [],
  };
  for (const perm of privilege.getChildren('perm')) {
    const access = perm.attrs.access as string | undefined;
    const type = perm.attrs.type as string | undefined;
    const pick = <T extends string>(allowed: readonly T[]): T => {
      if (allowed.includes(type as T)) return type as T;
      grant.ignored.push(`${access} access of type "${type ?? ''}"`);
      return allowed[0];
    };
    if (access === 'roster') {
      grant.roster = pick(ROSTER_ACCESS);
      grant.rosterPush = perm.attrs.push === 'true' || perm.attrs.push === '1';
    } else if (access === 'message') grant.message = pick(MESSAGE_ACCESS);
    else if (access === 'presence') grant.presence = pick(PRESENCE_ACCESS);
    else if (access === 'iq') {
      for (const ns of perm.getChildren('namespace')) {
        const nsType = ns.attrs.type as string | undefined;
        if (ns.attrs.ns && (nsType === 'get' || nsType === 'set' || nsType === 'both')) grant.iq.push({ namespace: ns.attrs.ns, type: nsType });
        else grant.ignored.push(`iq access for namespace "${ns.attrs.ns ?? ''}" of type "${nsType ?? ''}"`);
      }
    } else grant.ignored.push(`unknown access "${access ?? ''}"`);
  }
  return grant;
}

const SUBSCRIPTIONS = ['none', 'to', 'from', 'both', 'remove'] as const;

export interface RosterItem {
  jid: string;
  name?: string;
  subscription?: (typeof SUBSCRIPTIONS)[number];
  groups?: string[];
}

function itemElement(item: RosterItem): Element {
  return xml('item', { jid: item.jid, name: item.name ? xmlSafe(item.name) : undefined, subscription: item.subscription },
    // RFC 6121 forbids empty and repeated groups (ejabberd refuses the whole set).
    ...[...new Set((item.groups ?? []).map(xmlSafe))].filter((g) => g !== '').map((g) => xml('group', {}, g)));
}

/** A roster set on `user`'s behalf (needs roster "set"); the server pushes it to the user's clients. */
export function rosterPush(from: string, user: string, items: RosterItem[]): Element {
  return xml('iq', { type: 'set', from, to: bare(user) }, xml('query', { xmlns: ROSTER_NS }, ...items.map(itemElement)));
}

/** A request for `user`'s roster (needs roster "get"). */
export function rosterGet(from: string, user: string): Element {
  return xml('iq', { type: 'get', from, to: bare(user) }, xml('query', { xmlns: ROSTER_NS }));
}

/** The items of a roster result (or push); malformed items (no jid) are left out. */
export function parseRosterItems(iq: Element): RosterItem[] {
  const query = iq.getChild('query', ROSTER_NS);
  if (!query) return [];
  const items: RosterItem[] = [];
  for (const item of query.getChildren('item')) {
    if (!item.attrs.jid) continue;
    items.push({
      jid: item.attrs.jid,
      name: item.attrs.name || undefined,
      subscription: SUBSCRIPTIONS.find((s) => s === item.attrs.subscription),
      groups: item.getChildren('group').map((g) => g.text()).filter((g) => g !== ''),
    });
  }
  return items;
}

/** The fallback without privileges: the contact asks to be in the roster, with its name (XEP-0172). */
export function subscribeRequest(from: string, to: string, nick?: string): Element {
  return xml('presence', { type: 'subscribe', from, to: bare(to) }, nick ? xml('nick', { xmlns: NS.nick }, xmlSafe(nick)) : undefined);
}
