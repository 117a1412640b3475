/**
 * Gateway shutdown: what the flood queue already accepted is sent until the deadline, and every
 * XMPP message that could not be sent gets exactly one error back. Real ngircd, a raw IRC client
 * counting what arrives.
 */
import { Ngircd, ngircdAvailable } from '../../harness/ngircd';
import { RawIrcClient } from './raw-client';
import { fixedServerOptions, login, testAdapter, type LoggedIn } from './helpers';

const run = ngircdAvailable() ? describe : describe.skip;

run('IRC drain on shutdown against ngircd', () => {
  let server: Ngircd;
  let peer: RawIrcClient;
  beforeAll(async () => {
    server = await Ngircd.start();
    peer = await RawIrcClient.connect(server.port, 'drainpeer');
    peer.send('JOIN #drain');
    await peer.waitFor((l) => l.command === '366');
  });
  afterAll(async () => {
    peer?.close();
    await server?.stop();
  });

  async function joinedUser(nick: string): Promise<LoggedIn> {
    const adapter = testAdapter(fixedServerOptions(server.port, { flood: { burst: 5, intervalMs: 200 } }));
    const s = await login(adapter, nick);
    await s.session.joinRoom!({ room: '#drain', nick, resource: `${nick}@example.org/r` });
    await s.waitFor('room.joined');
    return s;
  }
  const fromUser = (nick: string) => peer.lines.filter((l) => l.nick === nick && l.command === 'PRIVMSG').map((l) => l.params[1]);

  test('with time to spare, all 15 accepted room messages reach IRC before drain resolves', async () => {
    const dru = await joinedUser('dru');
    for (let i = 0; i < 15; i++) await dru.session.sendRoomMessage!('#drain', { body: `drained ${i}`, id: `d${i}` });
    await dru.session.drain!(Date.now() + 60000);
    await dru.session.logout();
    await peer.waitFor((l) => l.command === 'QUIT' && l.nick === 'dru');
    expect(fromUser('dru')).toEqual(Array.from({ length: 15 }, (_, i) => `drained ${i}`));
    expect(dru.log.filter((e) => e.kind === 'room.error' || e.kind === 'messageError')).toEqual([]);
  });

  test('at a short deadline every message is either on IRC or answered with exactly one error', async () => {
    const deadline = Date.now() + 100;
    const eli = await joinedUser('eli');
    // Two lines each: one XMPP message, one error, however many of its lines were left.
    for (let i = 0; i < 15; i++) await eli.session.sendRoomMessage!('#drain', { body: `room ${i} a\nroom ${i} b`, id: `r${i}` });
    for (let i = 0; i < 3; i++) {
      await eli.session.sendMessage({ to: 'drainpeer', body: `chat ${i}`, id: `c${i}`, receiptRequested: false, fromResource: 'eli@example.org/r' });
    }
    await eli.session.drain!(Math.max(deadline, Date.now() + 50));
    await eli.session.logout();
    await peer.waitFor((l) => l.command === 'QUIT' && l.nick === 'eli');

    const lines = fromUser('eli');
    const delivered = [
      ...Array.from({ length: 15 }, (_, i) => `r${i}`).filter((id) => lines.includes(`room ${id.slice(1)} a`) && lines.includes(`room ${id.slice(1)} b`)),
      ...Array.from({ length: 3 }, (_, i) => `c${i}`).filter((id) => lines.includes(`chat ${id.slice(1)}`)),
    ];
    const roomErrors = eli.log.filter((e) => e.kind === 'room.error').map((e) => e.args[2] as string);
    const chatErrors = eli.log.filter((e) => e.kind === 'messageError').map((e) => (e.args[0] as { id: string }).id);
    const errors = [...roomErrors, ...chatErrors];
    expect(errors.length).toBeGreaterThan(0);
    expect(new Set(errors).size).toBe(errors.length); // one per message, not per line
    expect([...delivered, ...errors].sort()).toEqual([...Array.from({ length: 15 }, (_, i) => `r${i}`), 'c0', 'c1', 'c2'].sort());
    for (const e of eli.log.filter((x) => x.kind === 'room.error' || x.kind === 'messageError')) {
      expect(e.args[1]).toMatchObject({ condition: 'remote-server-timeout', message: 'The gateway shut down before this message reached IRC.' });
    }
    expect(eli.log.filter((e) => e.kind === 'messageError').map((e) => e.args[0])).toEqual(
      chatErrors.map((id) => ({ peer: 'drainpeer', id, fromResource: 'eli@example.org/r' })));
    // Messages whose last line never left were not reflected to the room either.
    const reflected = eli.log.filter((e) => e.kind === 'room.message').map((e) => (e.args[1] as { id: string }).id);
    expect(reflected.filter((id) => roomErrors.includes(id))).toEqual([]);
  });
});
