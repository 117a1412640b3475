import pino from 'pino';
import type { AdapterModule } from '../../src/core/adapter';
import { parseConfig, type GatewayConfig } from '../../src/config';
import { LOOPBACK_RULES } from '../support/outbound';
import { Gateway } from '../../src/gateway';
import type { Prosody } from './prosody';

export interface TestTransport {
  domain: string;
  secret: string;
  adapter: string;
  options?: unknown;
  /** transports[].outbound: added to the global lists for this transport. */
  outbound?: { allow?: string[]; deny?: string[] };
}

/**
 * Builds a gateway config for the test Prosody and starts the gateway in-process.
 * `overrides` is merged into the top level (e.g. { access: { allow: [...] } }).
 */
export function testConfig(prosody: Prosody, transports: TestTransport[], overrides: Record<string, unknown> = {}): GatewayConfig {
  const raw = {
    xmpp: { host: '127.0.0.1', port: prosody.componentPort, reconnect: { initialDelayMs: 200, maxDelayMs: 2000 } },
    storage: { url: 'sqlite://:memory:', encryptionKey: 'test-encryption-key' },
    http: { enabled: true, host: '127.0.0.1', port: 0 },
    logging: { level: 'warn' },
    // Every test server is on loopback, which the product refuses by default.
    outbound: LOOPBACK_RULES,
    transports: transports.map((t) => ({ domain: t.domain, secret: t.secret, adapter: t.adapter, options: t.options ?? {}, ...(t.outbound ? { outbound: t.outbound } : {}) })),
    ...overrides,
  };
  return parseConfig(JSON.stringify(raw), 'test-config.yaml', {});
}

export async function startGateway(config: GatewayConfig, adapters: Record<string, AdapterModule> = {}): Promise<Gateway> {
  const logger = pino({ level: process.env.GATEWAY_TEST_LOG ?? 'silent' });
  const gateway = await Gateway.start(config, { logger, adapters });
  await gateway.waitOnline(20000);
  return gateway;
}
