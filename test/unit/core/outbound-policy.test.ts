import { refusal } from '../../support/outbound';
import {
  createOutboundPolicy, isRefusedByDefault, mergeOutboundRules, outboundPolicyFor, outboundRuleProblem,
  type OutboundRules, type Resolver,
} from '../../../src/core/outbound-policy';

const PUBLIC_V4 = '203.0.114.7'; // just outside TEST-NET-3
const PUBLIC_V6 = '2a00:1450:4001:80b::200e';

/** A resolver from a fixed table, counting its calls (names it does not know fail like NXDOMAIN). */
function table(entries: Record<string, string[]>): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const resolve = async (host: string) => {
    calls.push(host);
    const addresses = entries[host];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(resolve, { calls });
}

function policy(rules: Partial<OutboundRules> = {}, resolve: Resolver = table({})) {
  return createOutboundPolicy({ allow: rules.allow ?? [], deny: rules.deny ?? [] }, { resolve });
}


describe('isRefusedByDefault', () => {
  it.each([
    ['loopback', '127.0.0.1'], ['loopback, whole /8', '127.255.255.254'], ['unspecified', '0.0.0.0'], ['this network', '0.1.2.3'],
    ['private 10/8', '10.1.2.3'], ['private 172.16/12', '172.16.0.1'], ['private 172.16/12 top', '172.31.255.255'],
    ['private 192.168/16', '192.168.1.1'], ['CGNAT', '100.64.0.1'], ['CGNAT top', '100.127.255.255'],
    ['link-local / cloud metadata', '169.254.169.254'], ['multicast', '224.0.0.1'], ['multicast top', '239.255.255.250'],
    ['reserved', '240.0.0.1'], ['broadcast', '255.255.255.255'], ['TEST-NET-1', '192.0.2.1'], ['benchmarking', '198.18.0.1'],
    ['IETF protocol assignments', '192.0.0.170'],
    ['IPv6 unspecified', '::'], ['IPv6 loopback', '::1'], ['IPv6 link-local', 'fe80::1'], ['IPv6 link-local with zone', 'fe80::1%eth0'],
    ['unique-local fc00::/7', 'fc00::1'], ['unique-local fd', 'fd12:3456:789a::1'], ['IPv6 multicast', 'ff02::1'],
    ['site-local', 'fec0::1'], ['IPv4-compatible', '::127.0.0.1'], ['local-use NAT64', '64:ff9b:1::a00:1'],
    ['IPv6 documentation', '2001:db8::1'], ['Teredo', '2001:0:4136:e378::1'], ['discard-only', '100::1'],
    ['IPv4-mapped loopback, dotted', '::ffff:127.0.0.1'], ['IPv4-mapped loopback, hex', '::ffff:7f00:1'],
    ['IPv4-mapped private', '::ffff:10.0.0.1'], ['IPv4-mapped metadata', '::ffff:a9fe:a9fe'],
    ['NAT64 of loopback', '64:ff9b::7f00:1'], ['NAT64 of private, dotted', '64:ff9b::10.0.0.1'],
    ['6to4 of loopback', '2002:7f00:1::1'], ['6to4 of 192.168.1.1', '2002:c0a8:101::1'],
  ])('refuses %s (%s)', (_what, address) => {
    expect(isRefusedByDefault(address)).toBe(true);
  });

  it.each([
    '8.8.8.8', '1.1.1.1', PUBLIC_V4, '172.15.255.255', '172.32.0.1', '100.63.255.255', '100.128.0.1', '192.169.0.1',
    '169.253.255.255', '223.255.255.255', PUBLIC_V6, '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1',
  ])('lets %s through', (address) => {
    expect(isRefusedByDefault(address)).toBe(false);
  });
});

describe('outbound rules', () => {
  it.each([
    '10.0.0.0/8', '10.0.0.0/8:6667', '127.0.0.1', '::1', '[::1]:6667', 'fd00::/8', '[fd00::/8]:143', 'irc.internal',
    'irc.internal:6667', '*.corp.example', 'IRC.Internal.', ' 192.168.0.0/16 ',
  ])('accepts %s', (rule) => {
    expect(outboundRuleProblem(rule)).toBeUndefined();
  });

  it.each([
    '10.0.0.0/33', 'fd00::/129', '10.0.0.0/8/8', 'irc.internal:0', 'irc.internal:70000', 'irc.internal:', ':6667', 'a b',
    'http://irc.internal', '*', '*.', '[irc.internal]:6667', '', 'fd00::/8:143', '10.0.0.0/',
  ])('refuses %j', (rule) => {
    expect(outboundRuleProblem(rule)).toMatch(/^must be an IP address, a CIDR range/);
  });

  it('a policy cannot be built from a bad entry', () => {
    expect(() => policy({ allow: ['10.0.0.0/33'] })).toThrow('outbound rule "10.0.0.0/33" must be an IP address');
  });

  it('merges the global lists with a transport\'s', () => {
    expect(mergeOutboundRules({ allow: ['10.0.0.0/8'], deny: ['a.example'] }, undefined, { allow: ['b.example'] }))
      .toEqual({ allow: ['10.0.0.0/8', 'b.example'], deny: ['a.example'] });
  });
});

