import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { freePort, requireBinary, tempDir } from './ports';

export const REDIS_BINARY = '/usr/bin/redis-server';
export const REDIS_CLI = '/usr/bin/redis-cli';

/** A throwaway Redis (Debian package redis-server) on loopback, without persistence. */
export class RedisServer {
  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly proc: ChildProcess,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** undefined when redis-server is missing outside CI (requireBinary has said why). */
  static async start(): Promise<RedisServer | undefined> {
    if (!requireBinary(REDIS_BINARY, 'redis-server (Debian package redis-server)')) return undefined;
    const port = await freePort();
    const dir = tempDir('redis');
    const proc = spawn(
      REDIS_BINARY,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    await new Promise<void>((ready, fail) => {
      const timer = setTimeout(() => fail(new Error(`redis-server did not start within 10 s:\n${output}`)), 10_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          ready();
        }
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', onData);
      proc.once('error', (error) => {
        clearTimeout(timer);
        fail(error);
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`redis-server exited with code ${code}:\n${output}`));
      });
    });
    return new RedisServer(port, dir, proc);
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      const exited = new Promise((done) => this.proc.once('exit', done));
      this.proc.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
