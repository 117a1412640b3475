/**
 * The contract between the network-neutral gateway and one legacy network; docs/ADAPTERS.md
 * walks through it with a complete minimal adapter.
 *
 * Addresses crossing this boundary are always JID localparts of the transport domain
 * (already XEP-0106 escaped where needed): the adapter owns the mapping between its legacy
 * addresses and localparts, the core owns everything XMPP and hands the adapter handles
 * (XmppUser, Contact, Room) to report through.
 */
import type { Logger } from 'pino';
import type { ZodType } from 'zod';
import type { KeyValue } from '../store/types';
import type { HttpRoutes } from '../http/types';
import type { GatewayError } from './errors';
import type { OutboundPolicy } from './outbound-policy';
import type { ChatState, Credentials, DiscoIdentity, FormField, Occupant, PresenceShow } from '../component/types';
import type { ContactCard } from '../component/vcard';
import type { OptionalCapabilities } from './adapter-optional';

export type { ContactCard } from '../component/vcard';
export type { RoomConfig } from '../component/muc-admin';
export type { AffiliationEntry, AffiliationTarget, LegacyItem, OptionalCapabilities, SoftwareVersion } from './adapter-optional';

export type { Affiliation, ChatState, Credentials, DiscoIdentity, FieldType, FormField, Occupant, PresenceShow, Role } from '../component/types';

export interface OobLink {
  url: string;
  desc?: string;
}

/** An earlier message a new one refers to (corrects, answers, reacts to). */
export interface MessageRef {
  /** The XMPP id the client named. */
  id: string;
  /** The network's id for it, when the core has it recorded (see SendResult, IncomingMeta.legacyId). */
  legacyId?: string;
  /** Who wrote it: a contact's localpart or an occupant's nick; '' for the user. */
  author?: string;
  /** Its text, for fallbacks (from the client's quote), when known. */
  text?: string;
}

/** XEP-0308 / XEP-0461 on an outgoing message, in 1:1 chats and rooms alike. */
export interface MessageReferences {
  /** Corrects the user's earlier message; `body` is the whole corrected text. */
  replaces?: MessageRef;
  /** Answers an earlier message; `body` is without the client's quote. */
  replyTo?: MessageRef;
}

/** XMPP -> legacy: a 1:1 message. */
export interface OutboundMessage extends MessageReferences {
  /** Localpart of the recipient, as addressed by the XMPP user. */
  to: string;
  body: string;
  /** The XMPP stanza id; echo it in contact.delivered / contact.failed. */
  id?: string;
  subject?: string;
  thread?: string;
  oob?: OobLink[];
  /** XEP-0245 /me. The core strips the "/me " prefix from body. */
  action?: boolean;
  /** The sender asked for an XEP-0184 receipt. */
  receiptRequested: boolean;
  /** Full JID of the sending resource (errors and receipts go back there). */
  fromResource: string;
}

/** XMPP -> legacy: a room message. */
export interface OutboundRoomMessage extends MessageReferences {
  body: string;
  /** The XMPP id: give it back in room.message when the network echoes the message. */
  id?: string;
  action?: boolean;
}

/** XMPP -> legacy: XEP-0444, the user's whole set of reactions to a message (empty: withdrawn). */
export interface OutboundReaction {
  target: MessageRef;
  emojis: string[];
  id?: string;
}

/**
 * How a network carries what XMPP clients add to messages. 'native': the session's methods get
 * the structured reference (and may still fall back to text per connection, see fallback.ts);
 * 'text': the core sends a visible text instead; absent: refused with a sentence saying so.
 */
export interface MessagingSupport {
  corrections?: 'native' | 'text';
  replies?: 'native' | 'text';
  reactions?: 'native' | 'text';
  /** XEP-0333 displayed markers reach the network (LegacySession.markRead). */
  readMarkers?: boolean;
}

/** legacy -> XMPP: what a contact or an occupant said, besides its text. */
export interface IncomingMeta {
  /**
   * The network's own id for the message (IRCv3 msgid, Twilio MessageSid, email Message-ID). The
   * core uses it as the XMPP message id and records it, so that replies, corrections and
   * reactions from XMPP can name the legacy message they refer to.
   */
  legacyId?: string;
  type?: 'chat' | 'normal' | 'headline';
  subject?: string;
  thread?: string;
  oob?: OobLink[];
  /** Original send time, for history or replays (XEP-0203). */
  delay?: Date;
  /** XEP-0245 /me. */
  action?: boolean;
  /** How the sender calls themself (an email display name): the name their roster entry gets. */
  senderName?: string;
  /** XEP-0461: the network's id of the message this one answers (IRCv3 +draft/reply, email In-Reply-To). */
  replyTo?: { legacyId: string };
}

