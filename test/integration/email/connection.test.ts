import { Writable } from 'node:stream';
import pino from 'pino';
import emailModule from '../../../adapters/email';
import { MemoryKeyValue } from '../../harness/memory-kv';
import { DOVECOT_BINARY } from '../../harness/dovecot';
import { requireBinary } from '../../harness/ports';
import { recordingEvents } from '../../harness/recording-events';
import { settleTo } from '../../harness/sockets';
import { ALICE, EmailContext, IMAP_PASSWORD, SMTP_PASSWORD } from './email-context';
import { mailWithAttachment, plainMail } from './mail-fixtures';
import { allowLoopback, noRegistration } from '../../support/outbound';

const run = requireBinary(DOVECOT_BINARY, 'Dovecot') ? describe : describe.skip;

run('email adapter: connection life', () => {
  const ctx = new EmailContext();
  beforeAll(() => ctx.start());
  afterAll(() => ctx.stop());

  test('after the server drops the connection the adapter goes offline, reconnects and keeps delivering', async () => {
    const { session, waitFor, log } = await ctx.login();
    await waitFor('status', (s) => s.online);
    ctx.dovecot.kick(ALICE);
    await waitFor('status', (s) => !s.online && /lost; reconnecting/.test(s.text));
    // Mail arriving during the outage is not lost.
    await ctx.deliverToInbox(plainMail({ from: 'frank@example.org', to: ALICE, subject: 'during outage', body: 'x' }));
    await waitFor('message', (m) => m.subject === 'during outage', 15000);
    const statuses = log.filter((e) => e.kind === 'status').map((e) => (e.args[0] as { online: boolean }).online);
    expect(statuses).toEqual([true, false, true]);
    await ctx.logout(session);
    expect(log.at(-1)).toEqual({ kind: 'status', args: [{ online: false, text: 'Logged out' }] });
  });

  test('a restore while the IMAP server is down gives an offline session that comes online when the server is back', async () => {
    const state = new MemoryKeyValue();
    const first = await ctx.login({ state });
    await first.waitFor('status', (s) => s.online);
    await ctx.logout(first.session);
    await ctx.dovecot.halt();
    try {
      const { session, waitFor } = await ctx.login({ state, reason: 'restore' });
      await waitFor('status', (s) => !s.online && /^IMAP server 127\.0\.0\.1 could not be reached/.test(s.text));
      await ctx.dovecot.resume();
      await ctx.deliverToInbox(plainMail({ from: 'hank@example.org', to: ALICE, subject: 'after restart', body: 'x' }));
      await waitFor('status', (s) => s.online, 20000);
      await waitFor('message', (m) => m.subject === 'after restart', 10000);
      await ctx.logout(session);
    } finally {
      if (!ctx.dovecot.running) await ctx.dovecot.resume();
    }
  });

  test('logout closes the IMAP connection on the server side', async () => {
    const before = ctx.dovecot.connections(ALICE);
    const { session, waitFor } = await ctx.login();
    await waitFor('status', (s) => s.online);
    expect(ctx.dovecot.connections(ALICE)).toBe(before + 1);
    await ctx.logout(session);
    // Dovecot counts the logout a moment after the socket closed: wait for it, do not guess.
    expect(await settleTo(() => ctx.dovecot.connections(ALICE), before)).toBe(before);
  });
});

run('email adapter: polling mode, no public URL, secrets kept out of logs', () => {
  const ctx = new EmailContext();
  beforeAll(() => ctx.start());
  afterAll(() => ctx.stop());

  test('with idle off, new mail is found by polling; attachments are listed by name and size; no secret is logged', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'trace' }, new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } }));
    const adapter = emailModule.create({ domain: 'email.example.org', logger, store: new MemoryKeyValue(), http: ctx.http, outbound: allowLoopback(), credentials: noRegistration, },
      emailModule.optionsSchema.parse({ idle: false, pollIntervalSeconds: 5, maxMessageBytes: 3000 }));
    const recorder = recordingEvents();
    const session = await adapter.login({ user: 'alice@xmpp.example.org', credentials: ctx.credentials(), state: new MemoryKeyValue(), xmpp: recorder.xmpp, reason: 'register' });
    try {
      await recorder.waitFor('status', (s) => s.online);
      await ctx.deliverToInbox(mailWithAttachment({ from: 'gina@example.org', to: ALICE, subject: 'polled', body: 'hello', filename: 'notes.txt', content: Buffer.from('some notes') }));
      const [message] = await recorder.waitFor('message', (m) => m.subject === 'polled', 15000);
      expect(message).toMatchObject({ body: 'hello\n\nAttachments:\n- notes.txt (10 B)', oob: undefined });
      await ctx.deliverToInbox(plainMail({ from: 'gina@example.org', to: ALICE, subject: 'huge', body: 'x'.repeat(4000) }));
      const [huge] = await recorder.waitFor('message', (m) => /too large/.test(m.body), 15000);
      expect(huge).toMatchObject({ from: '', body: expect.stringMatching(/^A mail of 4\.\d KB arrived in your inbox; it is too large to relay/) });
      await adapter.login({ user: 'alice@xmpp.example.org', credentials: ctx.credentials({ smtp_password: 'wrong' }), state: new MemoryKeyValue(), xmpp: recordingEvents().xmpp, reason: 'register' }).catch(() => undefined);
    } finally {
      await session.logout();
    }
    const all = lines.join('');
    expect(all).toContain('polling');
    for (const secret of [IMAP_PASSWORD, SMTP_PASSWORD, 'wrong']) expect(all).not.toContain(secret);
  });
});
