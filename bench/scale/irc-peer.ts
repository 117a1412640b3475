/**
 * A native IRC user of the bench network (feeder or observer): a plain socket that keeps no
 * lines, only hands each one to a callback, because the observer sits in channels with
 * thousands of members and must not grow with them.
 */
import { connect, type Socket } from 'node:net';
import { parseLine, type RawLine } from '../../test/integration/irc/raw-client';

export class IrcPeer {
  private buffer = '';
  private waiters: { match: (l: RawLine) => boolean; resolve: (l: RawLine) => void }[] = [];
  onLine: (line: RawLine, at: number) => void = () => undefined;

  private constructor(private readonly socket: Socket, readonly nick: string) {}

  static async connect(port: number, nick: string): Promise<IrcPeer> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    socket.on('error', () => undefined);
    socket.setNoDelay(true);
    const peer = new IrcPeer(socket, nick);
    socket.on('data', (chunk: Buffer) => peer.onData(chunk.toString('utf8')));
    peer.send(`NICK ${nick}`);
    peer.send(`USER ${nick} 0 * :bench peer`);
    await peer.waitFor((l) => l.command === '001', 20000);
    return peer;
  }

  private onData(text: string): void {
    const at = Date.now();
    this.buffer += text;
    let index: number;
    while ((index = this.buffer.indexOf('\n')) !== -1) {
      const raw = this.buffer.slice(0, index).replace(/\r$/, '');
      this.buffer = this.buffer.slice(index + 1);
      if (!raw) continue;
      const line = parseLine(raw);
      if (line.command === 'PING') this.send(`PONG :${line.params[0] ?? ''}`);
      this.onLine(line, at);
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

  waitFor(match: (l: RawLine) => boolean, timeoutMs = 60000): Promise<RawLine> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.nick}: no matching IRC line in ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ match, resolve: (l) => { clearTimeout(timer); resolve(l); } });
    });
  }

  /** Joins the channels a few at a time (one JOIN line carries several) and waits for each end of NAMES. */
  async joinAll(channels: string[]): Promise<void> {
    for (let i = 0; i < channels.length; i += 10) {
      const batch = channels.slice(i, i + 10);
      const waits = batch.map((c) => this.waitFor((l) => l.command === '366' && l.params[1]?.toLowerCase() === c.toLowerCase(), 120000));
      this.send(`JOIN ${batch.join(',')}`);
      await Promise.all(waits);
    }
  }

  /**
   * Member counts of every channel on the server (LIST, numerics 322 then 323): how the bench
   * sees that joins nobody on XMPP watches have all happened.
   */
  async list(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    const previous = this.onLine;
    this.onLine = (line, at) => {
      if (line.command === '322') counts.set(line.params[1].toLowerCase(), Number(line.params[2]));
      previous(line, at);
    };
    try {
      const end = this.waitFor((l) => l.command === '323', 120000);
      this.send('LIST');
      await end;
    } finally {
      this.onLine = previous;
    }
    return counts;
  }

  close(): void {
    this.socket.destroy();
  }
}
