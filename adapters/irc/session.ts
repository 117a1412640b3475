/**
 * One XMPP user's live IRC session: outbound messages, rooms, nick and presence. Inbound IRC
 * events are bound in listeners.ts; the connection life (reconnect, flood queue) is in connection.ts.
 */
import type { Client } from 'irc-framework';
import type { Logger } from 'pino';
import type {
  AdhocCommand, ChatState, IncomingMeta, LegacySession, OutboundMessage, PresenceShow, RoomJoinRequest, XmppUser,
} from '../../src/core/adapter';
import { GatewayError } from '../../src/core/errors';
import { checkServerLimits, formatLocalpart, parseLocalpart } from './address';
import { sessionCommands } from './commands';
import { guarded, IrcConnection } from './connection';
import { CHANNEL_KEY_MAX, checkLength, serverLimit } from './limits';
import { attachListeners, type PendingEcho } from './listeners';
import { NickChange } from './nick-change';
import { NickKeeper } from './nick-keeper';
import { NickServIdentify } from './nickserv';
import type { IrcOptions } from './options';
import type { ConnectionSettings } from './registration';
import type { InboundGate } from './inbound-gate';
import type { OutboundPolicy } from '../../src/core/outbound-policy';
import { Rooms } from './rooms';
import { bodyLines, singleLine, splitBody, textByteBudget } from './text';

