/**
 * A client's "rejoin" (leave and join again at once) and any other quick sequence of leaves and
 * joins against a real ngircd: the end state follows the last request, on IRC (NAMES seen by
 * another client) and in what the adapter reports.
 */
import { Ngircd, ngircdAvailable } from '../../harness/ngircd';
import { RawIrcClient } from './raw-client';
import { fixedServerOptions, login, testAdapter, type LoggedIn } from './helpers';

const run = ngircdAvailable() ? describe : describe.skip;

run('IRC leave and rejoin against ngircd', () => {
  let server: Ngircd;
  let rena: LoggedIn;
  let peer: RawIrcClient;
  const resource = 'rena@example.org/phone';

  beforeAll(async () => {
    server = await Ngircd.start();
    rena = await login(testAdapter(fixedServerOptions(server.port)), 'rena');
    peer = await RawIrcClient.connect(server.port, 'rjpeer');
  });
  afterAll(async () => {
    await rena?.session.logout().catch(() => undefined);
    peer?.close();
    await server?.stop();
  });

  /** The nicks in a channel, as another IRC client sees them. */
  async function names(channel: string): Promise<string[]> {
    const start = peer.lines.length;
    peer.send(`NAMES ${channel}`);
    await peer.waitFor((l) => l.command === '366' && l.params[1] === channel && peer.lines.indexOf(l) >= start);
    return peer.lines.slice(start).filter((l) => l.command === '353' && l.params[2] === channel)
      .flatMap((l) => l.params[3].split(' ')).map((n) => n.replace(/^[~&@%+]+/, '')).filter(Boolean);
  }
  const selfLeft = (room: string) => (r: string, _nick: string, info?: { self?: boolean }) => r === room && !!info?.self;
  const count = (kind: string, match: (...args: any[]) => boolean) => rena.log.filter((e) => e.kind === kind && match(...e.args)).length;

  async function joined(room: string): Promise<void> {
    const before = count('room.joined', (r) => r === room);
    await rena.session.joinRoom!({ room, nick: 'rena', resource });
    await rena.waitFor('room.joined', (r) => r === room && count('room.joined', (x) => x === room) > before);
  }

  /** Every line the server sent to the session before now has been handled by it. */
  async function settle(tag: string): Promise<void> {
    await rena.session.sendMessage({ to: 'rjpeer', body: tag, receiptRequested: false, fromResource: resource });
    await peer.waitFor((l) => l.command === 'PRIVMSG' && l.params[1] === tag);
    peer.send(`PRIVMSG rena :${tag}-ack`);
    await rena.waitFor('message', (m) => m.body === `${tag}-ack`);
  }

  test('leave then join at once ends joined: one self-presence, no self-leave, and IRC NAMES has the user', async () => {
    const room = '#rejoin';
    peer.send(`JOIN ${room}`);
    await peer.waitFor((l) => l.command === '366' && l.params[1] === room);
    await joined(room);
    const mark = rena.log.length;
    await rena.session.leaveRoom!(room);
    await rena.session.joinRoom!({ room, nick: 'rena', resource });
    await rena.waitFor('room.joined', (r) => r === room && rena.log.length > mark);
    // IRC saw the PART and then a new JOIN.
    const part = await peer.waitFor((l) => l.command === 'PART' && l.nick === 'rena');
    await peer.waitFor((l) => l.command === 'JOIN' && l.nick === 'rena' && peer.lines.indexOf(l) > peer.lines.indexOf(part));
    await settle('settled-rejoin');
    const after = rena.log.slice(mark);
    expect(after.filter((e) => e.kind === 'room.joined')).toHaveLength(1);
    expect(after.filter((e) => e.kind === 'room.occupantLeft' && selfLeft(room)(...(e.args as [string, string, { self?: boolean }])))).toEqual([]);
    expect(await names(room)).toContain('rena');
    await rena.session.sendRoomMessage!(room, { body: 'back again', id: 'r1' });
    await peer.waitFor((l) => l.command === 'PRIVMSG' && l.nick === 'rena' && l.params[1] === 'back again');
  });

  // L = leave, J = join, W = wait until IRC has handled the previous PART; every sequence starts joined.
  const sequences = ['LJ', 'LJLJ', 'LJL', 'LLJ', 'LJJ', 'JLJ', 'LWJ', 'LJLJLJLJ', 'LJLJL', 'LWJLJ', 'LWJL'];
  test.each(sequences)('sequence %s ends as its last request says', async (sequence) => {
    const room = `#seq${sequence.toLowerCase()}`;
    peer.send(`JOIN ${room}`);
    await peer.waitFor((l) => l.command === '366' && l.params[1] === room);
    await joined(room);
    const partsOf = () => peer.lines.filter((l) => l.command === 'PART' && l.nick === 'rena' && l.params[0] === room).length;
    let joinsBefore = 0;
    let mark = 0;
    for (const step of sequence) {
      if (step === 'L') {
        await rena.session.leaveRoom!(room);
      } else if (step === 'J') {
        joinsBefore = count('room.joined', (r) => r === room);
        mark = rena.log.length;
        await rena.session.joinRoom!({ room, nick: 'rena', resource });
      } else {
        await peer.waitFor(() => partsOf() >= 1); // W only follows the first L
      }
    }
    if (sequence.endsWith('J')) {
      // Answered at once if the channel was still joined, otherwise after the new NAMES.
      await rena.waitFor('room.joined', (r) => r === room && count('room.joined', (x) => x === room) > joinsBefore);
      await settle(`settled-${sequence}`);
      expect(rena.log.slice(mark).some((e) => e.kind === 'room.occupantLeft' && selfLeft(room)(...(e.args as [string, string, { self?: boolean }])))).toBe(false);
      expect(await names(room)).toContain('rena');
      await rena.session.sendRoomMessage!(room, { body: `here ${sequence}` });
      await peer.waitFor((l) => l.command === 'PRIVMSG' && l.nick === 'rena' && l.params[1] === `here ${sequence}`);
    } else {
      await rena.waitFor('room.occupantLeft', selfLeft(room));
      await settle(`settled-${sequence}`);
      expect(await names(room)).not.toContain('rena');
      await expect(rena.session.sendRoomMessage!(room, { body: 'x' })).rejects.toMatchObject({ condition: 'not-acceptable' });
    }
  });
});
