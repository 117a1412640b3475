/**
 * Replies, reactions and corrections as IRCv3 client tags, and chathistory backfill, against the
 * scripted IRC server on loopback (ngircd offers neither message-tags nor chathistory).
 */
import { historyServer, type ScriptedIrcServer } from './scripted-server';
import { fixedServerOptions, login, testAdapter, type LoggedIn } from './helpers';

describe('IRCv3 replies, reactions and chathistory', () => {
  let server: ScriptedIrcServer;
  let history: Map<string, { live?: string[]; batch: string[] }>;
  let sam: LoggedIn;

  beforeAll(async () => {
    const scripted = historyServer();
    history = scripted.history;
    server = await scripted.started;
    sam = await login(testAdapter(fixedServerOptions(server.port)), 'sam');
  });

  afterAll(async () => {
    await sam?.session.logout();
    await server?.close();
  });

  const roomMessages = (room: string) => sam.log.filter((e) => e.kind === 'room.message' && e.args[0] === room).map((e) => e.args[1] as Record<string, unknown>);

  test('after a join, the channel history is asked for and replayed after room.joined, with delays and msgids', async () => {
    history.set('#hist', {
      batch: [
        '@time=2020-01-01T00:00:00.000Z;msgid=h1 :op!u@h PRIVMSG #hist :before you came',
        '@time=2020-01-01T00:01:00.000Z;msgid=h2 :sam!u@h PRIVMSG #hist :my own old line',
        '@time=2020-01-01T00:02:00.000Z;msgid=h3 :op!u@h PRIVMSG #hist :\x01ACTION waves\x01',
      ],
    });
    expect(server.received.find((l) => l.startsWith('CAP REQ'))).toContain('draft/chathistory');
    await sam.session.joinRoom!({ room: '#hist', nick: 'sam', resource: 'sam@example.org/a' });
    await sam.waitFor('room.message', (room, m) => room === '#hist' && m.id === 'h3');
    // The server's limit (CHATHISTORY=20) is below the default of 50.
    expect(server.received).toContain('CHATHISTORY LATEST #hist * 20');
    const joinedAt = sam.log.findIndex((e) => e.kind === 'room.joined' && e.args[0] === '#hist');
    const firstMessageAt = sam.log.findIndex((e) => e.kind === 'room.message' && e.args[0] === '#hist');
    expect(joinedAt).toBeGreaterThanOrEqual(0);
    expect(firstMessageAt).toBeGreaterThan(joinedAt);
    expect(roomMessages('#hist')).toEqual([
      { nick: 'op', body: 'before you came', id: 'h1', delay: new Date('2020-01-01T00:00:00.000Z') },
      { nick: 'sam', body: 'my own old line', id: 'h2', delay: new Date('2020-01-01T00:01:00.000Z') },
      { nick: 'op', body: 'waves', id: 'h3', delay: new Date('2020-01-01T00:02:00.000Z'), action: true },
    ]);
  });

  test('a line that reached the room live while the history was on its way is not replayed again', async () => {
    const now = new Date().toISOString();
    history.set('#live', {
      live: [`@time=${now};msgid=l1 :op!u@h PRIVMSG #live :said just now`],
      batch: ['@time=2020-01-01T00:00:00.000Z;msgid=o1 :op!u@h PRIVMSG #live :older', `@time=${now};msgid=l1 :op!u@h PRIVMSG #live :said just now`],
    });
    await sam.session.joinRoom!({ room: '#live', nick: 'sam', resource: 'sam@example.org/a' });
    await sam.waitFor('room.message', (room, m) => room === '#live' && m.id === 'o1');
    expect(roomMessages('#live').map((m) => m.id)).toEqual(['l1', 'o1']);
  });

  test('after a reconnect, only what came after the newest line seen is asked for', async () => {
    history.clear();
    server.dropConnections();
    await server.waitForLine((l) => l === 'CHATHISTORY LATEST #hist msgid=h3 20');
    await server.waitForLine((l) => l === 'CHATHISTORY LATEST #live msgid=l1 20');
  });

  test('a reply to an IRC message goes as +draft/reply with the answer alone, on its first line', async () => {
    await sam.session.sendRoomMessage!('#hist', { body: 'welcome back\nand again', id: 'a1', replyTo: { id: 'h1', legacyId: 'h1', author: 'op', text: 'before you came' } });
    await server.waitForLine((l) => l === '@+draft/reply=h1 PRIVMSG #hist :welcome back');
    await server.waitForLine((l) => l === 'PRIVMSG #hist :and again');
    const [, reflected] = await sam.waitFor('room.message', (_r, m) => m.id === 'a1');
    expect(reflected).toMatchObject({ nick: 'sam', body: 'welcome back\nand again' });
  });

  test('a correction is a "* " line: IRC servers have no edit', async () => {
    await sam.session.sendRoomMessage!('#hist', { body: 'welcome back!', id: 'a2', replaces: { id: 'a1', legacyId: 'echo1', author: '' } });
    await server.waitForLine((l) => l === 'PRIVMSG #hist :* welcome back!');
  });

  test('reactions: a TAGMSG per added emoji, +draft/unreact for a withdrawn one, text when what to withdraw is unknown', async () => {
    const target = { id: 'h1', legacyId: 'h1' };
    await sam.session.sendReaction!('#hist', { target, emojis: ['👍', 'a b;c'], id: 'x1' }, true);
    await server.waitForLine((l) => l === '@+draft/react=👍;+draft/reply=h1 TAGMSG #hist');
    await server.waitForLine((l) => l === '@+draft/react=a\\sb\\:c;+draft/reply=h1 TAGMSG #hist');
    await sam.session.sendReaction!('#hist', { target, emojis: ['👍'], id: 'x2' }, true);
    await server.waitForLine((l) => l === '@+draft/unreact=a\\sb\\:c;+draft/reply=h1 TAGMSG #hist');
    await sam.session.sendReaction!('#hist', { target: { id: 'h2', legacyId: 'h2' }, emojis: [], id: 'x3' }, true);
    await server.waitForLine((l) => l === 'PRIVMSG #hist :Withdrew the reaction');
    expect(server.received.filter((l) => l.includes('+draft/react=👍'))).toHaveLength(1);
  });

  test('in private: a reply and a reaction to a nick carry the same tags', async () => {
    server.inject('@msgid=p1 :pal!u@h PRIVMSG sam :ping?');
    await sam.waitFor('message', (m) => m.id === 'p1');
    await sam.session.sendMessage({ to: 'pal', body: 'pong', id: 'q1', replyTo: { id: 'p1', legacyId: 'p1', author: 'pal' }, receiptRequested: false, fromResource: 'sam@example.org/a' });
    await server.waitForLine((l) => l === '@+draft/reply=p1 PRIVMSG pal :pong');
    await sam.session.sendReaction!('pal', { target: { id: 'p1', legacyId: 'p1' }, emojis: ['👋'], id: 'q2' }, false);
    await server.waitForLine((l) => l === '@+draft/react=👋;+draft/reply=p1 TAGMSG pal');
  });

  test('from IRC: a reply names the message it answers, and reactions arrive added and withdrawn', async () => {
    server.inject('@msgid=r2;+draft/reply=h1 :op!u@h PRIVMSG #hist :yes, that was me');
    const [, reply] = await sam.waitFor('room.message', (_r, m) => m.id === 'r2');
    expect(reply).toMatchObject({ nick: 'op', body: 'yes, that was me', replyTo: { legacyId: 'h1' } });
    server.inject('@+draft/react=🎉;+draft/reply=h2 :op!u@h TAGMSG #hist');
    server.inject('@+draft/unreact=🎉;+draft/reply=h2 :op!u@h TAGMSG #hist');
    await sam.waitFor('room.reacted', (room, nick, change) => room === '#hist' && nick === 'op' && change.remove?.[0] === '🎉');
    const changes = sam.log.filter((e) => e.kind === 'room.reacted').map((e) => e.args[2]);
    expect(changes).toEqual([{ legacyId: 'h2', add: ['🎉'] }, { legacyId: 'h2', remove: ['🎉'] }]);
    server.inject('@+draft/react=👋;+draft/reply=q1 :pal!u@h TAGMSG sam');
    const [peer, change] = await sam.waitFor('reacted');
    expect([peer, change]).toEqual(['pal', { legacyId: 'q1', add: ['👋'] }]);
  });

  test('CR, LF and NUL in an id never reach the line: they are escaped or dropped', async () => {
    await sam.session.sendRoomMessage!('#hist', { body: 'hi', id: 'a3', replyTo: { id: 'x', legacyId: 'x\r\nQUIT\0 :bye' } });
    await server.waitForLine((l) => l === '@+draft/reply=x\\r\\nQUIT\\s:bye PRIVMSG #hist :hi');
    expect(server.received.filter((l) => l.startsWith('QUIT'))).toEqual([]);
  });
});

