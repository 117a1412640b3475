import xml, { type Element } from '@xmpp/xml';
import type { Occupant } from './types';
import type { GatewayError } from './errors';
import { NS } from './namespaces';
import { errorElement, xmlSafe } from './stanzas';

/** XEP-0045 status codes used by the gateway. */
export const MucStatus = { self: '110', nonAnonymous: '100', newNick: '303', kicked: '307', nickModified: '210', roomCreated: '201' } as const;

export interface OccupantPresenceOptions {
  from: string;
  to: string;
  occupant: Occupant;
  /** The occupant's real JID, shown to everyone (IRC rooms are not anonymous). */
  realJid?: string;
  unavailable?: boolean;
  codes?: string[];
  newNick?: string;
  actor?: string;
  reason?: string;
  status?: string;
}

export function occupantPresence(o: OccupantPresenceOptions): Element {
  const item = xml('item', {
    affiliation: o.unavailable && o.codes?.includes(MucStatus.kicked) ? 'none' : o.occupant.affiliation,
    role: o.unavailable ? 'none' : o.occupant.role,
    jid: o.realJid,
    nick: o.newNick,
  });
  if (o.actor) item.append(xml('actor', { nick: o.actor }));
  if (o.reason) item.append(xml('reason', {}, o.reason));
  const x = xml('x', { xmlns: NS.mucUser }, item, ...(o.codes ?? []).map((code) => xml('status', { code })));
  const presence = xml('presence', { from: o.from, to: o.to, type: o.unavailable ? 'unavailable' : undefined });
  if (!o.unavailable && o.occupant.show) presence.append(xml('show', {}, o.occupant.show));
  const status = o.status ?? (o.unavailable ? undefined : o.occupant.status);
  if (status) presence.append(xml('status', {}, status));
  presence.append(x);
  return presence;
}

/**
 * A refused join (echoing the MUC element) or nick change, from room/nick. With XEP-0086's
 * legacy code (409 for a nick in use...), which older MUC clients read instead of the condition.
 */
export function joinErrorPresence(from: string, to: string, error: GatewayError, join = true): Element {
  return xml('presence', { from, to, type: 'error' }, join ? xml('x', { xmlns: NS.muc }) : undefined, errorElement(error, true));
}

/** The room refused a message (it came back as an error from the room), legacy code included. */
export function roomErrorMessage(from: string, to: string, id: string | undefined, error: GatewayError): Element {
  return xml('message', { from, to, type: 'error', id }, errorElement(error, true));
}

export interface OccupantChatOptions {
  /** room/nick */
  from: string;
  to: string;
  id?: string;
  body?: string;
  delay?: Date;
  /** A chat state instead of (or with) a body. */
  chatState?: string;
}

/**
 * A private message from a room occupant: type chat from room/nick, marked with an empty muc#user
 * element so that clients file it under the room and not as a chat with a stranger.
 */
export function occupantChatMessage(o: OccupantChatOptions): Element {
  const el = xml('message', { from: o.from, to: o.to, type: 'chat', id: o.id });
  if (o.body !== undefined) el.append(xml('body', {}, xmlSafe(o.body)));
  if (o.chatState) el.append(xml(o.chatState, { xmlns: NS.chatStates }));
  if (o.delay) el.append(xml('delay', { xmlns: NS.delay, stamp: o.delay.toISOString(), from: o.from.split('/')[0] }));
  el.append(xml('x', { xmlns: NS.mucUser }));
  return el;
}

export function subjectMessage(from: string, to: string, subject: string): Element {
  return xml('message', { from, to, type: 'groupchat' }, xml('subject', {}, subject));
}
