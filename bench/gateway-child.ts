/** The parent side of bench/gateway-process.ts: start, health polling, stop. */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { NODE_FLAGS } from '../src/runtime-flags';
import { stopProcess } from './proc-stats';

export interface TransportHealth {
  domain: string;
  connected: boolean;
  sessions: number;
  online: number;
  restore: { total: number; started: number; firstAt?: number; lastAt?: number };
}

export interface EventLoopDelay {
  p50: number;
  p99: number;
  max: number;
  samples: number;
}

export class GatewayChild {
  stderr = '';

  private constructor(private readonly child: ChildProcess, readonly httpPort: number) {}

  get pid(): number {
    return this.child.pid!;
  }

  /** Forks the gateway and resolves once its component connections are up. */
  static async start(configPath: string, httpPort: number, timeoutMs = 30000, env: NodeJS.ProcessEnv = process.env): Promise<GatewayChild> {
    // BENCH_CPU_PROF=DIR writes a V8 CPU profile of the gateway process there when it exits (open it in Chrome DevTools).
    const profileDir = process.env.BENCH_CPU_PROF;
    // BENCH_NODE_FLAGS: extra Node/V8 flags for the gateway process only (e.g. "--max-semi-space-size=8").
    const extraFlags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
    // The flags the gateway ships with first, so that BENCH_NODE_FLAGS can override them.
    const execArgv = ['--expose-gc', ...NODE_FLAGS, ...extraFlags, ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])];
    const child = fork(join(__dirname, 'gateway-process.js'), ['--config', configPath], { stdio: ['ignore', 'inherit', 'pipe', 'ipc'], execArgv, env });
    const gateway = new GatewayChild(child, httpPort);
    child.stderr!.on('data', (d: Buffer) => {
      if (process.env.BENCH_MEM_DEBUG) process.stderr.write(d);
      gateway.stderr = (gateway.stderr + d.toString()).slice(-20000);
    });
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

  /**
   * Event-loop delay since the previous call (or the process start), in ms, measured inside the
   * gateway process with perf_hooks' monitorEventLoopDelay (started with BENCH_ELD=1).
   */
  async eventLoopDelay(): Promise<EventLoopDelay> {
    return new Promise<EventLoopDelay>((resolve, reject) => {
      const timer = setTimeout(() => { this.child.off('message', onMessage); reject(new Error('the gateway did not report its event-loop delay')); }, 10000);
      const onMessage = (message: { eld?: EventLoopDelay | null }) => {
        if (message?.eld === undefined) return;
        clearTimeout(timer);
        this.child.off('message', onMessage);
        if (message.eld === null) reject(new Error('the gateway runs without BENCH_ELD=1'));
        else resolve(message.eld);
      };
      this.child.on('message', onMessage);
      this.child.send({ eld: true });
    });
  }

  /** Starts a V8 CPU profile in the gateway process, or stops it and writes it to `path`. */
  async profile(action: 'start' | 'stop', path?: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { this.child.off('message', onMessage); reject(new Error(`the gateway did not answer profile ${action}`)); }, 120000);
      const onMessage = (message: { profiled?: string; error?: string }) => {
        if (message?.profiled !== action) return;
        clearTimeout(timer);
        this.child.off('message', onMessage);
        if (message.error) reject(new Error(message.error));
        else resolve();
      };
      this.child.on('message', onMessage);
      this.child.send({ profile: action, path });
    });
  }

  /** Writes a V8 heap snapshot of the gateway process to `path`. */
  async heapSnapshot(path: string): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 120000);
      this.child.once('message', () => { clearTimeout(timer); resolve(); });
      this.child.send({ heapSnapshot: path });
    });
  }

  async health(): Promise<TransportHealth[]> {
    const response = await fetch(`http://127.0.0.1:${this.httpPort}/health`);
    const body = (await response.json()) as { transports: TransportHealth[] };
    return body.transports;
  }

  async stop(): Promise<void> {
    await stopProcess(this.child, 12000);
  }
}
