#!/usr/bin/env -S node --max-semi-space-size=8
import { dirname, resolve } from 'node:path';
import { formatResult, runChecks } from './check';
import { loadConfig, keyPolicyProblem, ConfigError, ENCRYPTION_KEY_ENV, type AdapterOptionsSchema, type GatewayConfig } from './config';
import { loadAdapterModule, isBuiltInAdapter } from './core/adapter-registry';
import { Gateway } from './gateway';
import { createLogger } from './logger';

const FORCED_EXIT_GRACE_MS = 10000;

const USAGE = `usage: xmpp-gateway [check] --config FILE   (or GATEWAY_CONFIG=FILE)
  (no command)  run the gateway
  check         validate FILE, try each component secret on the XMPP server and the store, one line
                per check; exit 0 when all pass, 1 otherwise. Starts no transport.
`;

function usage(code: number): never {
  (code === 0 ? process.stdout : process.stderr).write(USAGE);
  process.exit(code);
}

const adapterOptionsSchema: AdapterOptionsSchema = (name) => (isBuiltInAdapter(name) ? loadAdapterModule(name).optionsSchema : undefined);

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) usage(0);
  const i = args.indexOf('--config');
  const path = i >= 0 ? args[i + 1] : process.env.GATEWAY_CONFIG;
  const commands = args.filter((arg, n) => arg !== '--config' && (i < 0 || n !== i + 1));
  if (!path || commands.length > 1 || (commands.length === 1 && commands[0] !== 'check')) usage(2);
  if (commands[0] === 'check') {
    const results = await runChecks(path, { env: process.env, adapterOptionsSchema });
    process.stdout.write(results.map((result) => `${formatResult(result)}\n`).join(''));
    process.exit(results.every((result) => result.ok) ? 0 : 1);
  }
  const baseDir = dirname(resolve(path));
  let config: GatewayConfig;
  try {
    config = loadConfig(path, process.env, adapterOptionsSchema);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`configuration error:\n${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.logging.level, undefined, config.logging.format);
  logKeySource(config, logger);
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

function logKeySource(config: GatewayConfig, logger: ReturnType<typeof createLogger>): void {
  const { keyFile, encryptionKey } = config.storage;
  if (keyFile?.created) {
    logger.warn({ keyFile: keyFile.path }, 'created a new storage encryption key file: back it up apart from the store; without it stored passwords cannot be read');
  } else if (keyFile) {
    logger.info({ keyFile: keyFile.path }, 'storage encryption key read from its key file');
  } else if (keyPolicyProblem(encryptionKey)) {
    // Weak keys in the file are refused, so this one came from the environment.
    logger.warn(`the storage encryption key from ${ENCRYPTION_KEY_ENV} is weak: whoever gets a copy of the store may guess it`);
  }
}

main().catch((err: Error) => {
  process.stderr.write(`xmpp-gateway failed to start: ${err.message}\n`);
  process.exit(1);
});
