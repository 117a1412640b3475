/**
 * The outbound address policy on the email adapter, against real loopback ports (Dovecot, the
 * test SMTP server): user-chosen IMAP and SMTP hosts on loopback are refused before connecting,
 * with the same text whether the port is open or closed, allowed when the operator lists the
 * range, and vetted again for every new connection; TLS keeps the name of the server.
 */
import { createServer, type Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import pino from 'pino';
import emailModule from '../../../adapters/email';
import { parseAccount } from '../../../adapters/email/credentials';
import { SmtpSender } from '../../../adapters/email/smtp';
import type { Adapter } from '../../../src/core/adapter';
import { createOutboundPolicy, type OutboundPolicy, type Resolver } from '../../../src/core/outbound-policy';
import { DOVECOT_BINARY } from '../../harness/dovecot';
import { MemoryKeyValue } from '../../harness/memory-kv';
import { freePort, requireBinary } from '../../harness/ports';
import { recordingEvents } from '../../harness/recording-events';
import { noRegistration, refusal } from '../../support/outbound';
import { ALICE, EmailContext } from './email-context';

const run = requireBinary(DOVECOT_BINARY, 'Dovecot') ? describe : describe.skip;

const refusedText = (where: string) => `This gateway does not connect to private or local addresses (${where}).`;


/** Names only this resolver knows: a connection that gets through used the vetted address. */
function fakeDns(table: Record<string, string>): Resolver {
  return async (host) => {
    if (!table[host]) throw Object.assign(new Error(`ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return [{ address: table[host], family: 4 }];
  };
}

run('email outbound address policy', () => {
  const ctx = new EmailContext();
  let counter: Server;
  let counterPort: number;
  let accepted = 0;

  beforeAll(async () => {
    await ctx.start();
    counter = createServer((socket) => { accepted++; socket.destroy(); });
    await new Promise<void>((resolve) => counter.listen(0, '127.0.0.1', resolve));
    counterPort = (counter.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => counter?.close(resolve));
    await ctx.stop();
  });

  function adapterWith(outbound: OutboundPolicy): Adapter {
    return emailModule.create({ domain: 'email.example.org', logger: pino({ level: process.env.EMAIL_TEST_LOG ?? 'silent' }), store: new MemoryKeyValue(), http: ctx.http, outbound, credentials: noRegistration },
      emailModule.optionsSchema.parse({ connectTimeoutMs: 5000 }));
  }

  function register(adapter: Adapter, overrides: Record<string, string>) {
    const recorder = recordingEvents();
    const login = adapter.login({ user: 'alice@xmpp.example.org', credentials: ctx.credentials(overrides), state: new MemoryKeyValue(), xmpp: recorder.xmpp, reason: 'register' });
    return { login, ...recorder };
  }

  test('by default IMAP on loopback is refused with the same text for Dovecot, another open port and a closed port', async () => {
    const adapter = adapterWith(createOutboundPolicy({ allow: [], deny: [] }));
    const closed = await freePort();
    for (const port of [ctx.dovecot.port, counterPort, closed]) {
      const err = await refusal(register(adapter, { imap_port: String(port) }).login);
      expect([err.condition, err.message]).toEqual(['not-allowed', refusedText(`127.0.0.1:${port}`)]);
    }
    expect(accepted).toBe(0);
  });

  test('SMTP on loopback is refused the same way when only the IMAP server is allowed', async () => {
    const adapter = adapterWith(createOutboundPolicy({ allow: [`127.0.0.1:${ctx.dovecot.port}`], deny: [] }));
    const closed = await freePort();
    for (const port of [ctx.smtp.port, counterPort, closed]) {
      const err = await refusal(register(adapter, { smtp_port: String(port) }).login);
      expect([err.condition, err.message]).toEqual(['not-allowed', refusedText(`127.0.0.1:${port}`)]);
    }
    expect(accepted).toBe(0);
  });

  test('with the loopback range allowed, registration logs into both servers for real', async () => {
    const adapter = adapterWith(createOutboundPolicy({ allow: ['127.0.0.0/8'], deny: [] }));
    const before = ctx.dovecot.connections(ALICE);
    const { login, waitFor } = register(adapter, {});
    const session = await login;
    try {
      await waitFor('status', (s: { online: boolean }) => s.online);
      expect(ctx.dovecot.connections(ALICE)).toBe(before + 1);
    } finally {
      await session.logout();
    }
  });

  test('IMAP: a reconnect is vetted again, and the connection goes to the vetted address', async () => {
    const table: Record<string, string> = { 'imap.test.example': '127.0.0.1' };
    const adapter = adapterWith(createOutboundPolicy({ allow: ['127.0.0.0/8'], deny: [] }, { resolve: fakeDns(table) }));
    const { login, waitFor } = register(adapter, { imap_host: 'imap.test.example' });
    const session = await login;
    try {
      await waitFor('status', (s: { online: boolean }) => s.online);
      table['imap.test.example'] = '192.168.77.1';
      const err = await refusal(session.reconnect!());
      expect(err.message).toBe(refusedText(`imap.test.example:${ctx.dovecot.port}`));
      await waitFor('status', (s: { online: boolean; text?: string }) => !s.online && s.text === err.message);
    } finally {
      await session.logout();
    }
  });

  test('SMTP: every new connection is vetted again (verify, then the pooled one that sends)', async () => {
    const table: Record<string, string> = { 'smtp.test.example': '127.0.0.1' };
    const policy = createOutboundPolicy({ allow: ['127.0.0.0/8'], deny: [] }, { resolve: fakeDns(table) });
    const account = parseAccount(ctx.credentials({ smtp_host: 'smtp.test.example' }));
    const sender = new SmtpSender(account, 5000, policy);
    try {
      await sender.verify();
      table['smtp.test.example'] = '10.20.30.40';
      const raw = await sender.compose({ from: ALICE, to: 'bob@example.org', subject: 'refused', text: 'x' });
      const err = await refusal(sender.send(raw, 'bob@example.org'));
      expect([err.condition, err.message]).toEqual(['not-allowed', refusedText(`smtp.test.example:${ctx.smtp.port}`)]);
    } finally {
      sender.close();
    }
  });

  test('TLS on IMAP and SMTP: the socket goes to the vetted address while SNI carries the server name', async () => {
    const names: string[] = [];
    // No certificate: the handshake ends right after the ClientHello, which is all this test reads.
    const tlsServer = createTlsServer({ SNICallback: (name, cb) => { names.push(name); cb(new Error('no certificate here'), undefined); } });
    await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', r));
    const port = String((tlsServer.address() as { port: number }).port);
    try {
      const resolve = fakeDns({ 'imap.tls.example': '127.0.0.1', 'smtp.tls.example': '127.0.0.1' });
      const allowImap = createOutboundPolicy({ allow: ['127.0.0.0/8'], deny: [] }, { resolve });
      await refusal(register(adapterWith(allowImap), { imap_host: 'imap.tls.example', imap_port: port, imap_tls: 'true' }).login);
      const sender = new SmtpSender(parseAccount(ctx.credentials({ smtp_host: 'smtp.tls.example', smtp_port: port, smtp_security: 'tls' })), 5000, allowImap);
      await refusal(sender.verify());
      sender.close();
      expect(names.sort()).toEqual(['imap.tls.example', 'smtp.tls.example']);
    } finally {
      await new Promise((r) => tlsServer.close(r));
    }
  });
});
