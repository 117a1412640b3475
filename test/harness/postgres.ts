import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort, requireBinary, tempDir } from './ports';

/** Debian installs the server binaries per major version: /usr/lib/postgresql/<version>/bin. */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  return join(root, versions[0] ?? '15', 'bin');
}

/**
 * A throwaway PostgreSQL cluster (Debian package postgresql) in a temp dir, on a free loopback
 * port with its unix socket in the same temp dir. PostgreSQL refuses to run as root, so as root the
 * cluster belongs to the system user 'postgres'.
 */
export class PostgresServer {
  readonly user = 'gw';
  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly bin: string,
  ) {}

  get url(): string {
    return `postgres://${this.user}@127.0.0.1:${this.port}/postgres`;
  }

  /** undefined when PostgreSQL is missing outside CI (requireBinary has said why). */
  static async start(): Promise<PostgresServer | undefined> {
    const bin = postgresBinDir();
    if (!requireBinary(join(bin, 'initdb'), 'PostgreSQL server (Debian package postgresql)')) return undefined;
    const dir = tempDir('postgres');
    if (userInfo().uid === 0) {
      const owner = execFileSync('id', ['-u', 'postgres']).toString().trim();
      const group = execFileSync('id', ['-g', 'postgres']).toString().trim();
      chownSync(dir, Number(owner), Number(group));
    }
    const port = await freePort();
    const server = new PostgresServer(port, dir, bin);
    server.run('initdb', ['-D', server.dataDir, '-A', 'trust', '-U', server.user, '-E', 'UTF8', '--no-sync']);
    server.run('pg_ctl', [
      '-D', server.dataDir,
      '-l', join(dir, 'server.log'),
      '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`,
      '-w', '-t', '30',
      'start',
    ]);
    return server;
  }

  private get dataDir(): string {
    return join(this.dir, 'data');
  }

  /** Runs a PostgreSQL tool, as the postgres user when the tests run as root. */
  run(tool: string, args: string[]): string {
    const command = join(this.bin, tool);
    const asRoot = userInfo().uid === 0;
    try {
      return execFileSync(asRoot ? 'runuser' : command, asRoot ? ['-u', 'postgres', '--', command, ...args] : args, {
        cwd: this.dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      }).toString();
    } catch (error) {
      const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
      throw new Error(`${tool} failed: ${stderr || (error as Error).message}`);
    }
  }

  /** Runs SQL with psql over the unix socket. */
  sql(statement: string): string {
    return execFileSync(join(this.bin, 'psql'), ['-h', this.dir, '-p', String(this.port), '-U', this.user, '-d', 'postgres', '-At', '-c', statement]).toString();
  }

  async stop(): Promise<void> {
    try {
      this.run('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']);
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
