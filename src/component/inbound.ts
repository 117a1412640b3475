/** What an XMPP user's message says, read once here so the core never walks stanza trees. */
import type { Element } from '@xmpp/xml';
import { readInvitation, type Invitation } from './invitations';
import { NS } from './namespaces';
import type { ChatState, PresenceShow } from './types';

const CHAT_STATES: ChatState[] = ['active', 'composing', 'paused', 'inactive', 'gone'];

export interface UserMessage {
  type: string;
  /** Full JID of the sending resource. */
  from: string;
  id?: string;
  /** Null when the message has no body (a chat state or a subject change alone). Without a reply's quote. */
  body: string | null;
  /** The body as the client sent it, quote fallback included (what a reader without reply support sees). */
  fullBody: string | null;
  /** XEP-0245: the body started with "/me " (stripped here). */
  action: boolean;
  subject: string | null;
  thread?: string;
  oob: { url: string; desc?: string }[];
  chatState?: ChatState;
  /** XEP-0184 receipt asked for (only meaningful with an id). */
  receiptRequested: boolean;
  /** XEP-0359 origin-id: the id the sender's client gave it, kept across servers. */
  originId?: string;
  /** XEP-0308: the id of the earlier message this one corrects. */
  replaces?: string;
  /** XEP-0461: the message answered; `quote` is the client's fallback quote, already cut from body. */
  replyTo?: { id: string; to?: string; quote?: string };
  /** XEP-0444: the full set of reactions to message `id` (empty: all withdrawn). */
  reactions?: { id: string; emojis: string[] };
  /** XEP-0333: the user has read up to message `id`. */
  displayed?: string;
  /** A room invitation (XEP-0045 mediated, or XEP-0249 direct), or a declined one. */
  invitation?: Invitation;
}

/**
 * message.getChild(name, xmlns) without the array ltx builds for it: read for a dozen names on
 * every message a user sends.
 */
function child(message: Element, name: string, xmlns?: string): Element | undefined {
  for (const c of message.children) {
    if (typeof c === 'object' && c.is(name, xmlns)) return c;
  }
  return undefined;
}

function childText(message: Element, name: string): string | null {
  return child(message, name)?.getText() ?? null;
}

/** The first of CHAT_STATES (in that order) the message carries. */
function chatStateOf(message: Element): ChatState | undefined {
  return CHAT_STATES.find((state) => child(message, state, NS.chatStates));
}

/** Cuts the ranges a client marked as fallback for `forNs` (XEP-0428) out of `body`; counts in code points. */
function cutFallback(message: Element, body: string, forNs: string): { body: string; cut?: string } {
  const fallback = message.getChildren('fallback', NS.fallback).find((f) => f.attrs.for === forNs);
  if (!fallback) return { body };
  const range = fallback.getChild('body');
  const chars = Array.from(body);
  if (!range) return { body: '', cut: body };
  const start = Number(range.attrs.start ?? 0);
  const end = Number(range.attrs.end ?? chars.length);
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end > chars.length) return { body };
  return { body: [...chars.slice(0, start), ...chars.slice(end)].join(''), cut: chars.slice(start, end).join('') };
}

/** The quoted lines of a reply fallback, without their "> " markers. */
function quoteText(cut: string | undefined): string | undefined {
  if (!cut) return undefined;
  const text = cut.split('\n').map((line) => line.replace(/^>\s?/, '')).join('\n').trim();
  return text || undefined;
}

export function readUserMessage(message: Element): UserMessage {
  const fullBody = childText(message, 'body');
  let rawBody = fullBody;
  const reply = child(message, 'reply', NS.reply);
  let replyTo: UserMessage['replyTo'];
  if (reply?.attrs.id) {
    let cut: string | undefined;
    if (rawBody !== null) ({ body: rawBody, cut } = cutFallback(message, rawBody, NS.reply));
    replyTo = { id: reply.attrs.id, to: reply.attrs.to, quote: quoteText(cut) };
  }
  const reactions = child(message, 'reactions', NS.reactions);
  const action = rawBody !== null && rawBody.startsWith('/me ');
  const oob = message.getChildren('x', NS.oob)
    .map((x) => ({ url: x.getChildText('url') ?? '', desc: x.getChildText('desc') ?? undefined }))
    .filter((o) => o.url);
  return {
    type: message.attrs.type ?? 'normal',
    from: message.attrs.from ?? '',
    id: message.attrs.id,
    body: action ? rawBody!.slice(4) : rawBody,
    fullBody,
    action,
    subject: childText(message, 'subject'),
    thread: childText(message, 'thread') ?? undefined,
    oob,
    chatState: chatStateOf(message),
    receiptRequested: Boolean(child(message, 'request', NS.receipts)) && Boolean(message.attrs.id),
    originId: child(message, 'origin-id', NS.stanzaId)?.attrs.id,
    replaces: child(message, 'replace', NS.correction)?.attrs.id,
    replyTo,
    reactions: reactions?.attrs.id ? { id: reactions.attrs.id, emojis: reactions.getChildren('reaction').map((r) => r.text().trim()).filter(Boolean) } : undefined,
    displayed: child(message, 'displayed', NS.markers)?.attrs.id,
    invitation: readInvitation(message),
  };
}

/** An XMPP user's presence: availability with show/status, or its MUC join password. */
export function readUserPresence(presence: Element): { show?: PresenceShow; status?: string; mucPassword?: string; isMucJoin: boolean } {
  const muc = presence.getChild('x', NS.muc);
  return {
    show: (presence.getChildText('show') ?? undefined) as PresenceShow | undefined,
    status: presence.getChildText('status') ?? undefined,
    mucPassword: muc?.getChildText('password') ?? undefined,
    isMucJoin: Boolean(muc),
  };
}
