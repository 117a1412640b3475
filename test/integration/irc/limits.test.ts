/**
 * Budgets and bounds against a real ngircd: control lines (a join storm) do not hold a chat
 * message back, the per-user channel cap, length limits with clear errors, and keepnick.
 */
import type { Adapter } from '../../../src/core/adapter';
import { Ngircd, ngircdAvailable } from '../../harness/ngircd';
import { MemoryKeyValue } from '../../harness/memory-kv';
import { recordingEvents } from '../../harness/recording-events';
import { RawIrcClient } from './raw-client';
import { fixedServerOptions, login, testAdapter, type LoggedIn } from './helpers';

const run = ngircdAvailable() ? describe : describe.skip;

run('IRC budgets and limits against ngircd', () => {
  let server: Ngircd;
  const sessions: LoggedIn[] = [];
  const raws: RawIrcClient[] = [];

  async function raw(nick: string): Promise<RawIrcClient> {
    const c = await RawIrcClient.connect(server.port, nick);
    raws.push(c);
    return c;
  }
  async function user(adapter: Adapter, nick: string, extra: Record<string, string> = {}): Promise<LoggedIn> {
    const s = await login(adapter, nick, extra);
    sessions.push(s);
    return s;
  }

  beforeAll(async () => { server = await Ngircd.start(); });
  afterAll(async () => {
    for (const s of sessions) await s.session.logout().catch(() => undefined);
    for (const c of raws) c.close();
    await server?.stop();
  });

  test('40 JOINs queued at once: a 1:1 message goes out after at most the burst, and every join still completes', async () => {
    const channels = Array.from({ length: 40 }, (_, i) => `#storm${i}`);
    const watch = await raw('watch');
    // The watcher is in every channel, so it sees the user's JOINs and the message in the order ngircd handled them.
    for (const c of channels) watch.send(`JOIN ${c}`);
    await watch.waitFor((l) => l.command === '366' && l.params[1] === '#storm39');
    const adapter = testAdapter(fixedServerOptions(server.port, { flood: { burst: 2, intervalMs: 20 }, maxChannels: 40 }));
    const joiner = await user(adapter, 'joiner');
    for (const room of channels) await joiner.session.joinRoom!({ room, nick: 'joiner', resource: 'joiner@example.org/a' });
    await joiner.session.sendMessage({ to: 'watch', body: 'are you there?', receiptRequested: false, fromResource: 'joiner@example.org/a' });
    const message = await watch.waitFor((l) => l.nick === 'joiner' && l.command === 'PRIVMSG');
    const joinsBefore = watch.lines.slice(0, watch.lines.indexOf(message)).filter((l) => l.nick === 'joiner' && l.command === 'JOIN');
    expect(joinsBefore.length).toBeLessThanOrEqual(3);
    await joiner.waitFor('room.joined', () => joiner.log.filter((e) => e.kind === 'room.joined').length === 40, 30000);

    // The cap: a 41st channel is refused with a sentence, before anything is sent.
    await expect(joiner.session.joinRoom!({ room: '#storm40', nick: 'joiner', resource: 'joiner@example.org/a' }))
      .rejects.toMatchObject({ condition: 'resource-constraint', message: expect.stringMatching(/40 IRC channels, the most this gateway allows/) });
    // Re-joining one it is in is not a new channel.
    await joiner.session.joinRoom!({ room: '#storm0', nick: 'joiner', resource: 'joiner@example.org/b' });
  });

  test('over-long names get clear errors, never internal-server-error or a timeout', async () => {
    const adapter = testAdapter(fixedServerOptions(server.port, { connectTimeoutMs: 30000 }));
    // Longer than any server allows: refused before connecting.
    await expect(login(adapter, 'n'.repeat(1000))).rejects.toMatchObject({ condition: 'not-acceptable', message: expect.stringMatching(/nickname is too long/) });
    // Longer than this server's NICKLEN (30): ngircd's own refusal, as not-acceptable.
    await expect(login(adapter, 'n'.repeat(40))).rejects.toMatchObject({ condition: 'not-acceptable', message: expect.stringMatching(/Nickname too long, max\. 30/) });
    const started = Date.now();
    await expect(login(adapter, 'rita', { realname: 'r'.repeat(100 * 1024) })).rejects.toMatchObject({ condition: 'not-acceptable', message: expect.stringMatching(/real name is too long/) });
    expect(Date.now() - started).toBeLessThan(5000); // refused up front, not after connectTimeoutMs

    const sam = await user(adapter, 'sam');
    await expect(sam.session.sendMessage({ to: 'x'.repeat(1000), body: 'hi', receiptRequested: false, fromResource: 'sam@example.org/r' }))
      .rejects.toMatchObject({ condition: 'jid-malformed' });
    await expect(sam.session.sendMessage({ to: 'x'.repeat(40), body: 'hi', receiptRequested: false, fromResource: 'sam@example.org/r' }))
      .rejects.toMatchObject({ condition: 'not-acceptable', message: expect.stringMatching(/at most 30 characters/) });
    // A room nick is not an IRC nick (nicks are per server): an over-long one is not even sent.
    await sam.session.joinRoom!({ room: '#long', nick: 'y'.repeat(40), resource: 'sam@example.org/r' });
    const [, self] = await sam.waitFor('room.joined');
    expect(self).toMatchObject({ nick: 'sam' });
  });

  test('port 0x1A0B style values are refused instead of read as hexadecimal', async () => {
    const open = testAdapter({ reconnect: { initialDelayMs: 200, maxDelayMs: 1000 }, connectTimeoutMs: 5000 });
    const hex = `0x${server.port.toString(16)}`;
    await expect(login(open, 'hexa', { server: '127.0.0.1', port: hex, tls: 'false' })).rejects.toMatchObject({ condition: 'not-acceptable', message: expect.stringMatching(/not a port number/) });
    const decimal = await user(open, 'deci', { server: '127.0.0.1', port: String(server.port), tls: 'false' });
    await decimal.waitFor('status', (s) => s.online);
  });

  test('keepnick: registered as carol_ while carol was held, the session regains carol once it is free', async () => {
    const holder = await raw('carol');
    const adapter = testAdapter(fixedServerOptions(server.port));
    const recorder = recordingEvents();
    // A background login (restore, or the rollback of a failed update) takes an alternative nick.
    const session = await adapter.login({ user: 'carol@example.org', credentials: { nick: 'carol' }, state: new MemoryKeyValue(), xmpp: recorder.xmpp, reason: 'restore' });
    sessions.push({ session, ...recorder });
    const [status] = await recorder.waitFor('status', (s) => s.online);
    expect((status as { text: string }).text).toMatch(/as carol_$/);
    const peer = await raw('keeppeer');
    peer.send('JOIN #keep');
    await peer.waitFor((l) => l.command === '366');
    await session.joinRoom!({ room: '#keep', nick: '', resource: 'carol@example.org/a' });
    await recorder.waitFor('room.joined');
    holder.send('QUIT :bye'); // shares no channel with the session: only the retry timer can notice
    await peer.waitFor((l) => l.command === 'NICK' && l.nick === 'carol_' && l.params[0] === 'carol');
    const [, oldNick, occupant, self] = await recorder.waitFor('room.nickChanged');
    expect([oldNick, (occupant as { nick: string }).nick, self]).toEqual(['carol_', 'carol', true]);
  });
});