/** A change to one sender's reactions to a message (IRCv3 +draft/react / +draft/unreact). */
export interface ReactionChange {
  /** The network's id of the message reacted to. */
  legacyId: string;
  add?: string[];
  remove?: string[];
}

/** A legacy contact as the core shows it to one XMPP user: `localpart@domain`. */
export interface Contact {
  readonly localpart: string;
  sendText(body: string, meta?: IncomingMeta): void;
  chatState(state: ChatState): void;
  presence(presence: { available: boolean; show?: PresenceShow; status?: string }): void;
  /** An outbound message was delivered (answered with XEP-0184 when it was requested). */
  delivered(ref: { id: string; fromResource?: string }): void;
  /** An outbound message failed after it was accepted for sending. */
  failed(ref: { id?: string; fromResource?: string }, error: GatewayError): void;
  /** The contact reacted to a message (the core keeps each set and sends it whole, XEP-0444). */
  reacted(change: ReactionChange): void;
  /**
   * The user read this conversation up to `legacyId` on the legacy side (another client of
   * theirs): their XMPP clients are told (XEP-0333 through XEP-0356, see read-sync.ts).
   * Adapters call it through reportRead (read-sync.ts), so wrappers without it still work.
   */
  readByUser?(ref: { legacyId: string }): void;
}

/**
 * A private conversation with a room occupant, as the user's client sees it: from `room/nick`.
 * What Contact is for a legacy address, this is for an occupant the user talks to through a room.
 */
export interface PrivateChat {
  readonly nick: string;
  sendText(body: string, meta?: IncomingMeta): void;
  chatState(state: ChatState): void;
  delivered(ref: { id: string; fromResource?: string }): void;
  failed(ref: { id?: string; fromResource?: string }, error: GatewayError): void;
}

/** What a room occupant said. `id`: the XMPP id of the user's own message coming back (its reflection). */
export interface RoomMessageMeta extends Pick<IncomingMeta, 'legacyId' | 'delay' | 'action' | 'replyTo'> {
  id?: string;
}

/**
 * A legacy room as the core shows it to one XMPP user: `localpart@domain`, one occupant table per
 * user over a table of nicks shared by every user in the same room. The adapter reports what
 * happens; the core keeps the table and tells the user's resources that are in the room. Before
 * `joined` (and after the user left) nothing reaches XMPP: the table is only kept up to date.
 */
export interface Room {
  readonly localpart: string;
  /** The legacy connection behind this room dropped: the user's resources see the room gone, with `text`. */
  disconnected?(text?: string): void;
  occupant(nick: string): Occupant | undefined;
  occupants(): IterableIterator<Occupant>;
  readonly size: number;
  /** A complete member list (IRC NAMES), self included: replaces the table without telling anyone. */
  setOccupants(occupants: Occupant[]): void;
  /** Forget every occupant without telling anyone (e.g. the connection dropped; see XmppUser.status). */
  clearOccupants(): void;
  /** The legacy side finished joining: everyone in the table, then self-presence (110), then the subject. */
  joined(selfNick: string, subject?: string): void;
  joinFailed(nick: string, error: GatewayError): void;
  /** Arrived, or listed again. */
  occupantJoined(occupant: Occupant): void;
  /** Role, affiliation, marks, show or status changed: `occupant` is the whole new state. */
  occupantChanged(occupant: Occupant): void;
  /**
   * Left, was kicked, or quit. `self`: the user themself is out of the room (the table is
   * emptied). Returns the occupant as it was, if it was in the table.
   */
  occupantLeft(nick: string, info?: { status?: string; kickedBy?: string; reason?: string; self?: boolean }): Occupant | undefined;
  nickChanged(oldNick: string, newNick: string, self?: boolean): void;
  subject(subject: string, byNick?: string): void;
  message(nick: string, body: string, meta?: RoomMessageMeta): void;
  /** An occupant reacted to a message (the core keeps each set and sends it whole, XEP-0444). */
  reacted(nick: string, change: ReactionChange): void;
  /** The user read the room up to `legacyId` on the legacy side: their resources in the room are told (XEP-0333). */
  readByUser?(ref: { legacyId: string }): void;
  /** A room-level error for something the user sent (e.g. cannot send to channel). */
  error(error: GatewayError, stanzaId?: string): void;
  /** The private conversation with an occupant, shown from room/nick (the same object per nick while the room is held). */
  privateChat(nick: string): PrivateChat;
  /** The adapter no longer holds the legacy room: its table is let go. */
  close(): void;
}

/**
 * The XMPP side of one user, as the core gives it to the adapter at login. Handles are created
 * and kept by the core: asking twice for the same localpart gives the same object.
 */
