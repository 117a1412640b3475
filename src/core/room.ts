/**
 * One legacy room as one XMPP user sees it: the user's occupant table (over the room's shared
 * nick slots), which of the user's resources are in the room or waiting to be, and what the
 * core says to them. The adapter reports; this decides who hears it.
 */
import type { Element } from '@xmpp/xml';
import { randomUUID } from 'node:crypto';
import type { Occupant, PrivateChat, ReactionChange, Room, RoomMessageMeta, RoomOptions } from './adapter';
import type { ReactionSets } from './reactions';
import type { GatewayError } from './errors';
import type { OccupantDirectory } from './occupants';
import { OccupantView } from './occupants';
import { roomScope } from './scopes';
import { chatMessage, reactionsMessage, sharedChatMessage } from '../component/messages';
import { joinErrorPresence, MucStatus, occupantPresence, roomErrorMessage, subjectMessage } from '../component/muc';
import { PrivateChatHandle } from './private-chat';
import { xmlSafe } from '../component/stanzas';
import type { ReadSync } from './read-sync';
import { countLegacyMessage } from '../metrics';

/** What a room needs from the user's session. */
export interface RoomHost {
  readonly jid: string;
  jidOf(localpart: string, resource?: string): string;
  /** Sends unless the session is detached (gateway shutdown). */
  send(el: Element): void;
  directory: OccupantDirectory;
  /** Membership changed (persisted for crash recovery). */
  roomsChanged(): void;
  /** Nothing holds the room any more: drop it. */
  forget(room: RoomHandle): void;
  /** The legacy side's message ids, recorded for later references (replies, corrections). */
  recordId?(scope: string, legacyId: string, xmppIds: string[]): void;
  /** Room history (see History): a message heard in the room, and the user's connection leaving it. */
  archive?(room: string, entry: { id: string; nick: string; stanza: Element; ts?: number; fresh?: boolean }): void;
  leftLegacyRoom?(room: string): void;
  /** The user's reaction sets (shared by all contacts and rooms of the session). */
  reactions: ReactionSets;
  /** The network takes read markers: messages with a legacy id are markable. */
  markable?: boolean;
  /** Tells the user's resources what they read elsewhere (ReadSync). */
  readSync?: Pick<ReadSync, 'room'>;
}

export class RoomHandle implements Room {
  nick: string;
  /** Resources that are in the room. */
  readonly resources = new Set<string>();
  /** Resources waiting for the join to finish. */
  readonly pending = new Set<string>();
  /** The nick each waiting resource asked for, when the network may give another (status 210). */
  private readonly asked = new Map<string, string>();
  private privateChats?: Map<string, PrivateChatHandle>;
  currentSubject?: string;
  /** The adapter holds the legacy room (asked for it and has not closed it). */
  private held = false;
  private view?: OccupantView;
  private fold: (nick: string) => string = (nick) => nick;
  private contactOf?: (nick: string) => string;

  constructor(readonly localpart: string, private readonly host: RoomHost, nick = '') {
    this.nick = nick;
  }

  /** The adapter's hold; its options are fixed by the first one. */
  hold(options: RoomOptions = {}): this {
    if (!this.held) {
      this.held = true;
      if (options.fold && !this.view) this.fold = options.fold;
      this.contactOf ??= options.contactOf;
    }
    return this;
  }

  private table(): OccupantView {
    return (this.view ??= new OccupantView(this.host.directory.open(this.localpart), this.fold));
  }

  /** No resource in the room or waiting, and the adapter let go. */
  get idle(): boolean {
    return !this.held && this.resources.size === 0 && this.pending.size === 0;
  }

  private same(a: string, b: string): boolean {
    return this.fold(a) === this.fold(b);
  }

  private selfOccupant(): Occupant {
    return this.view?.get(this.nick) ?? { nick: this.nick, role: 'participant', affiliation: 'none' };
  }

  /** The room's own JID, built once (it is the from or by of every message). */
  private bareJid?: string;

  private jid(nick?: string): string {
    if (nick === undefined) return (this.bareJid ??= this.host.jidOf(this.localpart));
    return this.host.jidOf(this.localpart, nick);
  }

  private fanOut(build: (to: string) => Element): void {
    for (const to of this.resources) this.host.send(build(to));
  }

  private presenceOf(o: Occupant, to: string, self: boolean, codes: string[] = []): Element {
    const contact = self ? undefined : o.jid ?? this.contactOf?.(o.nick);
    return occupantPresence({ from: this.jid(o.nick), to, occupant: o, realJid: self ? this.host.jid : contact ? this.host.jidOf(contact) : undefined, codes });
  }

  occupant(nick: string): Occupant | undefined {
    return this.view?.get(nick);
  }

