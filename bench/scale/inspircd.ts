/**
 * InspIRCd (Debian package inspircd, 3.x) on a loopback address for the scale benchmark, with
 * the limits of a test network raised: one address holds every user's connection (Debian's
 * defaults allow 3 per address and 20 channels per user, and would throttle the feeders).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort, tempDir } from '../../test/harness/ports';
import { sleep } from '../proc-stats';

export const INSPIRCD_BINARY = '/usr/sbin/inspircd';

export function inspircdAvailable(): boolean {
  return existsSync(INSPIRCD_BINARY);
}

export class Inspircd {
  readonly host = '127.0.0.1';
  private child?: ChildProcess;
  private output = '';

  private constructor(readonly port: number, private readonly dir: string) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  static async start(maxClients: number): Promise<Inspircd> {
    const server = new Inspircd(await freePort(), tempDir('inspircd'));
    server.writeConfig(maxClients);
    await server.launch();
    return server;
  }

  private writeConfig(maxClients: number): void {
    const d = this.dir;
    // The server runs as root with --runasroot; the folder stays readable for a later run as `irc`.
    chmodSync(d, 0o755);
    writeFileSync(join(d, 'motd.txt'), 'bench network\n');
    const limit = maxClients + 100;
    writeFileSync(join(d, 'inspircd.conf'), `
<server name="irc.bench.local" description="scale bench" network="Bench">
<admin name="bench" nick="bench" email="bench@localhost">
<bind address="${this.host}" port="${this.port}" type="clients">
<connect name="bench" allow="*" timeout="120" pingfreq="600"
         hardsendq="134217728" softsendq="134217728" recvq="1048576"
         threshold="1000000" commandrate="100000000" fakelag="no"
         localmax="${limit}" globalmax="${limit}" limit="${limit}"
         maxchans="1000" resolvehostnames="no" useident="no">
<files motd="${d}/motd.txt">
<channels users="1000" opers="1000">
<dns server="127.0.0.1" timeout="1">
<pid file="${d}/inspircd.pid">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="${d}/ircd.log">
<options prefixquit="Quit: " syntaxhints="no" announcets="yes" hostintopic="yes" pingwarning="15" splitwhois="no" exemptchanops="">
<security hideserver="" userstats="Pu" customversion="" flatlinks="no" hidesplits="no" hideulines="no" hidebans="no" maxtargets="20">
<performance quietbursts="yes" softlimit="${limit + 1000}" somaxconn="4096" netbuffersize="65536" clonesonconnect="no" timeskipwarn="0">
<whowas groupsize="0" maxgroups="0" maxkeep="1m">
<limits maxnick="30" maxchan="64" maxmodes="20" maxident="11" maxhost="64" maxquit="255" maxtopic="307" maxkick="255" maxreal="128" maxaway="200">
`);
  }

  private async launch(): Promise<void> {
    // Each client is one descriptor; the shell raises the limit the server inherits (root may).
    const command = `ulimit -n 65536 2>/dev/null || true; exec ${INSPIRCD_BINARY} --nofork --runasroot --config=${join(this.dir, 'inspircd.conf')}`;
    const child = spawn('/bin/sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const collect = (d: Buffer) => { this.output = (this.output + d.toString()).slice(-20000); };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    const deadline = Date.now() + 15000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`inspircd exited with ${child.exitCode}:\n${this.output}\n${this.log()}`);
      if (await this.accepts()) return;
      await sleep(100);
    }
    throw new Error(`inspircd did not listen on ${this.port}:\n${this.output}\n${this.log()}`);
  }

  private accepts(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = connect({ host: this.host, port: this.port });
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
  }

  log(): string {
    const path = join(this.dir, 'ircd.log');
    return existsSync(path) ? readFileSync(path, 'utf8').slice(-5000) : '';
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
        child.once('exit', () => { clearTimeout(timer); resolve(); });
        child.kill('SIGTERM');
      });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
