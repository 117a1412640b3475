/**
 * One user's IRC connection: irc-framework for the protocol (CAP, SASL, parsing, PING), with the
 * gateway owning what irc-framework does not do well for a gateway: the reconnect policy
 * (exponential backoff with jitter, retrying from the very first failure), the outgoing flood
 * queue, and readable errors for a first login.
 */
import type { Socket } from 'node:net';
import { Client, type ClientOptions } from 'irc-framework';
import type { Logger } from 'pino';
import { GatewayError } from '../../src/core/errors';
import type { OutboundPolicy } from '../../src/core/outbound-policy';
import { reconnectDelay } from './backoff';
import { FloodQueue, type QueuedLine } from './flood-queue';
import type { InboundGate } from './inbound-gate';
import type { PaceTicket } from './connect-pace';
import type { UserIdentity } from './network-identity';
import type { IrcOptions } from './options';
import type { ConnectionSettings } from './registration';
import { READ_MARKER_CAP } from './read-marker';
import { transportFor } from './transport';

export interface ConnectionHooks {
  /** Bind protocol listeners on a freshly created client (one per connection attempt). */
  attach(client: Client): void;
  registered(client: Client, first: boolean): void;
  /** The connection went away; `retryInMs` is undefined when no reconnect follows. */
  lost(reason: string, retryInMs?: number): void;
}

const UNREACHABLE = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'ETIMEDOUT']);
const MAX_NICK_RETRIES = 3;
/**
 * IRCv3 caps asked for beyond irc-framework's defaults (server-time, message-tags, batch, ...);
 * the server acknowledges only those it offers, and each feature checks its cap per connection.
 */
const EXTRA_CAPS = [READ_MARKER_CAP];

/** `source`: the per-user address the socket was bound to, if any. */
function describeSocketError(err: unknown, where: string, source?: string): GatewayError {
  if (err instanceof GatewayError) return err;
  const error = err as { code?: string; message?: string } | undefined;
  // Without a bound address the same code means something else (e.g. no ephemeral port left).
  if (source && error?.code === 'EADDRNOTAVAIL') {
    return new GatewayError('internal-server-error', `The gateway cannot connect to ${where} from the source address it assigned you (EADDRNOTAVAIL); its operator must route options.sourceAddresses to this host.`);
  }
  if (error?.code && UNREACHABLE.has(error.code)) {
    return new GatewayError('remote-server-not-found', `Cannot reach the IRC server ${where} (${error.code}).`);
  }
  if (error?.message) {
    return new GatewayError('remote-server-not-found', `The connection to ${where} failed: ${error.message.replace(/[\r\n\0]/g, ' ')}`);
  }
  return new GatewayError('remote-server-not-found', `The IRC server ${where} closed the connection before registration finished.`);
}

/** Wraps a listener so an exception in gateway code never escapes into the socket handler. */
export function guarded<A extends unknown[]>(logger: Logger, what: string, fn: (...args: A) => void): (...args: A) => void {
  return (...args: A) => {
    try {
      fn(...args);
    } catch (err) {
      logger.error({ err, event: what }, 'IRC event handler failed');
    }
  };
}

let sharedCommandTable: unknown;

/**
 * irc-framework fills the same table of ~200 command handlers for every client (about 6 KB of
 * heap per user). The handlers are module-level functions that receive the handler object as an
 * argument and keep no state in the table, so every client can use the first client's table.
 */
function shareCommandTable(client: Client): void {
  const handler = (client as unknown as { command_handler?: { handlers?: unknown } }).command_handler;
  if (!handler?.handlers) return;
  sharedCommandTable ??= handler.handlers;
  handler.handlers = sharedCommandTable;
}