describe('IRCv3 tags the server does not carry', () => {
  let server: ScriptedIrcServer;
  let una: LoggedIn;

  beforeAll(async () => {
    // Replies pass, every other client tag is refused; no chathistory.
    server = await historyServer({ caps: ['server-time', 'message-tags', 'batch', 'draft/chathistory'], isupport: ['CLIENTTAGDENY=*,-draft/reply'] }).started;
    una = await login(testAdapter(fixedServerOptions(server.port, { chathistoryLines: 0 })), 'una');
    await una.session.joinRoom!({ room: '#deny', nick: 'una', resource: 'una@example.org/a' });
    await una.waitFor('room.joined');
  });

  afterAll(async () => {
    await una?.session.logout();
    await server?.close();
  });

  test('chathistoryLines: 0 neither asks for the capability nor for history', () => {
    expect(server.received.find((l) => l.startsWith('CAP REQ'))).not.toContain('chathistory');
    expect(server.received.filter((l) => l.startsWith('CHATHISTORY'))).toEqual([]);
  });

  test('before the server has shown it gives msgids, a reply quotes the message on a line of its own', async () => {
    await una.session.sendRoomMessage!('#deny', { body: 'answer', replyTo: { id: 'gw-1', legacyId: 'gw-1', author: 'op', text: 'question' } });
    await server.waitForLine((l) => l === 'PRIVMSG #deny :> op: question');
    await server.waitForLine((l) => l === 'PRIVMSG #deny :answer');
  });

  test('with msgids, replies are tagged while reactions, refused by CLIENTTAGDENY, become text', async () => {
    server.inject('@msgid=d1 :op!u@h PRIVMSG #deny :question 2');
    await una.waitFor('room.message', (_r, m) => m.id === 'd1');
    await una.session.sendRoomMessage!('#deny', { body: 'answer 2', replyTo: { id: 'd1', legacyId: 'd1' } });
    await server.waitForLine((l) => l === '@+draft/reply=d1 PRIVMSG #deny :answer 2');
    await una.session.sendReaction!('#deny', { target: { id: 'd1', legacyId: 'd1', text: 'question 2' }, emojis: ['👍'] }, true);
    await server.waitForLine((l) => l === 'PRIVMSG #deny :Reacted 👍 to "question 2"');
    expect(server.received.filter((l) => l.includes('TAGMSG'))).toEqual([]);
  });
});