describe('OutboundPolicy.vet, defaults', () => {
  it('refuses loopback, private and mapped addresses given as literals, with one sentence that names what the user typed', async () => {
    const p = policy();
    const cases: [string, number, string][] = [
      ['127.0.0.1', 6667, '127.0.0.1:6667'], ['10.0.0.5', 993, '10.0.0.5:993'], ['[::1]', 25, '[::1]:25'],
      ['::ffff:127.0.0.1', 143, '[::ffff:127.0.0.1]:143'], ['0.0.0.0', 6667, '0.0.0.0:6667'], ['169.254.169.254', 80, '169.254.169.254:80'],
    ];
    for (const [host, port, where] of cases) {
      const err = await refusal(p.vet(host, port));
      expect([err.condition, err.type, err.message])
        .toEqual(['not-allowed', 'cancel', `This gateway does not connect to private or local addresses (${where}).`]);
    }
  });

  it('refuses a name that resolves to a private address, and a name with any internal address among public ones', async () => {
    const resolve = table({ 'irc.internal': ['10.1.2.3'], 'mixed.example': [PUBLIC_V4, 'fd00::5'], 'v6.example': ['fe80::1'] });
    const p = policy({}, resolve);
    expect((await refusal(p.vet('irc.internal', 6667))).message).toBe('This gateway does not connect to private or local addresses (irc.internal:6667).');
    expect((await refusal(p.vet('Mixed.Example.', 993))).message).toBe('This gateway does not connect to private or local addresses (mixed.example:993).');
    expect((await refusal(p.vet('v6.example', 25))).condition).toBe('not-allowed');
  });

  it('refuses names that the system resolver maps to loopback (localhost, numeric shorthands)', async () => {
    const p = createOutboundPolicy({ allow: [], deny: [] });
    for (const host of ['localhost', '127.1', '2130706433']) {
      expect((await refusal(p.vet(host, 6667))).message).toBe(`This gateway does not connect to private or local addresses (${host}:6667).`);
    }
  });

  it('returns the checked address to connect to, with the name kept for TLS', async () => {
    const p = policy({}, table({ 'irc.example.net': [PUBLIC_V6, PUBLIC_V4] }));
    expect(await p.vet('IRC.example.net', 6697)).toEqual({ host: 'irc.example.net', port: 6697, address: PUBLIC_V6, family: 6, servername: 'irc.example.net' });
    expect(await p.vet(PUBLIC_V4, 6697)).toEqual({ host: PUBLIC_V4, port: 6697, address: PUBLIC_V4, family: 4, servername: undefined });
    expect(await p.vet('::ffff:8.8.8.8', 25)).toMatchObject({ address: '::ffff:8.8.8.8', family: 6, servername: undefined });
  });

  it('resolves again on every call, so a name that later points inside is refused (reconnects, DNS rebinding)', async () => {
    const entries: Record<string, string[]> = { 'rebind.example': [PUBLIC_V4] };
    const resolve = table(entries);
    const p = policy({}, resolve);
    expect((await p.vet('rebind.example', 6667)).address).toBe(PUBLIC_V4);
    entries['rebind.example'] = ['127.0.0.1'];
    expect((await refusal(p.vet('rebind.example', 6667))).condition).toBe('not-allowed');
    expect(resolve.calls).toEqual(['rebind.example', 'rebind.example']);
  });

  it('reports names that do not resolve, and a resolver that hangs', async () => {
    const p = policy({}, table({ 'empty.example': [] }));
    for (const host of ['nowhere.example', 'empty.example']) {
      const err = await refusal(p.vet(host, 6667));
      expect([err.condition, err.message]).toEqual(['remote-server-not-found', `The server name ${host} does not exist (DNS lookup failed).`]);
    }
    const hanging = createOutboundPolicy({ allow: [], deny: [] }, { resolve: () => new Promise(() => undefined), dnsTimeoutMs: 20 });
    const err = await refusal(hanging.vet('slow.example', 6667));
    expect([err.condition, err.message]).toEqual(['remote-server-timeout', 'Looking up the server name slow.example took too long.']);
  });
});

