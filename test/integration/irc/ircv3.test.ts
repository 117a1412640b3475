/**
 * IRCv3 paths ngircd does not offer (server-time, msgid, echo-message, +typing), against the
 * scripted IRC server on loopback.
 */
import { modeMarks } from '../../../adapters/irc/rooms';
import { ScriptedIrcServer } from './scripted-server';
import { fixedServerOptions, login, testAdapter, type LoggedIn } from './helpers';

describe('IRCv3 capabilities', () => {
  let server: ScriptedIrcServer;
  let sam: LoggedIn;

  beforeAll(async () => {
    server = await ScriptedIrcServer.start({ caps: ['server-time', 'message-tags', 'echo-message'] });
    sam = await login(testAdapter(fixedServerOptions(server.port)), 'sam');
  });

  afterAll(async () => {
    await sam?.session.logout();
    await server?.close();
  });

  test('echo-message and message-tags are negotiated', () => {
    const req = server.received.find((l) => l.startsWith('CAP REQ'));
    expect(req).toEqual(expect.stringContaining('echo-message'));
    expect(req).toEqual(expect.stringContaining('message-tags'));
  });

  test('server-time in the past becomes a delay; msgid becomes the message id', async () => {
    server.inject('@time=2020-01-02T03:04:05.000Z;msgid=abc123 :old!u@h PRIVMSG sam :from the past');
    server.inject('@time=' + new Date().toISOString() + ';msgid=now1 :old!u@h PRIVMSG sam :just now');
    const [past] = await sam.waitFor('message', (m) => m.body === 'from the past');
    expect(past).toMatchObject({ from: 'old', id: 'abc123', delay: new Date('2020-01-02T03:04:05.000Z') });
    const [recent] = await sam.waitFor('message', (m) => m.body === 'just now');
    expect(recent).toMatchObject({ id: 'now1' });
    expect((recent as { delay?: Date }).delay).toBeUndefined();
  });

  test('+typing tags become chat states both ways', async () => {
    server.inject('@+typing=active :pal!u@h TAGMSG sam');
    await sam.waitFor('chatState', (from, state) => from === 'pal' && state === 'composing');
    await sam.session.sendChatState!('pal', 'paused');
    const deadline = Date.now() + 5000;
    while (!server.received.includes('@+typing=paused TAGMSG pal') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(server.received).toContain('@+typing=paused TAGMSG pal');
  });

  test('with echo-message, a multi-line room message is reflected once, with its XMPP id, after the echoes', async () => {
    await sam.session.joinRoom!({ room: '#v3', nick: 'sam', resource: 'sam@example.org/a' });
    const [, , occupants] = await sam.waitFor('room.joined');
    expect(occupants).toEqual([{ nick: 'op', role: 'moderator', affiliation: 'admin', marks: modeMarks('o'), jid: 'op' }]);
    await sam.session.sendRoomMessage!('#v3', { body: 'one\ntwo', id: 'x1' });
    const [, reflected] = await sam.waitFor('room.message', (_r, m) => m.id === 'x1');
    // The scripted server's msgid is echo<N>, N counting the lines it received: the first line's names the message.
    const firstLine = server.received.indexOf('PRIVMSG #v3 :one') + 1;
    expect(reflected).toMatchObject({ nick: 'sam', body: 'one\ntwo', legacyId: `echo${firstLine}` });
    await new Promise((r) => setTimeout(r, 100));
    expect(sam.log.filter((e) => e.kind === 'room.message')).toHaveLength(1);
  });

  test('a room message\'s msgid becomes its id', async () => {
    server.inject('@msgid=room42 :op!u@h PRIVMSG #v3 :tagged');
    const [room, message] = await sam.waitFor('room.message', (_r, m) => m.body === 'tagged');
    expect(room).toBe('#v3');
    expect(message).toMatchObject({ nick: 'op', id: 'room42' });
  });
});
