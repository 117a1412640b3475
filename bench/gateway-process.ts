/**
 * Child-process entry of the benchmark: the gateway alone in its own process, so that its CPU
 * time and RSS can be read from /proc without counting the load generators.
 * Usage: node dist-bench/bench/gateway-process.js --config FILE
 * With an IPC channel (fork), it reports { ready: true } once the components are connected.
 */
import { dirname, resolve } from 'node:path';
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
  process.on('message', (message: { gc?: boolean; heapSnapshot?: string }) => {
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

main().catch((err: Error) => {
  process.stderr.write(`gateway-process failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
