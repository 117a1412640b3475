/**
 * The outbound address policy on the IRC adapter, against real loopback ports: a user-chosen
 * server on loopback is refused before any connection (same text whether something listens there
 * or not), allowed when the operator lists the range, checked again on every reconnect, and TLS
 * keeps the server's name while the socket goes to the vetted address.
 */
import { createServer, type Server } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import type { Adapter, LegacySession } from '../../../src/core/adapter';
import { createOutboundPolicy, type Resolver } from '../../../src/core/outbound-policy';
import type { Gateway } from '../../../src/gateway';
import { startGateway, testConfig } from '../../harness/gateway';
import { MemoryKeyValue } from '../../harness/memory-kv';
import { Ngircd, ngircdAvailable } from '../../harness/ngircd';
import { freePort } from '../../harness/ports';
import { Prosody } from '../../harness/prosody';
import { recordingEvents } from '../../harness/recording-events';
import { TestClient, errorCondition, errorText, registerForm, xml } from '../../harness/xmpp-client';
import { refusal } from '../../support/outbound';
import { testAdapter } from './helpers';

const run = ngircdAvailable() ? describe : describe.skip;

/** The registration form of an open gateway: the user types the server. */
const openOptions = { flood: { burst: 10, intervalMs: 20 }, reconnect: { initialDelayMs: 200, maxDelayMs: 1000 }, connectTimeoutMs: 5000 };

function register(adapter: Adapter, nick: string, server: string, port: number, tls = false) {
  const recorder = recordingEvents();
  const login = adapter.login({
    user: `${nick}@example.org`,
    credentials: { server, port: String(port), tls: String(tls), verify_certificate: 'true', nick },
    state: new MemoryKeyValue(),
    xmpp: recorder.xmpp,
    reason: 'register',
  });
  return { login, ...recorder };
}


