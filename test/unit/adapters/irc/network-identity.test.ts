import { identReply, parseIdentQuery } from '../../../../adapters/irc/identd';
import { ircOptionsSchema } from '../../../../adapters/irc/options';
import { parseSourceRange, sourceAddressFor, sourceRangeProblem } from '../../../../adapters/irc/source-address';
import { hashedHost, webircHost, webircLine, type WebircSettings } from '../../../../adapters/irc/webirc';

const KEY = 'a-test-key-of-enough-length';

describe('ident queries (RFC 1413)', () => {
  test('reads a port pair with or without spaces', () => {
    expect(parseIdentQuery('6193, 23')).toEqual({ ok: true, local: 6193, remote: 23 });
    expect(parseIdentQuery('  6193 ,23 ')).toEqual({ ok: true, local: 6193, remote: 23 });
    expect(parseIdentQuery('1,65535')).toEqual({ ok: true, local: 1, remote: 65535 });
  });

  test('ports out of range are invalid but echoed; garbage reads as 0 , 0', () => {
    expect(parseIdentQuery('0, 23')).toEqual({ ok: false, local: 0, remote: 23 });
    expect(parseIdentQuery('70000, 23')).toEqual({ ok: false, local: 70000, remote: 23 });
    for (const garbage of ['', 'hello', '12', '1, 2, 3', '-1, 5', '0x10, 5', '123456, 1', '1;2']) {
      expect(parseIdentQuery(garbage)).toEqual({ ok: false, local: 0, remote: 0 });
    }
  });

  test('answers in the RFC format', () => {
    expect(identReply({ local: 6193, remote: 23 }, { user: 'alice' })).toBe('6193 , 23 : USERID : UNIX : alice\r\n');
    expect(identReply({ local: 6193, remote: 23 }, { error: 'NO-USER' })).toBe('6193 , 23 : ERROR : NO-USER\r\n');
  });
});

describe('per-user source addresses', () => {
  test('ranges are read and checked', () => {
    expect(sourceRangeProblem('2001:db8:42::/64')).toBeUndefined();
    expect(sourceRangeProblem('127.0.0.128/25')).toBeUndefined();
    expect(sourceRangeProblem('127.0.0.1')).toMatch(/CIDR/);
    expect(sourceRangeProblem('127.0.0.1/31')).toMatch(/two host bits/);
    expect(sourceRangeProblem('2001:db8::/124')).toMatch(/8 host bits/);
    expect(sourceRangeProblem('example.org/24')).toMatch(/CIDR/);
    expect(parseSourceRange('10.1.2.3/8')).toEqual({ family: 4, base: 0x0a000000n, prefix: 8 });
  });

  test('an IPv4 range gives each user a stable host address inside it, never the network or broadcast address', () => {
    const range = parseSourceRange('127.0.0.128/25')!;
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const address = sourceAddressFor(range, `user${i}@example.org`, KEY);
      const last = Number(address.split('.')[3]);
      expect(address.startsWith('127.0.0.')).toBe(true);
      expect(last).toBeGreaterThan(128);
      expect(last).toBeLessThan(255);
      seen.add(address);
    }
    // 126 usable addresses, 300 users: the hash spreads them over most of the range.
    expect(seen.size).toBeGreaterThan(100);
    expect(sourceAddressFor(range, 'Alice@Example.org', KEY)).toBe(sourceAddressFor(range, 'alice@example.org', KEY));
  });

  test('an IPv6 prefix keeps its network bits; the key decides the host bits', () => {
    const range = parseSourceRange('2001:db8:42::/64')!;
    const a = sourceAddressFor(range, 'alice@example.org', KEY);
    expect(a).toMatch(/^2001:db8:42:0:[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}$/);
    expect(sourceAddressFor(range, 'alice@example.org', KEY)).toBe(a);
    expect(sourceAddressFor(range, 'bob@example.org', KEY)).not.toBe(a);
    expect(sourceAddressFor(range, 'alice@example.org', `${KEY}-other`)).not.toBe(a);
    const mapped = parseSourceRange('::ffff:10.0.0.0/120')!;
    expect(sourceAddressFor(mapped, 'alice@example.org', KEY)).toMatch(/^0:0:0:0:0:ffff:a00:[0-9a-f]{1,2}$/);
  });
});