export interface XmppUser {
  /** Bare JID of the XMPP user. */
  readonly jid: string;
  /**
   * The legacy connection's state, mirrored as the transport's presence. On offline the core shows
   * every room as left and keeps the resources waiting: after a reconnect the adapter re-joins and
   * calls room.joined again (it must not report a self occupantLeft for a mere disconnect).
   */
  status(status: { online: boolean; text?: string }): void;
  /** `''` is the transport domain itself (notices from the gateway or the network). */
  contact(localpart: string): Contact;
  /** Options are fixed by the first caller for this room. */
  room(localpart: string, options?: RoomOptions): Room;
  /**
   * The contact `from` invited the user to `room` (localparts; `reason` if the network carries
   * one): shown as a XEP-0045 mediated invitation from the room, whether or not the user is in
   * it. The core's XmppUser always has it; optional so that wrappers and test doubles may omit it.
   */
  invited?(room: string, from: string, reason?: string): void;
}

export interface RoomOptions {
  /** The network's nick comparison (IRC case mapping): nicks equal after it are one occupant. */
  fold?(nick: string): string;
  /** The occupant's own address as a contact localpart, shown as its real JID (IRC rooms are not anonymous). */
  contactOf?(nick: string): string;
}

/** What a legacy network said about a message it accepted. */
export interface SendResult {
  /** The network's id for it, recorded against the XMPP ids so later references can be translated. */
  legacyId?: string;
}

export interface RoomJoinRequest {
  room: string;
  /** '' when the core re-joins on its own (after a restart or an update): keep the current nick. */
  nick: string;
  password?: string;
  /** Full JID of the joining resource. */
  resource: string;
}

/**
 * XMPP -> legacy: a private message to a room occupant (`room/nick`, what clients send when the
 * user taps someone in the occupant list). Receipts and errors go back through
 * `room.privateChat(nick)`.
 */
export interface OutboundPrivateMessage extends Omit<OutboundMessage, 'to'> {
  /** Localpart of the room. */
  room: string;
  nick: string;
}

/** One user's live connection to the legacy network (the optional room and query capabilities: adapter-optional.ts). */
export interface LegacySession extends OptionalCapabilities {
  /** Rejects with a GatewayError the user can read; the core turns it into an error stanza. */
  sendMessage(message: OutboundMessage): Promise<SendResult | void>;
  /** A private message to an occupant of a room the user is in (see OutboundPrivateMessage). */
  sendPrivateMessage?(message: OutboundPrivateMessage): Promise<SendResult | void>;
  /** `nick`: to that occupant of room `to` (a private conversation through the room). */
  sendChatState?(to: string, state: ChatState, nick?: string): Promise<void>;
  /** The user's own XMPP availability (aggregated over resources), e.g. IRC AWAY. */
  setPresence?(presence: { show?: PresenceShow; status?: string }): Promise<void>;
  /** Rooms: answers arrive through the room handle (joined / joinFailed). */
  joinRoom?(request: RoomJoinRequest): Promise<void>;
  leaveRoom?(room: string, status?: string): Promise<void>;
  sendRoomMessage?(room: string, message: OutboundRoomMessage): Promise<SendResult | void>;
  /** Reactions, where MessagingSupport.reactions is 'native'. `room`: the reaction is in that room. */
  sendReaction?(to: string, reaction: OutboundReaction, room?: boolean): Promise<void>;
  /**
   * What the network knows about a contact, for its vCard (XEP-0054): an IRC WHOIS real name, an
   * email display name. Undefined fields fall back to what the core knows (address, last name seen).
   */
  contactInfo?(localpart: string): Promise<ContactCard>;
  /** XEP-0333: the user read the conversation with `to` up to `ref`. */
  markRead?(to: string, ref: MessageRef, room?: boolean): Promise<void>;
  setSubject?(room: string, subject: string): Promise<void>;
  changeNick?(room: string, nick: string): Promise<void>;
  /** Ad-hoc commands that only make sense with a live session. */
  commands?(): AdhocCommand[];
  /** Force a reconnect of the legacy connection (ad-hoc "Reconnect"). */
  reconnect?(): Promise<void>;
  /**
   * Gateway shutdown, before logout: keep sending what was already accepted (flood queues,
   * SMTP or REST requests in flight) until `deadline` (epoch ms). Whatever is still unsent then
   * is failed through contact.failed / room.error, so its sender hears of it.
   * Resolves when nothing accepted is left. Optional: sessions that send synchronously skip it.
   */
  drain?(deadline: number): Promise<void>;
  logout(): Promise<void>;
}

export interface LoginRequest {
  /** Bare JID of the XMPP user. */
  user: string;
  credentials: Credentials;
  /** Persistent per-user state of this adapter (deleted on unregistration); keys starting with `core:` are the core's. */
  state: KeyValue;
  xmpp: XmppUser;
  /** register: first login, must verify credentials for real; restore: gateway start-up. */
  reason: 'register' | 'update' | 'restore' | 'reconnect' | 'anonymous';
}