  occupants(): IterableIterator<Occupant> {
    return this.table().values();
  }

  get size(): number {
    return this.view?.size ?? 0;
  }

  setOccupants(occupants: Occupant[]): void {
    this.table().replaceAll(occupants);
  }

  clearOccupants(): void {
    this.view?.clear();
  }

  /**
   * Sends the whole room state to `to`: everyone, then self-presence, then the subject. A resource
   * that asked for another nick than the one the user has in the room also gets 210.
   */
  private sendState(to: string): void {
    const self = this.selfOccupant();
    const asked = this.asked.get(to);
    this.asked.delete(to);
    const modified = asked !== undefined && asked !== '' && !this.same(asked, this.nick) ? [MucStatus.nickModified] : [];
    for (const o of this.table().values()) if (!this.same(o.nick, this.nick)) this.host.send(this.presenceOf(o, to, false));
    this.host.send(this.presenceOf(self, to, true, [MucStatus.nonAnonymous, MucStatus.self, ...modified]));
    this.host.send(subjectMessage(this.jid(), to, this.currentSubject ?? ''));
  }

  joined(selfNick: string, subject?: string): void {
    this.nick = selfNick;
    this.currentSubject = subject;
    const targets = [...this.pending];
    this.pending.clear();
    for (const to of targets) {
      this.resources.add(to);
      this.sendState(to);
    }
    this.host.roomsChanged();
  }

  joinFailed(nick: string, error: GatewayError): void {
    for (const to of this.pending) this.host.send(joinErrorPresence(this.jid(this.asked.get(to) || nick), to, error));
    this.pending.clear();
    this.asked.clear();
    this.host.roomsChanged();
    if (this.idle) this.host.forget(this);
  }

  occupantJoined(occupant: Occupant): void {
    const o = this.table().set(occupant);
    this.fanOut((to) => this.presenceOf(o, to, false));
  }

  occupantChanged(occupant: Occupant): void {
    const o = this.table().set(occupant);
    const self = this.same(o.nick, this.nick);
    this.fanOut((to) => this.presenceOf(o, to, self, self ? [MucStatus.self] : []));
  }

  occupantLeft(nick: string, info: { status?: string; kickedBy?: string; reason?: string; self?: boolean } = {}): Occupant | undefined {
    const self = info.self || this.same(nick, this.nick);
    const before = self ? this.selfOccupant() : undefined;
    const was = this.view?.delete(nick);
    if (self) this.view?.clear();
    const o = was ?? before;
    if (!o) return undefined;
    const codes = [...(info.kickedBy !== undefined ? [MucStatus.kicked] : []), ...(self ? [MucStatus.self] : [])];
    this.fanOut((to) => occupantPresence({ from: this.jid(nick), to, occupant: o, unavailable: true, codes, actor: info.kickedBy, reason: info.reason, status: info.status ?? info.reason }));
    if (self) {
      this.host.leftLegacyRoom?.(this.localpart);
      // A join asked for after this leave (a client's quick "rejoin") still waits for its answer.
      this.resources.clear();
      this.host.roomsChanged();
      if (this.idle) this.host.forget(this);
    }
    return was;
  }

  nickChanged(oldNick: string, newNick: string, self?: boolean): void {
    const isSelf = self || this.same(oldNick, this.nick);
    const o = this.table().rename(oldNick, newNick) ?? (isSelf ? { ...this.selfOccupant(), nick: newNick } : undefined);
    if (!o) return;
    if (isSelf) {
      this.nick = o.nick;
      this.host.roomsChanged();
    }
    const selfCodes = isSelf ? [MucStatus.self] : [];
    const old: Occupant = { ...o, nick: oldNick };
    this.fanOut((to) => occupantPresence({ from: this.jid(oldNick), to, occupant: old, unavailable: true, newNick: o.nick, codes: [MucStatus.newNick, ...selfCodes] }));
    this.fanOut((to) => this.presenceOf(o, to, isSelf, selfCodes));
  }

  subject(subject: string, byNick?: string): void {
    this.currentSubject = subject;
    this.fanOut((to) => subjectMessage(byNick ? this.jid(byNick) : this.jid(), to, xmlSafe(subject)));
  }

