/**
 * No IRC connection outlives the session that opened it: a failed or timed-out login closes its
 * socket and never reconnects, and logout closes the connection even in reconnect backoff. The
 * server side is counted from the kernel's table (test/harness/sockets.ts), not from the gateway.
 */
import { Ngircd, ngircdAvailable } from '../../harness/ngircd';
import { MemoryKeyValue } from '../../harness/memory-kv';
import { recordingEvents } from '../../harness/recording-events';
import { establishedConnections, settleTo } from '../../harness/sockets';
import { RawIrcClient } from './raw-client';
import { ScriptedIrcServer } from './scripted-server';
import { fixedServerOptions, login, testAdapter } from './helpers';

const run = ngircdAvailable() ? describe : describe.skip;
/** Longer than the most a reconnect waits with fixedServerOptions (maxDelayMs 1000). */
const LONGER_THAN_ANY_RETRY_MS = 1500;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

run('IRC connections are closed with their session', () => {
  let server: Ngircd;
  beforeAll(async () => { server = await Ngircd.start(); });
  afterAll(async () => { await server?.stop(); });
  const open = () => establishedConnections(server.port);

  test('logins refused by the server (nick taken, nick too long) leave no connection and no retry', async () => {
    const holder = await RawIrcClient.connect(server.port, 'taken');
    try {
      expect(await settleTo(open, 1)).toBe(1);
      const adapter = testAdapter(fixedServerOptions(server.port));
      await expect(login(adapter, 'taken')).rejects.toMatchObject({ condition: 'conflict' });
      await expect(login(adapter, 'x'.repeat(40))).rejects.toMatchObject({ condition: 'not-acceptable' });
      expect(await settleTo(open, 1)).toBe(1);
      // A reconnect would come within the retry delay; nothing may arrive.
      await pause(LONGER_THAN_ANY_RETRY_MS);
      expect(open()).toBe(1);
    } finally {
      holder.close();
    }
  });

  test('a login that times out closes its socket and never reconnects', async () => {
    const silent = await ScriptedIrcServer.start({ silent: true });
    try {
      const adapter = testAdapter(fixedServerOptions(silent.port, { connectTimeoutMs: 300 }));
      await expect(login(adapter, 'slow')).rejects.toMatchObject({ condition: 'remote-server-timeout' });
      expect(await settleTo(() => silent.openConnections, 0)).toBe(0);
      await pause(LONGER_THAN_ANY_RETRY_MS);
      expect(silent.acceptedConnections).toBe(1);
      expect(silent.openConnections).toBe(0);
    } finally {
      await silent.close();
    }
  });

  test('logout closes a live connection, and one waiting in reconnect backoff never comes back', async () => {
    const adapter = testAdapter(fixedServerOptions(server.port));
    const live = await login(adapter, 'livia');
    expect(await settleTo(open, 1)).toBe(1);
    await live.session.logout();
    expect(await settleTo(open, 0)).toBe(0);

    const recorder = recordingEvents();
    const session = await adapter.login({ user: 'bo@example.org', credentials: { nick: 'bo' }, state: new MemoryKeyValue(), xmpp: recorder.xmpp, reason: 'restore' });
    await recorder.waitFor('status', (s) => s.online);
    const restarted = server.restart();
    await recorder.waitFor('status', (s) => !s.online && /Reconnecting in/.test(s.text));
    await session.logout();
    await restarted;
    await pause(LONGER_THAN_ANY_RETRY_MS);
    expect(open()).toBe(0);
    expect(recorder.log.filter((e) => e.kind === 'status' && (e.args[0] as { online: boolean }).online)).toHaveLength(1);
  });
});
