/**
 * The IRC adapter against a real ngircd, with a plain-socket IRC client as the other party.
 * Adapter events are recorded (no XMPP server involved).
 */
import { GatewayError } from '../../../src/core/errors';
import { modeMarks } from '../../../adapters/irc/rooms';
import type { Adapter, Occupant } from '../../../src/core/adapter';
import { freePort } from '../../harness/ports';
import { Ngircd, ngircdAvailable } from '../../harness/ngircd';
import { RawIrcClient } from './raw-client';
import { fixedServerOptions, login, testAdapter, type LoggedIn } from './helpers';

const run = ngircdAvailable() ? describe : describe.skip;

run('IRC adapter against ngircd', () => {
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
  /** A channel created (and opped) by a raw client, with a topic. */
  async function channelBy(owner: RawIrcClient, channel: string, topic?: string): Promise<void> {
    owner.send(`JOIN ${channel}`);
    await owner.waitFor((l) => l.command === '366' && l.params[1] === channel);
    if (topic) {
      owner.send(`TOPIC ${channel} :${topic}`);
      await owner.waitFor((l) => l.command === 'TOPIC' && l.params[0] === channel);
    }
  }

  beforeAll(async () => {
    server = await Ngircd.start({ motd: 'Hello from the test MOTD' });
    adapter = testAdapter(fixedServerOptions(server.port));
  });

  afterAll(async () => {
    for (const s of sessions) await s.session.logout().catch(() => undefined);
    for (const c of raws) c.close();
    await server?.stop();
  });

  test('register connects for real and reports online, with the MOTD from the server JID', async () => {
    const alice = await user('alice');
    const [status] = await alice.waitFor('status', (s) => s.online);
    expect(status).toEqual({ online: true, text: expect.stringContaining('alice') });
    const [motd] = await alice.waitFor('message', (m) => m.from === '127.0.0.1');
    expect((motd as { body: string }).body).toContain('Hello from the test MOTD');
  });

  test('register on a server that does not listen fails with remote-server-not-found', async () => {
    const port = await freePort();
    const other = testAdapter(fixedServerOptions(port));
    const attempt = login(other, 'nobody');
    await expect(attempt).rejects.toBeInstanceOf(GatewayError);
    await expect(attempt).rejects.toMatchObject({ condition: 'remote-server-not-found' });
  });

  test('registration form without a fixed server asks for host, port and TLS; wrong values are refused', async () => {
    const open = testAdapter({});
    expect(open.registration.fields.map((f) => f.var)).toEqual(
      ['server', 'port', 'tls', 'verify_certificate', 'nick', 'password', 'username', 'realname', 'channels']);
    expect(adapter.registration.fields.map((f) => f.var)).toEqual(['nick', 'password', 'username', 'realname', 'channels']);
    await expect(login(open, 'bad nick')).rejects.toMatchObject({ condition: 'not-acceptable' });
    const s = await login(open, 'openuser', { server: '127.0.0.1', port: String(server.port), tls: 'false' });
    sessions.push(s);
    const bob = await raw('openpeer');
    await s.session.sendMessage({ to: 'openpeer%127.0.0.1', body: 'hi', receiptRequested: false, fromResource: 'x@example.org/r' });
    await bob.waitFor((l) => l.command === 'PRIVMSG' && l.params[1] === 'hi' && l.nick === 'openuser');
  });

  test('private messages both ways, with /me as CTCP ACTION', async () => {
    const carol = await user('carol');
    const dave = await raw('dave');
    await carol.session.sendMessage({ to: 'dave', body: 'hello dave', id: 'm1', receiptRequested: true, fromResource: 'carol@example.org/phone' });
    await dave.waitFor((l) => l.command === 'PRIVMSG' && l.nick === 'carol' && l.params[0] === 'dave' && l.params[1] === 'hello dave');
    await carol.waitFor('receipt', (r) => r.id === 'm1' && r.peer === 'dave');
    await carol.session.sendMessage({ to: 'dave', body: 'waves', action: true, receiptRequested: false, fromResource: 'carol@example.org/phone' });
    await dave.waitFor((l) => l.command === 'PRIVMSG' && l.params[1] === '\x01ACTION waves\x01');

    dave.send('PRIVMSG carol :hi \x02carol\x02');
    const [inbound] = await carol.waitFor('message', (m) => m.from === 'dave');
    expect(inbound).toMatchObject({ from: 'dave', body: 'hi *carol*', type: 'chat' });
    dave.send('PRIVMSG carol :\x01ACTION dances\x01');
    const [action] = await carol.waitFor('message', (m) => m.from === 'dave' && m.action);
    expect(action).toMatchObject({ body: 'dances', action: true });
    dave.send('NOTICE carol :a notice');
    await carol.waitFor('message', (m) => m.from === 'dave' && m.body === 'a notice');
  });

  test('flow control: while input is paused nothing is read from IRC; on resume it all arrives, in order', async () => {
    const fu = await user('flowuser');
    const fp = await raw('flowpeer');
    adapter.setInboundPaused!(true);
    try {
      for (let i = 0; i < 5; i++) fp.send(`PRIVMSG flowuser :held ${i}`);
      await new Promise((r) => setTimeout(r, 400));
      expect(fu.log.filter((e) => e.kind === 'message' && (e.args[0] as { from: string }).from === 'flowpeer')).toHaveLength(0);
    } finally {
      adapter.setInboundPaused!(false);
    }
    await fu.waitFor('message', (m) => m.from === 'flowpeer' && m.body === 'held 4');
    const bodies = fu.log.filter((e) => e.kind === 'message' && (e.args[0] as { from: string }).from === 'flowpeer').map((e) => (e.args[0] as { body: string }).body);
    expect(bodies).toEqual(['held 0', 'held 1', 'held 2', 'held 3', 'held 4']);
  });

  test('a message to a nick that is not online comes back as a message error', async () => {
    const erin = await user('erin');
    await erin.session.sendMessage({ to: 'ghost', body: 'anyone?', id: 'g1', receiptRequested: false, fromResource: 'erin@example.org/r' });
    const [ref, error] = await erin.waitFor('messageError');
    expect(ref).toMatchObject({ peer: 'ghost', id: 'g1' });
    expect(error).toMatchObject({ condition: 'recipient-unavailable' });
  });

  test('joining a channel gives occupants with roles and the topic; a second join re-emits the state', async () => {
    const owner = await raw('frank');
    await channelBy(owner, '#lobby', 'Welcome to the lobby');
    const gina = await user('gina');
    await gina.session.joinRoom!({ room: '#lobby', nick: 'gina', resource: 'gina@example.org/a' });
    const [room, self, occupants, subject] = await gina.waitFor('room.joined');
    expect(room).toBe('#lobby');
    expect(self).toMatchObject({ nick: 'gina', role: 'participant', affiliation: 'none' });
    expect(occupants).toEqual([{ nick: 'frank', role: 'moderator', affiliation: 'admin', marks: modeMarks('o'), jid: 'frank' }]);
    expect(subject).toBe('Welcome to the lobby');

    const before = gina.log.filter((e) => e.kind === 'room.joined').length;
    await gina.session.joinRoom!({ room: '#lobby', nick: 'gina', resource: 'gina@example.org/b' });
    expect(gina.log.filter((e) => e.kind === 'room.joined').length).toBe(before + 1);

    await gina.session.sendRoomMessage!('#lobby', { body: 'hi all', id: 'r1' });
    await owner.waitFor((l) => l.command === 'PRIVMSG' && l.params[0] === '#lobby' && l.params[1] === 'hi all');
    const [, reflected] = await gina.waitFor('room.message', (_r, m) => m.id === 'r1');
    expect(reflected).toEqual({ nick: 'gina', body: 'hi all', id: 'r1', action: undefined });
    expect(gina.log.filter((e) => e.kind === 'room.message' && (e.args[1] as { id?: string }).id === 'r1')).toHaveLength(1);

    owner.send('PRIVMSG #lobby :hello gina');
    await gina.waitFor('room.message', (r, m) => r === '#lobby' && m.nick === 'frank' && m.body === 'hello gina');

    await gina.session.setSubject!('#lobby', 'New topic');
    await owner.waitFor((l) => l.command === 'TOPIC' && l.params[1] === 'New topic');
    await gina.waitFor('room.subject', (r, s, by) => s === 'New topic' && by === 'gina');
  });

  test('joins, mode changes, nick changes, parts, kicks and quits of others are seen', async () => {
    const op = await raw('hank');
    await channelBy(op, '#events');
    const ivy = await user('ivy');
    await ivy.session.joinRoom!({ room: '#events', nick: 'ivy', resource: 'ivy@example.org/a' });
    await ivy.waitFor('room.joined');
    const jack = await raw('jack');
    jack.send('JOIN #events');
    const [, joined] = await ivy.waitFor('room.occupantJoined', (_r, o) => o.nick === 'jack');
    expect(joined).toMatchObject({ role: 'participant', affiliation: 'none' });
    op.send('MODE #events +v jack');
    await ivy.waitFor('room.occupantChanged', (_r, o: Occupant) => o.nick === 'jack' && o.affiliation === 'member');
    op.send('MODE #events +o jack');
    await ivy.waitFor('room.occupantChanged', (_r, o: Occupant) => o.nick === 'jack' && o.role === 'moderator' && o.affiliation === 'admin');
    op.send('MODE #events +m');
    await ivy.waitFor('room.occupantChanged', (_r, o: Occupant) => o.nick === 'ivy' && o.role === 'visitor');
    jack.send('NICK jacques');
    const [, oldNick, renamed] = await ivy.waitFor('room.nickChanged');
    expect(oldNick).toBe('jack');
    expect(renamed).toMatchObject({ nick: 'jacques', role: 'moderator' });
    jack.send('PART #events :bye now');
    await ivy.waitFor('room.occupantLeft', (_r, nick, info) => nick === 'jacques' && info.status === 'bye now');
    const kim = await raw('kim');
    kim.send('JOIN #events');
    await ivy.waitFor('room.occupantJoined', (_r, o) => o.nick === 'kim');
    kim.send('QUIT :gone fishing');
    await ivy.waitFor('room.occupantLeft', (_r, nick, info) => nick === 'kim' && /gone fishing/.test(info.status));
    op.send('KICK #events ivy :behave');
    const [, kicked, info] = await ivy.waitFor('room.occupantLeft', (_r, nick) => nick === 'ivy');
    expect(kicked).toBe('ivy');
    expect(info).toMatchObject({ self: true, kickedBy: 'hank', reason: 'behave' });
  });

  test('joining with another nick (even a taken one) joins with the server nick: nicks are per server, not per room', async () => {
    const taken = await raw('taken');
    const lena = await user('lena');
    await lena.session.joinRoom!({ room: '#conflict', nick: 'taken', resource: 'lena@example.org/a' });
    const [room, self] = await lena.waitFor('room.joined');
    expect([room, (self as { nick: string }).nick]).toEqual(['#conflict', 'lena']);
    taken.send('NAMES #conflict');
    const names = await taken.waitFor((l) => l.command === '353' && l.params[2] === '#conflict');
    expect(names.params[3].replace(/[@+]/g, '').split(' ')).toContain('lena');
  });

  test('a keyed channel refuses a wrong key with not-authorized and accepts the right one', async () => {
    const op = await raw('mike');
    await channelBy(op, '#secret');
    op.send('MODE #secret +k sesame');
    await op.waitFor((l) => l.command === 'MODE' && l.params[1] === '+k');
    const nina = await user('nina');
    await nina.session.joinRoom!({ room: '#secret', nick: 'nina', password: 'wrong', resource: 'nina@example.org/a' });
    const [, , error] = await nina.waitFor('room.joinFailed');
    expect(error).toMatchObject({ condition: 'not-authorized' });
    await nina.session.joinRoom!({ room: '#secret', nick: 'nina', password: 'sesame', resource: 'nina@example.org/a' });
    await nina.waitFor('room.joined', (room) => room === '#secret');
  });

  test('invite-only and banned channels map to registration-required and forbidden', async () => {
    const op = await raw('oscar');
    await channelBy(op, '#invite');
    op.send('MODE #invite +i');
    await channelBy(op, '#banned');
    op.send('MODE #banned +b pat!*@*');
    await op.sync();
    const pat = await user('pat');
    await pat.session.joinRoom!({ room: '#invite', nick: 'pat', resource: 'pat@example.org/a' });
    await pat.session.joinRoom!({ room: '#banned', nick: 'pat', resource: 'pat@example.org/a' });
    const [, , inviteError] = await pat.waitFor('room.joinFailed', (room) => room === '#invite');
    const [, , banError] = await pat.waitFor('room.joinFailed', (room) => room === '#banned');
    expect(inviteError).toMatchObject({ condition: 'registration-required' });
    expect(banError).toMatchObject({ condition: 'forbidden' });
  });

  test('CR/LF in a body cannot inject an IRC command; each line becomes its own PRIVMSG', async () => {
    const quinn = await user('quinn');
    const rita = await raw('rita');
    await channelBy(rita, '#inject');
    await quinn.session.joinRoom!({ room: '#inject', nick: 'quinn', resource: 'quinn@example.org/a' });
    await quinn.waitFor('room.joined');
    await quinn.session.sendMessage({ to: 'rita', body: 'line one\r\nKICK #inject rita :pwned\nMODE #inject +b *!*@*\0x', receiptRequested: false, fromResource: 'q@example.org/r' });
    await quinn.session.setSubject!('#inject', 'topic\r\nPART #inject');
    await quinn.session.sendMessage({ to: 'rita', body: 'last', receiptRequested: false, fromResource: 'q@example.org/r' });
    await rita.waitFor((l) => l.command === 'PRIVMSG' && l.params[1] === 'last');
    const fromQuinn = rita.lines.filter((l) => l.nick === 'quinn');
    expect(fromQuinn.map((l) => l.command)).toEqual(['JOIN', 'PRIVMSG', 'PRIVMSG', 'PRIVMSG', 'TOPIC', 'PRIVMSG']);
    expect(fromQuinn.filter((l) => l.command === 'PRIVMSG').map((l) => l.params[1]))
      .toEqual(['line one', 'KICK #inject rita :pwned', 'MODE #inject +b *!*@*x', 'last']);
    expect(fromQuinn.find((l) => l.command === 'TOPIC')?.params[1]).toBe('topic PART #inject');
    await expect(quinn.session.sendMessage({ to: 'rita\r\nQUIT', body: 'x', receiptRequested: false, fromResource: 'q@example.org/r' }))
      .rejects.toMatchObject({ condition: 'jid-malformed' });
  });

  test('a 2,000-character message arrives complete, in lines within the 512-byte limit', async () => {
    const sam = await user('sam');
    const tina = await raw('tina');
    const words = Array.from({ length: 400 }, (_, i) => `w${i}é`).join(' ');
    const body = `${words} ${words}`.slice(0, 2000);
    expect(body.length).toBe(2000);
    await sam.session.sendMessage({ to: 'tina', body, receiptRequested: false, fromResource: 's@example.org/r' });
    await tina.sync();
    const deadline = Date.now() + 10000;
    let received = '';
    while (Date.now() < deadline) {
      // Each cut happened at a space, which the line break replaces.
      received = tina.lines.filter((l) => l.nick === 'sam' && l.command === 'PRIVMSG').map((l) => l.params[1]).join(' ');
      if (received.length >= body.length) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(received).toBe(body);
    const lines = tina.lines.filter((l) => l.nick === 'sam' && l.command === 'PRIVMSG');
    expect(lines.length).toBeGreaterThan(4);
    for (const l of lines) expect(Buffer.byteLength(l.raw) + 2).toBeLessThanOrEqual(512);
  });
});
