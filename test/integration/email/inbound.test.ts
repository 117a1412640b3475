import { simpleParser } from 'mailparser';
import { DOVECOT_BINARY } from '../../harness/dovecot';
import { MemoryKeyValue } from '../../harness/memory-kv';
import { requireBinary } from '../../harness/ports';
import { ALICE, EmailContext } from './email-context';
import { deliveryStatusNotification, htmlOnlyMail, mailWithAttachment, plainMail } from './mail-fixtures';

const run = requireBinary(DOVECOT_BINARY, 'Dovecot') ? describe : describe.skip;
const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

run('email adapter: IMAP -> XMPP', () => {
  const ctx = new EmailContext();
  beforeAll(() => ctx.start({ attachmentTtlHours: 1 }));
  afterAll(() => ctx.stop());

  test('registration does not dump the old mailbox; a new mail is delivered once and flagged \\Seen', async () => {
    await ctx.deliverToInbox(plainMail({ from: 'old@example.org', to: ALICE, subject: 'old', body: 'from before the registration' }));
    const { session, waitFor, log } = await ctx.login();
    await waitFor('status', (s) => s.online);
    await ctx.deliverToInbox(plainMail({ from: 'Carol <Carol@Example.org>', to: ALICE, subject: 'Hi there', body: 'Plain text\r\nsecond line', messageId: '<plain-1@example.org>' }));
    const [message] = await waitFor('message', (m) => m.subject === 'Hi there');
    expect(message).toEqual({
      from: 'carol\\40example.org', body: 'Plain text\nsecond line', id: 'plain-1@example.org', type: 'chat',
      subject: 'Hi there', thread: 'plain-1@example.org', oob: undefined, delay: new Date('2026-11-25T10:00:00Z'), senderName: 'Carol',
    });
    await settle(1500);
    const messages = log.filter((e) => e.kind === 'message');
    expect(messages).toHaveLength(1);

    const lock = await ctx.other.getMailboxLock('INBOX');
    try {
      const flags = await ctx.other.fetchAll('1:*', { flags: true, envelope: true });
      const byId = new Map(flags.map((f) => [f.envelope?.messageId, [...(f.flags ?? [])]]));
      expect(byId.get('<plain-1@example.org>')).toContain('\\Seen');
      expect(flags.find((f) => f.envelope?.subject === 'old')?.flags?.has('\\Seen')).toBe(false);
    } finally {
      lock.release();
    }
    await ctx.logout(session);
  });

  test('an HTML-only mail arrives as readable text', async () => {
    const { session, waitFor } = await ctx.login();
    await waitFor('status', (s) => s.online);
    await ctx.deliverToInbox(htmlOnlyMail({
      from: 'news@example.org', to: ALICE, subject: 'Newsletter',
      html: '<html><head><style>p{color:red}</style></head><body><h1>Big news</h1><p>Read <a href="https://example.org/x">this</a> &amp; smile.</p><script>alert(1)</script></body></html>',
    }));
    const [message] = await waitFor('message', (m) => m.subject === 'Newsletter');
    const body = (message as { body: string }).body;
    expect(body).toContain('BIG NEWS');
    expect(body).toContain('Read this [https://example.org/x] & smile.');
    expect(body).not.toMatch(/<|color:red|alert/);
    await ctx.logout(session);
  });

  test('an attachment is served at an unguessable URL (OOB) and unknown tokens are 404', async () => {
    const { session, waitFor } = await ctx.login();
    await waitFor('status', (s) => s.online);
    const bytes = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 256));
    await ctx.deliverToInbox(mailWithAttachment({ from: 'dave@example.org', to: ALICE, subject: 'File', body: 'see attached', filename: 'data.bin', content: bytes }));
    const [message] = await waitFor('message', (m) => m.subject === 'File');
    const { oob, body } = message as { oob: { url: string; desc: string }[]; body: string };
    expect(oob).toHaveLength(1);
    expect(oob[0].url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${ctx.httpPort}/email/attachment/[A-Za-z0-9_-]{43}$`));
    expect(oob[0].desc).toBe('data.bin');
    expect(body).toBe(`see attached\n\nAttachments:\n- data.bin (2.9 KB): ${oob[0].url}`);

    const response = await fetch(oob[0].url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="data.bin"/);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(bytes);

    const wrong = oob[0].url.replace(/[A-Za-z0-9_-]{43}$/, 'A'.repeat(43));
    expect((await fetch(wrong)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${ctx.httpPort}/email/attachment/..%2F..%2Fetc`)).status).toBe(404);
    await ctx.logout(session);
  });

  test('logout and a restore with the same state neither re-deliver nor skip mail', async () => {
    const state = new MemoryKeyValue();
    const first = await ctx.login({ state });
    await first.waitFor('status', (s) => s.online);
    await ctx.deliverToInbox(plainMail({ from: 'erin@example.org', to: ALICE, subject: 'restart-1', body: 'one' }));
    await first.waitFor('message', (m) => m.subject === 'restart-1');
    await ctx.logout(first.session);

    // Arrives while the gateway is down.
    await ctx.deliverToInbox(plainMail({ from: 'erin@example.org', to: ALICE, subject: 'restart-2', body: 'two' }));
    const second = await ctx.login({ state, reason: 'restore' });
    await second.waitFor('message', (m) => m.subject === 'restart-2');
    await ctx.deliverToInbox(plainMail({ from: 'erin@example.org', to: ALICE, subject: 'restart-3', body: 'three' }));
    await second.waitFor('message', (m) => m.subject === 'restart-3');
    await settle(1000);
    const subjects = second.log.filter((e) => e.kind === 'message').map((e) => (e.args[0] as { subject: string }).subject);
    expect(subjects).toEqual(['restart-2', 'restart-3']);
    await ctx.logout(second.session);
  });

  test('a changed UIDVALIDITY restarts at UIDNEXT instead of replaying the mailbox', async () => {
    const state = new MemoryKeyValue();
    await state.set('imap-cursor', { uidValidity: '1', lastUid: 0 });
    const { session, waitFor, log } = await ctx.login({ state, reason: 'restore' });
    await waitFor('status', (s) => s.online);
    await ctx.deliverToInbox(plainMail({ from: 'erin@example.org', to: ALICE, subject: 'after-reset', body: 'new' }));
    await waitFor('message', (m) => m.subject === 'after-reset');
    expect(log.filter((e) => e.kind === 'message')).toHaveLength(1);
    expect(await state.get('imap-cursor')).toMatchObject({ uidValidity: expect.not.stringMatching(/^1$/) });
    await ctx.logout(session);
  });

  test('a DSN bounce for a sent mail becomes messageError for the original stanza id', async () => {
    const { session, waitFor, log } = await ctx.login();
    await waitFor('status', (s) => s.online);
    const before = ctx.smtp.received.length;
    await session.sendMessage({ to: 'nobody\\40example.org', body: 'are you there?', id: 'stanza-42', receiptRequested: false, fromResource: 'alice@xmpp.example.org/laptop' });
    const [sent] = (await ctx.smtp.waitForCount(before + 1)).slice(before);
    const originalId = (await simpleParser(sent.raw)).messageId!;
    await ctx.deliverToInbox(deliveryStatusNotification({ to: ALICE, failedRecipient: 'nobody@example.org', originalMessageId: originalId }));
    const [ref, error] = await waitFor('messageError');
    expect(ref).toEqual({ peer: 'nobody\\40example.org', id: 'stanza-42', fromResource: 'alice@xmpp.example.org/laptop' });
    expect(error).toMatchObject({ condition: 'recipient-unavailable' });
    expect((error as Error).message).toBe('The mail could not be delivered: smtp; 550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown');
    await settle(500);
    expect(log.filter((e) => e.kind === 'message')).toHaveLength(0);
    await ctx.logout(session);
  });

  test('a bounce for a mail the gateway does not know is delivered as a message (nothing lost)', async () => {
    const { session, waitFor } = await ctx.login();
    await waitFor('status', (s) => s.online);
    await ctx.deliverToInbox(deliveryStatusNotification({ to: ALICE, failedRecipient: 'x@example.org', originalMessageId: '<sent-elsewhere@example.net>' }));
    const [message] = await waitFor('message', (m) => m.subject === 'Undelivered Mail Returned to Sender');
    expect(message).toMatchObject({ from: 'mailer-daemon\\40mx.remote.example.org' });
    await ctx.logout(session);
  });
});
