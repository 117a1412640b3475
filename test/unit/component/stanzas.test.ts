import xml from '@xmpp/xml';
import { backoffDelay } from '../../../src/component/connection';
import { occupantPresence } from '../../../src/component/muc';
import { bare, errorReply, splitJid, xmlSafe } from '../../../src/component/stanzas';
import { GatewayError, toGatewayError } from '../../../src/core/errors';

describe('stanza builders', () => {
  test('errorReply swaps addresses, keeps the id, and carries condition, type and text', () => {
    const iq = xml('iq', { type: 'set', id: 'x1', from: 'a@b/c', to: 'irc.b' });
    const reply = errorReply(iq, new GatewayError('not-authorized', 'SASL failed'));
    expect(reply.attrs).toMatchObject({ type: 'error', id: 'x1', from: 'irc.b', to: 'a@b/c' });
    const error = reply.getChild('error')!;
    expect(error.attrs.type).toBe('auth');
    expect(error.getChild('not-authorized', 'urn:ietf:params:xml:ns:xmpp-stanzas')).toBeDefined();
    expect(error.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas')).toBe('SASL failed');
  });

  test('unknown errors become internal-server-error without leaking details', () => {
    const e = toGatewayError(new Error('ECONNREFUSED 10.0.0.1 password=hunter2'));
    expect(e.condition).toBe('internal-server-error');
    expect(e.message).not.toContain('hunter2');
  });

  test('JID helpers', () => {
    expect(bare('Alice@Example.org/Phone')).toBe('alice@example.org');
    expect(splitJid('#chan%irc.net@irc.example.org/nick/with/slash')).toEqual({ local: '#chan%irc.net', domain: 'irc.example.org', resource: 'nick/with/slash' });
    expect(splitJid('irc.example.org')).toEqual({ local: '', domain: 'irc.example.org', resource: '' });
  });

  test('xmlSafe drops characters XML 1.0 cannot carry', () => {
    expect(xmlSafe('a\u0002b\u000fc\td\ne')).toBe('abc\td\ne');
  });

  test('occupant presence: kick carries 307, actor and reason, role none', () => {
    const p = occupantPresence({ from: 'r@d/bob', to: 'u@d/r', occupant: { nick: 'bob', role: 'participant', affiliation: 'member' }, unavailable: true, codes: ['307'], actor: 'op', reason: 'spam' });
    const item = p.getChild('x', 'http://jabber.org/protocol/muc#user')!.getChild('item')!;
    expect(p.attrs.type).toBe('unavailable');
    expect(item.attrs).toMatchObject({ role: 'none', affiliation: 'none' });
    expect(item.getChild('actor')!.attrs.nick).toBe('op');
    expect(item.getChildText('reason')).toBe('spam');
  });
});

describe('reconnect backoff', () => {
  test('grows exponentially, stays within [ceiling/2, ceiling], and is capped', () => {
    expect(backoffDelay(0, 1000, 60000, () => 0)).toBe(500);
    expect(backoffDelay(0, 1000, 60000, () => 1)).toBe(1000);
    expect(backoffDelay(3, 1000, 60000, () => 1)).toBe(8000);
    expect(backoffDelay(20, 1000, 60000, () => 1)).toBe(60000);
    expect(backoffDelay(20, 1000, 60000, () => 0)).toBe(30000);
  });
});
