/**
 * The built-in identd (RFC 1413), queried as an IRC server queries it: the port pair of a live
 * gateway connection to a real ngircd, asked from the server's address, gets that user's IRC user
 * name; any other pair, or the right pair asked from elsewhere, gets NO-USER; bad input gets an
 * error line; slow and oversized clients are cut off.
 */
import { connect } from 'node:net';
import pino from 'pino';
import ircAdapter from '../../../adapters/irc';
import { ircOptionsSchema } from '../../../adapters/irc/options';
import type { IrcSession } from '../../../adapters/irc/session';
import type { Adapter, LegacySession } from '../../../src/core/adapter';
import { MemoryKeyValue } from '../../harness/memory-kv';
import { Ngircd, ngircdAvailable } from '../../harness/ngircd';
import { freePort } from '../../harness/ports';
import { allowLoopback, noRegistration } from '../../support/outbound';
import { fixedServerOptions, login, testAdapter } from './helpers';

const run = ngircdAvailable() ? describe : describe.skip;

/** Sends `query` and collects everything the identd writes until it closes the connection. */
function ask(port: number, query: string | Buffer | undefined, from = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress: from });
    let reply = '';
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`identd kept the connection open; got ${JSON.stringify(reply)}`)); }, 15000);
    socket.on('data', (chunk: Buffer) => { reply += chunk.toString('latin1'); });
    socket.on('error', () => undefined);
    socket.on('close', () => { clearTimeout(timer); resolve(reply); });
    socket.on('connect', () => { if (query !== undefined) socket.write(query); });
  });
}

const portsOf = (session: LegacySession) => {
  const endpoint = (session as IrcSession).connection.endpoint;
  if (!endpoint) throw new Error('the session has no live connection');
  return endpoint;
};

