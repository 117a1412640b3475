/**
 * The messages and presences the gateway sends on behalf of legacy contacts. Built here, on the
 * XMPP side, so the core only decides what to say and to whom.
 */
import xml, { type Element } from '@xmpp/xml';
import { capsElement, type Caps } from './caps';
import type { GatewayError } from './errors';
import { NS } from './namespaces';
import { delayElement, element, errorElement, oobElements, serialize, serializeAttributes, xmlSafe } from './stanzas';
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
  /** XEP-0333: clients send displayed markers only for messages marked so. */
  markable?: boolean;
}

export function chatMessage(m: ChatMessageOptions): Element {
  return chatMessageTo(m, m.to);
}

/** chatMessage with the recipient apart, so that callers need not copy the options for each. */
function chatMessageTo(m: Omit<ChatMessageOptions, 'to'>, to: string | undefined): Element {
  // element(), not xml(): this runs for every message relayed (see element()).
  const el = element('message', { from: m.from, to, type: m.type ?? 'chat', id: m.id },
    m.subject ? element('subject', {}, xmlSafe(m.subject)) : undefined,
    element('body', {}, xmlSafe(m.body)));
  if (m.thread) el.append(element('thread', {}, m.thread));
  if (m.oob?.length) el.append(...oobElements(m.oob));
  if (m.delay) el.append(delayElement(m.delay, m.by));
  if (m.stanzaId) el.append(element('stanza-id', { xmlns: NS.stanzaId, id: m.stanzaId, by: m.by }));
  if (m.replyTo) el.append(element('reply', { xmlns: NS.reply, id: m.replyTo.id, to: m.replyTo.to }));
  if (m.markable) el.append(element('markable', { xmlns: NS.markers }));
  return el;
}

/** A stanza's payload serialized once (see sharedChatMessage). */
interface Payload {
  children: Element['children'];
  xml: string;
}

/**
 * One copy of a stanza built for many recipients: its own attributes (`to` differs), the
 * template's children, and their serialization done once for all copies.
 */
class StampedStanza extends xml.Element {
  constructor(template: Element, to: string, private readonly payload: Payload) {
    super(template.name);
    // In chatMessage's order, so that a copy reads exactly like a stanza built for its recipient.
    const attrs: Element['attrs'] = { from: template.attrs.from, to };
    for (const name in template.attrs) if (name !== 'from' && name !== 'to') attrs[name] = template.attrs[name];
    this.attrs = attrs;
    this.children = payload.children.slice();
  }

  override toString(): string {
    const shared = this.payload.children;
    // Changed after it was built (nothing the gateway does): serialized in full like any element.
    if (this.children.length !== shared.length || this.children.some((c, i) => c !== shared[i])) return super.toString();
    return `<${this.name}${serializeAttributes(this.attrs)}>${this.payload.xml}</${this.name}>`;
  }
}

interface Template {
  options: Omit<ChatMessageOptions, 'to'>;
  template: Element;
  payload: Payload;
  /** Builds still expected; the template is dropped after the last. */
  uses: number;
}

/**
 * Templates waiting for their other recipients, by body (the rest is compared). The
 * N connections of a room read a burst of lines each at its own pace; a connection that never
 * reports a line (it dropped) leaves its template behind until the oldest are dropped.
 */
const templates = new Map<string, Template>();
const TEMPLATES_MAX = 1024;

function sameOptions(a: Omit<ChatMessageOptions, 'to'>, b: Omit<ChatMessageOptions, 'to'>): boolean {
  const sameOob = (a.oob ?? []).length === (b.oob ?? []).length && (a.oob ?? []).every((o, i) => o.url === b.oob![i].url && o.desc === b.oob![i].desc);
  return a.from === b.from && a.body === b.body && a.type === b.type && a.id === b.id && a.subject === b.subject && a.thread === b.thread
    && a.delay?.getTime() === b.delay?.getTime() && a.by === b.by && a.stanzaId === b.stanzaId
    && a.replyTo?.id === b.replyTo?.id && a.replyTo?.to === b.replyTo?.to && !a.markable === !b.markable && sameOob;
}

/**
 * chatMessage for a line that `copies` builds in all will ask for. In a room shared by N gateway
 * users the same line arrives on N legacy connections and becomes N stanzas that differ only in
 * `to`: the payload is built and serialized once for all of them. With one copy, it is chatMessage.
 */
export function sharedChatMessage(m: Omit<ChatMessageOptions, 'to'>, copies: number): (to: string) => Element {
  if (copies <= 1) return (to) => chatMessageTo(m, to);
  // By body alone (no key string to build); a different line with the same body replaces it.
  const key = m.body;
  let entry = templates.get(key);
  if (entry && !sameOptions(entry.options, m)) entry = undefined;
  if (!entry) {
    const template = chatMessageTo(m, undefined);
    const full = serialize(template);
    // Attribute values are escaped, so the first '>' closes the start tag (a message always has a body).
    const payload = { children: template.children, xml: full.slice(full.indexOf('>') + 1, full.length - `</${template.name}>`.length) };
    if (templates.size >= TEMPLATES_MAX) templates.delete(templates.keys().next().value as string);
    entry = { options: m, template, payload, uses: copies };
    templates.set(key, entry);
  }
  if (--entry.uses <= 0 && templates.get(key) === entry) templates.delete(key);
  const { template, payload } = entry;
  return (to) => new StampedStanza(template, to, payload);
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
