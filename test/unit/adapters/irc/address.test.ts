import { escapeLocalpart, formatLocalpart, parseLocalpart, unescapeLocalpart } from '../../../../adapters/irc/address';

describe('IRC localparts', () => {
  test('biboumi forms: channel, nick and server', () => {
    expect(parseLocalpart('#chan%irc.server.net')).toEqual({ kind: 'room', channel: '#chan', server: 'irc.server.net' });
    expect(parseLocalpart('nick%irc.server.net')).toEqual({ kind: 'contact', nick: 'nick', server: 'irc.server.net' });
    expect(parseLocalpart('irc.server.net')).toEqual({ kind: 'server', server: 'irc.server.net' });
  });

  test('short forms need a default server', () => {
    expect(parseLocalpart('#chan', 'irc.example.net')).toEqual({ kind: 'room', channel: '#chan', server: 'irc.example.net' });
    expect(parseLocalpart('nick', 'irc.example.net')).toEqual({ kind: 'contact', nick: 'nick', server: 'irc.example.net' });
    expect(() => parseLocalpart('nick')).toThrow(expect.objectContaining({ condition: 'jid-malformed' }));
  });

  test('XEP-0106 escaping round-trips nicks and channels with special characters', () => {
    expect(escapeLocalpart('we\\ird')).toBe('we\\5cird');
    expect(escapeLocalpart('#a/b:c@d')).toBe('#a\\2fb\\3ac\\40d');
    expect(unescapeLocalpart('we\\5cird')).toBe('we\\ird');
    expect(parseLocalpart('we\\5cird%irc.server.net')).toEqual({ kind: 'contact', nick: 'we\\ird', server: 'irc.server.net' });
    const address = { kind: 'room' as const, channel: '#a/b', server: 'irc.x.net' };
    expect(parseLocalpart(formatLocalpart(address))).toEqual(address);
  });

  test('the default server is left out of formatted localparts; others are kept', () => {
    expect(formatLocalpart({ kind: 'contact', nick: 'bob', server: 'irc.x.net' }, 'irc.x.net')).toBe('bob');
    expect(formatLocalpart({ kind: 'contact', nick: 'bob', server: 'irc.y.net' }, 'irc.x.net')).toBe('bob%irc.y.net');
  });

  test('invalid names are refused with a readable error', () => {
    expect(() => parseLocalpart('bad\\20nick%irc.x.net')).toThrow(/neither an IRC nickname nor a channel/);
    expect(() => parseLocalpart('nick%not_a_host')).toThrow(/not an IRC server name/);
    expect(() => parseLocalpart('9lives%irc.x.net')).toThrow(expect.objectContaining({ condition: 'jid-malformed' }));
    expect(() => parseLocalpart(`${'n'.repeat(1000)}%irc.x.net`)).toThrow(/nicknames have at most 64 characters; this one has 1000/);
    expect(() => parseLocalpart(`#${'c'.repeat(300)}%irc.x.net`)).toThrow(/channel names have at most 200/);
  });
});
