import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort, requireBinary, tempDir } from './ports';

export const PROSODY_BIN = '/usr/bin/prosody';

export interface ProsodyComponent {
  domain: string;
  secret: string;
}

/** XEP-0356 grants for one component, as mod_privilege's privileged_entities takes them. */
export interface ProsodyPrivileges {
  roster?: 'none' | 'get' | 'set' | 'both';
  message?: 'none' | 'outgoing';
  presence?: 'none' | 'managed_entity' | 'roster';
}

export interface ProsodyOptions {
  /** Component domain -> what mod_privilege (Debian's prosody-modules) grants it on the VirtualHost. */
  privileged?: Record<string, ProsodyPrivileges>;
}

/** Debian's prosody-modules puts each module in its own folder next to Prosody's own modules. */
export const PROSODY_MODULES_DIR = '/usr/lib/prosody/modules';
const MOD_PRIVILEGE = `${PROSODY_MODULES_DIR}/mod_privilege/mod_privilege.lua`;

/** A real Prosody on loopback with a throwaway config and data directory. */
export class Prosody {
  readonly domain = 'localhost';
  readonly host = '127.0.0.1';
  private child?: ChildProcess;

  /** The server process (for the benchmark's idle check). */
  get pid(): number | undefined {
    return this.child?.pid;
  }
  output = '';

  private constructor(
    readonly dir: string,
    readonly c2sPort: number,
    readonly componentPort: number,
    readonly components: ProsodyComponent[],
    private readonly options: ProsodyOptions = {},
  ) {}

  static available(): boolean {
    return requireBinary(PROSODY_BIN, 'Prosody (Debian package prosody)');
  }

  /** Prosody and the prosody-modules package's mod_privilege (XEP-0356). */
  static privilegeAvailable(): boolean {
    return Prosody.available() && requireBinary(MOD_PRIVILEGE, 'mod_privilege (Debian package prosody-modules)');
  }

  static async start(components: ProsodyComponent[], options: ProsodyOptions = {}): Promise<Prosody> {
    if (options.privileged && !existsSync(MOD_PRIVILEGE)) throw new Error(`mod_privilege is not installed at ${MOD_PRIVILEGE} (Debian package prosody-modules)`);
    const dir = tempDir('prosody');
    const prosody = new Prosody(dir, await freePort(), await freePort(), components, options);
    prosody.writeConfig();
    await prosody.launch();
    return prosody;
  }

  /** Lines for the VirtualHost section: mod_privilege and its privileged_entities. */
  private privilegeConfig(): string[] {
    const privileged = this.options.privileged;
    if (!privileged) return [];
    const lua = (value: string) => JSON.stringify(value);
    const entities = Object.entries(privileged).map(([domain, grant]) => {
      const fields = Object.entries(grant).filter(([, v]) => v !== undefined).map(([k, v]) => `${k} = ${lua(v as string)}`);
      return `    [${lua(domain)}] = { ${fields.join('; ')} };`;
    });
    return ['  modules_enabled = { "privilege" }', '  privileged_entities = {', ...entities, '  }'];
  }

  private writeConfig(): void {
    mkdirSync(join(this.dir, 'data'), { recursive: true });
    const privileged = this.options.privileged !== undefined;
    const lines = [
      'daemonize = false',
      `pidfile = "${this.dir}/prosody.pid"`,
      `data_path = "${this.dir}/data"`,
      'interfaces = { "127.0.0.1" }',
      `c2s_ports = { ${this.c2sPort} }`,
      `component_ports = { ${this.componentPort} }`,
      'component_interfaces = { "127.0.0.1" }',
      'local_interfaces = { "127.0.0.1" }',
      'modules_enabled = { "roster", "saslauth", "disco", "ping", "presence", "message", "iq", "carbons", "offline" }',
      'modules_disabled = { "s2s", "posix", "tls", "http" }',
      'c2s_require_encryption = false',
      'disable_sasl_mechanisms = { "SCRAM-SHA-1", "DIGEST-MD5" }',
      'allow_unencrypted_plain_auth = true',
      'authentication = "internal_plain"',
      'storage = "internal"',
      'log = { { levels = { min = "info" }, to = "console" } }',
      'limits = { c2s = { rate = "100mb/s" }, component = { rate = "100mb/s" } }',
      `VirtualHost "${this.domain}"`,
      ...this.privilegeConfig(),
      ...this.components.flatMap((c) => [
        `Component "${c.domain}"`,
        `  component_secret = "${c.secret}"`,
        // mod_privilege learns of a component's login through a hook on the component's own host.
        ...(privileged ? ['  modules_enabled = { "privilege" }'] : []),
      ]),
    ];
    writeFileSync(join(this.dir, 'prosody.cfg.lua'), lines.join('\n') + '\n');
  }

  /** Creates (or resets) an account; internal_plain stores the password in a Lua data file. */
  createUser(username: string, password: string): string {
    const accounts = join(this.dir, 'data', this.domain, 'accounts');
    mkdirSync(accounts, { recursive: true });
    writeFileSync(join(accounts, `${username}.dat`), `return {\n\t["password"] = "${password}";\n};\n`);
    return `${username}@${this.domain}`;
  }

  private async launch(): Promise<void> {
    this.output = '';
    const child = spawn(PROSODY_BIN, ['-F', '--config', join(this.dir, 'prosody.cfg.lua')], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const collect = (d: Buffer) => {
      this.output = (this.output + d.toString()).slice(-20000);
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    const deadline = Date.now() + 15000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`prosody exited with ${child.exitCode}:\n${this.output}`);
      if ((await portOpen(this.c2sPort)) && (await portOpen(this.componentPort))) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`prosody did not open its ports:\n${this.output}`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
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
