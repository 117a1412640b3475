import pino from 'pino';
import { deriveKey } from '../../../src/store/crypto';
import { GatewayStore } from '../../../src/store';
import type { Adapter, LegacySession, LoginRequest } from '../../../src/core/adapter';
import { SessionManager } from '../../../src/core/session-manager';
import { tempDir } from '../../harness/ports';

/** An adapter whose logins take a while, recording when each started and how many overlapped. */
function slowAdapter(loginMs: number) {
  const starts: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const adapter = {
    identity: { type: 'irc', name: 'slow' },
    features: [],
    registration: { instructions: '', fields: [] },
    gatewayPrompt: { desc: '', prompt: '' },
    parseAddress: () => ({ kind: 'contact' as const, display: '' }),
    toLocalpart: (a: string) => a,
    async login(req: LoginRequest): Promise<LegacySession> {
      starts.push(Date.now());
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await new Promise((r) => setTimeout(r, loginMs));
      inFlight--;
      req.events.status({ online: true });
      return { logout: async () => undefined } as unknown as LegacySession;
    },
  } as unknown as Adapter;
  return { adapter, starts, maxInFlight: () => maxInFlight };
}

describe('SessionManager restore', () => {
  test('restores every registration within the configured concurrency and rate', async () => {
    const store = await GatewayStore.open({ url: `sqlite://${tempDir('restore')}/s.sqlite`, encryptionKey: deriveKey('restore-test-key-0123456789') });
    const { adapter, starts, maxInFlight } = slowAdapter(60);
    const ctx = { domain: 'slow.localhost', send: () => undefined, logger: pino({ level: 'silent' }) };
    const seed = new SessionManager(adapter, store, ctx, { restoreConcurrency: 1, restorePerSecond: 1000, secretFields: [] });
    for (let i = 0; i < 24; i++) await seed.registrations.put(`u${i}@example.org`, { nick: `u${i}` }, []);
    const manager = new SessionManager(adapter, store, ctx, { restoreConcurrency: 3, restorePerSecond: 40, secretFields: [] });
    try {
      const result = await manager.restoreAll();
      expect(result).toEqual({ restored: 24, failed: 0 });
      expect(manager.restoreProgress).toMatchObject({ total: 24, started: 24 });
      const { firstAt, lastAt } = manager.restoreProgress;
      expect((23 * 1000) / (lastAt! - firstAt!)).toBeLessThanOrEqual(40);
      expect(manager.all().filter((s) => s.status.online)).toHaveLength(24);
      expect(maxInFlight()).toBeLessThanOrEqual(3);
      // 40 per second: starts at least 25 ms apart (a few ms of timer slack allowed).
      const gaps = starts.slice(1).map((t, i) => t - starts[i]);
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(22);
    } finally {
      await manager.close();
      await store.close();
    }
  });
});
