import type { Logger } from 'pino';
import type { AdapterModule } from './core/adapter';
import { loadAdapterModule } from './core/adapter-registry';
import { Transport } from './core/transport';
import type { GatewayConfig } from './config';
import { HttpServer } from './http/server';
import { enableMetrics, type MetricsEndpoint } from './metrics';
import { GatewayStore, deriveKey } from './store';

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** package.json sits one level up from src/ and two from dist/src/. */
function readPackage(): { name: string; version: string } {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  }
  return { name: 'xmpp-transport-gateway', version: 'unknown' };
}
const pkg = readPackage();

export interface GatewayOptions {
  logger: Logger;
  /** Adapter modules by name, in addition to the built-in ones (tests, embedders). */
  adapters?: Record<string, AdapterModule>;
  /** Directory that relative adapter module paths are resolved against. */
  baseDir?: string;
}

async function scrape(metrics: MetricsEndpoint) {
  return { status: 200, headers: { 'content-type': metrics.contentType }, body: await metrics.text() };
}

/** The whole process: storage, HTTP server, one Transport per configured domain. */
export class Gateway {
  readonly transports = new Map<string, Transport>();
  httpPort?: number;
  private restoring?: Promise<unknown>;

  private constructor(readonly config: GatewayConfig, readonly store: GatewayStore, readonly http: HttpServer, private readonly logger: Logger) {}

  static async start(config: GatewayConfig, options: GatewayOptions): Promise<Gateway> {
    const { logger } = options;
    // Before the store opens, so that its latency is measured from the first operation.
    const metrics = config.http.enabled && config.http.metrics ? await enableMetrics() : undefined;
    const store = await GatewayStore.open({
      url: config.storage.url,
      encryptionKey: deriveKey(config.storage.encryptionKey),
      onSweep: (outcome) => {
        if (outcome instanceof Error) logger.warn({ err: outcome.message }, 'deleting expired store keys failed; the next sweep tries again');
        else if (outcome.deleted > 0) logger.debug(outcome, 'expired store keys deleted');
      },
    });
    const http = new HttpServer(logger.child({ part: 'http' }));
    const gateway = new Gateway(config, store, http, logger);
    try {
      for (const t of config.transports) {
        const module = loadAdapterModule(t.adapter, options.adapters, options.baseDir);
        gateway.transports.set(t.domain, new Transport({
          config, transport: t, module, store, http, logger, software: { name: pkg.name, version: pkg.version },
          transportFor: (domain) => gateway.transports.get(domain),
        }));
      }
      http.route('GET', '/health', async () => gateway.health());
      if (metrics) http.route('GET', '/metrics', async () => scrape(metrics));
      if (config.http.enabled) {
        gateway.httpPort = await http.listen(config.http.port, config.http.host);
        logger.info({ host: config.http.host, port: gateway.httpPort }, 'http server listening');
      }
      for (const transport of gateway.transports.values()) transport.start();
      gateway.restoring = Promise.all([...gateway.transports.values()].map(async (t) => {
        const result = await t.sessions.restoreAll();
        logger.info({ domain: t.domain, ...result }, 'sessions restored');
        return result;
      })).catch((err: Error) => logger.error({ err: err.message }, 'restoring sessions failed'));
    } catch (err) {
      await gateway.stop();
      throw err;
    }
    return gateway;
  }

  /** Resolves once every registered user's session was tried once. */
  async restored(): Promise<void> {
    await this.restoring;
  }

  async waitOnline(timeoutMs = 30000): Promise<void> {
    await Promise.all([...this.transports.values()].map((t) => t.connection.waitOnline(timeoutMs)));
  }

  private health() {
    const transports = [...this.transports.values()].map((t) => ({
      domain: t.domain,
      connected: t.connection.online,
      queued: t.connection.queued,
      backlogBytes: t.connection.backlogBytes,
      congested: t.connection.congested,
      sessions: t.sessions.all().length,
      online: t.sessions.all().filter((s) => s.status.online).length,
      restore: t.sessions.restoreProgress,
    }));
    const ok = transports.every((t) => t.connected);
    return {
      status: ok ? 200 : 503,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: ok ? 'ok' : 'degraded', transports }),
    };
  }

  /** Graceful stop: accepted messages get `drainMs` (default `shutdown.drainTimeoutMs`) to reach their networks. */
  async stop(drainMs = this.config.shutdown.drainTimeoutMs): Promise<void> {
    const deadline = Date.now() + drainMs;
    await Promise.all([...this.transports.values()].map((t) => t.stop(deadline).catch((err: Error) => this.logger.warn({ domain: t.domain, err: err.message }, 'transport stop failed'))));
    await this.http.close();
    await this.store.close();
  }
}
