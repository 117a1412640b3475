import { RoomAdmin } from '../../../../adapters/irc/room-admin';
import { CommandRunner } from '../../../../adapters/irc/command-runner';
import { PrivateChats } from '../../../../adapters/irc/private-chats';
import { Rooms } from '../../../../adapters/irc/rooms';
import { GatewayError } from '../../../../src/core/errors';
import { recordingEvents } from '../../../harness/recording-events';

/** A joined #c with an op, a voiced member and a plain one; the runner answers every command at once. */
function setup(moderated = false) {
  const recorder = recordingEvents();
  const lower = (s: string) => s.toLowerCase();
  const rooms = new Rooms({ openRoom: (l) => recorder.xmpp.room(l, { fold: lower }), lower, selfNick: () => 'me', roomLocalpart: (c) => c, sendJoin: () => undefined });
  rooms.want('#c', '#c', 'me');
  rooms.onJoin('#c', 'me');
  rooms.onNames('#c', [{ nick: 'me', modes: ['o'] }, { nick: 'Op', modes: ['o'] }, { nick: 'v', modes: ['v'] }, { nick: 'plain', modes: [] }]);
  if (moderated) rooms.onMode('#c', [{ mode: '+m', param: null }]);
  const lines: string[] = [];
  const runner = new CommandRunner({
    online: () => true,
    lower,
    send: (sent) => {
      lines.push(...sent.slice(0, -1));
      const token = sent[sent.length - 1].replace('PING :', '');
      setImmediate(() => runner.pong(token));
      return true;
    },
  });
  const joinedChannel = (room: string) => {
    const state = rooms.get(room);
    if (!state || state.phase !== 'joined') throw new GatewayError('not-acceptable', 'not joined');
    return state;
  };
  return { admin: new RoomAdmin({ runner, joinedChannel, defaultServer: 'srv' }), lines, rooms, recorder };
}

describe('moderation as IRC commands', () => {
  test('roles: kick with a one-line reason, +o, participant and visitor take what is too much', async () => {
    const { admin, lines } = setup(true);
    await admin.setRole('#c', 'PLAIN', 'none', 'go\r\nQUIT');
    await admin.setRole('#c', 'plain', 'moderator');
    await admin.setRole('#c', 'op', 'moderator');
    await admin.setRole('#c', 'op', 'participant');
    await admin.setRole('#c', 'v', 'visitor');
    expect(lines).toEqual(['KICK #c plain :go QUIT', 'MODE #c +o plain', 'MODE #c -o Op', 'MODE #c +v Op', 'MODE #c -v v']);
    await expect(admin.setRole('#c', 'nobody', 'none')).rejects.toMatchObject({ condition: 'item-not-found' });
    await expect(admin.setRole('#c', 'x y', 'none')).rejects.toMatchObject({ condition: 'item-not-found' });
  });

  test('affiliations: admin +o, member +v, outcast bans and kicks, none lifts a ban or takes the modes; no owners', async () => {
    const { admin, lines } = setup();
    await admin.setAffiliation('#c', { localpart: 'plain' }, 'admin');
    await admin.setAffiliation('#c', { nick: 'Op' }, 'member');
    await admin.setAffiliation('#c', { localpart: 'v' }, 'outcast', 'spam');
    await admin.setAffiliation('#c', { localpart: 'bad!*\\40*.example' }, 'none');
    await admin.setAffiliation('#c', { nick: 'gone' }, 'outcast');
    expect(lines).toEqual([
      'MODE #c +o plain',
      'MODE #c -o Op', 'MODE #c +v Op',
      'MODE #c +b v!*@*', 'KICK #c v :spam',
      'MODE #c -b bad!*@*.example',
      'MODE #c +b gone!*@*',
    ]);
    await expect(admin.setAffiliation('#c', { nick: 'Op' }, 'owner')).rejects.toMatchObject({ condition: 'not-allowed' });
    await expect(admin.setAffiliation('#c', { localpart: '#chan' }, 'admin')).rejects.toMatchObject({ condition: 'not-acceptable' });
  });

  test('the configuration is read from the channel modes and changed with TOPIC and MODE lines', async () => {
    const { admin, lines, rooms } = setup();
    rooms.onMode('#c', [{ mode: '+t', param: null }, { mode: '+k', param: 'old' }, { mode: '+l', param: '10' }, { mode: '+s', param: null }]);
    rooms.onTopic('#c', 'hello');
    expect(admin.roomConfig('#c')).toEqual({ subject: 'hello', subjectLocked: true, moderated: false, membersOnly: false, password: 'old', maxUsers: 10, public: false });
    await admin.configureRoom('#c', { subject: 'new\ntopic', subjectLocked: false, membersOnly: true, password: 'new key', maxUsers: 0, public: true });
    expect(lines).toEqual(['TOPIC #c :new topic', 'MODE #c -t', 'MODE #c +i', 'MODE #c -s', 'MODE #c -l', 'MODE #c -k old', 'MODE #c +k newkey']);
    rooms.onMode('#c', [{ mode: '-k', param: 'old' }]);
    expect(admin.roomConfig('#c').password).toBe('');
  });

  test('the ban list: masks as escaped localparts', async () => {
    const { admin, lines } = setup();
    expect(await admin.affiliations('#c', 'outcast', () => [{ banned: 'bad!*@host' }, { banned: 'weird' }])).toEqual([{ affiliation: 'outcast', localpart: 'bad!*\\40host' }]);
    expect(lines).toEqual(['MODE #c +b']);
    expect(await admin.affiliations('#c', 'member', () => [])).toBeUndefined();
  });
});

describe('where private messages show', () => {
  test('through the room the user last wrote from, while both are in it; else the nick\'s address', () => {
    const { rooms, recorder } = setup();
    const chats = new PrivateChats({ lower: (s) => s.toLowerCase(), rooms, contact: (nick) => recorder.xmpp.contact(nick) });
    expect(chats.chatWith('plain')).toBe(recorder.xmpp.contact('plain'));
    const viaRoom = chats.wrote('plain', '#c');
    expect(viaRoom).not.toBe(recorder.xmpp.contact('plain'));
    viaRoom.delivered({ id: 'm1' });
    expect(recorder.log.at(-1)).toMatchObject({ kind: 'room.privateReceipt', args: ['#c', 'plain', { id: 'm1' }] });
    chats.chatWith('PLAIN').sendText('hi');
    expect(recorder.log.at(-1)).toMatchObject({ kind: 'room.private', args: ['#c', { nick: 'PLAIN', body: 'hi' }] });
    chats.renamed('plain', 'plainer');
    rooms.onNick('plain', 'plainer');
    chats.chatWith('plainer').sendText('renamed');
    expect(recorder.log.at(-1)).toMatchObject({ kind: 'room.private', args: ['#c', { nick: 'plainer', body: 'renamed' }] });
    rooms.onPart('#c', 'plainer', '');
    expect(chats.chatWith('plainer')).toBe(recorder.xmpp.contact('plainer'));
    chats.wrote('v', '#c');
    expect(chats.wrote('v')).toBe(recorder.xmpp.contact('v'));
    expect(chats.chatWith('v')).toBe(recorder.xmpp.contact('v'));
  });
});
