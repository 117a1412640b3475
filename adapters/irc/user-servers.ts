/**
 * One XMPP user's IRC servers at once (biboumi's model): one IrcSession per server, opened on
 * first use for a server the user may use, each call routed by the server in its address. The
 * registered server is always open; another closes after `serverIdleMinutes` without a channel
 * or a private message, unless the user made it persistent.
 */
import type { Logger } from 'pino';
import type {
  AdhocCommand, Affiliation, AffiliationEntry, AffiliationTarget, ChatState, ContactCard, LegacyItem, LegacySession, MessageRef, OutboundMessage,
  OutboundPrivateMessage, OutboundReaction, OutboundRoomMessage, PresenceShow, Role, Room, RoomConfig, RoomJoinRequest, SoftwareVersion, XmppUser,
} from '../../src/core/adapter';
import { GatewayError } from '../../src/core/errors';
import { formatLocalpart, parseLocalpart } from './address';
import type { IrcOptions } from './options';
import type { ConnectionSettings } from './registration';
import { userCommands } from './server-commands';
import { combinedStatus, touchingContact, type ServerStatus } from './server-status';
import { MAX_SERVERS, type ServerSettings } from './server-settings';
import type { IrcSession } from './session';

export interface UserServersContext {
  xmpp: XmppUser;
  options: IrcOptions;
  settings: ServerSettings;
  logger: Logger;
  /** A session for one server (index.ts loads the session module only when needed). */
  open(settings: ConnectionSettings, xmpp: XmppUser, logger: Logger): IrcSession;
}

interface Entry {
  server: string;
  session: IrcSession;
  /** Settles when the first connection registered (at once for a background start). */
  ready: Promise<void>;
  lastUsed: number;
  idleTimer?: NodeJS.Timeout;
  status?: ServerStatus;
  /** Being replaced (new settings): what it still reports is not news. */
  retired?: boolean;
}

/**
 * What only a new connection can change: applied by reconnecting at once. A nick changes live
 * (NICK); the user and real names (the first follows the nick unless set) wait for the next connection.
 */
const CONNECTION_FIELDS: (keyof ConnectionSettings)[] = ['port', 'tls', 'verifyCertificate', 'password'];
const NEXT_CONNECTION_FIELDS = ['username', 'realname'];

/**
 * The core's room handle can show one room as left without the whole transport going offline;
 * the Room contract does not name it yet (see the report), so it is used when present.
 */
type Disconnectable = Room & { disconnected?(text?: string): void };

export class UserServers implements LegacySession {
  private readonly servers = new Map<string, Entry>();
  /** Connections being closed for idleness: a new one to the same server waits (the old holds the nick). */
  private readonly closing = new Map<string, Promise<void>>();
  private presence?: { show?: PresenceShow; status?: string };
  private closed = false;

  constructor(private readonly ctx: UserServersContext) {}

  get settings(): ServerSettings {
    return this.ctx.settings;
  }

  private get defaultServer(): string | undefined {
    return this.ctx.options.server?.host.toLowerCase();
  }

  /** The registered server's session. */
  get primary(): IrcSession {
    const entry = this.servers.get(this.settings.first);
    if (!entry) throw new GatewayError('service-unavailable', `The connection to ${this.settings.first} is closed.`);
    return entry.session;
  }

  /** The registered server's connection (what single-server callers inspect, e.g. its endpoint). */
  get connection(): IrcSession['connection'] {
    return this.primary.connection;
  }

  /** Live sessions, the registered server first. */
  live(): { server: string; session: IrcSession }[] {
    return [...this.servers.values()].map(({ server, session }) => ({ server, session }))
      .sort((a, b) => Number(b.server === this.settings.first) - Number(a.server === this.settings.first));
  }

  /**
   * Login: the registered server (a user waiting for the answer gets its error), then the servers
   * the user made persistent, in the background.
   */
  async start(background: boolean): Promise<void> {
    const first = this.open(this.settings.first, background);
    await first.ready;
    for (const server of this.settings.persistentServers()) {
      if (this.servers.has(server)) continue;
      try {
        this.settings.checkAllowed(server);
        this.open(server, true);
      } catch (err) {
        this.ctx.logger.warn({ server, err: (err as Error).message }, 'persistent IRC server not connected');
      }
    }
  }

