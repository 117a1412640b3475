import pino from 'pino';
import type { Element } from '@xmpp/xml';
import { deriveKey } from '../../../src/store/crypto';
import { GatewayStore } from '../../../src/store';
import type { Adapter, LegacySession, LoginRequest, RoomJoinRequest } from '../../../src/core/adapter';
import { GatewayError } from '../../../src/core/errors';
import type { Clock } from '../../../src/core/pacer';
import { SessionManager } from '../../../src/core/session-manager';
import { tempDir } from '../../harness/ports';

/** Virtual time: sleeping advances it at once, so pacing is checked exactly, whatever the machine's load. */
function virtualClock(): Clock {
  let now = 1_000_000;
  return { now: () => now, sleep: async (ms) => { now += ms; } };
}

/**
 * An adapter whose logins take a while and whose sessions count as open until logout: what a
 * real network would see as connections.
 */
function countingAdapter(options: { loginMs?: number; clock?: Clock } = {}) {
  const starts: number[] = [];
  const joins: RoomJoinRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let open = 0;
  let fail = false;
  const adapter = {
    identity: { type: 'irc', name: 'counting' },
    features: [],
    registration: { instructions: '', fields: [] },
    gatewayPrompt: { desc: '', prompt: '' },
    parseAddress: () => ({ kind: 'contact' as const, display: '' }),
    toLocalpart: (a: string) => a,
    async login(req: LoginRequest): Promise<LegacySession> {
      starts.push(options.clock ? options.clock.now() : Date.now());
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      open++;
      await new Promise((r) => setTimeout(r, options.loginMs ?? 5));
      inFlight--;
      if (fail) {
        open--;
        throw new GatewayError('not-authorized', 'refused');
      }
      req.xmpp.status({ online: true });
      let closed = false;
      return {
        sendMessage: async () => undefined,
        joinRoom: async (j: RoomJoinRequest) => {
          joins.push(j);
          req.xmpp.room(j.room).joined(j.nick || 'me');
        },
        logout: async () => {
          if (!closed) open--;
          closed = true;
        },
      };
    },
  } as unknown as Adapter;
  return { adapter, starts, joins, maxInFlight: () => maxInFlight, open: () => open, failLogins: (f: boolean) => (fail = f) };
}

async function openStore(name: string) {
  return GatewayStore.open({ url: `sqlite://${tempDir(name)}/s.sqlite`, encryptionKey: deriveKey('session-manager-test-key-0123') });
}

function context(sent: Element[] = []) {
  return { domain: 'irc.localhost', send: (el: Element) => void sent.push(el), logger: pino({ level: 'silent' }) };
}

describe('SessionManager restore', () => {
  test('restores every registration within the configured concurrency and rate', async () => {
    const store = await openStore('restore');
    const clock = virtualClock();
    const { adapter, starts, maxInFlight } = countingAdapter({ loginMs: 20, clock });
    const ctx = context();
    const seed = new SessionManager(adapter, store, ctx, { restoreConcurrency: 1, restorePerSecond: 1000, secretFields: [] });
    for (let i = 0; i < 24; i++) await seed.registrations.put(`u${i}@example.org`, { nick: `u${i}` }, []);
    const manager = new SessionManager(adapter, store, ctx, { restoreConcurrency: 3, restorePerSecond: 40, secretFields: [], clock });
    try {
      const result = await manager.restoreAll();
      expect(result).toEqual({ restored: 24, failed: 0 });
      expect(manager.restoreProgress).toMatchObject({ total: 24, started: 24 });
      expect(manager.all().filter((s) => s.status.online)).toHaveLength(24);
      expect(maxInFlight()).toBeLessThanOrEqual(3);
      // 40 per second: every login starts at least 25 ms after the one before.
      const gaps = starts.slice(1).map((t, i) => t - starts[i]);
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(25);
      const { firstAt, lastAt } = manager.restoreProgress;
      expect(lastAt! - firstAt!).toBeGreaterThanOrEqual(23 * 25);
    } finally {
      await manager.close();
      await store.close();
    }
  });

  test('a restored user is re-entered into the rooms they were in, with the connection\'s own nick', async () => {
    const store = await openStore('rooms');
    const first = countingAdapter();
    const before = new SessionManager(first.adapter, store, context(), { restoreConcurrency: 1, restorePerSecond: 1000, secretFields: [] });
    await before.register('ann@example.org', { nick: 'ann' });
    const session = before.get('ann@example.org')!;
    session.addPendingJoin('#chan%irc.test', 'ann', 'ann@example.org/phone');
    await session.legacy!.joinRoom!({ room: '#chan%irc.test', nick: 'ann', resource: 'ann@example.org/phone' });
    expect(session.inRoom('#chan%irc.test', 'ann@example.org/phone')).toBe(true);
    // Room membership is written asynchronously (coalesced): wait until the store has it.
    const state = store.userState('irc.localhost', 'ann@example.org');
    for (let i = 0; i < 100 && !(await state.get('core:rooms')); i++) await new Promise((r) => setTimeout(r, 10));

    // A crash: the old manager is simply abandoned; a new one restores from the same store.
    const second = countingAdapter();
    const sent: Element[] = [];
    const after = new SessionManager(second.adapter, store, context(sent), { restoreConcurrency: 1, restorePerSecond: 1000, secretFields: [], presenceCheckMs: 60000 });
    try {
      await after.restoreAll();
      expect(second.joins).toEqual([{ room: '#chan%irc.test', nick: '', resource: 'ann@example.org/phone' }]);
      expect(after.get('ann@example.org')!.inRoom('#chan%irc.test', 'ann@example.org/phone')).toBe(true);
      // The user's server is asked which resources are online.
      expect(sent.some((el) => el.name === 'presence' && el.attrs.type === 'probe' && el.attrs.to === 'ann@example.org')).toBe(true);
    } finally {
      await after.close();
      await before.close();
      await store.close();
    }
  });
});