/** Below this many bytes of text per line, the target name is the problem, not the message. */
const MIN_TEXT_BYTES = 64;

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
  readonly lastSent = new Map<string, { peer: string; id?: string; fromResource?: string }>();
  readonly pendingEchoes: PendingEcho[] = [];
  readonly nickChange: NickChange;
  private away?: string;
  /** The MOTD is shown once per session, not after every reconnect. */
  motdShown = false;
  readonly nickserv: NickServIdentify;
  readonly keeper: NickKeeper;

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
    this.connection = new IrcConnection(ctx.settings, ctx.options, {
      attach: (client) => attachListeners(this, client),
      registered: (client, first) => this.onRegistered(client, first),
      lost: (reason, retryInMs) => this.onLost(reason, retryInMs),
    }, ctx.logger, ctx.outbound, ctx.gate);
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

  isChannel(target: string): boolean {
    const types = this.connection.client?.network.options.CHANTYPES ?? ['#', '&'];
    return types.includes(target[0]);
  }

  /** A localpart addressed by the user, checked to belong to this session's server and fit its limits. */
  private resolve(localpart: string) {
    const address = parseLocalpart(localpart, this.defaultServer);
    if (address.server !== this.server) {
      throw new GatewayError('item-not-found', `Your IRC registration is for ${this.server}; ${address.server} is another server.`);
    }
    checkServerLimits(address, this.connection.client?.network.options);
    return address;
  }

  private sendJoin(channel: string, key?: string): void {
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
    const text = retryInMs === undefined ? reason : `${reason} Reconnecting in ${Math.ceil(retryInMs / 1000)} s.`;
    // Before the tables are cleared: the core's "you left" presences still show the user's own role.
    this.xmpp.status({ online: false, text });
    this.rooms.disconnected();
    this.nickChange.pending?.reject(new GatewayError('remote-server-timeout', 'The IRC connection was lost.'));
  }

  /**
   * Queues the lines of one XMPP message; throws resource-constraint when the flood queue is full.
   * `failed` runs once if any of them is given up unsent (shutdown); `channel` keeps them behind
   * that channel's waiting JOIN.
   */
  private queueLines(lines: string[], notify: { sent?: () => void; failed?: () => void; channel?: string } = {}): void {
    const last = notify.sent && guarded(this.logger, 'sent', notify.sent);
    const failed = notify.failed && guarded(this.logger, 'failed', notify.failed);
    const items = lines.map((line, i) => ({ line, kind: 'message' as const, channel: notify.channel, failed, sent: i === lines.length - 1 ? last : undefined }));
    if (!this.connection.queue.push(...items)) {
      throw new GatewayError('resource-constraint', 'Too many messages are waiting to be sent to IRC; try again in a moment.');
    }
  }

  private messageLines(target: string, body: string, action?: boolean): string[] {
    const budget = textByteBudget({ command: 'PRIVMSG', target, nick: this.nick, action });
    if (budget < MIN_TEXT_BYTES) throw new GatewayError('not-acceptable', `${target.slice(0, 20)}… is too long an IRC name to send messages to.`);
    const texts = splitBody(body, budget);
    if (!texts.length) throw new GatewayError('not-acceptable', 'IRC cannot send an empty message.');
    return texts.map((text) => (action ? `PRIVMSG ${target} :\x01ACTION ${text}\x01` : `PRIVMSG ${target} :${text}`));
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
    const lines = this.messageLines(address.nick, body, message.action);
    this.peerForms.set(this.lower(address.nick), message.to);
    this.lastSent.set(this.lower(address.nick), { peer: message.to, id: message.id, fromResource: message.fromResource });
    const contact = this.xmpp.contact(message.to);
    const ref = { id: message.id, fromResource: message.fromResource };
    this.queueLines(lines, {
      sent: () => {
        if (message.receiptRequested && message.id) contact.delivered({ ...ref, id: message.id });
      },
      failed: () => contact.failed(ref, shutDownError()),
    });
  }

  /** Raw IRC lines from the user (ad-hoc command or messages to the server JID), if allowed. */
  sendRaw(text: string): void {
    if (!this.options.allowRawCommands) {
      throw new GatewayError('not-allowed', 'Raw IRC commands are disabled on this gateway.');
    }
    const lines = bodyLines(text).map((l) => l.trim()).filter(Boolean);
    if (!lines.length) throw new GatewayError('bad-request', 'Type an IRC command, e.g. WHOIS somebody.');
    this.queueLines(lines);
  }

  async sendChatState(to: string, state: ChatState): Promise<void> {
    const client = this.connection.client;
    if (!client || !this.connection.online || !client.network.cap.isEnabled('message-tags')) return;
    const address = this.resolve(to);
    if (address.kind !== 'contact') return;
    const typing = state === 'composing' ? 'active' : state === 'paused' ? 'paused' : 'done';
    this.connection.send(`@+typing=${typing} TAGMSG ${address.nick}`, 'control');
  }

  async setPresence(presence: { show?: PresenceShow; status?: string }): Promise<void> {
    const away = presence.show && presence.show !== 'chat' ? singleLine(presence.status || presence.show).slice(0, 300) || 'away' : undefined;
    if (away === this.away) return;
    this.away = away;
    if (this.connection.online) this.connection.send(away === undefined ? 'AWAY' : `AWAY :${away}`, 'control');
  }

  async joinRoom(request: RoomJoinRequest): Promise<void> {
    const address = this.resolve(request.room);
    if (address.kind !== 'room') throw new GatewayError('bad-request', `${request.room} is not an IRC channel.`);
    const existing = this.rooms.get(address.channel);
    if (existing && !existing.parting) {
      // Another resource: the core sends it the room as the table has it.
      if (existing.phase === 'joined') this.rooms.announce(existing);
      return; // otherwise the pending join answers every resource
    }
    const max = this.options.maxChannels;
    if (!existing && this.rooms.held() >= max) {
      throw new GatewayError('resource-constraint', `You are in ${max} IRC channels, the most this gateway allows per user; leave one before joining ${address.channel}.`);
    }
    if (request.password) checkLength('room password (channel key)', request.password, CHANNEL_KEY_MAX);
    if (request.nick && !this.isSelf(request.nick) && this.connection.online) {
      try {
        await this.changeOwnNick(request.nick);
      } catch (err) {
        const error = err instanceof GatewayError ? err : new GatewayError('conflict', 'The nickname could not be changed.');
        this.rooms.refuse(request.room, request.nick, error);
        return;
      }
    }
    const key = request.password ? singleLine(request.password).replace(/ /g, '') : undefined;
    const parting = this.rooms.get(address.channel);
    if (parting?.parting) {
      // Our PART is still out: JOIN after its answer, or the echo would take the user out again.
      this.rooms.wantAgain(parting, request.room, request.nick || this.nick, key);
      return;
    }
    const state = this.rooms.want(address.channel, request.room, request.nick || this.nick, key);
    if (this.connection.online) this.sendJoin(state.name, key);
  }

  async leaveRoom(room: string, status?: string): Promise<void> {
    const address = this.resolve(room);
    if (address.kind !== 'room') return;
    const state = this.rooms.get(address.channel);
    if (!state) return;
    if (!this.connection.online) {
      // Not in the channel on IRC: the core already showed the user out of the room.
      this.rooms.forget(address.channel);
      return;
    }
    if (!this.rooms.leaving(state)) return; // a PART is already out
    const reason = status ? singleLine(status).slice(0, 300) : '';
    this.connection.send(reason ? `PART ${state.name} :${reason}` : `PART ${state.name}`, 'control', this.lower(state.name));
  }

  private joinedChannel(room: string) {
    const address = this.resolve(room);
    const state = address.kind === 'room' ? this.rooms.get(address.channel) : undefined;
    if (!state || state.phase !== 'joined') throw new GatewayError('not-acceptable', `You are not in ${room}; join it first.`);
    return state;
  }

  async sendRoomMessage(room: string, message: { body: string; id?: string; action?: boolean }): Promise<void> {
    const state = this.joinedChannel(room);
    const lines = this.messageLines(state.name, message.body, message.action);
    const body = bodyLines(message.body).join('\n');
    const channel = this.lower(state.name);
    const handle = state.room;
    const echo = this.connection.client?.network.cap.isEnabled('echo-message')
      ? { channel, remaining: lines.length, body, id: message.id, action: message.action } : undefined;
    this.queueLines(lines, {
      channel,
      // No echo-message: reflect once, when the last line has left, as the server would have.
      sent: echo ? undefined : () => handle.message(this.nick, body, { id: message.id, action: message.action }),
      failed: () => {
        const index = echo ? this.pendingEchoes.indexOf(echo) : -1;
        if (index !== -1) this.pendingEchoes.splice(index, 1);
        handle.error(shutDownError(), message.id);
      },
    });
    // Only once queued: a refused message must leave no echo waiting. Echoes arrive later anyway.
    if (echo) this.pendingEchoes.push(echo);
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

function shutDownError(): GatewayError {
  return new GatewayError('remote-server-timeout', 'The gateway shut down before this message reached IRC.');
}
