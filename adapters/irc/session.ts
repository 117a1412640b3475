/**
 * One XMPP user's live IRC session: outbound messages, rooms, nick and presence. Inbound IRC
 * events are bound in listeners.ts; the connection life (reconnect, flood queue) is in connection.ts.
 */
import type { Client } from 'irc-framework';
import type { Logger } from 'pino';
import type {
  AdhocCommand, Affiliation, AffiliationEntry, AffiliationTarget, ChatState, ContactCard, IncomingMeta, LegacyItem, LegacySession, MessageRef, OutboundMessage,
  OutboundPrivateMessage, OutboundReaction, OutboundRoomMessage, PresenceShow, Role, RoomConfig, RoomJoinRequest, SoftwareVersion, XmppUser,
} from '../../src/core/adapter';
import { GatewayError } from '../../src/core/errors';
import { checkServerLimits, formatLocalpart, parseLocalpart } from './address';
import { ChatHistory } from './chathistory';
import { sessionCommands } from './commands';
import { IrcConnection } from './connection';
import { SessionExtras } from './extras';
import { serverLimit } from './limits';
import { sessionInvitations, type Invitations } from './invitations';
import { attachListeners, type PendingEcho } from './listeners';
import { NickChange } from './nick-change';
import { NickKeeper } from './nick-keeper';
import { NickServIdentify } from './nickserv';
import { WhoisCards } from './whois-card';
import type { IrcOptions } from './options';
import type { ConnectionSettings } from './registration';
import type { InboundGate } from './inbound-gate';
import type { UserIdentity } from './network-identity';
import type { OutboundPolicy } from '../../src/core/outbound-policy';
import { joinChannel, leaveChannel } from './joins';
import { Outbound } from './outbound';
import type { Conversation } from './private-chats';
import { Rooms } from './rooms';
import { ReadMarkers } from './read-marker';
import { bodyLines, singleLine } from './text';

export interface SessionContext {
  settings: ConnectionSettings;
  options: IrcOptions;
  /** The user's XMPP side (LoginRequest.xmpp). */
  xmpp: XmppUser;
  logger: Logger;
  /** The adapter's flow control. */
  gate?: InboundGate;
  /** Where the connection may go (AdapterServices.outbound). */
  outbound: OutboundPolicy;
  /** The user's ident answer, WEBIRC host, source address and connection pace (network-identity.ts). */
  identity?: UserIdentity;
}

export class IrcSession implements LegacySession {
  nick: string;
  readonly server: string;
  readonly rooms: Rooms;
  readonly connection: IrcConnection;
  readonly xmpp: XmppUser;
  readonly options: IrcOptions;
  readonly logger: Logger;
  /** Localpart form each peer was addressed with, so replies come from the same JID. */
  private readonly peerForms = new Map<string, string>();
  /** Last 1:1 message per peer, so an asynchronous "no such nick" reaches the right stanza. */
  readonly lastSent = new Map<string, { chat: Conversation; id?: string; fromResource?: string }>();
  readonly pendingEchoes: PendingEcho[] = [];
  readonly nickChange: NickChange;
  private away?: string;
  /** The MOTD is shown once per session, not after every reconnect. */
  motdShown = false;
  readonly nickserv: NickServIdentify;
  readonly whoisCards = new WhoisCards();
  readonly keeper: NickKeeper;
  readonly outbound = new Outbound(this);
  readonly history: ChatHistory;
  readonly extras: SessionExtras;
  readonly readMarkers: ReadMarkers;
  readonly invitations: Invitations;
  /** The server gives messages a msgid (IRCv3 message-ids): the ids replies and reactions name are IRC's. */
  msgids = false;

