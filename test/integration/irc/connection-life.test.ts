/**
 * Connection life of the IRC adapter against a real ngircd: server restarts, logout, encodings,
 * the flood queue and the session's ad-hoc commands.
 */
import type { Adapter, AdhocCommand } from '../../../src/core/adapter';
import { Ngircd, ngircdAvailable } from '../../harness/ngircd';
import { MemoryKeyValue } from '../../harness/memory-kv';
import { recordingEvents } from '../../harness/recording-events';
import { RawIrcClient } from './raw-client';
import { fixedServerOptions, login, testAdapter, type LoggedIn } from './helpers';

const run = ngircdAvailable() ? describe : describe.skip;

run('IRC connection life against ngircd', () => {
  let server: Ngircd;
  let adapter: Adapter;
  const sessions: LoggedIn[] = [];
  const raws: RawIrcClient[] = [];

  async function user(nick: string, extra: Record<string, string> = {}): Promise<LoggedIn> {
    const s = await login(adapter, nick, extra);
    sessions.push(s);
    return s;
  }
  async function raw(nick: string): Promise<RawIrcClient> {
    const c = await RawIrcClient.connect(server.port, nick);
    raws.push(c);
    return c;
  }
  function command(s: LoggedIn, node: string): AdhocCommand {
    const found = s.session.commands!().find((c) => c.node === node);
    if (!found) throw new Error(`no command ${node}`);
    return found;
  }
  const ctx = { user: 'u@example.org', fullJid: 'u@example.org/r' };

  beforeAll(async () => {
    server = await Ngircd.start();
    adapter = testAdapter(fixedServerOptions(server.port, { allowRawCommands: true }));
  });

  afterAll(async () => {
    for (const s of sessions) await s.session.logout().catch(() => undefined);
    for (const c of raws) c.close();
    await server?.stop();
  });

  test('latin1 text from an old client arrives as the right characters, UTF-8 unchanged', async () => {
    const amy = await user('amy');
    const old = await raw('oldclient');
    old.sendBytes(Buffer.from('PRIVMSG amy :caf\xe9 cr\xe8me', 'latin1'));
    old.send('PRIVMSG amy :naïve ✓');
    await amy.waitFor('message', (m) => m.from === 'oldclient' && m.body === 'café crème');
    await amy.waitFor('message', (m) => m.from === 'oldclient' && m.body === 'naïve ✓');
  });

  test('auto-join channels from the registration are joined at login', async () => {
    const ben = await user('ben', { channels: '#auto1, #auto2' });
    await ben.waitFor('room.joined', (room) => room === '#auto1');
    await ben.waitFor('room.joined', (room) => room === '#auto2');
  });

  test('after ngircd restarts, the user is back in the channel without doing anything', async () => {
    const cleo = await user('cleo');
    await cleo.session.joinRoom!({ room: '#survivors', nick: 'cleo', resource: 'cleo@example.org/a' });
    await cleo.waitFor('room.joined');
    await server.restart();
    const [status] = await cleo.waitFor('status', (s) => !s.online);
    expect((status as { text: string }).text).toMatch(/Reconnecting in/);
    await cleo.waitFor('status', (s) => s.online && cleo.log.filter((e) => e.kind === 'status').length >= 3, 20000);
    await cleo.waitFor('room.joined', () => cleo.log.filter((e) => e.kind === 'room.joined').length >= 2, 20000);
    const watcher = await raw('watcher');
    watcher.send('NAMES #survivors');
    const names = await watcher.waitFor((l) => l.command === '353' && l.params[2] === '#survivors');
    expect(names.params[3].split(' ')).toContain('@cleo');
    await cleo.session.sendRoomMessage!('#survivors', { body: 'still here', id: 's1' });
    await cleo.waitFor('room.message', (_r, m) => m.id === 's1');
  });

  test('logout sends QUIT: the other side sees the user leave', async () => {
    const dora = await user('dora');
    const eve = await raw('eve');
    eve.send('JOIN #bye');
    await eve.waitFor((l) => l.command === '366');
    await dora.session.joinRoom!({ room: '#bye', nick: 'dora', resource: 'dora@example.org/a' });
    await dora.waitFor('room.joined');
    await dora.session.logout();
    const quit = await eve.waitFor((l) => l.command === 'QUIT' && l.nick === 'dora');
    expect(quit.params[0]).toContain('Leaving');
  });

  test('restore connects in the background and reports online', async () => {
    const recorder = recordingEvents();
    const session = await adapter.login({
      user: 'fay@example.org', credentials: { nick: 'fay' }, state: new MemoryKeyValue(), xmpp: recorder.xmpp, reason: 'restore',
    });
    sessions.push({ session, ...recorder });
    await recorder.waitFor('status', (s) => s.online);
  });

  test('ad-hoc commands: change nick, list channels, raw command, disconnect and reconnect', async () => {
    const gus = await user('gus');
    const peer = await raw('gpeer');
    peer.send('JOIN #adhoc');
    await peer.waitFor((l) => l.command === '366');
    await gus.session.joinRoom!({ room: '#adhoc', nick: 'gus', resource: 'gus@example.org/a' });
    await gus.waitFor('room.joined');
    expect(await command(gus, 'irc-channels').run(ctx, {})).toContain('#adhoc (2 users)');
    expect(await command(gus, 'irc-nick').run(ctx, { nick: 'gustav' })).toBe('Your nickname is now gustav.');
    await peer.waitFor((l) => l.command === 'NICK' && l.nick === 'gus' && l.params[0] === 'gustav');
    await gus.waitFor('room.nickChanged', (_r, old, occupant, self) => old === 'gus' && occupant.nick === 'gustav' && self);
    await expect(command(gus, 'irc-nick').run(ctx, { nick: 'gpeer' })).rejects.toMatchObject({ condition: 'conflict' });
    await command(gus, 'irc-raw').run(ctx, { command: 'PRIVMSG gpeer :raw hello\r\nQUIT' });
    await peer.waitFor((l) => l.command === 'PRIVMSG' && l.params[1] === 'raw hello QUIT');
    await command(gus, 'irc-disconnect').run(ctx, {});
    await peer.waitFor((l) => l.command === 'QUIT' && l.nick === 'gustav');
    await gus.session.reconnect!();
    await gus.waitFor('room.joined', () => gus.log.filter((e) => e.kind === 'room.joined').length >= 2);
    // Reconnecting a live connection also gives the room presence back.
    await gus.session.reconnect!();
    await gus.waitFor('room.joined', () => gus.log.filter((e) => e.kind === 'room.joined').length >= 3);
    // The chosen nick survives reconnects.
    await peer.waitFor((l) => l.command === 'JOIN' && l.nick === 'gustav' && peer.lines.filter((x) => x.command === 'JOIN' && x.nick === 'gustav').length >= 2);
  });

  test('raw commands are refused when the operator did not allow them', async () => {
    const strict = testAdapter(fixedServerOptions(server.port));
    const hal = await login(strict, 'hal');
    sessions.push(hal);
    expect(hal.session.commands!().map((c) => c.node)).not.toContain('irc-raw');
    await expect(hal.session.sendMessage({ to: '127.0.0.1', body: 'QUIT', receiptRequested: false, fromResource: 'h@example.org/r' }))
      .rejects.toMatchObject({ condition: 'not-allowed' });
  });

  test('away: XMPP away sets IRC AWAY; an away IRC user shows as away', async () => {
    const kai = await user('kai');
    const lou = await raw('lou');
    /** The away text WHOIS shows for kai, polled until it is `expected` (AWAY travels on another socket). */
    async function awayText(expected: string | undefined): Promise<string | undefined> {
      let text: string | undefined;
      for (let i = 0; i < 50; i++) {
        const start = lou.lines.length;
        lou.send('WHOIS kai');
        await lou.waitFor((l) => l.command === '318' && lou.lines.indexOf(l) >= start);
        text = lou.lines.slice(start).find((l) => l.command === '301')?.params[2];
        if (text === expected) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      return text;
    }
    await kai.session.setPresence!({ show: 'xa', status: 'gone for lunch' });
    expect(await awayText('gone for lunch')).toBe('gone for lunch');
    await kai.session.setPresence!({});
    expect(await awayText(undefined)).toBeUndefined();

    lou.send('AWAY :in a meeting');
    await lou.waitFor((l) => l.command === '306');
    await kai.session.sendMessage({ to: 'lou', body: 'ping?', receiptRequested: false, fromResource: 'k@example.org/r' });
    const [from, presence] = await kai.waitFor('contactPresence', (f) => f === 'lou');
    expect([from, presence]).toEqual(['lou', { available: true, show: 'away', status: 'in a meeting' }]);
  });

  test('the flood queue paces a burst: every line arrives, in order', async () => {
    const slow = testAdapter(fixedServerOptions(server.port, { flood: { burst: 3, intervalMs: 100 } }));
    const ivan = await login(slow, 'ivan');
    sessions.push(ivan);
    const june = await raw('june');
    const body = Array.from({ length: 12 }, (_, i) => `line ${i}`).join('\n');
    await ivan.session.sendMessage({ to: 'june', body, receiptRequested: false, fromResource: 'i@example.org/r' });
    await june.waitFor((l) => l.params[1] === 'line 11');
    const got = june.lines.filter((l) => l.nick === 'ivan' && l.command === 'PRIVMSG').map((l) => l.params[1]);
    expect(got).toEqual(Array.from({ length: 12 }, (_, i) => `line ${i}`));
  });
});