  private open(server: string, background: boolean): Entry {
    const settings = this.settings.settingsFor(server);
    const logger = this.ctx.logger.child({ server });
    const entry = { server, lastUsed: Date.now() } as Entry;
    entry.session = this.ctx.open(settings, this.xmppFor(entry), logger);
    this.servers.set(server, entry);
    if (this.presence) void entry.session.setPresence(this.presence).catch(() => undefined);
    if (background) {
      entry.session.startInBackground();
      entry.ready = Promise.resolve();
    } else {
      entry.ready = entry.session.start().catch(async (err: unknown) => {
        if (this.servers.get(server) === entry) this.servers.delete(server);
        await entry.session.logout().catch(() => undefined);
        throw err;
      });
      entry.ready.catch(() => undefined);
    }
    this.scheduleIdle(entry);
    return entry;
  }

  /** The session's view of the user: its status and its contacts' messages pass through here. */
  private xmppFor(entry: Entry): XmppUser {
    const core = this.ctx.xmpp;
    const serverLocalpart = formatLocalpart({ kind: 'server', server: entry.server });
    return {
      jid: core.jid,
      status: (status) => this.onStatus(entry, status),
      contact: (localpart) => {
        const contact = core.contact(localpart);
        // A server's notices (MOTD) are not a conversation that keeps the connection in use.
        return localpart === serverLocalpart ? contact : touchingContact(contact, () => this.touch(entry));
      },
      room: (localpart, options) => core.room(localpart, options),
      invited: (room, from, reason) => core.invited?.(room, from, reason),
    };
  }

  private onStatus(entry: Entry, status: ServerStatus): void {
    if (entry.retired || this.servers.get(entry.server) !== entry) return; // closed or replaced: its goodbye is not news
    entry.status = status;
    const others = [...this.servers.values()].some((e) => e !== entry && e.status?.online);
    // The core shows every room as left when the transport goes offline; one server of several
    // going down takes only its own rooms out.
    if (!status.online && others) this.disconnectRooms(entry.session, status.text);
    this.publish();
  }

  private publish(): void {
    const status = combinedStatus([...this.servers.values()].flatMap((e) => (e.status ? [{ server: e.server, status: e.status }] : [])));
    if (status) this.ctx.xmpp.status(status);
  }

  private disconnectRooms(session: IrcSession, text?: string): void {
    for (const state of session.rooms.all()) (state.room as Disconnectable).disconnected?.(text);
  }

  // Idle servers.

  private touch(entry: Entry): void {
    entry.lastUsed = Date.now();
    if (!entry.idleTimer) this.scheduleIdle(entry);
  }

  private scheduleIdle(entry: Entry): void {
    clearTimeout(entry.idleTimer);
    entry.idleTimer = undefined;
    const idleMs = this.ctx.options.serverIdleMinutes * 60000;
    if (!idleMs || this.closed || entry.server === this.settings.first || this.settings.persistent(entry.server)) return;
    // While a channel is held, look again a whole period later (a kick ends it without a call here).
    const wait = entry.session.rooms.held() > 0 ? idleMs : Math.max(0, entry.lastUsed + idleMs - Date.now());
    entry.idleTimer = setTimeout(() => {
      entry.idleTimer = undefined;
      if (this.servers.get(entry.server) !== entry) return;
      if (entry.session.rooms.held() === 0 && Date.now() - entry.lastUsed >= idleMs) void this.close(entry);
      else this.scheduleIdle(entry);
    }, wait);
    entry.idleTimer.unref();
  }

  private async close(entry: Entry): Promise<void> {
    this.servers.delete(entry.server);
    clearTimeout(entry.idleTimer);
    this.publish();
    this.ctx.logger.info({ server: entry.server }, 'closing an unused IRC connection');
    const done = entry.session.logout().catch(() => undefined);
    this.closing.set(entry.server, done);
    await done;
    if (this.closing.get(entry.server) === done) this.closing.delete(entry.server);
  }

  // Routing.

  private serverOf(localpart: string): string {
    return parseLocalpart(localpart, this.defaultServer).server;
  }

