import pino from 'pino';
import type { Adapter, LegacySession } from '../../../src/core/adapter';
import ircAdapter from '../../../adapters/irc';
import { ircOptionsSchema } from '../../../adapters/irc/options';
import { MemoryKeyValue } from '../../harness/memory-kv';
import { recordingEvents } from '../../harness/recording-events';
import type { OutboundPolicy } from '../../../src/core/outbound-policy';
import { allowLoopback, noRegistration } from '../../support/outbound';

export function testAdapter(options: Record<string, unknown>, outbound: OutboundPolicy = allowLoopback()): Adapter {
  return ircAdapter.create({
    domain: 'irc.example.org',
    logger: pino({ level: 'silent' }),
    store: new MemoryKeyValue(),
    http: { route: () => undefined },
    outbound,
    credentials: noRegistration,
  }, ircOptionsSchema.parse(options));
}

/** Options for a one-network gateway on the test ngircd, with a fast flood queue and reconnect. */
export function fixedServerOptions(port: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    server: { host: '127.0.0.1', port, tls: false },
    flood: { burst: 10, intervalMs: 20 },
    reconnect: { initialDelayMs: 200, maxDelayMs: 1000 },
    connectTimeoutMs: 5000,
    ...extra,
  };
}

export async function login(adapter: Adapter, nick: string, extra: Record<string, string> = {}) {
  const recorder = recordingEvents();
  const session = await adapter.login({
    user: `${nick}@example.org`,
    credentials: { nick, ...extra },
    state: new MemoryKeyValue(),
    xmpp: recorder.xmpp,
    reason: 'register',
  });
  return { session, ...recorder };
}

export type LoggedIn = Awaited<ReturnType<typeof login>> & { session: LegacySession };

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