export class IrcConnection {
  client?: Client;
  readonly queue: FloodQueue;
  private attempt = 0;
  private stopped = false;
  private everRegistered = false;
  private reconnectTimer?: NodeJS.Timeout;
  private pendingFirst?: { resolve: () => void; reject: (err: GatewayError) => void; timer: NodeJS.Timeout };
  private lastServerError?: string;
  private authFailed?: GatewayError;
  private readonly transport: ClientOptions['transport'];
  private queueRunning = false;
  /** The user's identd answer, WEBIRC host, source address and connection pace (none when not configured). */
  private readonly identity?: UserIdentity;
  /** This attempt's place in the server's connection pace. */
  private ticket?: PaceTicket;
  /** The current attempt's TCP socket once connected (under TLS, if any). */
  private socket?: Socket;
  /** The per-user source address the current attempt binds to. */
  private source?: string;
  /** SASL succeeded on this connection (otherwise a password goes to NickServ). */
  saslDone = false;
  /** The nick to register with: the registration's, or the last one the user changed to. */
  nick: string;

  constructor(
    private readonly settings: ConnectionSettings,
    private readonly options: IrcOptions,
    private readonly hooks: ConnectionHooks,
    private readonly logger: Logger,
    /** Vets the server before every connection attempt. */
    private readonly outbound: OutboundPolicy,
    /** The transport's flow control; every socket this connection opens joins it. */
    private readonly gate?: InboundGate,
    identity?: UserIdentity,
  ) {
    this.nick = settings.nick;
    this.identity = identity;
    this.transport = transportFor(options.fallbackEncoding);
    this.queue = new FloodQueue(options.flood, (line) => this.client?.raw(line));
  }

  get where(): string {
    return `${this.settings.host}:${this.settings.port}`;
  }

  /** Both ends of the current TCP connection (what an ident query names), while connected. */
  get endpoint(): { localAddress: string; localPort: number; remoteAddress: string; remotePort: number } | undefined {
    const socket = this.socket;
    if (!socket || socket.destroyed || socket.localPort === undefined || socket.remotePort === undefined) return undefined;
    return { localAddress: socket.localAddress ?? '', localPort: socket.localPort, remoteAddress: socket.remoteAddress ?? '', remotePort: socket.remotePort };
  }

  /** Registered on IRC: lines can be sent. */
  get online(): boolean {
    return !!this.client?.connected && this.queueRunning;
  }

