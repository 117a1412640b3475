import xml from '@xmpp/xml';
import {
  canGetRoster, canSetRoster, parsePrivilegeAdvertisement, parseRosterItems, rosterGet, rosterPush, subscribeRequest,
} from '../../../src/component/privilege';

const V1 = 'urn:xmpp:privilege:1';
const V2 = 'urn:xmpp:privilege:2';

function advertisement(ns: string, from: string, ...perms: ReturnType<typeof xml>[]) {
  return xml('message', { from, to: 'irc.example.org', id: 'adv1' }, xml('privilege', { xmlns: ns }, ...perms));
}

describe('XEP-0356 privilege advertisement', () => {
  test('urn:xmpp:privilege:1, as ejabberd 23.01 sends it', () => {
    // Seen from ejabberd 23.01 with mod_privilege roster both, message outgoing.
    const grant = parsePrivilegeAdvertisement(advertisement(V1, 'Example.org',
      xml('perm', { type: 'outgoing', access: 'message' }),
      xml('perm', { type: 'both', access: 'roster' }),
      xml('perm', { type: 'none', access: 'presence' })));
    expect(grant).toEqual({
      serverDomain: 'example.org', namespace: V1, roster: 'both', rosterPush: false, message: 'outgoing',
      presence: 'none', iq: [], ignored: [],
    });
    expect(canGetRoster(grant)).toBe(true);
    expect(canSetRoster(grant)).toBe(true);
  });

  test('urn:xmpp:privilege:2, as Prosody\'s mod_privilege sends it, with iq namespaces and roster pushes', () => {
    const grant = parsePrivilegeAdvertisement(advertisement(V2, 'example.org',
      xml('perm', { access: 'roster', type: 'set', push: 'true' }),
      xml('perm', { access: 'presence', type: 'roster' }),
      xml('perm', { access: 'iq' },
        xml('namespace', { ns: 'http://jabber.org/protocol/pubsub', type: 'set' }),
        xml('namespace', { ns: 'urn:xmpp:mam:2', type: 'sometimes' }))));
    expect(grant).toMatchObject({
      serverDomain: 'example.org', namespace: V2, roster: 'set', rosterPush: true, message: 'none', presence: 'roster',
      iq: [{ namespace: 'http://jabber.org/protocol/pubsub', type: 'set' }],
    });
    expect(grant?.ignored).toEqual(['iq access for namespace "urn:xmpp:mam:2" of type "sometimes"']);
    expect(canGetRoster(grant)).toBe(false);
    expect(canSetRoster(grant)).toBe(true);
  });

  test('no perm at all grants nothing; unknown values are read as none and reported', () => {
    expect(parsePrivilegeAdvertisement(advertisement(V2, 'example.org'))).toMatchObject({ roster: 'none', message: 'none', presence: 'none' });
    const odd = parsePrivilegeAdvertisement(advertisement(V1, 'example.org',
      xml('perm', { access: 'roster', type: 'everything' }), xml('perm', { access: 'vcard', type: 'get' })));
    expect(odd).toMatchObject({ roster: 'none' });
    expect(odd?.ignored).toEqual(['roster access of type "everything"', 'unknown access "vcard"']);
    expect(canSetRoster(odd)).toBe(false);
    expect(canSetRoster(undefined)).toBe(false);
  });

  test('only a server grants: a user, a resource, an error or a forwarded privileged message is no advertisement', () => {
    const roster = xml('perm', { access: 'roster', type: 'both' });
    expect(parsePrivilegeAdvertisement(advertisement(V2, 'mallory@example.org', roster))).toBeUndefined();
    expect(parsePrivilegeAdvertisement(advertisement(V2, 'example.org/res', roster))).toBeUndefined();
    expect(parsePrivilegeAdvertisement(xml('message', { to: 'irc.example.org' }, xml('privilege', { xmlns: V2 }, roster)))).toBeUndefined();
    expect(parsePrivilegeAdvertisement(xml('message', { from: 'example.org', type: 'error' }, xml('privilege', { xmlns: V2 }, roster)))).toBeUndefined();
    expect(parsePrivilegeAdvertisement(xml('message', { from: 'example.org' },
      xml('privilege', { xmlns: V2 }, xml('forwarded', { xmlns: 'urn:xmpp:forward:0' }))))).toBeUndefined();
    expect(parsePrivilegeAdvertisement(advertisement('urn:xmpp:privilege:3', 'example.org', roster))).toBeUndefined();
    expect(parsePrivilegeAdvertisement(xml('message', { from: 'example.org' }, xml('body', {}, 'hello')))).toBeUndefined();
  });
});

describe('roster stanzas', () => {
  test('a roster push is an iq set from the component to the user\'s bare JID', () => {
    const iq = rosterPush('irc.example.org', 'Alice@Example.org/phone', [
      { jid: 'bob@irc.example.org', name: 'Bob\u0007 B.', subscription: 'both', groups: ['IRC', '', 'IRC'] },
    ]);
    expect(iq.attrs).toEqual({ type: 'set', from: 'irc.example.org', to: 'alice@example.org' });
    expect(iq.toString()).toBe(
      '<iq type="set" from="irc.example.org" to="alice@example.org"><query xmlns="jabber:iq:roster">'
      + '<item jid="bob@irc.example.org" name="Bob B." subscription="both"><group>IRC</group></item></query></iq>');
  });

  test('a roster get, and reading the items of its result', () => {
    expect(rosterGet('irc.example.org', 'alice@example.org').toString())
      .toBe('<iq type="get" from="irc.example.org" to="alice@example.org"><query xmlns="jabber:iq:roster"/></iq>');
    const result = xml('iq', { type: 'result' }, xml('query', { xmlns: 'jabber:iq:roster' },
      xml('item', { jid: 'bob@irc.example.org', name: 'Bob', subscription: 'from', ask: 'subscribe' }, xml('group', {}, 'A'), xml('group', {}, 'B')),
      xml('item', { name: 'no jid' }),
      xml('item', { jid: 'carol@irc.example.org', name: '' })));
    expect(parseRosterItems(result)).toEqual([
      { jid: 'bob@irc.example.org', name: 'Bob', subscription: 'from', groups: ['A', 'B'] },
      { jid: 'carol@irc.example.org', name: undefined, subscription: undefined, groups: [] },
    ]);
    expect(parseRosterItems(xml('iq', { type: 'result' }))).toEqual([]);
  });

  test('the subscription request carries the contact\'s name as an XEP-0172 nick, when it has one', () => {
    expect(subscribeRequest('bob@irc.example.org', 'alice@example.org/phone', 'Bob').toString()).toBe(
      '<presence type="subscribe" from="bob@irc.example.org" to="alice@example.org"><nick xmlns="http://jabber.org/protocol/nick">Bob</nick></presence>');
    expect(subscribeRequest('bob@irc.example.org', 'alice@example.org').toString())
      .toBe('<presence type="subscribe" from="bob@irc.example.org" to="alice@example.org"/>');
  });
});
