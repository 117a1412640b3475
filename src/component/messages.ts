/**
 * The messages and presences the gateway sends on behalf of legacy contacts. Built here, on the
 * XMPP side, so the core only decides what to say and to whom.
 */
import xml, { type Element } from '@xmpp/xml';
import { capsElement, type Caps } from './caps';
import type { GatewayError } from './errors';
import { NS } from './namespaces';
import { delayElement, errorElement, oobElements, xmlSafe } from './stanzas';
import type { ChatState, PresenceShow } from './types';

export interface ChatMessageOptions {
  from: string;
  /** Undefined for the copy kept in the archive. */
  to: string | undefined;
  body: string;
  id?: string;
  type?: 'chat' | 'normal' | 'headline' | 'groupchat';
  subject?: string;
  thread?: string;
  oob?: { url: string; desc?: string }[];
  delay?: Date;
  /** Who stamped the delay and assigned the stanza-id (the contact's domain, or the room). */
  by: string;
  /** XEP-0359 stanza-id, the id archives and references use. */
  stanzaId?: string;
  /** XEP-0461: the message this one answers (its id as the receiving client knows it) and its author's JID. */
  replyTo?: { id: string; to?: string };
}

export function chatMessage(m: ChatMessageOptions): Element {
  const el = xml('message', { from: m.from, to: m.to, type: m.type ?? 'chat', id: m.id });
  if (m.subject) el.append(xml('subject', {}, xmlSafe(m.subject)));
  el.append(xml('body', {}, xmlSafe(m.body)));
  if (m.thread) el.append(xml('thread', {}, m.thread));
  if (m.oob?.length) el.append(...oobElements(m.oob));
  if (m.delay) el.append(delayElement(m.delay, m.by));
  if (m.stanzaId) el.append(xml('stanza-id', { xmlns: NS.stanzaId, id: m.stanzaId, by: m.by }));
  if (m.replyTo) el.append(xml('reply', { xmlns: NS.reply, id: m.replyTo.id, to: m.replyTo.to }));
  return el;
}

/** XEP-0444: the whole set of one sender's reactions to a message (empty: withdrawn). */
export function reactionsMessage(o: { from: string; to: string; type: 'chat' | 'groupchat'; messageId: string; emojis: string[]; stanzaId?: string; by: string }): Element {
  const el = xml('message', { from: o.from, to: o.to, type: o.type, id: o.stanzaId },
    xml('reactions', { xmlns: NS.reactions, id: o.messageId }, ...o.emojis.map((e) => xml('reaction', {}, xmlSafe(e)))),
    xml('store', { xmlns: NS.hints }));
  if (o.stanzaId) el.append(xml('stanza-id', { xmlns: NS.stanzaId, id: o.stanzaId, by: o.by }));
  return el;
}

export function chatStateMessage(from: string, to: string, state: ChatState): Element {
  return xml('message', { from, to, type: 'chat' }, xml(state, { xmlns: NS.chatStates }));
}

export function receiptMessage(from: string, to: string, id: string): Element {
  return xml('message', { from, to, id: `receipt-${id}` }, xml('received', { xmlns: NS.receipts, id }));
}

export function errorMessage(from: string, to: string, id: string | undefined, error: GatewayError): Element {
  return xml('message', { from, to, type: 'error', id }, errorElement(error));
}

/** `caps` go with available presences only (XEP-0115). */
export function contactPresence(from: string, to: string, p: { available: boolean; show?: PresenceShow; status?: string }, caps?: Caps): Element {
  return xml('presence', { from, to, type: p.available ? undefined : 'unavailable' },
    p.show ? xml('show', {}, p.show) : undefined, p.status ? xml('status', {}, xmlSafe(p.status)) : undefined,
    p.available && caps ? capsElement(caps) : undefined);
}

/** Presence of the transport itself, mirroring the legacy connection. */
export function transportPresence(from: string, to: string, online: boolean, text?: string, caps?: Caps): Element {
  return xml('presence', { from, to, type: online ? undefined : 'unavailable' }, text ? xml('status', {}, xmlSafe(text)) : undefined,
    online && caps ? capsElement(caps) : undefined);
}

/** Subscription management and probes from one of the gateway's JIDs. */
export function subscriptionPresence(from: string, to: string, type: 'subscribe' | 'subscribed' | 'unsubscribe' | 'unsubscribed' | 'probe'): Element {
  return xml('presence', { from, to, type });
}
