import { createServer, type Socket } from 'node:net';
import pino from 'pino';
import emailModule from '../../../adapters/email';
import type { Adapter } from '../../../src/core/adapter';
import { DOVECOT_BINARY } from '../../harness/dovecot';
import { MemoryKeyValue } from '../../harness/memory-kv';
import { requireBinary } from '../../harness/ports';
import { recordingEvents } from '../../harness/recording-events';
import { establishedConnections, settleTo } from '../../harness/sockets';
import { allowLoopback, noRegistration } from '../../support/outbound';
import { ALICE, EmailContext } from './email-context';

const run = requireBinary(DOVECOT_BINARY, 'Dovecot') ? describe : describe.skip;

/**
 * A misbehaving IMAP peer: its first `refuseFirst` connections are dropped at once, the later ones
 * get a greeting and then silence (a server that hangs mid-login).
 */
async function hangingImapServer(refuseFirst: number): Promise<{ port: number; connected(count: number): Promise<void>; stop(): Promise<void> }> {
  let count = 0;
  const waiters: { count: number; resolve: () => void }[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    count += 1;
    if (count <= refuseFirst) socket.destroy();
    else socket.write('* OK [CAPABILITY IMAP4rev1] ready\r\n');
    for (const w of [...waiters]) if (count >= w.count) { waiters.splice(waiters.indexOf(w), 1); w.resolve(); }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    connected: (n) => (count >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ count: n, resolve }))),
    stop: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

run('email adapter: every IMAP connection a session opens is closed', () => {
  const ctx = new EmailContext();
  let adapter: Adapter;
  beforeAll(async () => {
    await ctx.start();
    adapter = emailModule.create({ domain: 'email.example.org', logger: pino({ level: 'silent' }), store: new MemoryKeyValue(), http: ctx.http, outbound: allowLoopback(), credentials: noRegistration, },
      emailModule.optionsSchema.parse({}));
  });
  afterAll(() => ctx.stop());

  const dovecotConnections = () => establishedConnections(ctx.dovecot.port);

  test('failed logins leave no connection behind (IMAP refused, SMTP refused, SMTP port pointing at the IMAP server)', async () => {
    const baseline = dovecotConnections();
    await expect(ctx.login({ credentials: ctx.credentials({ imap_password: 'wrong' }) })).rejects.toMatchObject({ condition: 'not-authorized' });
    expect(await settleTo(dovecotConnections, baseline)).toBe(baseline);
    // IMAP logged in for real before SMTP refused: that connection must go as well.
    await expect(ctx.login({ credentials: ctx.credentials({ smtp_password: 'wrong' }) })).rejects.toMatchObject({ condition: 'not-authorized' });
    expect(await settleTo(dovecotConnections, baseline)).toBe(baseline);
    const err = await ctx.login({ credentials: ctx.credentials({ smtp_port: String(ctx.dovecot.port) }) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ condition: 'remote-server-not-found', message: 'SMTP server 127.0.0.1 is not an SMTP server (no SMTP greeting on this port).' });
    expect(await settleTo(dovecotConnections, baseline)).toBe(baseline);
  });

  test('five sessions at once open five connections, and their logouts close all five', async () => {
    const baseline = dovecotConnections();
    const logins = await Promise.all(Array.from({ length: 5 }, () => ctx.login()));
    expect(await settleTo(dovecotConnections, baseline + 5)).toBe(baseline + 5);
    await Promise.all(logins.map((l) => ctx.logout(l.session)));
    expect(await settleTo(dovecotConnections, baseline)).toBe(baseline);
  });

  test('a logout while the session waits to reconnect leaves nothing that reconnects later', async () => {
    const { session, waitFor, log } = await ctx.login();
    await waitFor('status', (s) => s.online);
    const otherClosed = new Promise((resolve) => ctx.other.once('close', resolve));
    ctx.dovecot.kick(ALICE);
    await waitFor('status', (s) => !s.online && /reconnecting/.test(s.text));
    await otherClosed;
    await ctx.logout(session);
    expect(await settleTo(dovecotConnections, 0)).toBe(0);
    // The first reconnect was due within a second: nothing may come of it.
    await new Promise((r) => setTimeout(r, 2500));
    expect(dovecotConnections()).toBe(0);
    expect(log.at(-1)).toEqual({ kind: 'status', args: [{ online: false, text: 'Logged out' }] });
  });

  test('a login that hangs after the greeting times out and closes its connection', async () => {
    const peer = await hangingImapServer(0);
    try {
      const quick = emailModule.create({ domain: 'email.example.org', logger: pino({ level: 'silent' }), store: new MemoryKeyValue(), http: ctx.http, outbound: allowLoopback(), credentials: noRegistration, },
        emailModule.optionsSchema.parse({ connectTimeoutMs: 500 }));
      const err = await quick.login({ user: 'alice@xmpp.example.org', credentials: ctx.credentials({ imap_port: String(peer.port) }), state: new MemoryKeyValue(), xmpp: recordingEvents().xmpp, reason: 'register' })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ condition: 'remote-server-timeout', message: 'IMAP server 127.0.0.1 did not answer in time.' });
      expect(await settleTo(() => establishedConnections(peer.port), 0)).toBe(0);
    } finally {
      await peer.stop();
    }
  });

  test('a logout during a reconnect that is still logging in closes that connection too', async () => {
    // First attempt dropped (the session goes on in the background), the retry then hangs in its login.
    const peer = await hangingImapServer(1);
    try {
      const recorder = recordingEvents();
      const session = await adapter.login({ user: 'alice@xmpp.example.org', credentials: ctx.credentials({ imap_port: String(peer.port) }), state: new MemoryKeyValue(), xmpp: recorder.xmpp, reason: 'restore' });
      await peer.connected(2);
      expect(await settleTo(() => establishedConnections(peer.port), 1)).toBe(1);
      // The login deadline is a minute away (3 x connectTimeoutMs): only logout can close it now.
      await session.logout();
      expect(await settleTo(() => establishedConnections(peer.port), 0)).toBe(0);
      expect(recorder.log.at(-1)).toEqual({ kind: 'status', args: [{ online: false, text: 'Logged out' }] });
    } finally {
      await peer.stop();
    }
  });
});
