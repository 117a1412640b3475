/**
 * The connection pace per IRC server, measured where it matters: the times a scripted server
 * accepts connections. Timers only ever fire late, so "the k-th connection arrives no earlier
 * than k intervals after the logins began" holds however busy the machine is; no upper bound on
 * time is asserted beyond the generous test timeouts.
 */
import { MemoryKeyValue } from '../../harness/memory-kv';
import { recordingEvents } from '../../harness/recording-events';
import { ScriptedIrcServer } from './scripted-server';
import { fixedServerOptions, login, testAdapter } from './helpers';

const PER_SECOND = 4;
const INTERVAL_MS = 1000 / PER_SECOND;
/** performance.now() is fractional; the pace's own clock is the same one. */
const EPSILON_MS = 1;

/** Accept times relative to `start`, in order. */
const since = (times: number[], start: number) => times.map((t) => t - start).sort((a, b) => a - b);

describe('IRC connection pace per server', () => {
  const servers: ScriptedIrcServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  test('logins at once reach the server no faster than the pace, and reconnects take their turn too', async () => {
    const scripted = await ScriptedIrcServer.start({});
    servers.push(scripted);
    const adapter = testAdapter(fixedServerOptions(scripted.port, {
      connectPace: { perSecond: PER_SECOND, burst: 1 },
      connectTimeoutMs: 30000,
    }));
    const nicks = ['pa', 'pb', 'pc', 'pd', 'pe', 'pf'];
    const start = performance.now();
    const users = await Promise.all(nicks.map((nick) => login(adapter, nick)));
    try {
      const first = since(scripted.accepted.map((a) => a.at), start);
      expect(first).toHaveLength(nicks.length);
      first.forEach((at, k) => expect(at).toBeGreaterThanOrEqual(k * INTERVAL_MS - EPSILON_MS));

      // The server drops everyone: the reconnects queue the same way. The bucket holds at most
      // one connection's worth (burst 1) when they start.
      const statuses = users.map((u) => u.log.filter((e) => e.kind === 'status').length);
      const dropped = performance.now();
      scripted.dropConnections();
      // Each user reports going offline, then online again once reconnected.
      await Promise.all(users.map((u, i) => u.waitFor('status', (s) => s.online && u.log.filter((e) => e.kind === 'status').length > statuses[i] + 1, 30000)));
      expect(scripted.acceptedConnections).toBe(2 * nicks.length);
      const again = since(scripted.accepted.slice(nicks.length).map((a) => a.at), dropped);
      again.forEach((at, k) => expect(at).toBeGreaterThanOrEqual(k * INTERVAL_MS - EPSILON_MS));
    } finally {
      await Promise.all(users.map((u) => u.session.logout()));
    }
  });

  test('a first login goes ahead of restores waiting for their turn', async () => {
    const scripted = await ScriptedIrcServer.start({});
    servers.push(scripted);
    // One connection every 2 s: the restores stay queued while the registration comes in.
    const adapter = testAdapter(fixedServerOptions(scripted.port, { connectPace: { perSecond: 0.5, burst: 1 }, connectTimeoutMs: 30000 }));
    const restored = [];
    for (const nick of ['ra', 'rb', 'rc']) {
      const recorder = recordingEvents();
      restored.push(await adapter.login({ user: `${nick}@example.org`, credentials: { nick }, state: new MemoryKeyValue(), xmpp: recorder.xmpp, reason: 'restore' }));
    }
    const fresh = await login(adapter, 'newbie');
    try {
      const nicks = scripted.received.filter((l) => l.startsWith('NICK ')).map((l) => l.slice(5));
      expect(nicks.slice(0, 2)).toEqual(['ra', 'newbie']);
    } finally {
      await Promise.all([fresh.session, ...restored].map((s) => s.logout()));
    }
  });

  test('a session that logs out while waiting for its turn never connects', async () => {
    const scripted = await ScriptedIrcServer.start({});
    servers.push(scripted);
    const adapter = testAdapter(fixedServerOptions(scripted.port, { connectPace: { perSecond: 1, burst: 1 } }));
    const first = await login(adapter, 'qa');
    const recorder = recordingEvents();
    const waiting = await adapter.login({ user: 'qb@example.org', credentials: { nick: 'qb' }, state: new MemoryKeyValue(), xmpp: recorder.xmpp, reason: 'restore' });
    await waiting.logout();
    // Queued behind it: by the time this one connects, the logged-out session's turn has come and gone.
    const third = await adapter.login({ user: 'qc@example.org', credentials: { nick: 'qc' }, state: new MemoryKeyValue(), xmpp: recordingEvents().xmpp, reason: 'restore' });
    await scripted.waitForLine((l) => l === 'NICK qc');
    try {
      expect(scripted.received.filter((l) => l.startsWith('NICK ')).map((l) => l.slice(5))).toEqual(['qa', 'qc']);
      expect(scripted.acceptedConnections).toBe(2);
    } finally {
      await Promise.all([first.session, third].map((s) => s.logout()));
    }
  });
});
