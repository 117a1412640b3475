/**
 * Sessions by state, legacy logins and store latency, read from the /metrics text of a real
 * SessionManager over a real SQLite store.
 */
import pino from 'pino';
import type { Element } from '@xmpp/xml';
import type { Adapter, LegacySession, LoginRequest, XmppUser } from '../../src/core/adapter';
import { GatewayError } from '../../src/core/errors';
import { SessionManager } from '../../src/core/session-manager';
import { enableMetrics, METRIC_PREFIX, watchSessions } from '../../src/metrics';
import { deriveKey } from '../../src/store/crypto';
import { GatewayStore } from '../../src/store';
import { tempDir } from '../harness/ports';

const DOMAIN = 'sessions.metrics.example';

function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) total = (total ?? 0) + Number(m[3]);
  }
  return total;
}

/** Logins succeed for every user but bob@, whose password the network refuses; carol@'s login waits for release(). */
function adapter() {
  const users = new Map<string, XmppUser>();
  let release!: () => void;
  const carolWaits = new Promise<void>((resolve) => (release = resolve));
  const adapter = {
    identity: { type: 'irc', name: 'test' },
    features: [],
    registration: { instructions: '', fields: [] },
    gatewayPrompt: { desc: '', prompt: '' },
    parseAddress: () => ({ kind: 'contact' as const, display: '' }),
    toLocalpart: (a: string) => a,
    async login(req: LoginRequest): Promise<LegacySession> {
      if (req.user.startsWith('bob@')) throw new GatewayError('not-authorized', 'wrong password');
      if (req.user.startsWith('carol@')) await carolWaits;
      users.set(req.user, req.xmpp);
      req.xmpp.status({ online: true });
      return { sendMessage: async () => undefined, logout: async () => undefined };
    },
  } as unknown as Adapter;
  return { adapter, users, release };
}

test('sessions by state, logins by reason and outcome, store latency by operation', async () => {
  const metrics = await enableMetrics();
  const store = await GatewayStore.open({ url: `sqlite://${tempDir('metrics-sessions')}/s.sqlite`, encryptionKey: deriveKey('metrics-sessions-test-key') });
  const { adapter: network, users, release } = adapter();
  const ctx = { domain: DOMAIN, send: (_el: Element) => undefined, logger: pino({ level: 'silent' }) };
  const manager = new SessionManager(network, store, ctx, { restoreConcurrency: 3, restorePerSecond: 1000, secretFields: [] });
  const unwatch = watchSessions(DOMAIN, () => manager.countByState());
  const state = async (s: string) => sample(await metrics.text(), `${METRIC_PREFIX}sessions`, { transport: DOMAIN, state: s });
  const logins = async (reason: string, outcome: string) =>
    sample(await metrics.text(), `${METRIC_PREFIX}legacy_logins_total`, { transport: DOMAIN, reason, outcome });
  try {
    await manager.register('alice@example.org', { nick: 'alice' });
    await manager.register('dave@example.org', { nick: 'dave' });
    expect(await logins('register', 'ok')).toBe(2);
    for (const user of ['bob@example.org', 'carol@example.org']) await manager.registrations.put(user, { nick: 'x' }, []);

    const restored = manager.restoreAll();
    // carol's login is running, bob's failed (its retry is waiting): alice and dave are skipped, already online.
    const settled = async () => (await state('failed')) === 1 && (await state('restoring')) === 1;
    for (const deadline = Date.now() + 10000; !(await settled()) && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 5));
    expect(await state('failed')).toBe(1);
    expect(await state('restoring')).toBe(1);
    expect(await state('online')).toBe(2);
    expect(await logins('restore', 'failed')).toBe(1);

    release();
    await restored;
    expect(await state('restoring')).toBe(0);
    expect(await state('online')).toBe(3);
    expect(await logins('restore', 'ok')).toBe(1);

    // The network drops dave's connection: logged in, but offline until the adapter reconnects.
    users.get('dave@example.org')!.status({ online: false, text: 'connection lost' });
    expect(await state('offline')).toBe(1);
    expect(await state('online')).toBe(2);

    const text = await metrics.text();
    for (const operation of ['read', 'write']) {
      expect(sample(text, `${METRIC_PREFIX}store_operation_duration_seconds_count`, { operation })).toBeGreaterThan(0);
    }
    expect(sample(text, `${METRIC_PREFIX}store_operation_duration_seconds_bucket`, { operation: 'write', le: '+Inf' }))
      .toBe(sample(text, `${METRIC_PREFIX}store_operation_duration_seconds_count`, { operation: 'write' }));
  } finally {
    unwatch();
    await manager.close();
    await store.close();
  }
  // A closed store refuses work: the failure is counted.
  await expect(store.registrations(DOMAIN).get('alice@example.org')).rejects.toThrow('closed');
  expect(sample(await metrics.text(), `${METRIC_PREFIX}store_errors_total`, { operation: 'read' })).toBe(1);
});
