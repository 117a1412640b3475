/** The parts of irc-framework 4.x the IRC adapter uses (the package ships no types). */
declare module 'irc-framework' {
  import { EventEmitter } from 'node:events';

  export type Tags = Record<string, string>;

  export interface ClientOptions {
    host: string;
    /** The gateway's transport (adapters/irc/transport.ts) only: TLS name when `host` is the vetted address. */
    servername?: string;
    port: number;
    tls?: boolean;
    rejectUnauthorized?: boolean;
    nick: string;
    username?: string;
    gecos?: string;
    /** Server password (PASS); irc-framework also uses it for SASL when `account` is unset. */
    password?: string;
    /** SASL PLAIN credentials; `{}` disables SASL. */
    account?: { account?: string; password?: string };
    encoding?: string;
    version?: string;
    enable_echomessage?: boolean;
    auto_reconnect?: boolean;
    ping_interval?: number;
    ping_timeout?: number;
    message_max_length?: number;
    sasl_disconnect_on_fail?: boolean;
    /** The gateway's flow control (adapters/irc/inbound-gate.ts), read by its transport. */
    inboundGate?: { add(socket: import('node:net').Socket): void };
    /** A transport class (constructed with the options), e.g. a subclass of the net transport. */
    transport?: new (options: ClientOptions) => unknown;
  }

  export interface MessageEvent {
    nick: string;
    ident: string;
    hostname: string;
    target: string;
    message: string;
    tags: Tags;
    time?: number;
    from_server: boolean;
  }

  export interface NetworkInfo {
    name: string;
    server: string;
    options: Record<string, unknown> & { PREFIX?: { symbol: string; mode: string }[]; CHANTYPES?: string[] };
    cap: { enabled: string[]; isEnabled(cap: string): boolean; available: Map<string, string> };
    supports(feature: string): unknown;
  }

  export interface IrcCommand {
    command: string;
    params: string[];
    nick: string;
    prefix: string;
    tags: Tags;
  }

  export class Client extends EventEmitter {
    constructor(options?: Partial<ClientOptions>);
    user: { nick: string; username: string; host: string; away: boolean };
    network: NetworkInfo;
    connection: { connected: boolean; end(data?: string, hadError?: boolean): void };
    readonly connected: boolean;
    connect(options?: ClientOptions): void;
    raw(line: string): void;
    quit(message?: string): void;
    caseLower(text: string): string;
    /** eventemitter3: the optional third argument is `this` inside the listener. */
    on(event: string, listener: (...args: any[]) => void, context?: unknown): this;
  }
}

declare module 'irc-framework/src/transports/net' {
  import { EventEmitter } from 'node:events';
  import type { ClientOptions } from 'irc-framework';

  /** The TCP/TLS transport; subclasses may override line decoding and writing. */
  class NetTransport extends EventEmitter {
    constructor(options: ClientOptions);
    options: ClientOptions;
    incoming_buffer: Buffer;
    /** The TCP or TLS socket while connected. */
    socket: import('node:net').Socket | null;
    requested_disconnect: boolean;
    /** 0 disconnected, 1 connecting, 2 connected. */
    state: number;
    connect(): void;
    disposeSocket(): void;
    setEncoding(encoding: string): boolean;
    _onSocketCreate(options: ClientOptions, socket: import('node:net').Socket): void;
    writeLine(line: string, callback?: () => void): void;
    onSocketData(data: Buffer): void;
  }
  export = NetTransport;
}
