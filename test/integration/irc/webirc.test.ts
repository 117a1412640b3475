/**
 * WEBIRC and per-user source addresses, seen from the server side: a scripted IRC server records
 * the lines and the address each connection comes from; ngircd shows the source address in WHOIS.
 */
import { createServer as createTlsServer } from 'node:tls';
import type { LegacySession } from '../../../src/core/adapter';
import { allowLoopback } from '../../support/outbound';
import { parseSourceRange, sourceAddressFor } from '../../../adapters/irc/source-address';
import { hashedHost } from '../../../adapters/irc/webirc';
import { Ngircd, ngircdAvailable } from '../../harness/ngircd';
import { RawIrcClient } from './raw-client';
import { ScriptedIrcServer } from './scripted-server';
import { fixedServerOptions, login, testAdapter } from './helpers';

const KEY = 'webirc-test-key-0123456789';

/** A scripted server that takes WEBIRC only with `password` and refuses it as Solanum does. */
function webircServer(password: string): Promise<ScriptedIrcServer> {
  return ScriptedIrcServer.start({
    onLine: (line, send, _nick, close) => {
      if (!line.startsWith('WEBIRC ')) return false;
      if (line.split(' ')[1] === password) return true;
      send('ERROR :Closing Link: 127.0.0.1 (CGI:IRC -- Invalid password)');
      close();
      return true;
    },
  });
}

describe('WEBIRC', () => {
  const servers: ScriptedIrcServer[] = [];
  const sessions: LegacySession[] = [];
  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.logout().catch(() => undefined)));
    await Promise.all(servers.map((s) => s.close()));
  });

  async function server(password = 'letmein'): Promise<ScriptedIrcServer> {
    const s = await webircServer(password);
    servers.push(s);
    return s;
  }

  test('comes first, before CAP, NICK and USER, with the user\'s keyed-hash host; again on every reconnect', async () => {
    const scripted = await server();
    const adapter = testAdapter(fixedServerOptions(scripted.port, {
      webirc: { '127.0.0.1': { password: 'letmein', gateway: 'xmpp-gw' } },
      hashKey: KEY,
    }));
    const sam = await login(adapter, 'sam');
    sessions.push(sam.session);
    const host = hashedHost('sam@example.org', KEY, 'irc.example.org');
    expect(scripted.received.slice(0, 2)).toEqual([`WEBIRC letmein xmpp-gw ${host} 127.0.0.1`, 'CAP LS 302']);
    expect(scripted.received.findIndex((l) => l.startsWith('NICK '))).toBeGreaterThan(0);

    const tom = await login(adapter, 'tom');
    sessions.push(tom.session);
    const tomHost = hashedHost('tom@example.org', KEY, 'irc.example.org');
    expect(tomHost).not.toBe(host);
    expect(scripted.received).toContain(`WEBIRC letmein xmpp-gw ${tomHost} 127.0.0.1`);

    const before = scripted.received.length;
    scripted.dropConnections();
    const again = () => scripted.received.slice(before);
    await sam.waitFor('status', (s) => s.online && again().includes(`WEBIRC letmein xmpp-gw ${host} 127.0.0.1`), 20000);
    expect(again().indexOf(`WEBIRC letmein xmpp-gw ${host} 127.0.0.1`)).toBeLessThan(again().indexOf('NICK sam'));
  });

  test('a fixed host, and the user\'s own source address as the WEBIRC address', async () => {
    const scripted = await server();
    const adapter = testAdapter(fixedServerOptions(scripted.port, {
      webirc: { '127.0.0.1': { password: 'letmein', hostMode: 'fixed', host: 'users.gateway.example' } },
      sourceAddresses: ['127.0.0.128/25'],
      hashKey: KEY,
    }));
    const ada = await login(adapter, 'ada');
    sessions.push(ada.session);
    const expected = sourceAddressFor(parseSourceRange('127.0.0.128/25')!, 'ada@example.org', KEY);
    expect(scripted.received[0]).toBe(`WEBIRC letmein xmpp-gateway users.gateway.example ${expected}`);
    expect(scripted.accepted.map((a) => a.remoteAddress)).toEqual([expected]);
  });

  test('is sent only to the servers it is configured for', async () => {
    const scripted = await server();
    const adapter = testAdapter(fixedServerOptions(scripted.port, {
      webirc: { 'irc.elsewhere.example': { password: 'letmein', hostMode: 'fixed', host: 'users.gateway.example' } },
    }));
    const cy = await login(adapter, 'cy');
    sessions.push(cy.session);
    expect(scripted.received.some((l) => l.startsWith('WEBIRC'))).toBe(false);
    expect(scripted.received[0]).toBe('CAP LS 302');
  });

  test('a password the server refuses fails the registration with the server\'s reason', async () => {
    const scripted = await server('the-right-one');
    const adapter = testAdapter(fixedServerOptions(scripted.port, {
      webirc: { '127.0.0.1': { password: 'a-wrong-one', hostMode: 'fixed', host: 'users.gateway.example' } },
    }));
    const error = await login(adapter, 'dee').then(() => undefined, (err: unknown) => err);
    expect(error).toMatchObject({
      condition: 'not-authorized',
      message: expect.stringContaining(`The IRC server 127.0.0.1:${scripted.port} refused the connection: Closing Link: 127.0.0.1 (CGI:IRC -- Invalid password)`),
    });
  });
});

