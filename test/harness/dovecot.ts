import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, readdirSync, renameSync, mkdirSync, writeFileSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { freePort, tempDir } from './ports';

export const DOVECOT_BINARY = '/usr/sbin/dovecot';

export interface DovecotUser {
  username: string;
  password: string;
}

/**
 * A real Dovecot IMAP server on loopback for one test file: generated config, throwaway
 * passwd-file, Maildirs and runtime dirs inside one temp dir, so several can run side by side.
 */
export class DovecotServer {
  readonly host = '127.0.0.1';
  port = 0;
  private proc?: ChildProcess;
  private readonly users = new Map<string, string>();
  private stderr = '';

  /** Dovecot refuses uid 0 for mail access, so mailboxes belong to the system's 'mail' user. */
  private readonly mailOwner = systemUser('mail');

  private constructor(readonly dir: string) {}

  static async start(users: DovecotUser[]): Promise<DovecotServer> {
    const server = new DovecotServer(tempDir('dovecot'));
    for (const user of users) server.users.set(user.username, user.password);
    server.port = await freePort();
    await server.launch();
    return server;
  }

  /** The Maildir of a user: tests and the SMTP harness deliver into it like a local MDA. */
  maildir(username: string): string {
    return join(this.dir, 'mail', username, 'Maildir');
  }

  /** Local delivery: write a complete message into the user's Maildir/new (atomically via tmp). */
  deliver(username: string, raw: Buffer | string): string {
    const base = this.maildir(username);
    const name = `${Date.now()}.${process.pid}_${randomBytes(6).toString('hex')}.gw-test`;
    writeFileSync(join(base, 'tmp', name), raw, { mode: 0o644 });
    // rename() is what makes Maildir delivery atomic for the reading server.
    renameSync(join(base, 'tmp', name), join(base, 'new', name));
    return name;
  }

  private writeConfig(): string {
    const d = this.dir;
    // Login processes drop root (Dovecot refuses to run them as root) and must reach base_dir.
    chmodSync(d, 0o755);
    for (const sub of ['run', 'state', 'mail']) mkdirSync(join(d, sub), { recursive: true });
    const passwd = [...this.users].map(([user, pass]) => `${user}:{PLAIN}${pass}::::::`).join('\n') + '\n';
    writeFileSync(join(d, 'passwd'), passwd, { mode: 0o600 });
    for (const user of this.users.keys()) {
      for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(this.maildir(user), sub), { recursive: true });
    }
    chownTree(join(d, 'mail'), this.mailOwner.uid, this.mailOwner.gid);
    const conf = `
base_dir = ${d}/run
state_dir = ${d}/state
instance_name = gw-test-${this.port}
log_path = ${d}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = 1
mail_location = maildir:${d}/mail/%u/Maildir
namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${this.port}
  }
  inet_listener imaps {
    port = 0
  }
}
service auth {
  # The passwd-file stays root-only (0600); only the auth process reads it.
  user = root
}
service anvil {
  chroot =
}
service imap-login {
  chroot =
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${d}/passwd
}
userdb {
  driver = static
  args = uid=${this.mailOwner.uid} gid=${this.mailOwner.gid} home=${d}/mail/%u
}
`;
    const path = join(d, 'dovecot.conf');
    writeFileSync(path, conf);
    return path;
  }

  private async launch(): Promise<void> {
    const conf = existsSync(join(this.dir, 'dovecot.conf')) ? join(this.dir, 'dovecot.conf') : this.writeConfig();
    const proc = spawn(DOVECOT_BINARY, ['-F', '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    proc.stderr!.on('data', (chunk: Buffer) => { this.stderr += chunk.toString(); });
    proc.on('error', () => undefined);
    await waitForPort(this.host, this.port, 10000, () => proc.exitCode !== null)
      .catch((err: Error) => { throw new Error(`${err.message}; dovecot said: ${this.stderr}${this.log()}`); });
  }

  /** Drops every IMAP connection of a user (what a server restart or a network cut looks like). */
  kick(username: string): string {
    return execFileSync('/usr/bin/doveadm', ['-c', join(this.dir, 'dovecot.conf'), 'kick', username], { encoding: 'utf8' });
  }

  /** How many IMAP connections a user has open right now (doveadm who). */
  connections(username: string): number {
    const out = execFileSync('/usr/bin/doveadm', ['-c', join(this.dir, 'dovecot.conf'), 'who', username], { encoding: 'utf8' });
    const row = out.split('\n').find((line) => line.startsWith(`${username} `));
    return row ? Number(row.trim().split(/\s+/)[1]) : 0;
  }

  log(): string {
    const path = join(this.dir, 'dovecot.log');
    return existsSync(path) ? readFileSync(path, 'utf8') : '';
  }

  /** Stops the server process but keeps its mailboxes, so resume() brings it back on the same port. */
  async halt(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => { proc.kill('SIGKILL'); }, 5000);
      proc.once('exit', () => { clearTimeout(timer); resolve(); });
      proc.kill('SIGTERM');
    });
  }

  get running(): boolean {
    return !!this.proc && this.proc.exitCode === null;
  }

  async resume(): Promise<void> {
    await this.launch();
  }

  async stop(): Promise<void> {
    await this.halt();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function waitForPort(host: string, port: number, timeoutMs: number, gaveUp: () => boolean = () => false): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host, port });
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (gaveUp()) throw new Error(`server exited before listening on ${host}:${port}`);
    if (Date.now() > deadline) throw new Error(`nothing listening on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function systemUser(name: string): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`system user ${name} is missing (needed to own the test Maildirs)`);
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.isDirectory()) chownTree(join(path, entry.name), uid, gid);
    else chownSync(join(path, entry.name), uid, gid);
  }
}
