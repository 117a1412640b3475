/** The parent side of bench/gateway-process.ts: start, health polling, stop. */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export interface TransportHealth {
  domain: string;
  connected: boolean;
  sessions: number;
  online: number;
}

export class GatewayChild {
  stderr = '';

  private constructor(private readonly child: ChildProcess, readonly httpPort: number) {}

  get pid(): number {
    return this.child.pid!;
  }

  /** Forks the gateway and resolves once its component connections are up. */
  static async start(configPath: string, httpPort: number, timeoutMs = 30000): Promise<GatewayChild> {
    const child = fork(join(__dirname, 'gateway-process.js'), ['--config', configPath], { stdio: ['ignore', 'inherit', 'pipe', 'ipc'], execArgv: ['--expose-gc'] });
    const gateway = new GatewayChild(child, httpPort);
    child.stderr!.on('data', (d: Buffer) => { gateway.stderr = (gateway.stderr + d.toString()).slice(-20000); });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`gateway did not come up in ${timeoutMs} ms:\n${gateway.stderr}`)), timeoutMs);
      child.once('message', () => { clearTimeout(timer); resolve(); });
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`gateway exited with ${code}:\n${gateway.stderr}`)); });
    });
    return gateway;
  }

  /** A full garbage collection in the gateway process; resolves with its JS heap in use afterwards (bytes). */
  async collectGarbage(): Promise<number | undefined> {
    return new Promise<number | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), 5000);
      this.child.once('message', (message: { heapUsed?: number }) => { clearTimeout(timer); resolve(message.heapUsed); });
      this.child.send({ gc: true });
    });
  }

  async health(): Promise<TransportHealth[]> {
    const response = await fetch(`http://127.0.0.1:${this.httpPort}/health`);
    const body = (await response.json()) as { transports: TransportHealth[] };
    return body.transports;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 12000);
      child.once('exit', () => { clearTimeout(timer); resolve(); });
      child.kill('SIGTERM');
    });
  }
}
