import type { Element } from '@xmpp/xml';
import pino from 'pino';
import { UserSession } from '../../../src/core/user-session';
import { configChanges } from '../../../src/core/room-admin';
import { GatewayError } from '../../../src/core/errors';

const MUC_USER = 'http://jabber.org/protocol/muc#user';

function session() {
  const sent: Element[] = [];
  const s = new UserSession('ann@example.org', { domain: 'irc.example.org', send: (el) => sent.push(el), logger: pino({ level: 'silent' }) });
  return { s, sent };
}

const codes = (el: Element) => el.getChild('x', MUC_USER)?.getChildren('status').map((st) => st.attrs.code);

describe('room handle: nicks asked for, private chats, admin lists', () => {
  test('a resource that asked for another nick gets 210 with 110, from the nick the user has', () => {
    const { s, sent } = session();
    s.addPendingJoin('#c', 'annie', 'ann@example.org/phone');
    s.addPendingJoin('#c', 'ann', 'ann@example.org/pc');
    const room = s.xmpp.room('#c');
    room.setOccupants([{ nick: 'ann', role: 'participant', affiliation: 'none' }]);
    room.joined('ann');
    const selves = sent.filter((el) => el.name === 'presence');
    expect(selves.map((el) => [el.attrs.to, el.attrs.from, codes(el)])).toEqual([
      ['ann@example.org/phone', '#c@irc.example.org/ann', ['100', '110', '210']],
      ['ann@example.org/pc', '#c@irc.example.org/ann', ['100', '110']],
    ]);
    // The nick asked for is not remembered past the join.
    sent.length = 0;
    s.addPendingJoin('#c', '', 'ann@example.org/phone');
    room.joined('ann');
    expect(codes(sent.find((el) => el.name === 'presence')!)).toEqual(['100', '110']);
  });

  test('a refused join answers each resource from the nick it asked for', () => {
    const { s, sent } = session();
    s.addPendingJoin('#c', 'annie', 'ann@example.org/phone');
    s.xmpp.room('#c').joinFailed('ann', new GatewayError('forbidden', 'banned'));
    expect(sent[0].attrs).toMatchObject({ from: '#c@irc.example.org/annie', type: 'error' });
    expect(sent[0].getChild('error')!.attrs.code).toBe('403');
  });

  test('a private chat speaks from room/nick to the resources in the room, else to the bare JID', () => {
    const { s, sent } = session();
    const room = s.xmpp.room('#c');
    room.privateChat('bob').sendText('before', { legacyId: 'l1' });
    expect(sent[0].attrs).toMatchObject({ from: '#c@irc.example.org/bob', to: 'ann@example.org', type: 'chat', id: 'l1' });
    s.addPendingJoin('#c', 'ann', 'ann@example.org/pc');
    room.joined('ann');
    sent.length = 0;
    const chat = room.privateChat('bob');
    expect(room.privateChat('bob')).toBe(chat);
    chat.sendText('waves', { action: true });
    chat.delivered({ id: 'm1', fromResource: 'ann@example.org/pc' });
    chat.failed({ id: 'm2', fromResource: 'ann@example.org/pc' }, new GatewayError('recipient-unavailable', 'gone'));
    expect(sent.map((el) => [el.attrs.from, el.attrs.to, el.attrs.type ?? ''])).toEqual([
      ['#c@irc.example.org/bob', 'ann@example.org/pc', 'chat'],
      ['#c@irc.example.org/bob', 'ann@example.org/pc', ''],
      ['#c@irc.example.org/bob', 'ann@example.org/pc', 'error'],
    ]);
    expect(sent[0].getChildText('body')).toBe('/me waves');
    expect(sent[0].getChild('x', MUC_USER)).toBeDefined();
  });

  test('the admin lists show each occupant with its real JID, the user with their own', () => {
    const { s } = session();
    s.addPendingJoin('#c', 'ann', 'ann@example.org/pc');
    const room = s.xmpp.room('#c', { contactOf: (nick) => `${nick}%srv` });
    room.setOccupants([{ nick: 'ann', role: 'moderator', affiliation: 'admin' }, { nick: 'bob', role: 'participant', affiliation: 'none' }]);
    room.joined('ann');
    expect(s.rooms.get('#c')!.listed()).toEqual([
      { nick: 'ann', role: 'moderator', affiliation: 'admin', jid: 'ann@example.org' },
      { nick: 'bob', role: 'participant', affiliation: 'none', jid: 'bob%srv@irc.example.org' },
    ]);
  });
});

describe('room configuration changes', () => {
  test('only what differs from the room now, and only what the network has', () => {
    expect(configChanges(
      { subject: 'old', moderated: false, membersOnly: false, password: '', maxUsers: 0 },
      { subject: 'old', moderated: true, membersOnly: false, password: 'pw', public: false },
    )).toEqual({ moderated: true, password: 'pw' });
  });
});
