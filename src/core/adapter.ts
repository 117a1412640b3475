/**
 * The contract between the network-neutral gateway and one legacy network.
 *
 * Addresses crossing this boundary are always JID localparts of the transport domain
 * (already XEP-0106 escaped where needed): the adapter owns the mapping between its legacy
 * addresses and localparts, the core owns everything XMPP.
 */
import type { Logger } from 'pino';
import type { ZodType } from 'zod';
import type { KeyValue } from '../store/types';
import type { HttpRoutes } from '../http/types';
import type { GatewayError } from './errors';
import type { OutboundPolicy } from './outbound-policy';

export type Credentials = Record<string, string>;

export type FieldType = 'text-single' | 'text-private' | 'boolean' | 'list-single' | 'text-multi' | 'fixed';

/** One field of an XEP-0004 form; registration and ad-hoc forms are built from these. */
export interface FormField {
  var: string;
  label: string;
  type: FieldType;
  required?: boolean;
  /** Default shown on a first registration. Booleans use 'true' / 'false'. */
  default?: string;
  desc?: string;
  options?: { label: string; value: string }[];
  /** Encrypted at rest, masked when shown back. */
  secret?: boolean;
  /** XEP-0077 legacy element name (username, password, email, nick, ...) if one fits. */
  legacyName?: string;
}

export type ChatState = 'active' | 'composing' | 'paused' | 'inactive' | 'gone';
export type PresenceShow = 'away' | 'chat' | 'dnd' | 'xa';

export interface OobLink {
  url: string;
  desc?: string;
}

/** XMPP -> legacy: a 1:1 message. */
export interface OutboundMessage {
  /** Localpart of the recipient, as addressed by the XMPP user. */
  to: string;
  body: string;
  /** The XMPP stanza id; echo it in receipt/messageError events. */
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

/** legacy -> XMPP: a 1:1 message. */
export interface InboundMessage {
  /** Localpart of the legacy sender. Use '' for the transport domain itself. */
  from: string;
  body: string;
  /** A stable id (legacy message id) used as stanza id / XEP-0359 origin. */
  id?: string;
  type?: 'chat' | 'normal' | 'headline';
  subject?: string;
  thread?: string;
  oob?: OobLink[];
  /** Original send time, for history or replays (XEP-0203). */
  delay?: Date;
  action?: boolean;
}

export type Role = 'moderator' | 'participant' | 'visitor' | 'none';
export type Affiliation = 'owner' | 'admin' | 'member' | 'none' | 'outcast';

export interface Occupant {
  nick: string;
  role: Role;
  affiliation: Affiliation;
  /** Localpart of the occupant's own address (shown as the real JID in non-anonymous rooms). */
  jid?: string;
  show?: PresenceShow;
  status?: string;
}

export interface RoomMessage {
  nick: string;
  body: string;
  id?: string;
  delay?: Date;
  action?: boolean;
}

/** Room events; `room` is the room's localpart (e.g. `#chan%irc.example.net`). */
export interface RoomEvents {
  /** Join finished: occupants (without self) first, then self-presence (status 110), then subject. */
  joined(room: string, self: Occupant, occupants: Occupant[], subject?: string): void;
  joinFailed(room: string, nick: string, error: GatewayError): void;
  occupantJoined(room: string, occupant: Occupant): void;
  /** Role, affiliation, show or status changed. */
  occupantChanged(room: string, occupant: Occupant): void;
  /**
   * `affiliation` is the one the occupant had, shown in its unavailable presence: the core keeps
   * no per-occupant state of its own (in a busy room that would be a copy per user per occupant).
   */
  occupantLeft(room: string, nick: string, info?: { status?: string; kickedBy?: string; reason?: string; self?: boolean; affiliation?: Affiliation }): void;
  /** `occupant` carries the new nick; the old nick had the same role and affiliation. */
  nickChanged(room: string, oldNick: string, occupant: Occupant, self?: boolean): void;
  subject(room: string, subject: string, byNick?: string): void;
  message(room: string, message: RoomMessage): void;
  /** A room-level error for something the user sent (e.g. cannot send to channel). */
  error(room: string, error: GatewayError, stanzaId?: string): void;
}

export interface AdapterEvents {
  message(message: InboundMessage): void;
  chatState(from: string, state: ChatState): void;
  contactPresence(from: string, presence: { available: boolean; show?: PresenceShow; status?: string }): void;
  /** An outbound message was delivered (answered with XEP-0184 if it was requested). */
  receipt(ref: { peer: string; id: string; fromResource?: string }): void;
  /** An outbound message failed after it was accepted for sending. */
  messageError(ref: { peer: string; id?: string; fromResource?: string }, error: GatewayError): void;
  /**
   * The legacy connection's state: mirrored as the transport's presence. On offline the core shows
   * every room as left and keeps the resources waiting: after a reconnect the adapter re-joins and
   * emits room.joined again (it must not send a self occupantLeft for a mere disconnect).
   */
  status(status: { online: boolean; text?: string }): void;
  room: RoomEvents;
}

export interface RoomJoinRequest {
  room: string;
  /** '' when the core re-joins on its own (after a restart or an update): keep the current nick. */
  nick: string;
  password?: string;
  /** Full JID of the joining resource. */
  resource: string;
}

/** One user's live connection to the legacy network. */
export interface LegacySession {
  /** Rejects with a GatewayError the user can read; the core turns it into an error stanza. */
  sendMessage(message: OutboundMessage): Promise<void>;
  sendChatState?(to: string, state: ChatState): Promise<void>;
  /** The user's own XMPP availability (aggregated over resources), e.g. IRC AWAY. */
  setPresence?(presence: { show?: PresenceShow; status?: string }): Promise<void>;
  /** Rooms: answers arrive through events.room (joined / joinFailed). */
  joinRoom?(request: RoomJoinRequest): Promise<void>;
  leaveRoom?(room: string, status?: string): Promise<void>;
  sendRoomMessage?(room: string, message: { body: string; id?: string; action?: boolean }): Promise<void>;
  setSubject?(room: string, subject: string): Promise<void>;
  changeNick?(room: string, nick: string): Promise<void>;
  /** Ad-hoc commands that only make sense with a live session. */
  commands?(): AdhocCommand[];
  /** Force a reconnect of the legacy connection (ad-hoc "Reconnect"). */
  reconnect?(): Promise<void>;
  /**
   * Gateway shutdown, before logout: keep sending what was already accepted (flood queues,
   * SMTP or REST requests in flight) until `deadline` (epoch ms). Whatever is still unsent then
   * is failed through events.messageError / events.room.error, so its sender hears of it.
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
  events: AdapterEvents;
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

export interface DiscoIdentity {
  category: string;
  type: string;
  name?: string;
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
}

export interface Adapter {
  /** XEP-0030 identity of the transport domain: category gateway and the network type. */
  readonly identity: { type: string; name: string };
  /** Extra features on the transport domain (e.g. MUC for IRC). */
  readonly features: string[];
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
  /** disco#items on the domain (e.g. joined channels). */
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
