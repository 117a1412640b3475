#!/usr/bin/env -S node --max-semi-space-size=8
import { dirname, resolve } from 'node:path';
import { loadConfig, ConfigError } from './config';
import { loadAdapterModule, isBuiltInAdapter } from './core/adapter-registry';
import { Gateway } from './gateway';
import { createLogger } from './logger';

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
  process.on('unhandledRejection', (reason) => logger.error({ err: String(reason) }, 'unhandled rejection (kept running)'));
  process.on('uncaughtException', (err) => logger.error({ err: err.stack }, 'uncaught exception (kept running)'));
  const gateway = await Gateway.start(config, { logger, baseDir });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // Draining may take drainTimeoutMs; past that plus a grace period, something hangs.
    const force = setTimeout(() => process.exit(1), config.shutdown.drainTimeoutMs + 10000);
    force.unref();
    gateway.stop().then(() => process.exit(0), (err: Error) => {
      logger.error({ err: err.message }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: Error) => {
  process.stderr.write(`xmpp-gateway failed to start: ${err.message}\n`);
  process.exit(1);
});
