import { createServer, type Server, type Socket } from 'node:net';

export interface Script {
  /** Capabilities offered in CAP LS (all requested ones are acknowledged). */
  caps?: string[];
  /** SASL PLAIN password accepted (with `sasl=PLAIN` in caps). */
  password?: string;
  /** Never answer anything (registration timeout). */
  silent?: boolean;
}

/**
 * Speaks just enough IRC (CAP, SASL, registration, JOIN, echo-message) to exercise IRCv3 paths
 * that ngircd does not offer. Records every line received; `inject` sends lines to clients.
 */
export class ScriptedIrcServer {
  readonly received: string[] = [];
  private readonly sockets = new Set<Socket>();
  /** Every connection accepted so far, closed or not. */
  acceptedConnections = 0;
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
        if (script.silent) continue;
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
          send(`:scripted.test 005 ${nick} PREFIX=(ov)@+ CHANTYPES=# CHANMODES=b,k,l,imnst :are supported`);
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

  inject(line: string): void {
    for (const s of this.sockets) s.write(`${line}\r\n`);
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