  constructor(readonly ctx: SessionContext) {
    this.nick = ctx.settings.nick;
    this.server = ctx.settings.host.toLowerCase();
    this.xmpp = ctx.xmpp;
    this.options = ctx.options;
    this.logger = ctx.logger;
    const lower = (name: string) => this.lower(name);
    this.rooms = new Rooms({
      openRoom: (localpart) => this.xmpp.room(localpart, { fold: lower, contactOf: (nick) => this.contactLocalpart(nick) }),
      lower,
      selfNick: () => this.nick,
      roomLocalpart: (channel) => this.roomLocalpart(channel),
      sendJoin: (state) => this.sendJoin(state.name, state.key),
    });
    this.nickserv = new NickServIdentify({
      network: this.server,
      password: ctx.settings.password,
      trustedServers: ctx.options.nickserv.trustedServers,
      lower,
      // Ahead of waiting re-joins: channels that need an identified nick should see it soon.
      send: (line) => this.connection.queue.pushFront({ line, kind: 'control' }),
      tell: (text) => this.notice(text),
    });
    this.nickChange = new NickChange({
      server: this.server,
      current: () => this.nick,
      isSelf: (nick) => this.isSelf(nick),
      online: () => this.connection.online,
      nickLength: () => serverLimit(this.connection.client?.network.options, 'NICKLEN'),
      send: (line) => this.connection.send(line, 'control'),
    });
    this.keeper = new NickKeeper({
      wanted: () => this.connection.nick,
      current: () => this.nick,
      lower,
      canTry: () => this.connection.online && !this.nickChange.pending,
      send: (line) => this.connection.send(line, 'control'),
    }, { initialMs: ctx.options.reconnect.initialDelayMs, maxMs: ctx.options.reconnect.maxDelayMs });
    this.history = new ChatHistory({
      lines: ctx.options.chathistoryLines,
      lower,
      send: (line, channel) => this.connection.send(line, 'control', channel),
    });
    this.extras = new SessionExtras(this);
    this.readMarkers = new ReadMarkers({
      client: () => this.connection.client,
      send: (line) => this.connection.send(line, 'control'),
      lower,
      isChannel: (target) => this.isChannel(target),
      isSelf: (nick) => this.isSelf(nick),
      resolve: (localpart) => this.resolve(localpart),
      handleOf: (target) => (this.isChannel(target) ? this.rooms.get(target)?.room : this.xmpp.contact(this.contactLocalpart(target))),
      logger: ctx.logger,
    });
    this.invitations = sessionInvitations(this);
    // Only the operator's fixed server skips the outbound policy; a server the user chose is vetted.
    const fixed = ctx.options.server && ctx.options.server.host.toLowerCase() === this.server;
    this.connection = new IrcConnection(ctx.settings, fixed ? ctx.options : { ...ctx.options, server: undefined }, {
      attach: (client) => {
        attachListeners(this, client);
        this.history.prepare(client);
        this.readMarkers.attach(client);
      },
      registered: (client, first) => this.onRegistered(client, first),
      lost: (reason, retryInMs) => this.onLost(reason, retryInMs),
    }, ctx.logger, ctx.outbound, ctx.gate, ctx.identity);
  }

  get defaultServer(): string | undefined {
    return this.options.server?.host.toLowerCase();
  }

  get serverLocalpart(): string {
    return formatLocalpart({ kind: 'server', server: this.server });
  }

  roomLocalpart(channel: string): string {
    return formatLocalpart({ kind: 'room', channel, server: this.server }, this.defaultServer);
  }

  /** A message from the server's JID (notices, numerics, the MOTD). */
  notice(body: string, meta: IncomingMeta = {}): void {
    this.xmpp.contact(this.serverLocalpart).sendText(body, { type: 'normal', ...meta });
  }

  lower(name: string): string {
    return this.connection.client?.caseLower(name) ?? name.toLowerCase();
  }

  isSelf(nick: string): boolean {
    return this.lower(nick) === this.lower(this.nick);
  }

  contactLocalpart(nick: string): string {
    return this.peerForms.get(this.lower(nick)) ?? formatLocalpart({ kind: 'contact', nick, server: this.server }, this.defaultServer);
  }

  /**
   * The user wrote to `nick` as `localpart` or through a channel's room: answers come from that
   * JID (PrivateChats), a "no such nick" fails `ref`. Returns where the conversation shows.
   */
  wroteTo(nick: string, ref: { id?: string; fromResource?: string }, to: { localpart: string } | { channel: string }): Conversation {
    if ('localpart' in to) this.peerForms.set(this.lower(nick), to.localpart);
    const chat = this.extras.privateChats.wrote(nick, 'channel' in to ? to.channel : undefined);
    this.lastSent.set(this.lower(nick), { chat, ...ref });
    return chat;
  }

  /** Where what `nick` says privately shows: room/nick or the nick's own address. */
  chatWith(nick: string): Conversation {
    return this.extras.privateChats.chatWith(nick);
  }

  isChannel(target: string): boolean {
    const types = this.connection.client?.network.options.CHANTYPES ?? ['#', '&'];
    return types.includes(target[0]);
  }