  message(nick: string, body: string, meta: RoomMessageMeta = {}): void {
    const id = meta.id ?? meta.legacyId;
    // Archived messages need an id the client sees live too, to find its place in the history.
    const stanzaId = meta.legacyId ?? (this.host.archive ? randomUUID() : meta.id);
    if (meta.legacyId && meta.id && meta.id !== meta.legacyId) this.host.recordId?.(roomScope(this.localpart), meta.legacyId, [meta.id]);
    const text = meta.action ? `/me ${body}` : body;
    // In a room, a message is known by the stanza-id the room gave it: the legacy id (see above).
    const replyTo = meta.replyTo ? { id: meta.replyTo.legacyId } : undefined;
    const options = { from: this.jid(nick), type: 'groupchat' as const, id, body: text, delay: meta.delay, by: this.jid(), stanzaId, replyTo, markable: this.host.markable && meta.legacyId !== undefined };
    if (this.host.archive && stanzaId) this.host.archive(this.localpart, { id: stanzaId, nick, stanza: chatMessage({ ...options, to: undefined }), ts: meta.delay?.getTime(), fresh: !meta.legacyId });
    // A line from someone else reaches every gateway user in the room (each on their own
    // connection) alike; the user's own echo, with their id, reaches only them.
    const views = this.view?.slots.views ?? 1;
    const copies = views > 1 && meta.id === undefined && nick !== this.nick ? views : 1;
    if (this.resources.size) this.fanOut(sharedChatMessage(options, copies));
    // The host's JID of the empty localpart is the transport domain (no string is built for it).
    countLegacyMessage(this.host.jidOf(''), 'received');
  }

  reacted(nick: string, change: ReactionChange): void {
    const emojis = this.host.reactions.apply(`${this.localpart}/${nick}`, change);
    this.fanOut((to) => reactionsMessage({ from: this.jid(nick), to, type: 'groupchat', messageId: change.legacyId, emojis, by: this.jid() }));
  }

  readByUser(ref: { legacyId: string }): void {
    // From the user's own occupant, to their resources in the room only.
    if (this.resources.size === 0) return;
    this.host.readSync?.room(this.jid(this.nick), this.resources, ref.legacyId);
  }

  error(error: GatewayError, stanzaId?: string): void {
    this.fanOut((to) => roomErrorMessage(this.jid(), to, stanzaId, error));
  }

  privateChat(nick: string): PrivateChat {
    const chats = (this.privateChats ??= new Map());
    const key = this.fold(nick);
    let chat = chats.get(key);
    if (!chat || chat.nick !== nick) {
      chat = new PrivateChatHandle(nick, { jid: this.host.jid, domain: this.host.jidOf(''), jidOf: (n) => this.jid(n), resources: () => this.resources, send: (el) => this.host.send(el) });
      chats.set(key, chat);
    }
    return chat;
  }

  /** Occupants with their real JIDs (muc#admin lists), the user included. */
  listed(): { nick: string; role: Occupant['role']; affiliation: Occupant['affiliation']; jid?: string }[] {
    return [...this.occupants()].map((o) => {
      const self = this.same(o.nick, this.nick);
      const contact = self ? undefined : o.jid ?? this.contactOf?.(o.nick);
      return { nick: o.nick, role: o.role, affiliation: o.affiliation, jid: self ? this.host.jid : contact ? this.host.jidOf(contact) : undefined };
    });
  }

  close(): void {
    this.host.leftLegacyRoom?.(this.localpart);
    this.held = false;
    this.privateChats = undefined;
    if (this.view) {
      this.view.clear();
      this.host.directory.close(this.view.slots);
      this.view = undefined;
    }
    if (this.idle) this.host.forget(this);
  }

  // The XMPP side: resources entering and leaving.

  /** The resource waits for the legacy network's answer (joined / joinFailed); `nick` is the one it asked for. */
  addPending(resource: string, nick?: string): void {
    this.resources.delete(resource);
    this.pending.add(resource);
    if (nick) this.asked.set(resource, nick);
    else this.asked.delete(resource);
    this.host.roomsChanged();
  }

  /** Removes a resource, telling it it left; true when no resource is left (the legacy side should leave). */
  removeResource(resource: string): boolean {
    const wasIn = this.resources.delete(resource) || this.pending.delete(resource);
    this.asked.delete(resource);
    if (wasIn) {
      this.host.send(occupantPresence({ from: this.jid(this.nick), to: resource, occupant: this.selfOccupant(), unavailable: true, codes: [MucStatus.self] }));
      this.host.roomsChanged();
    }
    const empty = this.resources.size === 0 && this.pending.size === 0;
    if (empty && !this.held) this.host.forget(this);
    return empty && wasIn;
  }

  /** The legacy connection dropped: every resource waits for the re-join, and hears it left. */
  disconnected(text?: string): void {
    this.host.leftLegacyRoom?.(this.localpart);
    const self = this.selfOccupant();
    for (const to of this.resources) {
      this.pending.add(to);
      this.host.send(occupantPresence({ from: this.jid(this.nick), to, occupant: self, unavailable: true, codes: [MucStatus.self], status: text ?? 'Disconnected from the legacy network' }));
    }
    this.resources.clear();
  }
}