describe('SessionManager registration changes', () => {
  test('concurrent registrations open one connection; the others get conflict; removal closes it', async () => {
    const store = await openStore('concurrent');
    const counting = countingAdapter({ loginMs: 30 });
    const manager = new SessionManager(counting.adapter, store, context(), { restoreConcurrency: 1, restorePerSecond: 1000, secretFields: [] });
    try {
      const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => manager.register('bob@example.org', { nick: `bob${i}` })));
      const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as GatewayError);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(refused).toHaveLength(19);
      expect(refused.every((e) => e.condition === 'conflict')).toBe(true);
      expect(counting.open()).toBe(1);
      expect(await manager.unregister('bob@example.org')).toBe(true);
      expect(counting.open()).toBe(0);
      expect(await manager.unregister('bob@example.org')).toBe(false);
    } finally {
      await manager.close();
      await store.close();
    }
  });

  test('a removal sent while a registration is still logging in waits for it and closes its connection', async () => {
    const store = await openStore('remove-during-register');
    const counting = countingAdapter({ loginMs: 50 });
    const manager = new SessionManager(counting.adapter, store, context(), { restoreConcurrency: 1, restorePerSecond: 1000, secretFields: [] });
    try {
      const registering = manager.register('cid@example.org', { nick: 'cid' });
      const removed = await manager.unregister('cid@example.org');
      await registering;
      expect(removed).toBe(true);
      expect(counting.open()).toBe(0);
      expect(await manager.registrations.get('cid@example.org')).toBeUndefined();
    } finally {
      await manager.close();
      await store.close();
    }
  });

  test('a registration that cannot be stored does not keep its connection', async () => {
    const store = await openStore('put-fails');
    const counting = countingAdapter();
    const manager = new SessionManager(counting.adapter, store, context(), { restoreConcurrency: 1, restorePerSecond: 1000, secretFields: [] });
    const put = jest.spyOn(manager.registrations, 'put').mockRejectedValueOnce(new Error('disk full'));
    try {
      await expect(manager.register('dee@example.org', { nick: 'dee' })).rejects.toThrow('disk full');
      expect(counting.open()).toBe(0);
      expect(manager.get('dee@example.org')).toBeUndefined();
    } finally {
      put.mockRestore();
      await manager.close();
      await store.close();
    }
  });

  test('a failed update logs the stored registration in again', async () => {
    const store = await openStore('failed-update');
    const counting = countingAdapter();
    const manager = new SessionManager(counting.adapter, store, context(), { restoreConcurrency: 1, restorePerSecond: 1000, secretFields: [] });
    try {
      await manager.register('eve@example.org', { nick: 'eve' });
      counting.failLogins(true);
      const update = manager.register('eve@example.org', { nick: 'eve2' });
      await expect(update).rejects.toMatchObject({ condition: 'not-authorized' });
      counting.failLogins(false);
      for (let i = 0; i < 200 && !manager.get('eve@example.org')?.legacy; i++) await new Promise((r) => setTimeout(r, 10));
      expect(manager.get('eve@example.org')?.legacy).toBeDefined();
      expect(counting.open()).toBe(1);
      expect((await manager.registrations.get('eve@example.org'))?.credentials).toEqual({ nick: 'eve' });
    } finally {
      await manager.close();
      await store.close();
    }
  });
});