  /** A localpart addressed by the user, checked to belong to this session's server and fit its limits. */
  resolve(localpart: string) {
    const address = parseLocalpart(localpart, this.defaultServer);
    if (address.server !== this.server) {
      throw new GatewayError('item-not-found', `Your IRC registration is for ${this.server}; ${address.server} is another server.`);
    }
    checkServerLimits(address, this.connection.client?.network.options);
    return address;
  }

  sendJoin(channel: string, key?: string): void {
    this.connection.send(joinLine(channel, key), 'control', this.lower(channel));
  }

  start(): Promise<void> {
    return this.connection.connectOnce();
  }

  startInBackground(): void {
    this.connection.connectInBackground();
  }

  private onRegistered(client: Client, first: boolean): void {
    this.nick = client.user.nick;
    this.xmpp.status({ online: true, text: `Connected to ${this.server} as ${this.nick}` });
    const control = (line: string, channel?: string) => ({ line, kind: 'control' as const, channel });
    const lines = [];
    if (this.away !== undefined) lines.push(control(`AWAY :${this.away}`));
    if (first) {
      for (const channel of this.ctx.settings.channels) {
        this.rooms.want(channel.name, this.roomLocalpart(channel.name), this.nick, channel.key);
      }
    }
    for (const state of this.rooms.all()) {
      lines.push(control(joinLine(state.name, state.key), this.lower(state.name)));
    }
    // Before anything queued while offline, so messages to channels find us in them.
    this.connection.queue.pushFront(...lines);
    if (!this.connection.saslDone) this.nickserv.start();
    this.keeper.check();
  }

  private onLost(reason: string, retryInMs?: number): void {
    this.nickserv.reset();
    this.keeper.stop();
    this.extras.lost(); // the command runner's too, invitations included
    const text = retryInMs === undefined ? reason : `${reason} Reconnecting in ${Math.ceil(retryInMs / 1000)} s.`;
    // Before the tables are cleared: the core's "you left" presences still show the user's own role.
    this.xmpp.status({ online: false, text });
    this.rooms.disconnected();
    this.nickChange.pending?.reject(new GatewayError('remote-server-timeout', 'The IRC connection was lost.'));
  }

  async sendMessage(message: OutboundMessage): Promise<void> {
    const address = this.resolve(message.to);
    if (address.kind === 'server') {
      this.sendRaw(message.body);
      return;
    }
    if (address.kind === 'room') {
      throw new GatewayError('bad-request', `Join ${address.channel} as a room (groupchat) to talk there.`);
    }
    const links = (message.oob ?? []).map((l) => l.url).filter((url) => !message.body.includes(url));
    const body = [message.body, ...links].filter(Boolean).join('\n');
    this.outbound.toNick(address.nick, { ...message, body });
  }

  /** Raw IRC lines from the user (ad-hoc command or messages to the server JID), if allowed. */
  sendRaw(text: string): void {
    if (!this.options.allowRawCommands) {
      throw new GatewayError('not-allowed', 'Raw IRC commands are disabled on this gateway.');
    }
    const lines = bodyLines(text).map((l) => l.trim()).filter(Boolean);
    if (!lines.length) throw new GatewayError('bad-request', 'Type an IRC command, e.g. WHOIS somebody.');
    this.outbound.queue(lines);
  }

  /** The vCard of an IRC user, from a WHOIS (undefined when offline or no answer in time). */
  async contactInfo(localpart: string): Promise<ContactCard> {
    const address = this.resolve(localpart);
    if (address.kind !== 'contact' || !this.connection.client) return {};
    const nick = address.nick;
    return (await this.whoisCards.ask(this.lower(nick), () => this.connection.send(`WHOIS ${nick}`, 'control'))) ?? {};
  }

  async sendChatState(to: string, state: ChatState, nick?: string): Promise<void> {
    if (nick !== undefined) {
      this.joinedChannel(to);
      this.outbound.chatState(this.extras.nick(nick), state);
      return;
    }
    const address = this.resolve(to);
    if (address.kind === 'contact') this.outbound.chatState(address.nick, state);
  }

  async sendPrivateMessage(m: OutboundPrivateMessage): Promise<void> {
    this.extras.sendPrivateMessage(m);
  }

  softwareVersion(to: string, nick?: string): Promise<SoftwareVersion> {
    return this.extras.softwareVersion(to, nick);
  }

  discoItems(localpart: string): Promise<LegacyItem[] | undefined> {
    return this.extras.discoItems(localpart);
  }

