/**
 * Corrections, replies and reactions from XMPP, resolved once for every network: the XMPP ids a
 * client names are translated to the network's ids, and what the network cannot carry becomes
 * a visible text (MessagingSupport 'text') or a refusal that says why.
 */
import type { UserMessage } from '../component/inbound';
import { splitJid } from '../component/stanzas';
import type { Adapter, MessageRef, MessageReferences } from './adapter';
import { GatewayError } from './errors';
import { correctionText, reactionText, replyText } from './fallback';
import { chatScope, roomScope } from './scopes';

/** Where the core finds the network's id for an XMPP id (the message-id map). */
export interface IdResolver {
  legacyFor(scope: string, xmppId: string): Promise<string | undefined>;
}

/** The conversation a message id belongs to: a room, or one user's chat with one contact. */
export function idScope(user: string, localpart: string, room: boolean): string {
  return room ? roomScope(localpart) : chatScope(user, localpart);
}

export type OutgoingText = { body: string; refs: MessageReferences };
export type OutgoingReaction = { native: true; target: MessageRef; emojis: string[] } | { native: false; body: string };

/** Where the core finds the text of an earlier message (the archive), for fallbacks that quote it. */
export interface TextResolver {
  textOf(scope: string, id: string): Promise<string | undefined>;
}

export class MessageFeatures {
  constructor(private readonly adapter: Adapter, private readonly ids?: IdResolver, private readonly texts?: TextResolver) {}

  private get network(): string {
    return this.adapter.identity.name;
  }

  /**
   * `own`: the id names one of the user's messages (corrections), which the network only knows
   * by the id it gave: without a recorded one there is none. Messages from the network carry its
   * id as their XMPP id (see IncomingMeta.legacyId), so another's message id is the network's.
   */
  private async ref(scope: string, id: string, own: boolean, extra: Partial<MessageRef> = {}): Promise<MessageRef> {
    const recorded = await this.ids?.legacyFor(scope, id).catch(() => undefined);
    const legacyId = recorded ?? (own ? undefined : id);
    return { id, ...(legacyId ? { legacyId } : {}), ...extra };
  }

  /** Body and references of a message with a body; throws when the network cannot carry a correction. */
  async text(scope: string, m: UserMessage & { body: string }, room: boolean): Promise<OutgoingText> {
    const support = this.adapter.messaging ?? {};
    const refs: MessageReferences = {};
    let body = m.body;
    if (m.replaces) {
      if (!support.corrections) {
        throw new GatewayError('feature-not-implemented', `${this.network} cannot change a message once it is sent; the correction was not sent. Send a new message instead.`);
      }
      if (support.corrections === 'native') refs.replaces = await this.ref(scope, m.replaces, true, { author: '' });
      else body = correctionText(body);
    }
    if (m.replyTo) {
      const author = m.replyTo.to ? authorOf(m.replyTo.to, room) : undefined;
      // Known even for 'native': a network may still fall back to text on some connections.
      const text = m.replyTo.quote ?? await this.texts?.textOf(scope, m.replyTo.id);
      const target = await this.ref(scope, m.replyTo.id, false, { ...(author !== undefined ? { author } : {}), ...(text ? { text } : {}) });
      // Without native replies the quote stays visible: as the client wrote it, or as the core quotes it.
      if (support.replies === 'native') refs.replyTo = target;
      else body = m.fullBody !== null && m.fullBody !== m.body ? m.fullBody : replyText(target, body);
    }
    return { body, refs };
  }

  async reaction(scope: string, reactions: { id: string; emojis: string[] }): Promise<OutgoingReaction> {
    const support = this.adapter.messaging?.reactions;
    if (!support) {
      throw new GatewayError('feature-not-implemented', `${this.network} has no reactions; yours was not sent. Reply with a message instead.`);
    }
    const text = await this.texts?.textOf(scope, reactions.id);
    const target = await this.ref(scope, reactions.id, false, text ? { text } : {});
    if (support === 'native') return { native: true, target, emojis: reactions.emojis };
    return { native: false, body: reactionText(reactions.emojis, target) };
  }
}

/** Who wrote the message a reply names (its `to`): the nick in a room, the localpart in a chat, '' for the user. */
function authorOf(jid: string, room: boolean): string {
  const { local, resource } = splitJid(jid);
  return room ? resource : local;
}
