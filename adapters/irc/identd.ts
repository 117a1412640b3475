/**
 * A small identd (RFC 1413) for the gateway's own IRC connections. Big networks ask the
 * connecting host's port 113 who owns a connection; without an answer every user of the gateway
 * shows as `~username` from one host, and a ban on one of them hits all. This server answers
 * with the user's IRC user name, and only for a connection the gateway has open right now, asked
 * by the server at the other end of it; anything else gets NO-USER, so nobody can use it to map
 * the gateway's users to ports.
 *
 * Query:  <port on this host> , <port on the asking host>
 * Answer: <port> , <port> : USERID : UNIX : <user name>   or   <port> , <port> : ERROR : <reason>
 *
 * One query per connection (that is all IRC servers send), then the connection closes. A client
 * that sends nothing within the timeout, or more than a query can hold, is cut off; at most
 * `maxConnections` are served at once.
 */
import { createServer, isIP, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';

export interface IdentdSettings {
  host: string;
  port: number;
  timeoutMs: number;
  maxConnections: number;
}

/** A query needs about 13 characters; RFC 1413 allows spaces around the numbers. */
const MAX_QUERY = 100;

export type IdentQuery = { ok: true; local: number; remote: number } | { ok: false; local: number; remote: number };

/** Parses one query line (without its line end). Invalid ports keep what was read, for the reply. */
export function parseIdentQuery(line: string): IdentQuery {
  const match = /^[ \t]*(\d{1,5})[ \t]*,[ \t]*(\d{1,5})[ \t]*$/.exec(line);
  if (!match) return { ok: false, local: 0, remote: 0 };
  const local = Number(match[1]);
  const remote = Number(match[2]);
  const valid = (port: number) => port >= 1 && port <= 65535;
  return { ok: valid(local) && valid(remote), local, remote };
}

export function identReply(query: { local: number; remote: number }, answer: { user: string } | { error: 'NO-USER' | 'INVALID-PORT' | 'UNKNOWN-ERROR' }): string {
  const pair = `${query.local} , ${query.remote}`;
  return 'user' in answer ? `${pair} : USERID : UNIX : ${answer.user}\r\n` : `${pair} : ERROR : ${answer.error}\r\n`;
}

/** IPv4-mapped IPv6 (a dual-stack listener) and IPv4 compare as the same address. */
function plainAddress(address: string | undefined): string {
  return (address ?? '').replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1').toLowerCase();
}

interface Entry {
  socket: Socket;
  user: string;
  remoteAddress: string;
}

export class Identd {
  private server?: Server;
  private readonly entries = new Map<string, Entry[]>();
  private readonly clients = new Set<Socket>();
  private boundPort?: number;

  constructor(private readonly settings: IdentdSettings, private readonly logger: Logger) {}

  /** The port it listens on (the configured one, or the one picked for port 0). */
  get port(): number | undefined {
    return this.boundPort;
  }

  /** Live IRC connections it knows about. */
  get size(): number {
    let n = 0;
    for (const list of this.entries.values()) n += list.length;
    return n;
  }

  /** Resolves once listening; rejects with an error that names the option and the reason. */
  start(): Promise<void> {
    const { host, port } = this.settings;
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        const hint = err.code === 'EACCES' ? ' (ports below 1024 need root or CAP_NET_BIND_SERVICE)' : '';
        reject(new Error(`options.identd: cannot listen on ${isIP(host) === 6 ? `[${host}]` : host}:${port}: ${err.code ?? err.message}${hint}`));
      });
      server.listen(port, host, () => {
        this.boundPort = (server.address() as { port: number }).port;
        server.on('error', (err) => this.logger.error({ err }, 'identd failed'));
        resolve();
      });
    });
  }

  /**
   * Answers for `socket` (a connected IRC connection) with `user` until it closes. The local and
   * remote ports and the remote address are read now: after a close they are gone.
   */
  register(socket: Socket, user: string): void {
    const { localPort, remotePort } = socket;
    if (localPort === undefined || remotePort === undefined) return;
    const key = `${localPort},${remotePort}`;
    const entry: Entry = { socket, user, remoteAddress: plainAddress(socket.remoteAddress) };
    const list = this.entries.get(key) ?? [];
    list.push(entry);
    this.entries.set(key, list);
    socket.once('close', () => {
      const current = this.entries.get(key);
      if (!current) return;
      const rest = current.filter((e) => e !== entry);
      if (rest.length) this.entries.set(key, rest);
      else this.entries.delete(key);
    });
  }

  /** The user name for a query from `asker`, or undefined (NO-USER). */
  lookup(local: number, remote: number, asker: string | undefined): string | undefined {
    const from = plainAddress(asker);
    const entry = this.entries.get(`${local},${remote}`)?.find((e) => e.remoteAddress === from && !e.socket.destroyed);
    return entry?.user;
  }

  private accept(socket: Socket): void {
    socket.on('error', () => undefined);
    if (this.clients.size >= this.settings.maxConnections) {
      socket.destroy();
      return;
    }
    this.clients.add(socket);
    // A deadline for the whole exchange, not an idle timeout: one byte every few seconds must not hold a slot for long.
    const deadline = setTimeout(() => socket.destroy(), this.settings.timeoutMs);
    socket.once('close', () => {
      clearTimeout(deadline);
      this.clients.delete(socket);
    });
    let buffer = '';
    let answered = false;
    socket.on('data', (chunk: Buffer) => {
      if (answered) return;
      buffer += chunk.toString('latin1');
      const end = buffer.search(/\r?\n/);
      if (end === -1) {
        if (buffer.length > MAX_QUERY) {
          answered = true;
          socket.end(identReply({ local: 0, remote: 0 }, { error: 'UNKNOWN-ERROR' }));
        }
        return;
      }
      answered = true;
      socket.end(this.answer(buffer.slice(0, end), socket.remoteAddress));
    });
  }

  private answer(line: string, asker: string | undefined): string {
    try {
      const query = parseIdentQuery(line);
      if (!query.ok) return identReply(query, { error: 'INVALID-PORT' });
      const user = this.lookup(query.local, query.remote, asker);
      this.logger.debug({ local: query.local, remote: query.remote, asker, found: user !== undefined }, 'ident query');
      return identReply(query, user ? { user } : { error: 'NO-USER' });
    } catch (err) {
      this.logger.error({ err }, 'ident query failed');
      return identReply({ local: 0, remote: 0 }, { error: 'UNKNOWN-ERROR' });
    }
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const client of this.clients) client.destroy();
    this.entries.clear();
    if (!server?.listening) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