  /** The server's session, connecting first if needed; `background`: do not wait for it (re-joins). */
  private async use(localpart: string, background = false): Promise<IrcSession> {
    if (this.closed) throw new GatewayError('gone', 'Logged out.');
    const server = this.serverOf(localpart);
    if (!this.servers.has(server)) await this.closing.get(server);
    let entry = this.servers.get(server);
    if (!entry) {
      this.settings.checkAllowed(server);
      if (this.servers.size >= MAX_SERVERS) {
        throw new GatewayError('resource-constraint', `You are connected to ${MAX_SERVERS} IRC servers, the most this gateway allows; leave every channel of one first.`);
      }
      entry = this.open(server, background);
    }
    await entry.ready;
    this.touch(entry);
    return entry.session;
  }

  /** The server's session if it is open: for what only makes sense in a joined room or a live chat. */
  private existing(localpart: string): IrcSession | undefined {
    const entry = this.servers.get(this.serverOf(localpart));
    if (entry) this.touch(entry);
    return entry?.session;
  }

  private joined(room: string): IrcSession {
    const session = this.existing(room);
    if (!session) throw new GatewayError('not-acceptable', `You are not in ${room}; join it first.`);
    return session;
  }

  async sendMessage(message: OutboundMessage): Promise<void> {
    await (await this.use(message.to)).sendMessage(message);
  }

  async sendPrivateMessage(message: OutboundPrivateMessage): Promise<void> {
    await this.joined(message.room).sendPrivateMessage(message);
  }

  async sendChatState(to: string, state: ChatState, nick?: string): Promise<void> {
    // Typing notifications never open a connection (a closed chat's "gone" would reopen one).
    await this.existing(to)?.sendChatState(to, state, nick);
  }

  async markRead(to: string, ref: MessageRef, room?: boolean): Promise<void> {
    const session: LegacySession | undefined = this.existing(to);
    await session?.markRead?.(to, ref, room);
  }

  async setPresence(presence: { show?: PresenceShow; status?: string }): Promise<void> {
    this.presence = presence;
    await Promise.all(this.live().map(({ session }) => session.setPresence(presence)));
  }

  async joinRoom(request: RoomJoinRequest): Promise<void> {
    // The core's own re-join (no nick) after a restart does not wait for the server to answer.
    await (await this.use(request.room, request.nick === '')).joinRoom(request);
  }

  async leaveRoom(room: string, status?: string): Promise<void> {
    await this.existing(room)?.leaveRoom(room, status);
  }

  async sendRoomMessage(room: string, message: OutboundRoomMessage): Promise<void> {
    await this.joined(room).sendRoomMessage(room, message);
  }

  async sendReaction(to: string, reaction: OutboundReaction, room?: boolean): Promise<void> {
    await (room ? this.joined(to) : await this.use(to)).sendReaction(to, reaction, room);
  }

  async contactInfo(localpart: string): Promise<ContactCard> {
    return (await this.use(localpart)).contactInfo(localpart);
  }

  async softwareVersion(to: string, nick?: string): Promise<SoftwareVersion> {
    return (nick !== undefined ? this.joined(to) : await this.use(to)).softwareVersion(to, nick);
  }

  async discoItems(localpart: string): Promise<LegacyItem[] | undefined> {
    return (await this.use(localpart)).discoItems(localpart);
  }

  async setRole(room: string, nick: string, role: Role, reason?: string): Promise<void> {
    return this.joined(room).setRole(room, nick, role, reason);
  }

  async setAffiliation(room: string, target: AffiliationTarget, affiliation: Affiliation, reason?: string): Promise<void> {
    return this.joined(room).setAffiliation(room, target, affiliation, reason);
  }

  async affiliations(room: string, affiliation: Affiliation): Promise<AffiliationEntry[] | undefined> {
    return this.joined(room).affiliations(room, affiliation);
  }

  async roomConfig(room: string): Promise<RoomConfig> {
    return this.joined(room).roomConfig(room);
  }

  async configureRoom(room: string, changes: RoomConfig): Promise<void> {
    return this.joined(room).configureRoom(room, changes);
  }

  async setSubject(room: string, subject: string): Promise<void> {
    return this.joined(room).setSubject(room, subject);
  }