  /** Connects and resolves on the first 001, or rejects with a readable error (no retry). */
  connectOnce(): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.failFirst(new GatewayError('remote-server-timeout', `The IRC server ${this.where} did not finish registration within ${Math.round(this.options.connectTimeoutMs / 1000)} s.`));
      }, this.options.connectTimeoutMs);
      this.pendingFirst = { resolve, reject, timer };
      this.open();
    });
  }

  /** Connects in the background and keeps retrying (gateway start-up, reconnects). */
  connectInBackground(): void {
    this.stopped = false;
    this.open();
  }

  private failFirst(error: GatewayError): void {
    const pending = this.pendingFirst;
    if (!pending) return;
    this.pendingFirst = undefined;
    clearTimeout(pending.timer);
    this.stopped = true;
    this.closeClient();
    pending.reject(error);
  }

  /** `channel` (lower case): see QueuedLine.channel. */
  send(line: string, kind: QueuedLine['kind'], channel?: string): boolean {
    return this.queue.push({ line, kind, channel });
  }

  private open(): void {
    this.closeClient();
    const client = new Client();
    shareCommandTable(client);
    (client as unknown as { requestCap(caps: string[]): void }).requestCap(EXTRA_CAPS);
    this.client = client;
    this.lastServerError = undefined;
    this.authFailed = undefined;
    this.saslDone = false;
    let nickRetries = 0;
    const s = this.settings;
    const log = this.logger;
    client.on('registered', guarded(log, 'registered', (event: { nick: string }) => {
      // irc-framework updates user.nick only after this event: the 001's nick is the one we got.
      client.user.nick = event.nick;
      // Servers that do not refuse a nick over their NICKLEN (432) cut it instead.
      if (this.pendingFirst && client.caseLower(client.user.nick) !== client.caseLower(this.nick)) {
        this.failFirst(new GatewayError('not-acceptable', `${s.host} cut the nickname ${this.nick} to ${client.user.nick}: it is longer than the server allows.`));
        return;
      }
      const first = !this.everRegistered;
      this.everRegistered = true;
      this.attempt = 0;
      this.queueRunning = true;
      // The session queues its re-joins first, so messages that waited find us in the channels.
      this.hooks.registered(client, first);
      this.queue.resume();
      if (this.pendingFirst) {
        clearTimeout(this.pendingFirst.timer);
        this.pendingFirst.resolve();
        this.pendingFirst = undefined;
      }
    }));
    client.on('loggedin', guarded(log, 'loggedin', () => { this.saslDone = true; }));
    client.on('sasl failed', guarded(log, 'sasl failed', (event: { reason: string; message?: string }) => {
      if (event.reason === 'capability_missing' || event.reason === 'unsupported_mechanism') return;
      this.authFailed = new GatewayError('not-authorized', `The IRC server refused the password (SASL): ${event.message ?? event.reason}`);
      if (this.pendingFirst) this.failFirst(this.authFailed);
      else this.stopWith(this.authFailed.message);
    }));
    client.on('nick in use', guarded(log, 'nick in use', () => {
      if (this.queueRunning) return; // after registration the session handles nick changes
      // A first login must get the nick the user chose; later (reconnects) the old connection
      // may still hold it for a while, so an alternative keeps the user online.
      if (this.pendingFirst) {
        this.failFirst(new GatewayError('conflict', `The nickname ${this.nick} is already in use on ${s.host}.`));
        return;
      }
      nickRetries++;
      const alternative = nickRetries <= MAX_NICK_RETRIES ? `${this.nick}${'_'.repeat(nickRetries)}` : `${this.nick.slice(0, 20)}${Math.floor(Math.random() * 1000)}`;
      client.raw(`NICK ${alternative}`);
    }));
    client.on('nick invalid', guarded(log, 'nick invalid', (event: { reason?: string }) => {
      const why = event.reason ? `: ${event.reason.replace(/[\r\n\0]/g, ' ').slice(0, 200)}` : '.';
      if (!this.queueRunning) this.failFirst(new GatewayError('not-acceptable', `${s.host} does not accept the nickname ${this.nick}${why}`));
    }));
    client.on('irc error', guarded(log, 'irc error', (event: { error: string; reason?: string }) => {
      if (event.error === 'irc' || event.error === 'password_mismatch' || event.error === 'banned_from_network') {
        this.lastServerError = (event.reason ?? event.error).replace(/[\r\n\0]/g, ' ');
      }
    }));
    client.on('socket close', guarded(log, 'socket close', (err: unknown) => this.onClose(client, err)));
    this.attachIdentity(client);
    this.hooks.attach(client);
    const current = () => client === this.client && !this.stopped;
    // Every attempt, reconnects included, takes its turn in the server's connection pace; a first
    // login (a user waiting for the registration's answer) goes first.
    const ticket = this.identity?.slot(s.host, this.pendingFirst !== undefined);
    this.ticket = ticket;
    (ticket?.granted ?? Promise.resolve(true)).then((granted) => {
      if (!granted || !current()) return;
      // Vetted on every attempt and connected by address (TLS still checks the name) so a
      // changed DNS answer cannot redirect the socket. A fixed server is the admin's.
      this.outbound.vet(s.host, s.port, { trusted: this.options.server !== undefined }).then((target) => {
        if (current()) this.connectClient(client, target.address, target.servername, target.family);
      }, (err: unknown) => {
        if (current()) this.onClose(client, err);
      });
    }, (err: unknown) => {
      if (current()) this.onClose(client, err);
    });
  }

  /** Ident registration and WEBIRC, per connection attempt. */
  private attachIdentity(client: Client): void {
    const identity = this.identity;
    const log = this.logger;
    client.on('raw socket connected', guarded(log, 'raw socket connected', (socket: Socket) => {
      if (client !== this.client) return;
      this.socket = socket;
      identity?.connected(socket, this.settings.username);
    }));
    if (!identity) return;
    // Emitted right before irc-framework sends CAP LS, NICK and USER: WEBIRC must come first.
    client.on('socket connected', guarded(log, 'socket connected', () => {
      const localAddress = this.socket?.localAddress;
      if (client !== this.client || !localAddress) return;
      const line = identity.webircLine(this.settings.host, localAddress);
      if (line) client.raw(line);
    }));
  }

  private connectClient(client: Client, address: string, servername: string | undefined, family: 4 | 6): void {
    const s = this.settings;
    this.source = this.identity?.sourceAddress(family);
    client.connect({
      host: address,
      servername,
      outgoing_addr: this.source,
      port: s.port,
      tls: s.tls,
      rejectUnauthorized: s.verifyCertificate,
      nick: this.nick,
      username: s.username,
      gecos: s.realname,
      // The account is the registered nick, whatever nick the user is using now.
      account: s.password ? { account: s.nick, password: s.password } : {},
      encoding: 'utf8',
      // Empty: irc-framework would answer CTCP VERSION itself, past the flood queue and the rate
      // limit; the gateway's own CTCP handling (ctcp.ts) answers instead.
      version: '',
      enable_echomessage: true,
      auto_reconnect: false,
      transport: this.transport,
      inboundGate: this.gate,
    });
  }

  private onClose(client: Client, err: unknown): void {
    if (client !== this.client) return;
    if (this.source && (err as { code?: string } | undefined)?.code === 'EADDRNOTAVAIL') {
      this.logger.error({ source: this.source }, 'cannot bind the per-user source address: options.sourceAddresses must be routed to this host');
    }
    const wasRegistered = this.queueRunning;
    this.queueRunning = false;
    this.queue.pause();
    if (this.pendingFirst) {
      this.failFirst(this.authFailed ?? (this.lastServerError
        ? new GatewayError('not-authorized', `The IRC server ${this.where} refused the connection: ${this.lastServerError}`)
        : describeSocketError(err, this.where, this.source)));
      return;
    }
    const code = (err as { code?: string } | undefined)?.code;
    const reason = this.authFailed?.message ?? this.lastServerError
      ?? (wasRegistered ? `The connection to ${this.where} was lost${code ? ` (${code})` : ''}.` : describeSocketError(err, this.where, this.source).message);
    if (this.stopped) {
      if (wasRegistered) this.hooks.lost(reason);
      return;
    }
    const delay = reconnectDelay(this.attempt++, { initialMs: this.options.reconnect.initialDelayMs, maxMs: this.options.reconnect.maxDelayMs });
    this.logger.info({ server: this.where, delay, attempt: this.attempt }, 'IRC connection lost; reconnecting');
    this.hooks.lost(reason, delay);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.stopped) this.open();
    }, delay);
  }

  private stopWith(reason: string): void {
    this.stopped = true;
    this.closeClient();
    this.hooks.lost(reason);
  }

  private closeClient(): void {
    this.ticket?.cancel();
    this.ticket = undefined;
    this.socket = undefined;
    this.source = undefined;
    const client = this.client;
    if (!client) return;
    this.queueRunning = false;
    client.connection.end(undefined, true);
  }

  /** Drops the current connection (if any) and connects again right away. */
  reconnectNow(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.stopped = false;
    this.attempt = 0;
    const old = this.client;
    const wasRegistered = this.queueRunning;
    this.client = undefined; // the old connection's close event must not schedule a reconnect
    if (old) old.connection.end(undefined, true);
    this.queueRunning = false;
    this.queue.pause();
    if (wasRegistered) this.hooks.lost('Reconnecting as requested.', 0);
    this.open();
  }

  /** Sends QUIT (unless the connection is down) and stays offline; resolves once the socket closed. */
  async quit(message: string): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.queue.clear();
    const client = this.client;
    if (!client) return;
    if (!client.connected) {
      this.closeClient();
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => { client.connection.end(undefined, true); resolve(); }, 3000);
      client.once('socket close', () => { clearTimeout(timer); resolve(); });
      client.quit(message.replace(/[\r\n\0]/g, ' '));
    });
  }
}
