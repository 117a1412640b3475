/**
 * Child-process entry of the benchmark: the gateway alone in its own process, so that its CPU
 * time and RSS can be read from /proc without counting the load generators.
 * Usage: node dist-bench/bench/gateway-process.js --config FILE
 * With an IPC channel (fork), it reports { ready: true } once the components are connected.
 */
import { dirname, resolve } from 'node:path';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { loadConfig } from '../src/config';
import { loadAdapterModule, isBuiltInAdapter } from '../src/core/adapter-registry';
import { Gateway } from '../src/gateway';
import { createLogger } from '../src/logger';

async function main(): Promise<void> {
  const i = process.argv.indexOf('--config');
  const path = i >= 0 ? process.argv[i + 1] : undefined;
  if (!path) throw new Error('usage: gateway-process --config FILE');
  const config = loadConfig(path, process.env, (name) => (isBuiltInAdapter(name) ? loadAdapterModule(name).optionsSchema : undefined));
  const logger = createLogger(config.logging.level);
  // BENCH_ELD=1: event-loop delay from here on (start-up restore included), read and reset by the parent per phase.
  const eld = process.env.BENCH_ELD ? monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS }) : undefined;
  eld?.enable();
  process.on('unhandledRejection', (reason) => logger.error({ err: String(reason) }, 'unhandled rejection'));
  const gateway = await Gateway.start(config, { logger, baseDir: dirname(resolve(path)) });
  await gateway.waitOnline(30000);
  process.send?.({ ready: true, httpPort: gateway.httpPort });
  if (process.env.BENCH_MEM_DEBUG) {
    setInterval(() => process.stderr.write(`mem-tick ${JSON.stringify(process.memoryUsage())}\n`), 2000).unref();
  }
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(1), 10000).unref();
    gateway.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The benchmark dying must not leave a gateway behind.
  process.on('disconnect', stop);
  // The parent asks for a full collection before reading RSS, so garbage does not count as per-user memory.
  process.on('message', (message: { gc?: boolean; heapSnapshot?: string; eld?: boolean; profile?: 'start' | 'stop'; path?: string }) => {
    if (message?.profile) {
      void profile(message.profile, message.path).then(() => process.send?.({ profiled: message.profile }), (err: Error) => process.send?.({ profiled: message.profile, error: err.message }));
      return;
    }
    if (message?.eld) {
      process.send?.({ eld: eld ? eldFigures(eld) : null });
      eld?.reset();
      return;
    }
    if (message?.heapSnapshot) {
      writeHeapSnapshot(message.heapSnapshot);
      process.send?.({ heapSnapshot: message.heapSnapshot });
      return;
    }
    if (!message?.gc) return;
    // "last-resort" is V8's memory-reducing collection (what an idle process gets from its memory
    // reducer after some seconds): it also shrinks the young generation and returns pooled pages.
    (globalThis as { gc?: (options?: object) => void }).gc?.({ type: 'major', execution: 'sync', flavor: process.env.BENCH_GC_FLAVOR ?? 'last-resort' });
    if (process.env.BENCH_MEM_DEBUG) {
      process.stderr.write(`mem ${JSON.stringify(process.memoryUsage())}\n`);
      const spaces = getHeapSpaceStatistics().map((s) => `${s.space_name} size ${(s.space_size / 1e6).toFixed(1)} used ${(s.space_used_size / 1e6).toFixed(1)}`);
      process.stderr.write(`spaces ${spaces.join('; ')}\n`);
    }
    process.send?.({ heapUsed: process.memoryUsage().heapUsed });
  });
}

let profiler: Session | undefined;

/** A V8 CPU profile of one phase, written as a .cpuprofile file (Chrome DevTools opens it). */
async function profile(action: 'start' | 'stop', path?: string): Promise<void> {
  const post = <T>(method: string, params?: object) => new Promise<T>((resolve, reject) => {
    profiler!.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result as T)));
  });
  if (action === 'start') {
    profiler = new Session();
    profiler.connect();
    await post('Profiler.enable');
    await post('Profiler.start');
    return;
  }
  if (!profiler || !path) throw new Error('no profile running, or no path');
  const { profile: data } = await post<{ profile: object }>('Profiler.stop');
  writeFileSync(path, JSON.stringify(data));
  profiler.disconnect();
  profiler = undefined;
}

/**
 * The monitor's timer fires every ELD_RESOLUTION_MS and records the whole interval between two
 * firings (an idle loop reads about 10 ms at p50); the delay is what exceeds the interval.
 */
const ELD_RESOLUTION_MS = 10;

/** Milliseconds of delay (the histogram counts nanoseconds). */
function eldFigures(h: IntervalHistogram): { p50: number; p99: number; max: number; samples: number } {
  const delay = (ns: number) => Math.max(0, ns / 1e6 - ELD_RESOLUTION_MS);
  return { p50: delay(h.percentile(50)), p99: delay(h.percentile(99)), max: delay(h.max), samples: h.count };
}

main().catch((err: Error) => {
  process.stderr.write(`gateway-process failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
