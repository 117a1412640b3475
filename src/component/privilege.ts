/**
 * XEP-0356 (Privileged Entity): reading what a server lets the component do with its users'
 * rosters and messages, and the stanzas that use it. ejabberd 23.01 speaks
 * urn:xmpp:privilege:1, Prosody's mod_privilege urn:xmpp:privilege:2; both address roster
 * requests the same way (to the user's bare JID) and wrap privileged messages the same way, so
 * only the advertisement and the wrapper's namespace need to know.
 */
import { randomUUID } from 'node:crypto';
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

/** The server lets the component send messages as its users (message "outgoing"). */
export function canSendAsUser(grant: PrivilegeAdvertisement | undefined): boolean {
  return grant?.message === 'outgoing';
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

const FORWARD_NS = 'urn:xmpp:forward:0';
const CLIENT_NS = 'jabber:client';

/**
 * XEP-0333 <displayed/> for message `id`. A 1:1 one goes from the user's bare JID to the
 * contact; in a room, from the user's own occupant JID (type groupchat), which clients read as
 * "read on another device" (XEP-0333 section on groupchat).
 */
export function displayedMarker(opts: { from: string; to: string; id: string; type: 'chat' | 'groupchat' }): Element {
  return xml('message', { from: opts.from, to: opts.to, type: opts.type, id: randomUUID() },
    xml('displayed', { xmlns: NS.markers, id: xmlSafe(opts.id) }));
}

/**
 * A message the server sends on `user`'s behalf, as if one of their clients had sent it (needs
 * message "outgoing"). The server posts it from the user's bare JID, so their other resources
 * get it as a XEP-0280 "sent" carbon and their archive keeps it: the way a gateway tells the
 * user's clients what the user did on the legacy network. `inner` must be from the user's bare
 * JID; it is addressed to the user's server (`grant.serverDomain`) wrapped in <forwarded/>.
 */
export function privilegedMessage(component: string, grant: Pick<PrivilegeAdvertisement, 'serverDomain' | 'namespace'>, inner: Element): Element {
  const from = splitJid(inner.attrs.from ?? '');
  if (!from.local || from.resource || from.domain.toLowerCase() !== grant.serverDomain) {
    throw new Error(`privilegedMessage: the inner message must be from a bare JID of ${grant.serverDomain}, not "${inner.attrs.from ?? ''}"`);
  }
  // Prosody's mod_privilege looks the inner message up by its namespace: it must say it.
  const copy = xml(inner.name, { ...inner.attrs, xmlns: CLIENT_NS }, ...inner.children);
  return xml('message', { from: component, to: grant.serverDomain, id: randomUUID() },
    xml('privilege', { xmlns: grant.namespace }, xml('forwarded', { xmlns: FORWARD_NS }, copy)));
}

/** The user read the chat with `contact` up to `id` elsewhere: the privileged <displayed/> their clients get as a carbon. */
export function ownDisplayedCarbon(component: string, grant: Pick<PrivilegeAdvertisement, 'serverDomain' | 'namespace'>, user: string, contact: string, id: string): Element {
  return privilegedMessage(component, grant, displayedMarker({ from: bare(user), to: bare(contact), id, type: 'chat' }));
}
