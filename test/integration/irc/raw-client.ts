import { connect, type Socket } from 'node:net';

export interface RawLine {
  raw: string;
  prefix: string;
  nick: string;
  command: string;
  params: string[];
}

export function parseLine(raw: string): RawLine {
  let rest = raw;
  if (rest.startsWith('@')) rest = rest.slice(rest.indexOf(' ') + 1);
  let prefix = '';
  if (rest.startsWith(':')) {
    const space = rest.indexOf(' ');
    prefix = rest.slice(1, space);
    rest = rest.slice(space + 1);
  }
  const params: string[] = [];
  while (rest.length) {
    if (rest.startsWith(':')) { params.push(rest.slice(1)); break; }
    const space = rest.indexOf(' ');
    if (space === -1) { params.push(rest); break; }
    params.push(rest.slice(0, space));
    rest = rest.slice(space + 1);
  }
  const command = (params.shift() ?? '').toUpperCase();
  return { raw, prefix, nick: prefix.split('!')[0], command, params };
}

/**
 * A deliberately plain IRC client (a socket and string lines), so tests see exactly the lines
 * the server relays, with no library in between that could hide an injected command.
 */
export class RawIrcClient {
  readonly lines: RawLine[] = [];
  private buffer = '';
  private waiters: { match: (l: RawLine) => boolean; resolve: (l: RawLine) => void }[] = [];

  private constructor(private readonly socket: Socket, readonly nick: string) {}

  static async connect(port: number, nick: string): Promise<RawIrcClient> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    socket.on('error', () => undefined);
    const client = new RawIrcClient(socket, nick);
    socket.on('data', (chunk: Buffer) => client.onData(chunk.toString('utf8')));
    client.send(`NICK ${nick}`);
    client.send(`USER ${nick} 0 * :raw test client`);
    await client.waitFor((l) => l.command === '001');
    return client;
  }

  private onData(text: string): void {
    this.buffer += text;
    let index: number;
    while ((index = this.buffer.indexOf('\n')) !== -1) {
      const raw = this.buffer.slice(0, index).replace(/\r$/, '');
      this.buffer = this.buffer.slice(index + 1);
      if (!raw) continue;
      const line = parseLine(raw);
      if (line.command === 'PING') this.send(`PONG :${line.params[0] ?? ''}`);
      this.lines.push(line);
      for (const w of [...this.waiters]) {
        if (w.match(line)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  }

  send(line: string): void {
    this.socket.write(`${line}\r\n`);
  }

  /** A line in some other encoding than UTF-8 (as old clients send them). */
  sendBytes(line: Buffer): void {
    this.socket.write(Buffer.concat([line, Buffer.from('\r\n')]));
  }

  /** Resolves with the first matching line, already received or still to come. */
  waitFor(match: (l: RawLine) => boolean, timeoutMs = 10000): Promise<RawLine> {
    const seen = this.lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (l: RawLine) => { clearTimeout(timer); resolve(l); },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`${this.nick}: timed out; last lines:\n${this.lines.slice(-8).map((l) => l.raw).join('\n')}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Sends a PING and waits for its PONG: every line the server sent before it has arrived. */
  async sync(): Promise<void> {
    const token = `sync${Math.random().toString(36).slice(2)}`;
    this.send(`PING ${token}`);
    await this.waitFor((l) => l.command === 'PONG' && l.params.includes(token));
  }

  close(): void {
    this.socket.destroy();
  }
}
