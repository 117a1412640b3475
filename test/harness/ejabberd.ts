import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort, requireBinary, tempDir } from './ports';

export const EJABBERDCTL_BIN = '/usr/sbin/ejabberdctl';
const RUN_AS = 'ejabberd';

export interface EjabberdComponent {
  domain: string;
  secret: string;
}

export interface EjabberdOptions {
  /**
   * The `ejabberd_service` listener's `global_routes`. false (what the README recommends): each
   * component connection routes only the host it authenticated as. true (ejabberd's default):
   * every connection registers every host of the listener and ejabberd picks one per stanza.
   */
  globalRoutes?: boolean;
}

/**
 * A real ejabberd (Debian's 23.01) on loopback with its own config, Mnesia spool and logs in a
 * temp dir, started through ejabberdctl in the foreground so the test owns its whole process tree.
 * Same public shape as Prosody (test/harness/prosody.ts).
 */
export class Ejabberd {
  readonly domain = 'localhost';
  readonly host = '127.0.0.1';
  output = '';
  private child?: ChildProcess;

  private constructor(
    readonly dir: string,
    readonly c2sPort: number,
    readonly componentPort: number,
    private readonly distPort: number,
    readonly components: EjabberdComponent[],
    private readonly options: EjabberdOptions,
  ) {}

  /** ejabberdctl, whose child is beam.smp. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * ejabberdctl runs only as root (it then switches to the `ejabberd` user) or as that user; the
   * harness starts it as that user directly, so it owns no process it cannot stop.
   */
  static available(): boolean {
    if (!requireBinary(EJABBERDCTL_BIN, 'ejabberd (Debian package ejabberd)')) return false;
    if (runAsUser()) return true;
    const why = `ejabberd tests need root or the ${RUN_AS} user (ejabberdctl refuses anyone else)`;
    if (process.env.CI === 'true') throw new Error(why);
    // eslint-disable-next-line no-console
    console.warn(`skipping: ${why}`);
    return false;
  }

  static async start(components: EjabberdComponent[], options: EjabberdOptions = {}): Promise<Ejabberd> {
    const dir = tempDir('ejabberd');
    const server = new Ejabberd(dir, await freePort(), await freePort(), await freePort(), components, options);
    server.writeConfig();
    try {
      await server.launch();
    } catch (err) {
      await server.destroy();
      throw err;
    }
    return server;
  }

  private get ctlArgs(): string[] {
    return ['--config-dir', this.dir, '--spool', join(this.dir, 'spool'), '--logs', join(this.dir, 'logs')];
  }

  private writeConfig(): void {
    for (const sub of ['spool', 'logs']) mkdirSync(join(this.dir, sub), { recursive: true });
    const services = this.components.map((c) => `      ${c.domain}:\n        password: ${JSON.stringify(c.secret)}`);
    writeFileSync(join(this.dir, 'ejabberd.yml'), [
      'hosts:',
      `  - ${this.domain}`,
      'loglevel: info',
      'log_rotate_count: 0',
      'listen:',
      '  -',
      `    port: ${this.c2sPort}`,
      `    ip: "${this.host}"`,
      '    module: ejabberd_c2s',
      // No certificate here: the tests' clients speak plain XMPP on loopback.
      '    starttls: false',
      '  -',
      `    port: ${this.componentPort}`,
      `    ip: "${this.host}"`,
      '    module: ejabberd_service',
      `    global_routes: ${this.options.globalRoutes ? 'true' : 'false'}`,
      '    hosts:',
      ...services,
      'auth_method: internal',
      'auth_password_format: plain',
      // xmpp.js 0.13 sends an empty SCRAM response to ejabberd (not-authorized): PLAIN it is, as with Prosody.
      'disable_sasl_mechanisms: ["digest-md5", "scram-sha-1", "scram-sha-256", "scram-sha-512", "x-oauth2"]',
      'acl:',
      '  local:',
      '    user_regexp: ""',
      'access_rules:',
      '  local:',
      '    allow: local',
      '  c2s:',
      '    allow: all',
      'modules:',
      '  mod_roster: {}',
      '  mod_disco: {}',
      '  mod_ping: {}',
      '  mod_offline: {}',
      '  mod_carboncopy: {}',
      // 23.01's mod_caps logs an error on every component presence unless mod_muc is loaded.
      '  mod_caps: {}',
      '  mod_muc: {}',
      // ejabberdctl change_password, for createUser() on an account that exists.
      '  mod_admin_extra: {}',
      '',
    ].join('\n'));
    // A node name and distribution port of its own, on loopback, and no epmd: instances run side by side.
    writeFileSync(join(this.dir, 'ejabberdctl.cfg'), [
      `ERLANG_NODE=gw${this.distPort}@127.0.0.1`,
      `ERL_DIST_PORT=${this.distPort}`,
      // The same as INET_DIST_INTERFACE=127.0.0.1 without the extra erl run ejabberdctl spends parsing it.
      'ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0 -kernel inet_dist_use_interface {127,0,0,1} +sbwt none +sbwtdcpu none +sbwtdio none"',
      '',
    ].join('\n'));
    // ejabberdctl points ERL_INETRC at the config dir; without the file every erl run logs an error.
    writeFileSync(join(this.dir, 'inetrc'), '{lookup,["file","native"]}.\n');
    const user = runAsUser();
    if (user && user.uid !== process.getuid?.()) {
      for (const path of ['', 'spool', 'logs', 'ejabberd.yml', 'ejabberdctl.cfg', 'inetrc']) chownSync(join(this.dir, path), user.uid, user.gid);
    }
    chmodSync(this.dir, 0o755);
  }