  setRole(room: string, nick: string, role: Role, reason?: string): Promise<void> {
    return this.extras.admin.setRole(room, nick, role, reason);
  }

  setAffiliation(room: string, target: AffiliationTarget, affiliation: Affiliation, reason?: string): Promise<void> {
    return this.extras.admin.setAffiliation(room, target, affiliation, reason);
  }

  affiliations(room: string, affiliation: Affiliation): Promise<AffiliationEntry[] | undefined> {
    return this.extras.affiliations(room, affiliation);
  }

  async roomConfig(room: string): Promise<RoomConfig> {
    return this.extras.admin.roomConfig(room);
  }

  configureRoom(room: string, changes: RoomConfig): Promise<void> {
    return this.extras.admin.configureRoom(room, changes);
  }

  invite(room: string, invitee: string): Promise<void> {
    return this.invitations.invite(room, invitee);
  }

  async setPresence(presence: { show?: PresenceShow; status?: string }): Promise<void> {
    const away = presence.show && presence.show !== 'chat' ? singleLine(presence.status || presence.show).slice(0, 300) || 'away' : undefined;
    if (away === this.away) return;
    this.away = away;
    if (this.connection.online) this.connection.send(away === undefined ? 'AWAY' : `AWAY :${away}`, 'control');
  }

  async joinRoom(request: RoomJoinRequest): Promise<void> {
    joinChannel(this, request);
  }

  async leaveRoom(room: string, status?: string): Promise<void> {
    leaveChannel(this, room, status);
  }

  joinedChannel(room: string) {
    const address = this.resolve(room);
    const state = address.kind === 'room' ? this.rooms.get(address.channel) : undefined;
    if (!state || state.phase !== 'joined') throw new GatewayError('not-acceptable', `You are not in ${room}; join it first.`);
    return state;
  }

  async sendRoomMessage(room: string, message: OutboundRoomMessage): Promise<void> {
    this.outbound.toChannel(this.joinedChannel(room), message);
  }

  async sendReaction(to: string, reaction: OutboundReaction, room?: boolean): Promise<void> {
    if (room) {
      this.outbound.reaction(reaction, { channel: this.joinedChannel(to) });
      return;
    }
    const address = this.resolve(to);
    if (address.kind !== 'contact') throw new GatewayError('bad-request', 'Reactions go to an IRC user or, in a room, to a channel message.');
    this.outbound.reaction(reaction, { nick: address.nick, localpart: to });
  }

  /** XEP-0333 displayed -> IRCv3 MARKREAD, where the server offers draft/read-marker. */
  async markRead(to: string, ref: MessageRef, room?: boolean): Promise<void> {
    this.readMarkers.markRead(to, ref, room);
  }

  async setSubject(room: string, subject: string): Promise<void> {
    const state = this.joinedChannel(room);
    const topic = singleLine(subject);
    this.connection.send(topic ? `TOPIC ${state.name} :${topic}` : `TOPIC ${state.name} :`, 'control');
  }

  async changeNick(_room: string, nick: string): Promise<void> {
    await this.changeOwnNick(nick);
  }

  /** IRC nicks are per connection: this renames the user in every channel. */
  changeOwnNick(nick: string): Promise<void> {
    return this.nickChange.request(nick);
  }

  commands(): AdhocCommand[] {
    return sessionCommands(this);
  }

  async reconnect(): Promise<void> {
    this.connection.reconnectNow();
  }

  /** Ad-hoc "disconnect": QUIT and stay offline until reconnect(). */
  async disconnect(): Promise<void> {
    await this.connection.quit('Disconnected by the user');
  }

  /**
   * Shutdown: the flood queue keeps going until empty or `deadline`; each XMPP message with a line
   * left unsent then gets one error back (its lines share one `failed`).
   */
  async drain(deadline: number): Promise<void> {
    const unsent = await this.connection.queue.drain(deadline);
    for (const failed of new Set(unsent.map((line) => line.failed))) failed?.();
  }

  async logout(): Promise<void> {
    this.keeper.stop();
    this.readMarkers.dispose();
    this.nickChange.pending?.reject(new GatewayError('gone', 'Logged out.'));
    try {
      await this.connection.quit('Leaving');
    } finally {
      this.rooms.dispose();
    }
  }
}

function joinLine(channel: string, key?: string): string {
  return key ? `JOIN ${channel} ${key}` : `JOIN ${channel}`;
}
