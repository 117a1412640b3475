/**
 * What big networks ask of a gateway before they accept many connections from one host, held
 * once per transport: the identd, the connection pace per server, WEBIRC settings and per-user
 * source addresses. `UserIdentity` is one user's view of it, which each connection consults.
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { ConnectPace, type PaceTicket } from './connect-pace';
import { Identd } from './identd';
import type { IrcOptions } from './options';
import { parseSourceRange, rangeFor, sourceAddressFor, type SourceRange } from './source-address';
import { webircHost, webircLine, type WebircSettings } from './webirc';

export class NetworkIdentity {
  readonly pace: ConnectPace;
  private identd?: Identd;
  private readonly ranges: SourceRange[];
  private readonly webirc = new Map<string, WebircSettings>();
  /** Settles once the identd listens or failed to: connections wait for it, so no ident query finds it missing. */
  readonly ready: Promise<void>;

  constructor(private readonly options: IrcOptions, readonly domain: string, private readonly logger: Logger) {
    this.pace = new ConnectPace(options.connectPace);
    this.ranges = (options.sourceAddresses ?? []).map((text) => parseSourceRange(text)).filter((r): r is SourceRange => r !== undefined);
    for (const [server, settings] of Object.entries(options.webirc ?? {})) this.webirc.set(server.toLowerCase(), settings);
    const settings = options.identd;
    if (!settings) {
      this.ready = Promise.resolve();
      return;
    }
    const identd = new Identd(settings, logger.child({ component: 'identd' }));
    // A failure is the operator's to fix; users still connect (their ident just goes unanswered).
    this.ready = identd.start().then(() => {
      this.identd = identd;
      logger.info({ host: settings.host, port: identd.port }, 'identd listening');
    }, (err: Error) => {
      logger.error({ err }, err.message);
    });
  }

  /** The identd's port once it listens (undefined when off or failed). */
  get identdPort(): number | undefined {
    return this.identd?.port;
  }

  get hashKey(): string | undefined {
    return this.options.hashKey;
  }

  webircFor(server: string): WebircSettings | undefined {
    return this.webirc.get(server.toLowerCase());
  }

  sourceRange(family: 4 | 6): SourceRange | undefined {
    return rangeFor(this.ranges, family);
  }

  registerSocket(socket: Socket, username: string): void {
    this.identd?.register(socket, username);
  }

  forUser(user: string): UserIdentity {
    return new UserIdentity(this, user.toLowerCase());
  }

  async close(): Promise<void> {
    await this.ready;
    const identd = this.identd;
    this.identd = undefined;
    await identd?.close();
  }
}

/** One user's identity towards IRC servers. */
export class UserIdentity {
  constructor(private readonly network: NetworkIdentity, readonly user: string) {}

  /**
   * Waits for the identd, then for a slot in `server`'s connection pace. `urgent` (a first
   * login, with a user waiting for the answer) goes ahead of restores and reconnects.
   */
  slot(server: string, urgent: boolean): PaceTicket {
    let cancelled = false;
    let inner: PaceTicket | undefined;
    const granted = this.network.ready.then(() => {
      if (cancelled) return false;
      inner = this.network.pace.take(server, urgent);
      return inner.granted;
    });
    return {
      granted,
      cancel: () => {
        cancelled = true;
        inner?.cancel();
      },
    };
  }

  /** The address to connect from towards a server of this family, when a range is configured. */
  sourceAddress(family: 4 | 6): string | undefined {
    const range = this.network.sourceRange(family);
    const key = this.network.hashKey;
    return range && key ? sourceAddressFor(range, this.user, key) : undefined;
  }

  /** The WEBIRC line for `server` over a connection from `localAddress`, when configured. */
  webircLine(server: string, localAddress: string): string | undefined {
    const settings = this.network.webircFor(server);
    if (!settings) return undefined;
    return webircLine(settings, webircHost(settings, this.user, this.network.hashKey, this.network.domain), localAddress);
  }

  /** A connection of this user is open: the identd answers for it with `username` until it closes. */
  connected(socket: Socket, username: string): void {
    this.network.registerSocket(socket, username);
  }
}

