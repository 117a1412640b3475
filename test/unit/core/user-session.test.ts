import type { Element } from '@xmpp/xml';
import pino from 'pino';
import { OccupantDirectory } from '../../../src/core/occupants';
import { UserSession } from '../../../src/core/user-session';

function session() {
  const sent: Element[] = [];
  const s = new UserSession('ann@example.org', { domain: 'irc.example.org', send: (el) => sent.push(el), logger: pino({ level: 'silent' }) });
  return { s, sent };
}

const item = (el: Element) => el.getChild('x', 'http://jabber.org/protocol/muc#user')?.getChild('item');

describe('UserSession', () => {
  test('a departing occupant is shown with the affiliation it had in the occupant table', () => {
    const { s, sent } = session();
    s.addPendingJoin('#c', 'ann', 'ann@example.org/pc');
    const room = s.xmpp.room('#c');
    room.setOccupants([{ nick: 'ann', role: 'participant', affiliation: 'none' }, { nick: 'op', role: 'moderator', affiliation: 'admin' }]);
    room.joined('ann');
    sent.length = 0;
    expect(room.occupantLeft('op', { status: 'bye' })).toMatchObject({ nick: 'op', affiliation: 'admin' });
    expect(sent[0].attrs).toMatchObject({ from: '#c@irc.example.org/op', type: 'unavailable' });
    expect(item(sent[0])?.attrs).toMatchObject({ affiliation: 'admin', role: 'none' });
    expect(room.occupant('op')).toBeUndefined();
  });

  test('joined sends everyone in the table, then self-presence with 110, then the subject', () => {
    const { s, sent } = session();
    s.addPendingJoin('#c', 'ann', 'ann@example.org/pc');
    const room = s.xmpp.room('#c');
    room.setOccupants([{ nick: 'op', role: 'moderator', affiliation: 'admin' }, { nick: 'ann', role: 'participant', affiliation: 'none' }]);
    room.joined('ann', 'hello');
    expect(sent.map((el) => [el.name, el.attrs.from])).toEqual([
      ['presence', '#c@irc.example.org/op'],
      ['presence', '#c@irc.example.org/ann'],
      ['message', '#c@irc.example.org'],
    ]);
    expect(sent[1].getChild('x', 'http://jabber.org/protocol/muc#user')?.getChildren('status').map((st) => st.attrs.code)).toEqual(['100', '110']);
    expect(s.inRoom('#c', 'ann@example.org/pc')).toBe(true);
  });

  test('before joined, occupant changes only update the table', () => {
    const { s, sent } = session();
    s.addPendingJoin('#c', 'ann', 'ann@example.org/pc');
    const room = s.xmpp.room('#c');
    room.occupantJoined({ nick: 'bob', role: 'participant', affiliation: 'none' });
    room.occupantChanged({ nick: 'bob', role: 'moderator', affiliation: 'admin', marks: 8 });
    expect(sent).toHaveLength(0);
    expect(room.occupant('bob')).toEqual({ nick: 'bob', role: 'moderator', affiliation: 'admin', marks: 8 });
  });

  test('a nick change keeps the role and affiliation for the old nick', () => {
    const { s, sent } = session();
    s.addPendingJoin('#c', 'ann', 'ann@example.org/pc');
    const room = s.xmpp.room('#c');
    room.setOccupants([{ nick: 'ann', role: 'participant', affiliation: 'none' }, { nick: 'bob', role: 'moderator', affiliation: 'admin' }]);
    room.joined('ann');
    sent.length = 0;
    room.nickChanged('bob', 'robert');
    expect(sent.map((el) => [el.attrs.from, item(el)?.attrs.affiliation])).toEqual([['#c@irc.example.org/bob', 'admin'], ['#c@irc.example.org/robert', 'admin']]);
    expect(room.occupant('robert')?.affiliation).toBe('admin');
  });

  test('two users in one legacy room share its nick slots', () => {
    const directory = new OccupantDirectory();
    const a = new UserSession('a@example.org', { domain: 'irc.example.org', send: () => undefined, logger: pino({ level: 'silent' }), directory });
    const b = new UserSession('b@example.org', { domain: 'irc.example.org', send: () => undefined, logger: pino({ level: 'silent' }), directory });
    const list = [{ nick: 'x', role: 'participant' as const, affiliation: 'none' as const }, { nick: 'y', role: 'participant' as const, affiliation: 'none' as const }];
    a.xmpp.room('#c').setOccupants(list);
    b.xmpp.room('#c').setOccupants(list);
    expect(directory.size).toBe(1);
    a.xmpp.room('#c').close();
    b.xmpp.room('#c').close();
    expect(directory.size).toBe(0);
  });

  test('a reply from the network names the answered message by its id in the room; reactions arrive as whole sets', () => {
    const { s, sent } = session();
    s.addPendingJoin('#c', 'ann', 'ann@example.org/pc');
    const room = s.xmpp.room('#c');
    room.setOccupants([{ nick: 'ann', role: 'participant', affiliation: 'none' }, { nick: 'bob', role: 'participant', affiliation: 'none' }]);
    room.joined('ann');
    sent.length = 0;
    room.message('bob', 'yes', { legacyId: 'm2', replyTo: { legacyId: 'm1' } });
    expect(sent[0].getChild('reply', 'urn:xmpp:reply:0')?.attrs.id).toBe('m1');
    room.reacted('bob', { legacyId: 'm1', add: ['👍'] });
    room.reacted('bob', { legacyId: 'm1', add: ['🎉'] });
    room.reacted('bob', { legacyId: 'm1', remove: ['👍'] });
    const sets = sent.slice(1).map((el) => el.getChild('reactions', 'urn:xmpp:reactions:0')!.getChildren('reaction').map((r) => r.text()));
    expect(sets).toEqual([['👍'], ['👍', '🎉'], ['🎉']]);
    expect(sent[1].attrs).toMatchObject({ from: '#c@irc.example.org/bob', type: 'groupchat' });
    expect(sent[1].getChild('reactions', 'urn:xmpp:reactions:0')?.attrs.id).toBe('m1');
  });

  test('at shutdown the user sees rooms and transport go offline once, and nothing after', () => {
    const { s, sent } = session();
    s.addPendingJoin('#c', 'ann', 'ann@example.org/pc');
    s.xmpp.status({ online: true, text: 'Connected' });
    const room = s.xmpp.room('#c');
    room.setOccupants([{ nick: 'ann', role: 'participant', affiliation: 'none' }, { nick: 'op', role: 'moderator', affiliation: 'admin' }]);
    room.joined('ann');
    sent.length = 0;
    s.shutdown('The gateway is shutting down');
    s.shutdown('again');
    // What the closing legacy connections report afterwards is not relayed.
    room.occupantLeft('op', { status: 'Quit' });
    room.message('op', 'late');
    s.xmpp.status({ online: false, text: 'Logged out' });
    s.xmpp.contact('op').sendText('late');
    expect(sent.map((el) => [el.attrs.from, el.attrs.type, el.getChildText('status')])).toEqual([
      ['#c@irc.example.org/ann', 'unavailable', 'The gateway is shutting down'],
      ['irc.example.org', 'unavailable', 'The gateway is shutting down'],
    ]);
  });
});
