import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { freePort, tempDir, requireBinary } from './ports';

export const NGIRCD_BINARY = '/usr/sbin/ngircd';

export function ngircdAvailable(): boolean {
  return requireBinary(NGIRCD_BINARY, 'ngircd (Debian package ngircd)');
}

export interface NgircdOptions {
  /** Server name shown in prefixes; defaults to irc.test.local. */
  name?: string;
  motd?: string;
  /**
   * Loopback addresses to listen on (default 127.0.0.1), all on one port. The first is `host`.
   * A second server on 127.0.0.2 that also listens on 127.0.0.1 is a distinct server name for
   * the gateway while test clients reach it the usual way.
   */
  listen?: string[];
}

/**
 * A real ngircd on loopback with a generated configuration in a temp dir. It runs in the
 * foreground (-n) so the test owns the process; `restart()` keeps the same port so clients
 * configured with it can reconnect.
 */
/** A port free on every one of `hosts` (each address is a separate bind). */
async function freePortOnAll(hosts: string[]): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await freePort(hosts[0]);
    const others = await Promise.all(hosts.slice(1).map((host) => new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, host, () => srv.close(() => resolve(true)));
    })));
    if (others.every(Boolean)) return port;
  }
  throw new Error(`no port free on all of ${hosts.join(', ')}`);
}

export class Ngircd {
  readonly host: string;
  readonly name: string;
  private process?: ChildProcess;
  private stderr = '';

  private constructor(readonly port: number, private readonly dir: string, name: string, readonly listen: string[]) {
    this.name = name;
    this.host = listen[0];
  }

  static async start(options: NgircdOptions = {}): Promise<Ngircd> {
    const listen = options.listen?.length ? options.listen : ['127.0.0.1'];
    const port = await freePortOnAll(listen);
    const dir = tempDir('ngircd');
    const server = new Ngircd(port, dir, options.name ?? 'irc.test.local', listen);
    server.writeConfig(options.motd ?? 'Welcome to the test network');
    await server.launch();
    return server;
  }

  private get configPath(): string {
    return join(this.dir, 'ngircd.conf');
  }

  private writeConfig(motd: string): void {
    const uid = typeof process.getuid === 'function' ? process.getuid() : 65534;
    const gid = typeof process.getgid === 'function' ? process.getgid() : 65534;
    writeFileSync(join(this.dir, 'motd.txt'), `${motd}\n`);
    writeFileSync(this.configPath, [
      '[Global]',
      `  Name = ${this.name}`,
      '  Info = gateway test server',
      `  Listen = ${this.listen.join(',')}`,
      `  Ports = ${this.port}`,
      `  MotdFile = ${join(this.dir, 'motd.txt')}`,
      `  PidFile = ${join(this.dir, 'ngircd.pid')}`,
      `  ServerUID = ${uid}`,
      `  ServerGID = ${gid}`,
      '[Limits]',
      '  MaxConnectionsIP = 0',
      '  MaxNickLength = 30',
      // ngircd throttles every client by default; the gateway's own flood queue is what tests exercise.
      '  MaxPenaltyTime = 0',
      '  MaxJoins = 50',
      '  PingTimeout = 120',
      '[Options]',
      '  DNS = no',
      '  Ident = no',
      '  PAM = no',
      '  MorePrivacy = no',
      '  DefaultUserModes = ',
      '',
    ].join('\n'));
  }

  private async launch(): Promise<void> {
    this.stderr = '';
    const child = spawn(NGIRCD_BINARY, ['-n', '-f', this.configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.process = child;
    child.stdout?.on('data', (d: Buffer) => { this.stderr += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { this.stderr += d.toString(); });
    child.on('error', (err) => { this.stderr += String(err); });
    const deadline = Date.now() + 10000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`ngircd exited (${child.exitCode}): ${this.stderr}`);
      if (await this.accepts()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`ngircd did not listen on ${this.port}: ${this.stderr}`);
  }

  private accepts(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = connect({ host: this.host, port: this.port });
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
  }

  /** Kill the server (every client sees its connection drop) without removing its files. */
  async kill(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
