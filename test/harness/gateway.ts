import pino from 'pino';
import type { AdapterModule } from '../../src/core/adapter';
import { parseConfig, type GatewayConfig } from '../../src/config';
import { Gateway } from '../../src/gateway';
import type { Prosody } from './prosody';

export interface TestTransport {
  domain: string;
  secret: string;
  adapter: string;
  options?: unknown;
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
    transports: transports.map((t) => ({ domain: t.domain, secret: t.secret, adapter: t.adapter, options: t.options ?? {} })),
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
