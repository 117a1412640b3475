/**
 * Corrections (XEP-0308), replies (XEP-0461) and reactions (XEP-0444) as IRC lines: IRCv3 client
 * tags where the connection negotiated `message-tags` and the server lets the tag through
 * (`CLIENTTAGDENY`), else the core's text fallbacks. Pure: the session decides what to queue.
 *
 * Specifications followed (IRCv3, all still drafts, hence the `draft/` names every implementation
 * uses): the `+draft/reply` client tag; the `+draft/react` and `+draft/unreact` client tags (react
 * spec, both "MUST be used with +draft/reply"); tag value escaping and the 4094-byte limit on
 * client tag data from the message-tags spec. There is no IRCv3 edit that servers implement (the
 * `draft/message-edit` proposal is an open pull request), so corrections are always text.
 */
import type { Client } from 'irc-framework';
import type { MessageReferences, OutboundReaction } from '../../src/core/adapter';
import { GatewayError } from '../../src/core/errors';
import { correctionText, reactionText, replyText } from '../../src/core/fallback';

/** Client tag data allowed on one line, without the leading `@` and the trailing space. */
export const TAG_DATA_MAX = 4094;
/** Reactions to one message sent in one go: each is a line in the flood queue. */
export const MAX_REACTIONS = 20;

export type Tags = [name: string, value: string][];

export interface TagSupport {
  reply: boolean;
  react: boolean;
  unreact: boolean;
}

const NO_TAGS: TagSupport = { reply: false, react: false, unreact: false };

const ESCAPES: Record<string, string> = { ';': '\\:', ' ': '\\s', '\\': '\\\\', '\r': '\\r', '\n': '\\n' };

/** A tag value as the message-tags spec escapes it; NUL has no escape and is dropped. */
export function escapeTagValue(value: string): string {
  return value.replace(/\0/g, '').replace(/[; \\\r\n]/g, (c) => ESCAPES[c]);
}

/** `CLIENTTAGDENY` (names without `+`): `*` denies all but the `-name`s listed after it. */
export function clientTagAllowed(deny: unknown, name: string): boolean {
  const list = Array.isArray(deny) ? deny.map(String) : typeof deny === 'string' ? deny.split(',') : [];
  return list.includes('*') ? list.includes(`-${name}`) : !list.includes(name);
}

/**
 * Which tags this connection can carry. `msgids`: the server gives messages ids, so an XMPP id
 * the core passes as a legacy id really names an IRC message (without msgids it is the gateway's).
 */
export function tagSupport(client: Client | undefined, msgids: boolean): TagSupport {
  if (!client || !msgids || !client.network.cap.isEnabled('message-tags')) return NO_TAGS;
  const deny = client.network.options.CLIENTTAGDENY;
  if (!clientTagAllowed(deny, 'draft/reply')) return NO_TAGS;
  return { reply: true, react: clientTagAllowed(deny, 'draft/react'), unreact: clientTagAllowed(deny, 'draft/unreact') };
}

/** `@tags line`, or undefined when the tags are longer than a client may send. */
export function withTags(tags: Tags, line: string): string | undefined {
  if (!tags.length) return line;
  const data = tags.map(([name, value]) => `${name}=${escapeTagValue(value)}`).join(';');
  return Buffer.byteLength(data) > TAG_DATA_MAX ? undefined : `@${data} ${line}`;
}

/**
 * The text of a message that may correct or answer another, and the tags of its first line.
 * A reply is tagged only when the replied message's msgid is known; otherwise (or when the tag
 * would be too long) the quote goes first, as its own line.
 */
export function outgoingText(body: string, refs: MessageReferences, support: TagSupport): { body: string; tags: Tags } {
  const text = refs.replaces ? correctionText(body) : body;
  const reply = refs.replyTo;
  if (!reply) return { body: text, tags: [] };
  if (support.reply && reply.legacyId) {
    const tags: Tags = [['+draft/reply', reply.legacyId]];
    if (withTags(tags, '')) return { body: text, tags };
  }
  return { body: replyText(reply, text), tags: [] };
}

/**
 * The reactions the user last sent to each message, so XEP-0444's full set becomes the tags that
 * change it. Bounded: the oldest messages are forgotten first (their set is then unknown).
 */
export class SentReactions {
  private readonly sets = new Map<string, string[]>();

  constructor(private readonly max = 1000) {}

  change(key: string, emojis: string[]): { added: string[]; removed: string[]; known: boolean } {
    const before = this.sets.get(key);
    this.sets.delete(key);
    if (emojis.length) {
      this.sets.set(key, emojis);
      if (this.sets.size > this.max) this.sets.delete(this.sets.keys().next().value as string);
    }
    if (!before) return { added: emojis, removed: [], known: false };
    return { added: emojis.filter((e) => !before.includes(e)), removed: before.filter((e) => !emojis.includes(e)), known: true };
  }
}

export interface ReactionPlan {
  /** One TAGMSG per reaction added or withdrawn. */
  tagmsgs: Tags[];
  /** Said as a message: the whole reaction without tags, or what tags cannot say (a withdrawal). */
  text?: string;
}

/** `conversation`: the folded channel or nick, so the same msgid in two conversations stays apart. */
export function planReaction(reaction: OutboundReaction, support: TagSupport, sent: SentReactions, conversation: string): ReactionPlan {
  const emojis = [...new Set(reaction.emojis)];
  if (emojis.length > MAX_REACTIONS) {
    throw new GatewayError('not-acceptable', `IRC takes at most ${MAX_REACTIONS} reactions to one message.`);
  }
  const msgid = reaction.target.legacyId;
  const text = reactionText(emojis, reaction.target);
  if (!support.react || !msgid) return { tagmsgs: [], text };
  const tagmsgs = emojis.map((e): Tags => [['+draft/react', e], ['+draft/reply', msgid]]);
  if (tagmsgs.some((tags) => !withTags(tags, ''))) throw new GatewayError('not-acceptable', 'That reaction is too long for IRC.');
  const change = sent.change(`${conversation} ${msgid}`, emojis);
  const added = tagmsgs.filter(([[, e]]) => change.added.includes(e));
  const removed = change.removed.map((e): Tags => [['+draft/unreact', e], ['+draft/reply', msgid]]).filter((tags) => withTags(tags, ''));
  // A withdrawal the tags cannot say (nothing known was sent, or +draft/unreact is refused) is said in words.
  const unsayable = (!emojis.length && !change.known) || (change.removed.length > 0 && !support.unreact);
  return { tagmsgs: support.unreact ? [...added, ...removed] : added, ...(unsayable ? { text } : {}) };
}