  /** What ejabberdctl runs with: as the ejabberd user, with the Erlang cookie in the temp dir. */
  private spawnOptions() {
    const user = runAsUser();
    const asOther = user && user.uid !== process.getuid?.() ? { uid: user.uid, gid: user.gid } : {};
    return { ...asOther, cwd: this.dir, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: this.dir, LANG: 'C.UTF-8' } };
  }

  /** Runs one ejabberdctl command against this node. */
  ctl(...args: string[]): Promise<{ code: number; output: string }> {
    return new Promise((resolve) => {
      execFile(EJABBERDCTL_BIN, [...this.ctlArgs, ...args], { ...this.spawnOptions(), timeout: 30000 }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, output: `${stdout}${stderr}`.trim() });
      });
    });
  }

  /**
   * Creates (or resets) an account. Synchronous like Prosody's, so TestClient.connect() can call it
   * before logging in; ejabberdctl answers in well under a second.
   */
  createUser(username: string, password: string): string {
    const run = (...args: string[]) => {
      const r = spawnSync(EJABBERDCTL_BIN, [...this.ctlArgs, ...args], { ...this.spawnOptions(), encoding: 'utf8', timeout: 30000 });
      return { code: r.status ?? -1, output: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
    };
    let result = run('register', username, this.domain, password);
    if (result.code !== 0 && /already registered/i.test(result.output)) result = run('change_password', username, this.domain, password);
    if (result.code !== 0) throw new Error(`ejabberdctl could not create ${username}@${this.domain} (exit ${result.code}): ${result.output}`);
    return `${username}@${this.domain}`;
  }

  private async launch(): Promise<void> {
    this.output = '';
    const child = spawn(EJABBERDCTL_BIN, [...this.ctlArgs, 'foreground'], { ...this.spawnOptions(), stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const collect = (d: Buffer) => {
      this.output = (this.output + d.toString()).slice(-20000);
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    child.on('error', (err) => collect(Buffer.from(String(err))));
    const deadline = Date.now() + 30000;
    const exited = () => child.exitCode !== null || child.signalCode !== null;
    while (!((await portOpen(this.c2sPort)) && (await portOpen(this.componentPort)))) {
      if (exited()) throw new Error(`ejabberd exited with ${child.exitCode ?? child.signalCode}:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`ejabberd did not open its ports:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // The listeners open while modules are still starting; `status` is 0 once the node reports started.
    for (;;) {
      const status = await this.ctl('status');
      if (status.code === 0) return;
      if (exited()) throw new Error(`ejabberd exited with ${child.exitCode ?? child.signalCode}:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`ejabberd node did not start (${status.output}):\n${this.output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Stops the node and waits until none of its processes is left (beam.smp, erl_child_setup, helpers). */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child?.pid) return;
    // erl_child_setup starts its own session, so the process group does not hold everything: the
    // tree under ejabberdctl does, as long as it is taken before beam.smp exits and orphans it.
    const tree = descendants(child.pid);
    // SIGTERM to beam.smp alone is ejabberd's clean shutdown (Mnesia closes its files).
    const beam = tree.find((pid) => processInfo(pid)?.command === 'beam.smp');
    signal(beam ?? child.pid, 'SIGTERM');
    const deadline = Date.now() + 10000;
    while ([child.pid, ...tree].some(running)) {
      if (Date.now() > deadline) for (const pid of [child.pid, ...tree]) signal(pid, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async restart(downMs = 0): Promise<void> {
    await this.stop();
    if (downMs) await new Promise((r) => setTimeout(r, downMs));
    await this.launch();
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The user ejabberdctl must run as, or undefined when this process can be neither. */
function runAsUser(): { uid: number; gid: number } | undefined {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${RUN_AS}:`));
  if (!line) return undefined;
  const [, , uid, gid] = line.split(':');
  const me = process.getuid?.();
  return me === 0 || me === Number(uid) ? { uid: Number(uid), gid: Number(gid) } : undefined;
}

interface ProcessInfo {
  command: string;
  state: string;
  ppid: number;
}

function processInfo(pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { command, state, ppid: Number(ppid) };
  } catch {
    return undefined;
  }
}

function descendants(root: number): number[] {
  const parents = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const info = processInfo(Number(name));
    if (info) parents.set(info.ppid, [...(parents.get(info.ppid) ?? []), Number(name)]);
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length) {
    for (const pid of parents.get(queue.shift()!) ?? []) {
      found.push(pid);
      queue.push(pid);
    }
  }
  return found;
}

/** A zombie counts as gone: it holds no port or file, and whoever inherited it reaps it. */
function running(pid: number): boolean {
  const info = processInfo(pid);
  return info !== undefined && info.state !== 'Z';
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
