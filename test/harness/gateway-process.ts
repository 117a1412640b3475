import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, tempDir } from './ports';

const CLI = join(__dirname, '../../dist/src/cli.js');

/**
 * The built gateway (`npm run build` output) as its own process, for what an in-process gateway
 * cannot show: `kill -9`, SIGTERM, a restart on the same store.
 */
export class GatewayProcess {
  output = '';
  private child?: ChildProcess;
  private exit?: Promise<number | null>;

  private constructor(readonly configFile: string, readonly httpPort: number) {}

  /** `config` is written as the YAML file (JSON is YAML); http.port is chosen here. */
  static async create(config: Record<string, unknown>): Promise<GatewayProcess> {
    const dir = tempDir('gwproc');
    const httpPort = await freePort();
    const file = join(dir, 'config.yaml');
    const http = { enabled: true, host: '127.0.0.1', port: httpPort, ...(config.http as object | undefined) };
    writeFileSync(file, JSON.stringify({ ...config, http }, null, 2));
    return new GatewayProcess(file, httpPort);
  }

  /** Starts the process and resolves once /health says every component is connected. */
  async start(timeoutMs = 20000): Promise<void> {
    const child = spawn(process.execPath, [CLI, '--config', this.configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const collect = (d: Buffer) => {
      this.output = (this.output + d.toString()).slice(-50000);
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    this.exit = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode}:\n${this.output}`);
      const health = await fetch(`http://127.0.0.1:${this.httpPort}/health`).then((r) => r.status).catch(() => 0);
      if (health === 200) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`gateway not healthy after ${timeoutMs} ms:\n${this.output}`);
  }

  /** Sends the signal and resolves with the exit code (null when killed by the signal). */
  async kill(signal: NodeJS.Signals): Promise<number | null> {
    const child = this.child;
    if (!child || !this.exit) return null;
    this.child = undefined;
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return this.exit;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
    await this.kill('SIGTERM');
    clearTimeout(timer);
  }
}
