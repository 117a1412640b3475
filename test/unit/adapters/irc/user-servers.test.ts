/**
 * Routing of one user's calls to their IRC servers, with the real adapter and sessions. The
 * servers are loopback ports nothing listens on: sessions started in the background keep
 * retrying, which is all routing needs (no IRC server is involved in these decisions).
 */
import { freePort } from '../../../harness/ports';
import { MemoryKeyValue } from '../../../harness/memory-kv';
import { recordingEvents } from '../../../harness/recording-events';
import { testAdapter } from '../../../integration/irc/helpers';
import type { UserServers } from '../../../../adapters/irc/user-servers';
import { SERVERS_KEY } from '../../../../adapters/irc/server-settings';

const resource = 'ann@example.org/phone';

async function restored(options: Record<string, unknown>, state = new MemoryKeyValue(), credentials: Record<string, string> = { nick: 'ann' }) {
  const adapter = testAdapter(options);
  const recorder = recordingEvents();
  const session = await adapter.login({ user: 'ann@example.org', credentials, state, xmpp: recorder.xmpp, reason: 'restore' }) as UserServers;
  return { adapter, session, state };
}

describe('IRC calls routed by server', () => {
  let port: number;
  const open: UserServers[] = [];
  beforeAll(async () => { port = await freePort(); });
  afterEach(async () => { await Promise.all(open.splice(0).map((s) => s.logout())); });

  const options = (extra: Record<string, unknown> = {}) => ({
    server: { host: '127.0.0.1', port, tls: false },
    reconnect: { initialDelayMs: 5000, maxDelayMs: 10000 },
    ...extra,
  });

  test('with a fixed server alone, another server is refused with a sentence naming the allowed one', async () => {
    const { session } = await restored(options());
    open.push(session);
    const message = { to: 'bob%irc.other.net', body: 'hi', receiptRequested: false, fromResource: resource };
    await expect(session.sendMessage(message)).rejects.toMatchObject({
      condition: 'not-allowed', message: 'This gateway connects you to 127.0.0.1 only; irc.other.net is not one of them.',
    });
    await expect(session.joinRoom({ room: '#x%irc.other.net', nick: 'ann', resource })).rejects.toMatchObject({ condition: 'not-allowed' });
    expect(session.live().map((l) => l.server)).toEqual(['127.0.0.1']);
  });

  test('what only makes sense on an open connection never opens one; a re-join opens it in the background', async () => {
    const { session } = await restored(options({ allowedServers: ['127.0.0.2'] }));
    open.push(session);
    await session.sendChatState('bob%127.0.0.2', 'gone');
    await session.leaveRoom('#two%127.0.0.2');
    await expect(session.sendRoomMessage('#two%127.0.0.2', { body: 'x' })).rejects.toMatchObject({ condition: 'not-acceptable', message: 'You are not in #two%127.0.0.2; join it first.' });
    await expect(session.setSubject('#two%127.0.0.2', 'x')).rejects.toMatchObject({ condition: 'not-acceptable' });
    expect(session.live().map((l) => l.server)).toEqual(['127.0.0.1']);
    // The core's own re-join after a restart (no nick) does not wait for the server.
    await session.joinRoom({ room: '#two%127.0.0.2', nick: '', resource });
    expect(session.live().map((l) => l.server)).toEqual(['127.0.0.1', '127.0.0.2']);
    const second = session.live()[1].session;
    expect(second.rooms.get('#two')?.phase).toBe('joining');
    expect(session.primary.rooms.get('#two')).toBeUndefined();
  });

  test('a server the user asks for, unreachable, fails the request and is not kept', async () => {
    const { session } = await restored(options({ allowedServers: ['127.0.0.2'], connectTimeoutMs: 5000 }));
    open.push(session);
    await session.settings.save('127.0.0.2', { port: String(port), tls: 'false' });
    const message = { to: 'bob%127.0.0.2', body: 'hi', receiptRequested: false, fromResource: resource };
    await expect(session.sendMessage(message)).rejects.toMatchObject({ condition: 'remote-server-not-found', message: expect.stringMatching(/127\.0\.0\.2/) });
    expect(session.live().map((l) => l.server)).toEqual(['127.0.0.1']);
  });

  test('persistent servers connect at login; commands offer a Configure per server', async () => {
    const state = new MemoryKeyValue();
    await state.set(SERVERS_KEY, { '127.0.0.2': { persistent: 'true', port: String(port), tls: 'false' } });
    const { session } = await restored(options({ allowedServers: ['127.0.0.2', '127.0.0.3'] }), state);
    open.push(session);
    expect(session.live().map((l) => l.server)).toEqual(['127.0.0.1', '127.0.0.2']);
    const nodes = session.commands().map((c) => c.node);
    expect(nodes).toEqual(expect.arrayContaining(['irc-channels', 'irc-nick', 'irc-configure@127.0.0.1', 'irc-configure@127.0.0.2', 'irc-configure@127.0.0.3']));
    expect(nodes).not.toContain('irc-configure');
    expect(session.commands().find((c) => c.node === 'irc-disconnect')?.name).toBe('Disconnect from every IRC server');
  });

  test('where any server may be used, "Configure an IRC server" asks for the host, then that server has its own', async () => {
    const { session } = await restored({ reconnect: { initialDelayMs: 5000, maxDelayMs: 10000 } }, new MemoryKeyValue(),
      { nick: 'ann', server: '127.0.0.1', port: String(port), tls: 'false' });
    open.push(session);
    const any = session.commands().find((c) => c.node === 'irc-configure')!;
    const ctx = { user: 'ann@example.org', fullJid: resource };
    const form = await any.form!(ctx);
    expect(form.fields[0]).toMatchObject({ var: 'server', required: true });
    await expect(any.run(ctx, { server: 'not a host!' })).rejects.toMatchObject({ condition: 'not-acceptable' });
    expect(await any.run(ctx, { server: 'IRC.Oftc.net', nick: 'ann_oftc' })).toBe('Saved. The settings apply when you next use irc.oftc.net.');
    expect(session.settings.settingsFor('irc.oftc.net')).toMatchObject({ host: 'irc.oftc.net', nick: 'ann_oftc', port: 6697, tls: true });
    const own = session.commands().find((c) => c.node === 'irc-configure@irc.oftc.net')!;
    expect((await own.form!(ctx)).fields.find((f) => f.var === 'nick')?.default).toBe('ann_oftc');
    expect(session.live().map((l) => l.server)).toEqual(['127.0.0.1']);
  });
});
