/** One legacy contact as one XMPP user sees it: what it says reaches the user's bare JID. */
import type { Element } from '@xmpp/xml';
import { randomUUID } from 'node:crypto';
import type { ChatState, Contact, IncomingMeta, PresenceShow, ReactionChange } from './adapter';
import type { ReactionSets } from './reactions';
import type { Caps } from '../component/caps';
import type { GatewayError } from './errors';
import { chatMessage, chatStateMessage, contactPresence, errorMessage, reactionsMessage, receiptMessage } from '../component/messages';
import { countLegacyMessage } from '../metrics';

export interface ContactHost {
  readonly jid: string;
  readonly domain: string;
  jidOf(localpart: string): string;
  send(el: Element): void;
  /** The contact said something: it belongs in the user's roster (see RosterSync). */
  inRoster?(localpart: string, name?: string): void;
  /** 1:1 history (see History). */
  archive?(localpart: string, entry: { id: string; stanza: Element; ts?: number; fresh?: boolean }): void;
  /** The user's reaction sets (shared by all contacts and rooms of the session). */
  reactions: ReactionSets;
  /** XEP-0115 caps of contacts, for their available presences. */
  caps?(): Caps | undefined;
  /** The network takes read markers (MessagingSupport.readMarkers): messages with a legacy id are markable. */
  markable?: boolean;
  /** The user read the chat up to `legacyId` elsewhere (ReadSync.chat). */
  readByUser?(localpart: string, legacyId: string): void;
}

export type ContactPresence = { available: boolean; show?: PresenceShow; status?: string };

export class ContactHandle implements Contact {
  /** Last presence the network reported (answers probes and subscriptions). */
  lastPresence?: ContactPresence;
  /** How the contact calls itself, when the network said (an email display name). */
  name?: string;
  private rostered = false;

  constructor(readonly localpart: string, private readonly host: ContactHost) {}

  private get address(): string {
    return this.host.jidOf(this.localpart);
  }

  sendText(body: string, meta: IncomingMeta = {}): void {
    this.talkedWith(meta.senderName);
    // Archived messages need an id the client sees live too, to find its place in the history.
    const stanzaId = meta.legacyId ?? (this.host.archive ? randomUUID() : undefined);
    const message = chatMessage({
      from: this.address,
      to: this.host.jid,
      type: meta.type ?? 'chat',
      id: meta.legacyId ?? stanzaId,
      body: meta.action ? `/me ${body}` : body,
      subject: meta.subject,
      thread: meta.thread,
      oob: meta.oob,
      delay: meta.delay,
      by: this.host.domain,
      stanzaId,
      // No `to`: the answered message may be the contact's or the user's own.
      ...(meta.replyTo ? { replyTo: { id: meta.replyTo.legacyId } } : {}),
      markable: this.host.markable && meta.legacyId !== undefined,
    });
    if (this.host.archive && stanzaId && this.localpart) this.host.archive(this.localpart, { id: stanzaId, stanza: message, ts: meta.delay?.getTime(), fresh: !meta.legacyId });
    this.host.send(message);
    countLegacyMessage(this.host.domain, 'received');
  }

  /** The user and this contact exchanged a message: it belongs in the user's roster (asked once per session). */
  talkedWith(name?: string): void {
    if (name) this.name = name;
    if (this.rostered || !this.localpart) return;
    this.rostered = true;
    this.host.inRoster?.(this.localpart, name);
  }

  reacted(change: ReactionChange): void {
    const emojis = this.host.reactions.apply(this.localpart, change);
    this.host.send(reactionsMessage({ from: this.address, to: this.host.jid, type: 'chat', messageId: change.legacyId, emojis, by: this.host.domain }));
  }

  readByUser(ref: { legacyId: string }): void {
    if (this.localpart) this.host.readByUser?.(this.localpart, ref.legacyId);
  }

  chatState(state: ChatState): void {
    this.host.send(chatStateMessage(this.address, this.host.jid, state));
  }

  presence(p: ContactPresence): void {
    this.lastPresence = p;
    this.host.send(contactPresence(this.address, this.host.jid, p, this.host.caps?.()));
  }

  delivered(ref: { id: string; fromResource?: string }): void {
    this.host.send(receiptMessage(this.address, ref.fromResource ?? this.host.jid, ref.id));
  }

  failed(ref: { id?: string; fromResource?: string }, error: GatewayError): void {
    this.host.send(errorMessage(this.address, ref.fromResource ?? this.host.jid, ref.id, error));
  }
}
