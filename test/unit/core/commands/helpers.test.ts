import { chatNamesOf } from '../../../../src/core/commands/registry';
import { xmppUri } from '../../../../src/core/commands/helpers';

describe('xmpp: URIs for the address helpers', () => {
  test('the node part is percent-encoded where RFC 5122 requires it', () => {
    expect(xmppUri('+15551234567@sms.example.org', 'message')).toBe('xmpp:+15551234567@sms.example.org?message');
    expect(xmppUri('#chan%irc.libera.chat@irc.example.org', 'join')).toBe('xmpp:%23chan%25irc.libera.chat@irc.example.org?join');
    expect(xmppUri('alice\\40example.net@email.example.org', 'message')).toBe('xmpp:alice%5C40example.net@email.example.org?message');
    expect(xmppUri("o'neil&co@x.org", 'message')).toBe('xmpp:o%27neil%26co@x.org?message');
  });

  test('a join key becomes the password parameter, encoded', () => {
    expect(xmppUri('#c@irc.example.org', 'join', { password: 'a b;c' })).toBe('xmpp:%23c@irc.example.org?join;password=a%20b%3Bc');
  });
});

describe('chat names of network commands', () => {
  test('the network prefix may be left out', () => {
    expect(chatNamesOf('irc-nick')).toEqual(['nick', 'irc-nick']);
    expect(chatNamesOf('sms-release-number')).toEqual(['release-number', 'sms-release-number']);
    expect(chatNamesOf('reconnect')).toEqual(['reconnect']);
    expect(chatNamesOf('http://example.org/commands#list-rooms')).toEqual(['rooms', 'list-rooms', 'http://example.org/commands#list-rooms']);
  });
});