export interface AdhocForm {
  title?: string;
  instructions?: string;
  fields: FormField[];
}

export interface AdhocContext {
  user: string;
  fullJid: string;
  session?: LegacySession;
  registration?: Credentials;
}

export interface AdhocCommand {
  node: string;
  name: string;
  /** If set, the command first answers with this form and runs with the submitted values. */
  form?(ctx: AdhocContext): AdhocForm | Promise<AdhocForm>;
  /** Returns the note shown to the user; throws GatewayError on failure. */
  run(ctx: AdhocContext, values: Record<string, string>): Promise<string>;
  /** Hidden and refused for users without a registration/session. Default true. */
  requiresSession?: boolean;
}

export interface LegacyAddressInfo {
  kind: 'contact' | 'room' | 'server';
  /** Human-readable legacy address (nick, +E164, email address). */
  display: string;
}

export interface AdapterServices {
  /** The transport's component domain. */
  domain: string;
  logger: Logger;
  /** Adapter-wide persistent storage (e.g. which user owns a phone number). */
  store: KeyValue;
  /** Routes on the gateway's HTTP server (webhooks, attachment downloads). */
  http: HttpRoutes;
  /** Externally reachable base URL of that HTTP server, if configured (no trailing slash). */
  publicUrl?: string;
  /**
   * Vets every host and port a user chose before each connection (first login and reconnects);
   * connect to the address it returns, never to the name again.
   */
  outbound: OutboundPolicy;
  /**
   * A user's stored registration (secrets decrypted), readable without a live session: e.g. to
   * check a webhook's signature for a user who is offline. Undefined for an unregistered user.
   */
  credentials(user: string): Promise<Credentials | undefined>;
  /** This gateway's software name and version (what a network's own version query is answered with). */
  software?: { name: string; version: string };
  /**
   * Seals a secret the adapter keeps in its own state (LoginRequest.state) with the storage key,
   * as the core seals registrations: e.g. a password for an extra IRC server.
   */
  secrets?: { seal(plain: string): string; open(sealed: string): string };
}

export interface Adapter {
  /** XEP-0030 identity of the transport domain: category gateway and the network type. */
  readonly identity: { type: string; name: string };
  /** Extra features on the transport domain (e.g. MUC for IRC). */
  readonly features: string[];
  /** Corrections, replies, reactions, read markers: see MessagingSupport. Absent: none. */
  readonly messaging?: MessagingSupport;
  readonly registration: { instructions: string; fields: FormField[] };
  /** Verify and connect. Throws GatewayError (not-authorized / not-acceptable / remote-server-not-found ...). */
  login(request: LoginRequest): Promise<LegacySession>;
  /** Localpart -> legacy address; throws GatewayError('jid-malformed' | 'item-not-found'). */
  parseAddress(localpart: string): LegacyAddressInfo;
  /** jabber:iq:gateway: a legacy address typed by a user -> localpart (throws if invalid). */
  toLocalpart(legacyAddress: string): string;
  readonly gatewayPrompt: { desc: string; prompt: string };
  /** Adapter-wide ad-hoc commands (available to every registered user). */
  readonly commands?: AdhocCommand[];
  /** disco#info for a JID on the domain (rooms, contacts); undefined: default for its kind. */
  discoInfo?(localpart: string, user: string): Promise<{ identities: DiscoIdentity[]; features: string[]; name?: string } | undefined>;
  /** disco#items on the domain itself (e.g. the user's joined channels); addresses below it: LegacySession.discoItems. */
  discoItems?(user: string, session?: LegacySession): Promise<{ jid: string; name?: string }[]>;
  /** biboumi-style use without registration: credentials derived from the JID, or undefined (registration required). */
  anonymousCredentials?(user: string): Credentials | undefined;
  /** The user unregistered: release adapter-wide data (e.g. a claimed phone number); called after logout. */
  unregister?(user: string): Promise<unknown>;
  /**
   * Flow control: the XMPP server is not taking stanzas as fast as the gateway produces them
   * (true) or has caught up (false). An adapter that can stop reading from its network (TCP
   * sockets) does so while paused, so the backlog waits in the network's buffers instead of
   * growing in the gateway's memory.
   */
  setInboundPaused?(paused: boolean): void;
  /** Stop timers/servers (gateway shutdown). */
  close?(): Promise<void>;
}

/** What an adapter module exports (adapters/<net>/index.ts default export). */
export interface AdapterModule {
  name: string;
  /** Validates the transport's `options` from the config (errors name the key path). */
  optionsSchema: ZodType;
  create(services: AdapterServices, options: any): Adapter;
}
