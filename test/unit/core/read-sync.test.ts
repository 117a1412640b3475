import type { Element } from '@xmpp/xml';
import pino from 'pino';
import { parsePrivilegeAdvertisement, type PrivilegeAdvertisement } from '../../../src/component/privilege';
import { ReadSync, reportRead } from '../../../src/core/read-sync';
import xml from '@xmpp/xml';

function grantOf(server: string, message: string): PrivilegeAdvertisement {
  return parsePrivilegeAdvertisement(xml('message', { from: server },
    xml('privilege', { xmlns: 'urn:xmpp:privilege:2' }, xml('perm', { access: 'roster', type: 'both' }), xml('perm', { access: 'message', type: message }))))!;
}

function setup(grants: Record<string, PrivilegeAdvertisement>) {
  const sent: Element[] = [];
  const debug: unknown[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => debug.push(JSON.parse(line)) });
  const sync = new ReadSync({ domain: 'irc.example.org', send: (el) => sent.push(el), privilegesOf: (s) => grants[s], logger });
  return { sync, sent, debug };
}

const innerOf = (el: Element) => el.getChild('privilege', 'urn:xmpp:privilege:2')?.getChild('forwarded', 'urn:xmpp:forward:0')?.getChild('message', 'jabber:client');

describe('ReadSync: what the user read on the legacy side, shown in XMPP', () => {
  test('1:1 with message "outgoing": the privileged <displayed/> from the user\'s bare JID', () => {
    const { sync, sent } = setup({ 'example.org': grantOf('example.org', 'outgoing') });
    expect(sync.chat('alice@Example.org/phone', 'bob@irc.example.org', 'm1')).toBe('sent');
    expect(sent).toHaveLength(1);
    expect(sent[0].attrs).toMatchObject({ from: 'irc.example.org', to: 'example.org' });
    expect(innerOf(sent[0])?.attrs).toMatchObject({ from: 'alice@example.org', to: 'bob@irc.example.org', type: 'chat' });
    expect(innerOf(sent[0])?.getChild('displayed', 'urn:xmpp:chat-markers:0')?.attrs.id).toBe('m1');
  });

  test('the same message reported twice is sent once; a newer one again', () => {
    const { sync, sent } = setup({ 'example.org': grantOf('example.org', 'outgoing') });
    expect(sync.chat('alice@example.org', 'bob@irc.example.org', 'm1')).toBe('sent');
    expect(sync.chat('alice@example.org', 'bob@irc.example.org', 'm1')).toBe('repeated');
    expect(sync.chat('alice@example.org', 'carol@irc.example.org', 'm1')).toBe('sent');
    expect(sync.chat('alice@example.org', 'bob@irc.example.org', 'm2')).toBe('sent');
    expect(sent).toHaveLength(3);
  });

  test('without the grant nothing is sent, and the debug log says why', () => {
    const { sync, sent, debug } = setup({ 'example.org': grantOf('example.org', 'none') });
    expect(sync.chat('alice@example.org', 'bob@irc.example.org', 'm1')).toBe('not-granted');
    expect(sync.chat('zoe@elsewhere.net', 'bob@irc.example.org', 'm1')).toBe('not-granted');
    expect(sent).toEqual([]);
    expect(debug).toEqual([
      expect.objectContaining({ level: 20, user: 'alice@example.org', server: 'example.org', msg: expect.stringContaining('no message privilege') }),
      expect.objectContaining({ level: 20, user: 'zoe@elsewhere.net', server: 'elsewhere.net' }),
    ]);
  });

  test('a room: a groupchat <displayed/> from the user\'s occupant JID to each resource in it, no grant needed', () => {
    const { sync, sent } = setup({});
    expect(sync.room('#chan@irc.example.org/alice', ['alice@example.org/a', 'alice@example.org/b'], 'm9')).toBe(2);
    expect(sent.map((el) => [el.attrs.from, el.attrs.to, el.attrs.type, el.getChild('displayed', 'urn:xmpp:chat-markers:0')?.attrs.id])).toEqual([
      ['#chan@irc.example.org/alice', 'alice@example.org/a', 'groupchat', 'm9'],
      ['#chan@irc.example.org/alice', 'alice@example.org/b', 'groupchat', 'm9'],
    ]);
    expect(sync.room('#chan@irc.example.org/alice', ['alice@example.org/a'], 'm9')).toBe(0);
    expect(sync.room('#chan@irc.example.org/alice', [], 'm10')).toBe(0);
    expect(sent).toHaveLength(2);
  });

  test('reportRead reaches handles that offer readByUser and ignores the others', () => {
    const calls: unknown[] = [];
    expect(reportRead({ readByUser: (ref: unknown) => calls.push(ref) }, { legacyId: 'x1' })).toBe(true);
    expect(reportRead({ sendText: () => undefined }, { legacyId: 'x2' })).toBe(false);
    expect(reportRead(undefined, { legacyId: 'x3' })).toBe(false);
    expect(reportRead({ readByUser: (ref: unknown) => calls.push(ref) }, { legacyId: '' })).toBe(false);
    expect(calls).toEqual([{ legacyId: 'x1' }]);
  });
});
