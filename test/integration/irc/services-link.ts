import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { NGIRCD_BINARY } from '../../harness/ngircd';
import { freePort, tempDir } from '../../harness/ports';

const LINK_PASSWORD = 'link-secret';

/**
 * A real ngircd with IRC services linked to it the way Anope or Atheme link (a server connection
 * speaking RFC 2813, doc/Services.txt of ngircd), played by this test: it introduces a NickServ
 * user from `services.test.local` and records what is sent to it. With `serviceMask`, ngircd
 * treats that nick as a service (WHOIS 310 "is an IRC service"); without, as an ordinary remote user.
 */
export class NgircdWithServices {
  readonly host = '127.0.0.1';
  readonly servicesName = 'services.test.local';
  /** Lines ngircd relayed to the services server (PRIVMSG NickServ among them). */
  readonly received: string[] = [];
  private link?: Socket;
  private waiters: { match: (l: string) => boolean; resolve: () => void }[] = [];

  private constructor(readonly port: number, private readonly dir: string, private readonly child: ChildProcess) {}

  static async start(options: { serviceMask: boolean }): Promise<NgircdWithServices> {
    const port = await freePort();
    const dir = tempDir('ngircd-services');
    const uid = typeof process.getuid === 'function' ? process.getuid() : 65534;
    const gid = typeof process.getgid === 'function' ? process.getgid() : 65534;
    writeFileSync(join(dir, 'ngircd.conf'), [
      '[Global]', '  Name = irc.test.local', '  Info = services test server', '  Listen = 127.0.0.1', `  Ports = ${port}`,
      `  PidFile = ${join(dir, 'ngircd.pid')}`, `  ServerUID = ${uid}`, `  ServerGID = ${gid}`,
      '[Limits]', '  MaxConnectionsIP = 0', '  MaxNickLength = 30', '  MaxPenaltyTime = 0', '  PingTimeout = 120',
      '[Options]', '  DNS = no', '  Ident = no', '  PAM = no',
      '[Server]', '  Name = services.test.local', `  MyPassword = ${LINK_PASSWORD}`, `  PeerPassword = ${LINK_PASSWORD}`,
      ...(options.serviceMask ? ['  ServiceMask = *Serv'] : []),
      '',
    ].join('\n'));
    const child = spawn(NGIRCD_BINARY, ['-n', '-f', join(dir, 'ngircd.conf')], { stdio: 'ignore' });
    const server = new NgircdWithServices(port, dir, child);
    await server.linkServices();
    return server;
  }

  private async linkServices(): Promise<void> {
    const deadline = Date.now() + 10000;
    let socket: Socket | undefined;
    while (!socket) {
      if (this.child.exitCode !== null) throw new Error(`ngircd exited (${this.child.exitCode})`);
      socket = await new Promise<Socket | undefined>((resolve) => {
        const s = connect({ host: this.host, port: this.port });
        s.once('connect', () => resolve(s));
        s.once('error', () => resolve(undefined));
      });
      if (!socket) {
        if (Date.now() > deadline) throw new Error(`ngircd did not listen on ${this.port}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    this.link = socket;
    socket.on('error', () => undefined);
    let buffer = '';
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let index: number;
      while ((index = buffer.indexOf('\n')) !== -1) {
        const line = buffer.slice(0, index).replace(/\r$/, '');
        buffer = buffer.slice(index + 1);
        this.onLine(line);
      }
    });
    this.send(`PASS ${LINK_PASSWORD} 0210 IRC|`);
    this.send(`SERVER ${this.servicesName} 1 :Test services`);
    await this.waitFor((l) => / SERVER irc\.test\.local /.test(l));
    // RFC 2813 NICK from a server: nick hopcount username host servertoken umode realname.
    this.send(`:${this.servicesName} NICK NickServ 1 services ${this.servicesName} 1 + :Nickname services`);
    // ngircd handles a link's lines in order: its PONG means the NICK is known network-wide.
    this.send(`:${this.servicesName} PING ${this.servicesName} :irc.test.local`);
    await this.waitFor((l) => / PONG /.test(l));
  }

  private onLine(line: string): void {
    this.received.push(line);
    const words = line.split(' ');
    if (words[1] === 'PING') this.send(`:${this.servicesName} PONG ${this.servicesName} :${words[2]?.replace(/^:/, '')}`);
    for (const w of [...this.waiters]) {
      if (w.match(line)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  }

  private send(line: string): void {
    this.link?.write(`${line}\r\n`);
  }

  /** Resolves on the first matching line received by the services server, past or future. */
  waitFor(match: (line: string) => boolean, timeoutMs = 10000): Promise<void> {
    if (this.received.some(match)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = { match, resolve: () => { clearTimeout(timer); resolve(); } };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`services: timed out; last lines:\n${this.received.slice(-8).join('\n')}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  async stop(): Promise<void> {
    this.link?.destroy();
    if (this.child.exitCode === null && this.child.signalCode === null) {
      await new Promise<void>((resolve) => {
        this.child.once('exit', () => resolve());
        this.child.kill('SIGKILL');
      });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
