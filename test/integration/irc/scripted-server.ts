import { createServer, type Server, type Socket } from 'node:net';

export interface Script {
  /** Capabilities offered in CAP LS (all requested ones are acknowledged). */
  caps?: string[];
  /** SASL PLAIN password accepted (with `sasl=PLAIN` in caps). */
  password?: string;
  /** Never answer anything (registration timeout). */
  silent?: boolean;
  /** More ISUPPORT tokens in the 005 line (e.g. CHATHISTORY=20). */
  isupport?: string[];
  /** Sees every line first (tags included); returning true skips the server's own answer. `close` ends the connection. */
  onLine?(line: string, send: (line: string) => void, nick: string, close: () => void): boolean | void;
}

/** One accepted connection: when (performance.now()) and from where. */
export interface Accepted {
  at: number;
  remoteAddress: string;
}

/**
 * Speaks just enough IRC (CAP, SASL, registration, JOIN, echo-message) to exercise IRCv3 paths
 * that ngircd does not offer. Records every line received; `inject` sends lines to clients.
 */
export class ScriptedIrcServer {
  readonly received: string[] = [];
  private readonly waiters: { match: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  private readonly sockets = new Set<Socket>();
  /** Every connection accepted so far, closed or not. */
  acceptedConnections = 0;
  /** The same connections with their time and source address, in order. */
  readonly accepted: Accepted[] = [];
  private constructor(private readonly server: Server, readonly port: number) {}

  static async start(script: Script): Promise<ScriptedIrcServer> {
    let instance: ScriptedIrcServer | undefined;
    const server = createServer((socket) => instance?.accept(socket, script));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    instance = new ScriptedIrcServer(server, (server.address() as { port: number }).port);
    return instance;
  }

  /** Connections still open. */
  get openConnections(): number {
    return this.sockets.size;
  }

  private accept(socket: Socket, script: Script): void {
    this.acceptedConnections++;
    this.accepted.push({ at: performance.now(), remoteAddress: socket.remoteAddress ?? '' });
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffer = '';
    let nick = '*';
    let enabled: string[] = [];
    const send = (l: string) => socket.write(`${l}\r\n`);
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      let i: number;
      while ((i = buffer.indexOf('\r\n')) !== -1) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        this.received.push(line);
        for (const w of [...this.waiters]) {
          if (!w.match(line)) continue;
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(line);
        }
        if (socket.writableEnded || script.silent || script.onLine?.(line, send, nick, () => socket.end())) continue;
        const words = line.split(' ');
        const command = words[0].startsWith('@') ? words[1] : words[0];
        const rest = words[0].startsWith('@') ? words.slice(2) : words.slice(1);
        const trailing = line.includes(' :') ? line.slice(line.indexOf(' :') + 2) : rest[rest.length - 1];
        if (command === 'CAP' && rest[0] === 'LS') send(`:scripted.test CAP * LS :${(script.caps ?? []).join(' ')}`);
        else if (command === 'CAP' && rest[0] === 'REQ') {
          enabled = trailing.split(' ');
          send(`:scripted.test CAP * ACK :${trailing}`);
        } else if (command === 'NICK') nick = rest[0];
        else if (command === 'AUTHENTICATE' && rest[0] === 'PLAIN') send('AUTHENTICATE +');
        else if (command === 'AUTHENTICATE') {
          const [, user, password] = Buffer.from(rest[0], 'base64').toString('utf8').split('\0');
          if (password === script.password) {
            send(`:scripted.test 900 ${nick} ${nick}!u@h ${user} :You are now logged in as ${user}`);
            send(`:scripted.test 903 ${nick} :SASL authentication successful`);
          } else {
            send(`:scripted.test 904 ${nick} :SASL authentication failed`);
          }
        } else if (command === 'CAP' && rest[0] === 'END') {
          send(`:scripted.test 001 ${nick} :Welcome`);
          send(`:scripted.test 005 ${nick} ${['PREFIX=(ov)@+', 'CHANTYPES=#', 'CHANMODES=b,k,l,imnst', ...(script.isupport ?? [])].join(' ')} :are supported`);
        } else if (command === 'JOIN') {
          send(`:${nick}!u@h JOIN ${rest[0]}`);
          send(`:scripted.test 353 ${nick} = ${rest[0]} :${nick} @op`);
          send(`:scripted.test 366 ${nick} ${rest[0]} :End of NAMES list`);
        } else if (command === 'PRIVMSG' && enabled.includes('echo-message')) {
          send(`@msgid=echo${this.received.length} :${nick}!u@h PRIVMSG ${rest[0]} :${trailing}`);
        } else if (command === 'QUIT') socket.end();
      }
    });
  }

  /** The first line received (already or later) that matches. */
  waitForLine(match: (line: string) => boolean, timeoutMs = 10000): Promise<string> {
    const seen = this.received.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = { match, resolve: (line: string) => { clearTimeout(timer); resolve(line); } };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`no such line within ${timeoutMs} ms; received:\n${this.received.join('\n')}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Closes every client connection and keeps listening (the clients reconnect). */
  dropConnections(): void {
    for (const s of this.sockets) s.destroy();
  }

  inject(line: string): void {
    for (const s of this.sockets) s.write(`${line}\r\n`);
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export const IRCV3_CAPS = ['server-time', 'message-tags', 'echo-message', 'batch', 'draft/chathistory'];

export type ScriptedHistory = Map<string, { live?: string[]; batch: string[] }>;

/**
 * A scripted server that answers `CHATHISTORY LATEST <channel> ...` with a chathistory batch of
 * the lines set for the channel in `history` (after its "live" lines, sent outside the batch).
 */
export function historyServer(script: { isupport?: string[]; caps?: string[] } = {}): { started: Promise<ScriptedIrcServer>; history: ScriptedHistory } {
  const history: ScriptedHistory = new Map();
  let batches = 0;
  const started = ScriptedIrcServer.start({
    caps: script.caps ?? IRCV3_CAPS,
    isupport: script.isupport ?? ['CHATHISTORY=20'],
    onLine: (line, send) => {
      const request = /^CHATHISTORY LATEST (\S+) \S+ \d+$/.exec(line);
      if (!request) return false;
      const scripted = history.get(request[1]) ?? { batch: [] };
      for (const live of scripted.live ?? []) send(live);
      const id = `b${++batches}`;
      send(`:scripted.test BATCH +${id} chathistory ${request[1]}`);
      // Each scripted line starts with its own tags: the batch tag joins them.
      for (const l of scripted.batch) send(`@batch=${id};${l.slice(1)}`);
      send(`:scripted.test BATCH -${id}`);
      return true;
    },
  });
  return { started, history };
}
