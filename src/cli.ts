#!/usr/bin/env -S node --max-semi-space-size=8
import { dirname, resolve } from 'node:path';
import { loadConfig, ConfigError } from './config';
import { loadAdapterModule, isBuiltInAdapter } from './core/adapter-registry';
import { Gateway } from './gateway';
import { createLogger } from './logger';

const FORCED_EXIT_GRACE_MS = 10000;

function usage(): never {
  process.stderr.write('usage: xmpp-gateway --config FILE\n');
  process.exit(2);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const i = args.indexOf('--config');
  const path = i >= 0 ? args[i + 1] : process.env.GATEWAY_CONFIG;
  if (!path) usage();
  const baseDir = dirname(resolve(path));
  let config;
  try {
    config = loadConfig(path, process.env, (name) => (isBuiltInAdapter(name) ? loadAdapterModule(name).optionsSchema : undefined));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`configuration error:\n${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.logging.level);
  let gateway: Gateway | undefined;
  let stopping = false;
  const stop = (drainMs: number, exitCode: number) => {
    if (stopping) return;
    stopping = true;
    // Past the drain period plus a grace period, something hangs: exit anyway.
    setTimeout(() => process.exit(exitCode || 1), drainMs + FORCED_EXIT_GRACE_MS).unref();
    (gateway?.stop(drainMs) ?? Promise.resolve()).then(() => process.exit(exitCode), (err: Error) => {
      logger.error({ err: err.message }, 'shutdown failed');
      process.exit(1);
    });
  };
  // After an unexpected exception the process is in a state nobody knows: log it with its stack,
  // close the legacy connections (no drain: queues may be what broke) and exit non-zero, so the
  // service manager starts a clean process.
  const crashed = (what: string) => (err: unknown) => {
    logger.fatal({ err: err instanceof Error ? err.stack : String(err) }, `${what}: closing legacy sessions and exiting`);
    stop(0, 1);
  };
  process.on('unhandledRejection', crashed('unhandled rejection'));
  process.on('uncaughtException', crashed('uncaught exception'));
  gateway = await Gateway.start(config, { logger, baseDir });
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    stop(config.shutdown.drainTimeoutMs, 0);
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: Error) => {
  process.stderr.write(`xmpp-gateway failed to start: ${err.message}\n`);
  process.exit(1);
});
