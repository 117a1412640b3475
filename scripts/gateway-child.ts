/** The built gateway (dist/src/cli.js) as a child process of a script: start, health, stop. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { NODE_FLAGS } from '../src/runtime-flags';

/** The repository root: the first folder above this file with a package.json (source or dist/demo). */
export function repoRoot(): string {
  for (let dir = dirname(__dirname); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  throw new Error(`no package.json above ${__dirname}`);
}

export class GatewayChild {
  output = '';
  readonly exited: Promise<number | null>;

  private constructor(readonly child: ChildProcess, readonly httpPort: number) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /**
   * Starts `node <shipped flags> dist/src/cli.js --config FILE` and resolves once /health says
   * every component is connected. `echo` receives the gateway's output as it comes.
   */
  static async start(configFile: string, httpPort: number, echo?: (text: string) => void, timeoutMs = 30000): Promise<GatewayChild> {
    const cli = join(repoRoot(), 'dist/src/cli.js');
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first`);
    const child = spawn(process.execPath, [...NODE_FLAGS, cli, '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    const gateway = new GatewayChild(child, httpPort);
    const collect = (d: Buffer) => {
      gateway.output = (gateway.output + d.toString()).slice(-50000);
      echo?.(d.toString());
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the gateway exited (${child.exitCode ?? child.signalCode}):\n${gateway.output}`);
      if ((await gateway.healthStatus()) === 200) return gateway;
      await new Promise((r) => setTimeout(r, 100));
    }
    await gateway.stop();
    throw new Error(`the gateway was not healthy after ${timeoutMs} ms:\n${gateway.output}`);
  }

  healthStatus(): Promise<number> {
    return fetch(`http://127.0.0.1:${this.httpPort}/health`).then((r) => r.status, () => 0);
  }

  /** SIGTERM (a clean shutdown), SIGKILL if it has not exited after `graceMs`; resolves on exit. */
  async stop(graceMs = 20000): Promise<void> {
    const child = this.child;
    if (child.exitCode === null && child.signalCode === null) {
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.kill('SIGTERM');
      await this.exited;
      clearTimeout(timer);
    }
  }
}