describe('WEBIRC', () => {
  const hashed: WebircSettings = { password: 'secret', gateway: 'xmpp-gateway', hostMode: 'hashed' };

  test('a hashed host is stable per user, differs between users and keys, and carries no part of the JID', () => {
    const host = webircHost(hashed, 'alice@example.org', KEY, 'irc.example.org');
    expect(host).toMatch(/^[0-9a-f]{16}\.irc\.example\.org$/);
    expect(webircHost(hashed, 'ALICE@example.org', KEY, 'irc.example.org')).toBe(host);
    expect(webircHost(hashed, 'bob@example.org', KEY, 'irc.example.org')).not.toBe(host);
    expect(hashedHost('alice@example.org', `${KEY}x`, 'irc.example.org')).not.toBe(host);
    expect(host).not.toContain('alice');
    expect(webircHost({ ...hashed, hostSuffix: 'users.example.net' }, 'alice@example.org', KEY, 'irc.example.org')).toMatch(/^[0-9a-f]{16}\.users\.example\.net$/);
    expect(webircHost({ ...hashed, hostMode: 'fixed', host: 'gateway.example.org' }, 'alice@example.org', KEY, 'irc.example.org')).toBe('gateway.example.org');
  });

  test('the line has four parameters; an IPv6 address starting with ":" gets a leading zero', () => {
    expect(webircLine(hashed, 'h.example.org', '127.0.0.5')).toBe('WEBIRC secret xmpp-gateway h.example.org 127.0.0.5');
    expect(webircLine(hashed, 'h.example.org', '::ffff:127.0.0.5')).toBe('WEBIRC secret xmpp-gateway h.example.org 127.0.0.5');
    expect(webircLine(hashed, 'h.example.org', '::1')).toBe('WEBIRC secret xmpp-gateway h.example.org 0::1');
    expect(() => webircLine(hashed, 'h.example.org', 'not-an-ip')).toThrow(/IP address/);
    expect(() => webircLine({ ...hashed, password: 'two words' }, 'h', '127.0.0.1')).toThrow(/one word/);
  });
});

describe('identity options', () => {
  const issues = (options: Record<string, unknown>) => {
    const result = ircOptionsSchema.safeParse(options);
    return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  test('all off by default', () => {
    const options = ircOptionsSchema.parse({});
    expect(options.identd).toBeUndefined();
    expect(options.webirc).toBeUndefined();
    expect(options.sourceAddresses).toBeUndefined();
    expect(options.connectPace).toBeUndefined();
  });

  test('defaults inside each block', () => {
    const options = ircOptionsSchema.parse({
      identd: {},
      webirc: { 'irc.libera.chat': { password: 'pw' } },
      hashKey: KEY,
      connectPace: { perSecond: 2 },
    });
    expect(options.identd).toEqual({ host: '::', port: 113, timeoutMs: 10000, maxConnections: 64 });
    expect(options.webirc?.['irc.libera.chat']).toEqual({ password: 'pw', gateway: 'xmpp-gateway', hostMode: 'hashed' });
    expect(options.connectPace).toEqual({ perSecond: 2, burst: 1 });
  });

  test('errors name the key', () => {
    expect(issues({ webirc: { 'irc.x.net': { password: 'pw' } } })).toEqual([expect.stringMatching(/^hashKey: is required .*webirc hostMode hashed/)]);
    expect(issues({ sourceAddresses: ['2001:db8::/64'] })).toEqual([expect.stringMatching(/^hashKey: is required .*sourceAddresses/)]);
    expect(issues({ webirc: { 'irc.x.net': { password: 'pw', hostMode: 'fixed' } } })).toEqual(['webirc.irc.x.net.host: hostMode fixed needs a host']);
    expect(issues({ webirc: { 'irc.x.net': { password: 'two words', hostMode: 'fixed', host: 'h.example' } } })[0]).toMatch(/^webirc\.irc\.x\.net\.password: must be one word/);
    expect(issues({ webirc: { 'irc.x.net': { password: ':pw', hostMode: 'fixed', host: 'h.example' } } })[0]).toMatch(/password: must be one word/);
    expect(issues({ webirc: { 'not a host': { password: 'pw', hostMode: 'fixed', host: 'h.example' } } })[0]).toMatch(/^webirc/);
    expect(issues({ sourceAddresses: ['2001:db8::/64', '2001:db8:1::/64'], hashKey: KEY })).toEqual(['sourceAddresses: at most one IPv4 and one IPv6 range']);
    expect(issues({ sourceAddresses: ['10.0.0.1'], hashKey: KEY })[0]).toMatch(/^sourceAddresses\.0: must be a CIDR range/);
    expect(issues({ identd: { host: 'localhost' } })[0]).toMatch(/^identd\.host: must be an IP address/);
    expect(issues({ hashKey: 'short' })[0]).toMatch(/^hashKey/);
    expect(issues({ connectPace: { perSecond: 0 } })[0]).toMatch(/^connectPace\.perSecond/);
  });
});
