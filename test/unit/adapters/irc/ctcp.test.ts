import { Ctcp, parseVersionReply } from '../../../../adapters/irc/ctcp';

function ctcp() {
  const sent: string[] = [];
  const c = new Ctcp({ online: () => true, send: (line) => { sent.push(line); return true; }, lower: (s) => s.toLowerCase(), versionText: () => 'XMPP transport gateway\x01\r\nQUIT' });
  return { c, sent };
}

describe('CTCP', () => {
  test('VERSION answers become name, version and OS where the text allows', () => {
    expect(parseVersionReply('irssi v1.4.5 - running on Linux x86_64')).toEqual({ name: 'irssi', version: '1.4.5', os: 'Linux x86_64' });
    expect(parseVersionReply('HexChat 2.16.1 [x64] / Windows 10')).toEqual({ name: 'HexChat', version: '2.16.1', os: '[x64] / Windows 10' });
    expect(parseVersionReply('WeeChat 4.1.1')).toEqual({ name: 'WeeChat', version: '4.1.1' });
    expect(parseVersionReply('\x02Some\x02 client')).toEqual({ name: 'Some client' });
    expect(parseVersionReply('')).toEqual({ name: 'unknown' });
  });

  test('a VERSION request waits for that nick\'s answer (any case), shared by callers; 401 and a lost connection end it', async () => {
    const { c, sent } = ctcp();
    const first = c.version('Bob');
    const second = c.version('bob');
    expect(sent).toEqual(['PRIVMSG Bob :\x01VERSION\x01']);
    expect(c.answered({ nick: 'carol', type: 'VERSION', message: 'VERSION x 1' })).toBe(false);
    expect(c.answered({ nick: 'BOB', type: 'VERSION', message: 'VERSION irssi v1.2' })).toBe(true);
    await expect(first).resolves.toEqual({ name: 'irssi', version: '1.2' });
    await expect(second).resolves.toEqual({ name: 'irssi', version: '1.2' });
    const gone = c.version('ghost');
    expect(c.noSuchNick('ghost')).toBe(true);
    await expect(gone).rejects.toMatchObject({ condition: 'item-not-found' });
    const lost = c.version('dan');
    c.lost();
    await expect(lost).rejects.toMatchObject({ condition: 'remote-server-timeout' });
  });

  test('PING, TIME, VERSION and CLIENTINFO are answered privately, with nothing that could break the line', () => {
    const { c, sent } = ctcp();
    c.request({ nick: 'bob', type: 'PING', message: 'PING 123\r\nQUIT' }, false);
    c.request({ nick: 'bob', type: 'TIME', message: 'TIME' }, false);
    c.request({ nick: 'bob', type: 'VERSION', message: 'VERSION' }, false);
    c.request({ nick: 'bob', type: 'CLIENTINFO', message: 'CLIENTINFO' }, false);
    c.request({ nick: 'bob', type: 'PING', message: 'PING 1' }, true);
    c.request({ nick: 'irc.server.net', type: 'PING', message: 'PING 1' }, false);
    c.request({ nick: 'bob', type: 'FINGER', message: 'FINGER' }, false);
    expect(sent[0]).toBe('NOTICE bob :\x01PING 123QUIT\x01');
    expect(sent[1]).toMatch(/^NOTICE bob :\x01TIME \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\x01$/);
    expect(sent[2]).toBe('NOTICE bob :\x01VERSION XMPP transport gatewayQUIT\x01');
    expect(sent[3]).toBe('NOTICE bob :\x01CLIENTINFO ACTION CLIENTINFO PING TIME VERSION\x01');
    expect(sent).toHaveLength(4);
  });

  test('a CTCP flood gets a handful of answers, not one per request', () => {
    const { c, sent } = ctcp();
    for (let i = 0; i < 50; i++) c.request({ nick: 'flooder', type: 'PING', message: `PING ${i}` }, false);
    expect(sent.length).toBeLessThanOrEqual(5);
  });
});
