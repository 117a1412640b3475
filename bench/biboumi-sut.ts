/**
 * biboumi (the C++ XMPP–IRC gateway) as a system under test, on the same Prosody and ngircd.
 * It is only measured when the Debian package is installed.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { xml } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import type { BenchUser } from './bench-user';
import { sleep, stopProcess } from './proc-stats';
import type { SystemUnderTest } from './target';
import type { Prosody } from '../test/harness/prosody';

export const BIBOUMI_DOMAIN = 'biboumi.localhost';
export const BIBOUMI_SECRET = 'bench-biboumi-secret';
const COMMANDS = 'http://jabber.org/protocol/commands';

export function biboumiBinary(): string | undefined {
  try {
    return execFileSync('which', ['biboumi']).toString().trim() || undefined;
  } catch {
    return undefined;
  }
}

const field = (name: string, ...values: string[]) => xml('field', { var: name }, ...values.map((v) => xml('value', {}, v)));

/** Runs biboumi's "configure" ad-hoc command (XEP-0050) on `target` and submits the fields. */
async function configure(user: BenchUser, target: string, fields: Element[]): Promise<void> {
  const first = await user.iq('set', target, xml('command', { xmlns: COMMANDS, node: 'configure', action: 'execute' }));
  const sessionid = String((first.getChild('command', COMMANDS) as Element | undefined)?.attrs.sessionid ?? '');
  await user.iq('set', target, xml('command', { xmlns: COMMANDS, node: 'configure', sessionid, action: 'complete' },
    xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, ...fields)));
}

export class BiboumiSut implements SystemUnderTest {
  readonly name = 'biboumi';
  output = '';

  private constructor(private readonly child: ChildProcess, private readonly ircPort: number) {}

  get pid(): number {
    return this.child.pid!;
  }

  /** Starts biboumi and waits until Prosody shows its component as connected (it answers disco). */
  static async start(binary: string, prosody: Prosody, ircPort: number, dir: string, probe: BenchUser): Promise<BiboumiSut> {
    const configPath = join(dir, 'biboumi.cfg');
    writeFileSync(configPath, [
      `hostname=${BIBOUMI_DOMAIN}`,
      `password=${BIBOUMI_SECRET}`,
      'xmpp_server_ip=127.0.0.1',
      `port=${prosody.componentPort}`,
      'admin=',
      'identd_port=0',
      `db_name=${join(dir, 'biboumi.sqlite')}`,
      'realname_customization=true',
      'log_level=2',
      '',
    ].join('\n'));
    const child = spawn(binary, [configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    const sut = new BiboumiSut(child, ircPort);
    const collect = (d: Buffer) => { sut.output = (sut.output + d.toString()).slice(-20000); };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    child.on('error', (err) => collect(Buffer.from(String(err))));
    const deadline = Date.now() + 15000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`biboumi exited with ${child.exitCode}:\n${sut.output}`);
      const answered = await probe.iq('get', BIBOUMI_DOMAIN, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }), 1000).then(() => true, () => false);
      if (answered) return sut;
      if (Date.now() > deadline) throw new Error(`biboumi did not connect to Prosody:\n${sut.output}`);
      await sleep(200);
    }
  }

  private get serverJid(): string {
    return `127.0.0.1@${BIBOUMI_DOMAIN}`;
  }

  room(channel: string): string {
    return `${channel}%127.0.0.1@${BIBOUMI_DOMAIN}`;
  }

  /**
   * biboumi tries ports 6697/6670/6667 by default: each user's server settings get the bench
   * port, no TLS, no throttling. Its per-user message archive is switched off: with it, every
   * relayed line is one SQLite write per user, which is not the relaying this bench compares.
   */
  async register(user: BenchUser): Promise<void> {
    await configure(user, this.serverJid, [field('ports', String(this.ircPort)), field('tls_ports'), field('throttle_limit', '-1')]);
    await configure(user, BIBOUMI_DOMAIN, [field('record_history', 'false')]);
  }

  async join(user: BenchUser, nick: string, channel: string): Promise<void> {
    await user.join(`${this.room(channel)}/${nick}`);
  }

  async stop(): Promise<void> {
    await stopProcess(this.child, 8000);
  }
}