  async changeNick(room: string, nick: string): Promise<void> {
    return this.joined(room).changeNick(room, nick);
  }

  async invite(room: string, invitee: string): Promise<void> {
    return this.joined(room).invite(room, invitee);
  }

  /** Joined channels of every server, for disco#items on the domain. */
  joinedRooms(): { localpart: string; name: string }[] {
    return this.live().flatMap(({ session }) => session.rooms.all().filter((s) => s.phase === 'joined').map((s) => ({ localpart: s.room.localpart, name: s.name })));
  }

  commands(): AdhocCommand[] {
    return userCommands(this);
  }

  /**
   * Stores a server's settings from the configure form and applies them: a new nick at once
   * (NICK), anything about the connection by reconnecting to that server, keeping its channels.
   */
  async configure(server: string, values: Record<string, string>): Promise<string> {
    const before = this.servers.get(server);
    const previous = before?.session.ctx.settings;
    const typed = () => NEXT_CONNECTION_FIELDS.map((field) => this.settings.value(server, field)).join('\n');
    const typedBefore = typed();
    const settings = await this.settings.save(server, values);
    const entry = this.servers.get(server);
    if (!entry || entry !== before || !previous) {
      await this.closing.get(server);
      if (this.settings.persistent(server) && !this.closed && !this.servers.has(server)) {
        this.open(server, true);
        return `Saved. Connecting to ${server}, which stays connected.`;
      }
      return `Saved. The settings apply when you next use ${server}.`;
    }
    this.scheduleIdle(entry);
    if (CONNECTION_FIELDS.some((field) => previous[field] !== settings[field])) {
      await this.restart(entry);
      return `Saved. Reconnecting to ${server} with the new settings.`;
    }
    const later = typed() !== typedBefore ? ' The user and real names apply from the next connection.' : '';
    // A nick the server or a room presence changed since stays unless the configured one changed.
    const nickChanged = entry.session.lower(previous.nick) !== entry.session.lower(settings.nick);
    // The connection reconnects with these settings too (IrcConnection reads them on every attempt).
    Object.assign(previous, settings);
    if (nickChanged && entry.session.lower(settings.nick) !== entry.session.lower(entry.session.nick)) {
      try {
        await entry.session.changeOwnNick(settings.nick);
      } catch (err) {
        return `Saved, but ${server} refused the nickname now: ${(err as Error).message}${later}`;
      }
      return `Saved. Your nickname on ${server} is now ${entry.session.nick}.${later}`;
    }
    return `Saved.${later}`;
  }

  /** Closes a server's connection and opens it again with its current settings, re-joining its channels. */
  private async restart(entry: Entry): Promise<void> {
    const channels = entry.session.rooms.all().filter((s) => !s.parting || s.rejoin).map((s) => ({ room: s.room.localpart, key: s.key }));
    this.disconnectRooms(entry.session, `Reconnecting to ${entry.server} with new settings.`);
    // Kept in place until the new session takes it, so the registered server always has one.
    entry.retired = true;
    clearTimeout(entry.idleTimer);
    // One connection at a time: the old one holds the nick the new one asks for.
    await entry.session.logout().catch(() => undefined);
    if (this.closed || this.servers.get(entry.server) !== entry) return;
    const fresh = this.open(entry.server, true);
    for (const { room, key } of channels) await fresh.session.joinRoom({ room, nick: '', password: key, resource: '' });
  }

  async reconnect(): Promise<void> {
    await Promise.all(this.live().map(({ session }) => session.reconnect()));
  }

  /** Ad-hoc "disconnect": every server QUITs and stays offline until reconnect(). */
  async disconnect(): Promise<void> {
    await Promise.all(this.live().map(({ session }) => session.disconnect()));
  }

  async drain(deadline: number): Promise<void> {
    await Promise.all(this.live().map(({ session }) => session.drain(deadline)));
  }

  async logout(): Promise<void> {
    this.closed = true;
    const entries = [...this.servers.values()];
    for (const entry of entries) clearTimeout(entry.idleTimer);
    await Promise.all(entries.map((entry) => entry.session.logout().catch(() => undefined)));
    this.servers.clear();
  }
}
