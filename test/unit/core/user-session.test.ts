import type { Element } from '@xmpp/xml';
import pino from 'pino';
import { UserSession } from '../../../src/core/user-session';

function session() {
  const sent: Element[] = [];
  const s = new UserSession('ann@example.org', { domain: 'irc.example.org', send: (el) => sent.push(el), logger: pino({ level: 'silent' }) });
  return { s, sent };
}

describe('UserSession', () => {
  test('a departing occupant is shown with the affiliation the adapter reports', () => {
    const { s, sent } = session();
    s.addPendingJoin('#c', 'ann', 'ann@example.org/pc');
    s.events.room.joined('#c', { nick: 'ann', role: 'participant', affiliation: 'none' }, [{ nick: 'op', role: 'moderator', affiliation: 'admin' }]);
    sent.length = 0;
    s.events.room.occupantLeft('#c', 'op', { status: 'bye', affiliation: 'admin' });
    const item = sent[0].getChild('x', 'http://jabber.org/protocol/muc#user')?.getChild('item');
    expect(sent[0].attrs).toMatchObject({ from: '#c@irc.example.org/op', type: 'unavailable' });
    expect(item?.attrs).toMatchObject({ affiliation: 'admin', role: 'none' });
  });

  test('a nick change keeps the role and affiliation for the old nick', () => {
    const { s, sent } = session();
    s.addPendingJoin('#c', 'ann', 'ann@example.org/pc');
    s.events.room.joined('#c', { nick: 'ann', role: 'participant', affiliation: 'none' }, []);
    sent.length = 0;
    s.events.room.nickChanged('#c', 'bob', { nick: 'robert', role: 'moderator', affiliation: 'admin' });
    expect(sent.map((el) => [el.attrs.from, el.getChild('x', 'http://jabber.org/protocol/muc#user')?.getChild('item')?.attrs.affiliation]))
      .toEqual([['#c@irc.example.org/bob', 'admin'], ['#c@irc.example.org/robert', 'admin']]);
  });

  test('at shutdown the user sees rooms and transport go offline once, and nothing after', () => {
    const { s, sent } = session();
    s.addPendingJoin('#c', 'ann', 'ann@example.org/pc');
    s.events.status({ online: true, text: 'Connected' });
    s.events.room.joined('#c', { nick: 'ann', role: 'participant', affiliation: 'none' }, [{ nick: 'op', role: 'moderator', affiliation: 'admin' }]);
    sent.length = 0;
    s.shutdown('The gateway is shutting down');
    s.shutdown('again');
    // What the closing legacy connections report afterwards is not relayed.
    s.events.room.occupantLeft('#c', 'op', { status: 'Quit' });
    s.events.room.message('#c', { nick: 'op', body: 'late' });
    s.events.status({ online: false, text: 'Logged out' });
    s.events.message({ from: 'op', body: 'late', type: 'chat' });
    expect(sent.map((el) => [el.attrs.from, el.attrs.type, el.getChildText('status')])).toEqual([
      ['#c@irc.example.org/ann', 'unavailable', 'The gateway is shutting down'],
      ['irc.example.org', 'unavailable', 'The gateway is shutting down'],
    ]);
  });
});
