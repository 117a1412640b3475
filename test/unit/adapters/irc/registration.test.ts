import { ircOptionsSchema } from '../../../../adapters/irc/options';
import { connectionSettings, parseChannelList } from '../../../../adapters/irc/registration';

describe('IRC registration', () => {
  const open = ircOptionsSchema.parse({});
  const fixed = ircOptionsSchema.parse({ server: { host: 'irc.example.net' } });

  test('a fixed server supplies host, port and TLS', () => {
    expect(connectionSettings({ nick: 'bob' }, fixed)).toMatchObject({ host: 'irc.example.net', port: 6697, tls: true, nick: 'bob', username: 'bob' });
  });

  test('an open gateway takes them from the form, with TLS defaults', () => {
    expect(connectionSettings({ nick: 'bob', server: 'IRC.Other.net' }, open)).toMatchObject({ host: 'irc.other.net', port: 6697, tls: true });
    expect(connectionSettings({ nick: 'bob', server: 'irc.other.net', tls: 'false' }, open)).toMatchObject({ port: 6667, tls: false });
  });

  test('bad values get readable errors', () => {
    expect(() => connectionSettings({ nick: 'bad nick' }, fixed)).toThrow(/not a valid IRC nickname/);
    expect(() => connectionSettings({ nick: 'bob', server: 'bad host!' }, open)).toThrow(/not a server host name/);
    expect(() => connectionSettings({ nick: 'bob', server: 'irc.x.net', port: '99999' }, open)).toThrow(/not a port/);
    expect(() => connectionSettings({ nick: 'bob', password: 'a\r\nQUIT' }, fixed)).toThrow(/line breaks/);
    const limited = ircOptionsSchema.parse({ allowedServers: ['irc.good.net'] });
    expect(() => connectionSettings({ nick: 'bob', server: 'irc.evil.net' }, limited)).toThrow(expect.objectContaining({ condition: 'not-allowed' }));
  });

  test('only decimal port numbers: 0x1A0B is not 6667', () => {
    for (const port of ['0x1A0B', '1e3', '0b1', '6667.0', '+6667', '-1', '65536', '0']) {
      expect(() => connectionSettings({ nick: 'bob', server: 'irc.x.net', port }, open)).toThrow(expect.objectContaining({ condition: 'not-acceptable', message: expect.stringMatching(/not a port number/) }));
    }
    expect(connectionSettings({ nick: 'bob', server: 'irc.x.net', port: ' 6667 ' }, open).port).toBe(6667);
  });

  test('every field has a length bound, and the error names the field', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ nick: 'n'.repeat(1000) }, /nickname is too long \(1000 characters; at most 64\)/],
      [{ nick: 'bob', realname: 'r'.repeat(100000) }, /real name is too long \(100000 characters; at most 200\)/],
      [{ nick: 'bob', username: 'u'.repeat(33) }, /user name is too long/],
      [{ nick: 'bob', password: 'p'.repeat(301) }, /password is too long/],
      [{ nick: 'bob', channels: `#${'c'.repeat(300)}` }, /channel name "#ccc.*is too long \(301 characters; at most 200\)/],
      [{ nick: 'bob', channels: `#c ${'k'.repeat(101)}` }, /key of #c is too long/],
    ];
    for (const [credentials, text] of cases) {
      expect(() => connectionSettings(credentials, fixed)).toThrow(expect.objectContaining({ condition: 'not-acceptable', message: expect.stringMatching(text) }));
    }
    expect(() => connectionSettings({ nick: 'bob', server: `${'a'.repeat(300)}.net` }, open)).toThrow(/server host name is too long/);
  });

  test('without a user name, the ident comes from the nick, within the ident rules', () => {
    expect(connectionSettings({ nick: '[away]bob' }, fixed).username).toBe('awaybob');
    expect(connectionSettings({ nick: 'n'.repeat(60) }, fixed).username).toBe('n'.repeat(32));
    expect(connectionSettings({ nick: '[]' }, fixed).username).toBe('xmpp');
  });

  test('auto-join channels count against the per-user channel cap', () => {
    const capped = ircOptionsSchema.parse({ server: { host: 'irc.example.net' }, maxChannels: 2 });
    expect(connectionSettings({ nick: 'bob', channels: '#a,#b' }, capped).channels).toHaveLength(2);
    expect(() => connectionSettings({ nick: 'bob', channels: '#a,#b,#c' }, capped)).toThrow(/names 3 channels; this gateway joins at most 2/);
    expect(fixed.maxChannels).toBe(100);
  });

  test('channel list with keys', () => {
    expect(parseChannelList('#a, #b key ,&c')).toEqual([{ name: '#a' }, { name: '#b', key: 'key' }, { name: '&c' }]);
    expect(() => parseChannelList('nochan')).toThrow(/not a channel name/);
  });

  test('options: anonymous use needs a fixed server; bad encodings are refused', () => {
    expect(ircOptionsSchema.safeParse({ allowAnonymous: true }).success).toBe(false);
    expect(ircOptionsSchema.safeParse({ fallbackEncoding: 'klingon' }).success).toBe(false);
    expect(ircOptionsSchema.safeParse({ unknownKey: 1 }).success).toBe(false);
  });
});
