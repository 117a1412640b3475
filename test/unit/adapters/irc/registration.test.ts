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