run('identd for the gateway\'s own IRC connections', () => {
  let ircd: Ngircd;
  let identdPort: number;
  let adapter: Adapter;
  const sessions: LegacySession[] = [];

  beforeAll(async () => {
    ircd = await Ngircd.start();
    identdPort = await freePort();
    adapter = testAdapter(fixedServerOptions(ircd.port, { identd: { host: '127.0.0.1', port: identdPort, timeoutMs: 1500 } }));
  });
  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.logout().catch(() => undefined)));
    await adapter?.close?.();
    await ircd?.stop();
  });

  test('answers the user name of each live connection to ngircd', async () => {
    const alice = await login(adapter, 'identa', { username: 'alice' });
    const bob = await login(adapter, 'identb');
    sessions.push(alice.session, bob.session);
    const a = portsOf(alice.session);
    const b = portsOf(bob.session);
    expect(a.remotePort).toBe(ircd.port);
    expect(await ask(identdPort, `${a.localPort} , ${a.remotePort}\r\n`)).toBe(`${a.localPort} , ${a.remotePort} : USERID : UNIX : alice\r\n`);
    // Without a user name in the registration, the one sent in USER comes from the nick.
    expect(await ask(identdPort, `${b.localPort},${b.remotePort}\n`)).toBe(`${b.localPort} , ${b.remotePort} : USERID : UNIX : identb\r\n`);
  });

  test('NO-USER for any other port pair, and for a live pair asked from another address', async () => {
    const carol = await login(adapter, 'identc', { username: 'carol' });
    sessions.push(carol.session);
    const c = portsOf(carol.session);
    const noUser = (local: number, remote: number) => `${local} , ${remote} : ERROR : NO-USER\r\n`;
    expect(await ask(identdPort, `${c.remotePort} , ${c.localPort}\r\n`)).toBe(noUser(c.remotePort, c.localPort));
    expect(await ask(identdPort, `${c.localPort} , ${c.remotePort + 1}\r\n`)).toBe(noUser(c.localPort, c.remotePort + 1));
    expect(await ask(identdPort, `${c.localPort === 65535 ? 1 : c.localPort + 1} , ${c.remotePort}\r\n`)).toBe(noUser(c.localPort === 65535 ? 1 : c.localPort + 1, c.remotePort));
    expect(await ask(identdPort, `${identdPort} , ${c.remotePort}\r\n`)).toBe(noUser(identdPort, c.remotePort));
    // Only the server at the other end of the connection may ask about it.
    expect(await ask(identdPort, `${c.localPort} , ${c.remotePort}\r\n`, '127.0.0.2')).toBe(noUser(c.localPort, c.remotePort));
    expect(await ask(identdPort, `${c.localPort} , ${c.remotePort}\r\n`)).toBe(`${c.localPort} , ${c.remotePort} : USERID : UNIX : carol\r\n`);
  });

  test('a connection that closed is no longer answered for', async () => {
    const dave = await login(adapter, 'identd', { username: 'dave' });
    const d = portsOf(dave.session);
    expect(await ask(identdPort, `${d.localPort} , ${d.remotePort}\r\n`)).toContain('USERID : UNIX : dave');
    await dave.session.logout();
    expect(await ask(identdPort, `${d.localPort} , ${d.remotePort}\r\n`)).toBe(`${d.localPort} , ${d.remotePort} : ERROR : NO-USER\r\n`);
  });

  test('malformed queries get an error line, then the connection closes', async () => {
    expect(await ask(identdPort, 'hello\r\n')).toBe('0 , 0 : ERROR : INVALID-PORT\r\n');
    expect(await ask(identdPort, '0 , 6667\r\n')).toBe('0 , 6667 : ERROR : INVALID-PORT\r\n');
    expect(await ask(identdPort, '99999 , 6667\r\n')).toBe('99999 , 6667 : ERROR : INVALID-PORT\r\n');
    expect(await ask(identdPort, Buffer.from([0, 0xff, 0x0d, 0x0a]))).toBe('0 , 0 : ERROR : INVALID-PORT\r\n');
    expect(await ask(identdPort, '1 , 2 : USERID : UNIX : root\r\n')).toBe('0 , 0 : ERROR : INVALID-PORT\r\n');
    // One query per connection: a second one in the same packet is not answered.
    const alice = portsOf(sessions[0]);
    expect(await ask(identdPort, `5 , 6\r\n${alice.localPort} , ${alice.remotePort}\r\n`)).toBe('5 , 6 : ERROR : NO-USER\r\n');
  });

  test('an oversized query is cut off with an error; a silent client is cut off after the timeout', async () => {
    expect(await ask(identdPort, '1'.repeat(5000))).toBe('0 , 0 : ERROR : UNKNOWN-ERROR\r\n');
    // Within timeoutMs (1.5 s) the connection closes with nothing said; ask() fails after 15 s otherwise.
    expect(await ask(identdPort, undefined)).toBe('');
    expect(await ask(identdPort, '123')).toBe('');
    // Still serving.
    const alice = portsOf(sessions[0]);
    expect(await ask(identdPort, `${alice.localPort} , ${alice.remotePort}\r\n`)).toContain('USERID : UNIX : alice');
  });

  test('an identd that cannot listen is logged as a configuration error; users still connect', async () => {
    const logged: string[] = [];
    const busy = ircAdapter.create({
      domain: 'irc.example.org',
      logger: pino({ level: 'error' }, { write: (line: string) => { logged.push(line); } }),
      store: new MemoryKeyValue(),
      http: { route: () => undefined },
      outbound: allowLoopback(),
      credentials: noRegistration,
    }, ircOptionsSchema.parse(fixedServerOptions(ircd.port, { identd: { host: '127.0.0.1', port: identdPort } })));
    try {
      const erin = await login(busy, 'idente');
      await erin.session.logout();
      expect(logged.join('\n')).toContain(`options.identd: cannot listen on 127.0.0.1:${identdPort}: EADDRINUSE`);
    } finally {
      await busy.close?.();
    }
    // The first identd is unaffected.
    const alice = portsOf(sessions[0]);
    expect(await ask(identdPort, `${alice.localPort} , ${alice.remotePort}\r\n`)).toContain('USERID : UNIX : alice');
  });
});