const run = ngircdAvailable() ? describe : describe.skip;

run('per-user source addresses', () => {
  let ircd: Ngircd;
  let observer: RawIrcClient;
  const sessions: LegacySession[] = [];
  beforeAll(async () => {
    ircd = await Ngircd.start();
    observer = await RawIrcClient.connect(ircd.port, 'observer');
  });
  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.logout().catch(() => undefined)));
    observer?.close();
    await ircd?.stop();
  });

  async function whoisHost(nick: string): Promise<string> {
    observer.send(`WHOIS ${nick}`);
    const reply = await observer.waitFor((l) => l.command === '311' && l.params[1] === nick);
    observer.lines.splice(observer.lines.indexOf(reply), 1);
    return reply.params[3];
  }

  test('ngircd sees each user connect from their own address in the configured range, the same after a reconnect', async () => {
    const range = '127.0.0.128/25';
    const adapter = testAdapter(fixedServerOptions(ircd.port, { sourceAddresses: [range, '2001:db8:42::/64'], hashKey: KEY }));
    const expected = (user: string) => sourceAddressFor(parseSourceRange(range)!, user, KEY);
    // Fixed key and JIDs: these two land on different addresses (checked here, so the test means what it says).
    expect(expected('srca@example.org')).not.toBe(expected('srcb@example.org'));
    const a = await login(adapter, 'srca');
    const b = await login(adapter, 'srcb');
    sessions.push(a.session, b.session);
    expect(await whoisHost('srca')).toBe(expected('srca@example.org'));
    expect(await whoisHost('srcb')).toBe(expected('srcb@example.org'));

    const statuses = () => a.log.filter((e) => e.kind === 'status').length;
    const seen = statuses();
    await ircd.restart();
    await a.waitFor('status', (s) => !s.online);
    await a.waitFor('status', (s) => s.online && statuses() > seen + 1, 20000);
    observer.close();
    observer = await RawIrcClient.connect(ircd.port, 'observer');
    expect(await whoisHost('srca')).toBe(expected('srca@example.org'));
  });

  test('an address this host does not have fails the login with a readable error naming the option', async () => {
    // TEST-NET-1 is on no interface here: the bind fails before any packet leaves.
    const adapter = testAdapter(fixedServerOptions(ircd.port, { sourceAddresses: ['192.0.2.0/24'], hashKey: KEY }));
    await expect(login(adapter, 'srcd')).rejects.toMatchObject({
      condition: 'internal-server-error',
      message: expect.stringMatching(/cannot connect to 127\.0\.0\.1:\d+ from the source address .*EADDRNOTAVAIL.*options\.sourceAddresses/),
    });
  });

  test('without sourceAddresses the connection comes from the default address', async () => {
    const adapter = testAdapter(fixedServerOptions(ircd.port));
    const c = await login(adapter, 'srcc');
    sessions.push(c.session);
    expect(await whoisHost('srcc')).toBe('127.0.0.1');
  });
});

describe('per-user source addresses over TLS', () => {
  test('the TLS connection leaves from the user\'s address, to a server given by address or by name', async () => {
    const range = '127.0.0.128/25';
    const expected = sourceAddressFor(parseSourceRange(range)!, 'tlsuser@example.org', KEY);
    const from: string[] = [];
    // No certificate: the handshake fails, after the TCP connection this test looks at.
    const tlsServer = createTlsServer({ SNICallback: (_name, cb) => cb(new Error('no certificate here'), undefined) });
    tlsServer.on('connection', (socket) => from.push(socket.remoteAddress ?? ''));
    tlsServer.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    const port = (tlsServer.address() as { port: number }).port;
    try {
      const resolve = async () => [{ address: '127.0.0.1', family: 4 }];
      for (const host of ['127.0.0.1', 'irc.tls.test']) {
        const adapter = testAdapter({
          ...fixedServerOptions(port, { sourceAddresses: [range], hashKey: KEY }),
          server: { host, port, tls: true },
        }, allowLoopback({ resolve }));
        await expect(login(adapter, 'tlsuser')).rejects.toMatchObject({ condition: expect.any(String) });
      }
      expect(from).toEqual([expected, expected]);
    } finally {
      await new Promise((r) => tlsServer.close(r));
    }
  });
});