/** A name only this test's resolver knows: a connection that reaches the server used the vetted address. */
function fakeDns(table: Record<string, string>): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const resolve = async (host: string) => {
    calls.push(host);
    if (!table[host]) throw Object.assign(new Error(`ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return [{ address: table[host], family: 4 }];
  };
  return Object.assign(resolve, { calls });
}

run('IRC outbound address policy', () => {
  let ircd: Ngircd;
  let counter: Server;
  let counterPort: number;
  let accepted = 0;
  const sessions: LegacySession[] = [];

  beforeAll(async () => {
    ircd = await Ngircd.start();
    counter = createServer((socket) => { accepted++; socket.destroy(); });
    await new Promise<void>((resolve) => counter.listen(0, '127.0.0.1', resolve));
    counterPort = (counter.address() as { port: number }).port;
  });

  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.logout().catch(() => undefined)));
    await new Promise((resolve) => counter?.close(resolve));
    await ircd?.stop();
  });

  test('by default a server on loopback is refused before connecting: the same text for an IRC server, another open port and a closed port', async () => {
    const adapter = testAdapter(openOptions, createOutboundPolicy({ allow: [], deny: [] }));
    const closedPort = await freePort();
    const cases: [string, number][] = [['127.0.0.1', ircd.port], ['127.0.0.1', counterPort], ['127.0.0.1', closedPort], ['localhost', ircd.port]];
    const answers: string[] = [];
    for (const [host, port] of cases) {
      const err = await refusal(register(adapter, 'probe', host, port).login);
      expect(err.condition).toBe('not-allowed');
      answers.push(err.message.replace(`:${port})`, ':PORT)'));
    }
    expect(answers).toEqual([
      'This gateway does not connect to private or local addresses (127.0.0.1:PORT).',
      'This gateway does not connect to private or local addresses (127.0.0.1:PORT).',
      'This gateway does not connect to private or local addresses (127.0.0.1:PORT).',
      'This gateway does not connect to private or local addresses (localhost:PORT).',
    ]);
    expect(accepted).toBe(0);
  });

  test('with the loopback range in the allow list the same registration connects and registers on IRC', async () => {
    const adapter = testAdapter(openOptions, createOutboundPolicy({ allow: ['127.0.0.0/8'], deny: [] }));
    const { login, waitFor } = register(adapter, 'allowed', '127.0.0.1', ircd.port);
    sessions.push(await login);
    await waitFor('status', (s: { online: boolean }) => s.online);
    // The allow entry is a range, not a door to everything: deny still wins.
    const denying = testAdapter(openOptions, createOutboundPolicy({ allow: ['127.0.0.0/8'], deny: [`127.0.0.1:${ircd.port}`] }));
    expect((await refusal(register(denying, 'denied', '127.0.0.1', ircd.port).login)).message)
      .toBe(`This gateway is not allowed to connect to 127.0.0.1:${ircd.port}.`);
  });

  test('every reconnect is vetted again: a name that now resolves to a private address is not reconnected to', async () => {
    const table: Record<string, string> = { 'irc.test.example': '127.0.0.1' };
    const resolve = fakeDns(table);
    const adapter = testAdapter(openOptions, createOutboundPolicy({ allow: ['127.0.0.0/8'], deny: [] }, { resolve }));
    const { login, waitFor } = register(adapter, 'rebound', 'irc.test.example', ircd.port);
    const session = await login;
    sessions.push(session);
    await waitFor('status', (s: { online: boolean }) => s.online);
    table['irc.test.example'] = '10.1.2.3';
    await session.reconnect!();
    const [status] = await waitFor('status', (s: { online: boolean; text?: string }) => !s.online && /private or local/.test(s.text ?? ''));
    expect((status as { text: string }).text)
      .toMatch(new RegExp(`^This gateway does not connect to private or local addresses \\(irc\\.test\\.example:${ircd.port}\\)\\. Reconnecting in \\d+ s\\.$`));
    expect(resolve.calls.length).toBeGreaterThanOrEqual(2);
    expect(resolve.calls.every((host) => host === 'irc.test.example')).toBe(true);
  });

  test('TLS: the socket goes to the vetted address while SNI carries the server name', async () => {
    const names: (string | undefined)[] = [];
    // No certificate: the handshake is refused right after the ClientHello, which is all this test reads.
    const tlsServer: TlsServer = createTlsServer({ SNICallback: (name, cb) => { names.push(name); cb(new Error('no certificate here'), undefined); } });
    await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', r));
    const port = (tlsServer.address() as { port: number }).port;
    try {
      const adapter = testAdapter(openOptions, createOutboundPolicy({ allow: ['127.0.0.0/8'], deny: [] }, { resolve: fakeDns({ 'irc.tls.example': '127.0.0.1' }) }));
      const err = await refusal(register(adapter, 'secure', 'irc.tls.example', port, true).login);
      expect(err.condition).toBe('remote-server-not-found');
      expect(names).toEqual(['irc.tls.example']);
    } finally {
      await new Promise((r) => tlsServer.close(r));
    }
  });

  test('a fixed server configured by the operator is not refused for being on loopback', async () => {
    const adapter = testAdapter({ ...openOptions, server: { host: '127.0.0.1', port: ircd.port, tls: false } }, createOutboundPolicy({ allow: [], deny: [] }));
    const recorder = recordingEvents();
    sessions.push(await adapter.login({ user: 'fixed@example.org', credentials: { nick: 'fixed' }, state: new MemoryKeyValue(), xmpp: recorder.xmpp, reason: 'register' }));
    await recorder.waitFor('status', (s: { online: boolean }) => s.online);
  });
});

(Prosody.available() && ngircdAvailable() ? describe : describe.skip)('IRC outbound address policy from the configuration, end to end', () => {
  let ircd: Ngircd;
  let prosody: Prosody;
  let gateway: Gateway;
  let alice: TestClient;

  beforeAll(async () => {
    ircd = await Ngircd.start();
    prosody = await Prosody.start([{ domain: 'irc.localhost', secret: 's1' }, { domain: 'irc-lan.localhost', secret: 's2' }]);
    gateway = await startGateway(testConfig(prosody, [
      { domain: 'irc.localhost', secret: 's1', adapter: 'irc', options: openOptions },
      { domain: 'irc-lan.localhost', secret: 's2', adapter: 'irc', options: openOptions, outbound: { allow: ['127.0.0.0/8'] } },
    ], { access: { allow: ['localhost'] }, outbound: { allow: [], deny: [] } }));
    alice = await TestClient.connect(prosody, 'alice');
  });

  afterAll(async () => {
    await alice?.stop();
    await gateway?.stop();
    await prosody?.destroy();
    await ircd?.stop();
  });

  test('the global default refuses a loopback IRC server; a transport whose own list allows loopback registers', async () => {
    const form = registerForm({ server: '127.0.0.1', port: String(ircd.port), tls: 'false', nick: 'alice' });
    const refused = await alice.iq('set', 'irc.localhost', form);
    expect([refused.attrs.type, errorCondition(refused), errorText(refused)])
      .toEqual(['error', 'not-allowed', `This gateway does not connect to private or local addresses (127.0.0.1:${ircd.port}).`]);
    const accepted = await alice.iq('set', 'irc-lan.localhost', form);
    expect(accepted.attrs.type).toBe('result');
  });
});
