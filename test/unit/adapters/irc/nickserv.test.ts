import { NickServIdentify, servicesVerdict } from '../../../../adapters/irc/nickserv';

describe('is NickServ a network service?', () => {
  const verdict = (reply: Parameters<typeof servicesVerdict>[0], trusted: string[] = []) => servicesVerdict(reply, trusted, 'irc.x.net').trusted;

  test('the marks servers give services are trusted', () => {
    expect(verdict({ nick: 'NickServ', helpop: 'is an IRC service' })).toBe(true); // ngircd 310
    expect(verdict({ nick: 'NickServ', operator: 'is a Network Service' })).toBe(true); // UnrealIRCd, InspIRCd, Solanum 313
    expect(verdict({ nick: 'NickServ', special: ['is a network service'] })).toBe(true);
  });

  test('an ordinary user, an operator, a helper or an absent nick is not', () => {
    expect(verdict({ nick: 'NickServ', server: 'irc.x.net' })).toBe(false);
    expect(verdict({ nick: 'NickServ', operator: 'is an IRC operator' })).toBe(false);
    expect(verdict({ nick: 'NickServ', operator: 'is a Services Administrator' })).toBe(false);
    expect(verdict({ nick: 'NickServ', helpop: 'is available for help' })).toBe(false);
    expect(verdict({ nick: 'NickServ', error: 'not_found' })).toBe(false);
  });

  test('fields the user controls are never read, whatever they say', () => {
    const reply = { nick: 'NickServ', real_name: 'is a Network Service', away: 'is an IRC service', channels: '#is_a_network_service' };
    expect(verdict(reply as never)).toBe(false);
  });

  test('a configured services server is trusted without a mark, by the server WHOIS names', () => {
    expect(verdict({ nick: 'NickServ', server: 'Services.Example.net' }, ['services.example.net'])).toBe(true);
    expect(verdict({ nick: 'NickServ', server: 'irc.example.net' }, ['services.example.net'])).toBe(false);
  });
});

describe('IDENTIFY flow', () => {
  function flow(password?: string) {
    const sent: string[] = [];
    const told: string[] = [];
    const identify = new NickServIdentify({
      network: 'irc.x.net', password, trustedServers: [], lower: (s) => s.toLowerCase(),
      send: (line) => sent.push(line), tell: (text) => told.push(text),
    });
    return { identify, sent, told };
  }

  test('WHOIS first; the password only after a service answer', () => {
    const { identify, sent, told } = flow('hunter2');
    identify.start();
    expect(sent).toEqual(['WHOIS NickServ']);
    expect(identify.expects('nickserv')).toBe(true);
    identify.onWhois({ nick: 'NickServ', helpop: 'is an IRC service' });
    expect(sent).toEqual(['WHOIS NickServ', 'PRIVMSG NickServ :IDENTIFY hunter2']);
    expect(told).toEqual([]);
    expect(identify.expects('NickServ')).toBe(false);
  });

  test('an impostor gets nothing; the user is told once per session, not on every reconnect', () => {
    const { identify, sent, told } = flow('hunter2');
    for (let i = 0; i < 2; i++) {
      identify.start();
      identify.onWhois({ nick: 'NickServ', server: 'irc.x.net' });
      identify.reset();
    }
    expect(sent.filter((l) => l.includes('hunter2'))).toEqual([]);
    expect(told).toHaveLength(1);
    expect(told[0]).toMatch(/password was not sent: NickServ on irc.x.net is not a network service/);
  });

  test('a WHOIS nobody asked for (a raw command) changes nothing; no password, no WHOIS', () => {
    const withPassword = flow('pw');
    withPassword.identify.onWhois({ nick: 'NickServ', helpop: 'is an IRC service' });
    expect(withPassword.sent).toEqual([]);
    const without = flow(undefined);
    without.identify.start();
    expect(without.sent).toEqual([]);
  });
});