describe('OutboundPolicy.vet, allow and deny lists', () => {
  const resolve = table({
    'irc.internal': ['10.1.2.3'], 'irc.corp.example': ['10.9.9.9'], 'corp.example': ['10.9.9.8'], 'evilcorp.example': ['10.9.9.7'],
    'public.example': [PUBLIC_V4], 'dual.internal': ['10.1.2.4', 'fd00::4'], 'metadata.internal': ['169.254.169.254'],
  });

  it('an allowed range lets its addresses through, in any IPv6 disguise, and nothing else', async () => {
    const p = policy({ allow: ['127.0.0.0/8', '10.1.0.0/16'] }, resolve);
    expect((await p.vet('127.0.0.1', 6667)).address).toBe('127.0.0.1');
    expect((await p.vet('::ffff:127.0.0.1', 6667)).address).toBe('::ffff:127.0.0.1');
    expect((await p.vet('irc.internal', 6667)).address).toBe('10.1.2.3');
    await refusal(p.vet('::1', 6667));
    await refusal(p.vet('10.2.0.1', 6667));
    // Every address must be allowed: the unique-local one of dual.internal is not.
    await refusal(p.vet('dual.internal', 6667));
  });

  it('an allowed host name lets it through whatever it resolves to; a port limits the entry to that port', async () => {
    const p = policy({ allow: ['irc.internal:6667', 'dual.internal'] }, resolve);
    expect(await p.vet('irc.internal', 6667)).toMatchObject({ address: '10.1.2.3', servername: 'irc.internal' });
    expect((await refusal(p.vet('irc.internal', 6697))).message).toBe('This gateway does not connect to private or local addresses (irc.internal:6697).');
    expect((await p.vet('dual.internal', 143)).address).toBe('10.1.2.4');
  });

  it('a range with a port, IPv6 in brackets', async () => {
    const p = policy({ allow: ['10.1.0.0/16:6667', '[::1]:143'] }, resolve);
    await p.vet('irc.internal', 6667);
    await refusal(p.vet('irc.internal', 6668));
    await p.vet('::1', 143);
    await refusal(p.vet('::1', 25));
  });

  it('*.domain matches names below it only', async () => {
    const p = policy({ allow: ['*.corp.example'] }, resolve);
    expect((await p.vet('irc.corp.example', 6667)).address).toBe('10.9.9.9');
    await refusal(p.vet('corp.example', 6667));
    await refusal(p.vet('evilcorp.example', 6667));
  });

  it('deny wins over allow, by name or by address, and applies to public addresses too', async () => {
    const p = policy({ allow: ['irc.internal', '10.0.0.0/8', 'public.example'], deny: ['irc.internal', '10.9.0.0/16', `${PUBLIC_V4}:25`] }, resolve);
    const denied = (where: string) => `This gateway is not allowed to connect to ${where}.`;
    expect((await refusal(p.vet('irc.internal', 6667))).message).toBe(denied('irc.internal:6667'));
    expect((await refusal(p.vet('irc.corp.example', 6667))).message).toBe(denied('irc.corp.example:6667'));
    expect((await refusal(p.vet('public.example', 25))).message).toBe(denied('public.example:25'));
    expect((await p.vet('public.example', 587)).address).toBe(PUBLIC_V4);
    expect((await p.vet('10.1.1.1', 6667)).address).toBe('10.1.1.1');
  });

  it('a deny range also catches the mapped and NAT64 forms of its addresses', async () => {
    const p = policy({ deny: ['8.8.8.0/24'] }, resolve);
    for (const host of ['8.8.8.8', '::ffff:8.8.8.8', '64:ff9b::808:808']) {
      expect((await refusal(p.vet(host, 53))).message).toMatch(/^This gateway is not allowed to connect to /);
    }
  });

  it('a destination the administrator configured skips the default refusal but not deny', async () => {
    const p = policy({ deny: ['metadata.internal'] }, resolve);
    expect((await p.vet('irc.internal', 6667, { trusted: true })).address).toBe('10.1.2.3');
    expect((await p.vet('127.0.0.1', 6667, { trusted: true })).address).toBe('127.0.0.1');
    expect((await refusal(p.vet('metadata.internal', 80, { trusted: true }))).message).toBe('This gateway is not allowed to connect to metadata.internal:80.');
  });

  it('outboundPolicyFor: the global lists and a transport\'s own both apply', async () => {
    const p = outboundPolicyFor({ allow: ['127.0.0.0/8'], deny: [] }, { allow: ['::1'], deny: ['127.0.0.2'] });
    await p.vet('127.0.0.1', 6667);
    await p.vet('::1', 6667);
    expect((await refusal(p.vet('127.0.0.2', 6667))).message).toBe('This gateway is not allowed to connect to 127.0.0.2:6667.');
  });
});
