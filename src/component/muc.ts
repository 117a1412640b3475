import xml, { type Element } from '@xmpp/xml';
import type { Occupant } from './types';
import type { GatewayError } from './errors';
import { NS } from './namespaces';
import { errorElement } from './stanzas';

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

/** A failed join: the error presence from room/nick, echoing the MUC element. */
export function joinErrorPresence(from: string, to: string, error: GatewayError): Element {
  return xml('presence', { from, to, type: 'error' }, xml('x', { xmlns: NS.muc }), errorElement(error));
}

export function subjectMessage(from: string, to: string, subject: string): Element {
  return xml('message', { from, to, type: 'groupchat' }, xml('subject', {}, subject));
}
