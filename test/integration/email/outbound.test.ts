import { simpleParser } from 'mailparser';
import { DOVECOT_BINARY } from '../../harness/dovecot';
import { requireBinary } from '../../harness/ports';
import { ALICE, EmailContext } from './email-context';
import { plainMail } from './mail-fixtures';

const run = requireBinary(DOVECOT_BINARY, 'Dovecot') ? describe : describe.skip;

function outbound(to: string, body: string, extra: Record<string, unknown> = {}) {
  return { to, body, receiptRequested: false, fromResource: 'alice@xmpp.example.org/phone', ...extra };
}

/** Messages in `folder` once there are any (the Sent copy is appended after the send), or 0 after 5 s. */
async function copiesIn(ctx: EmailContext, folder: string): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const status = await ctx.other.status(folder, { messages: true }).catch(() => false as const);
    if (status && status.messages) return status.messages;
    await new Promise((r) => setTimeout(r, 100));
  }
  return 0;
}

run('email adapter: XMPP -> SMTP', () => {
  const ctx = new EmailContext();
  beforeAll(() => ctx.start());
  afterAll(() => ctx.stop());

  test('a message becomes a mail from the user\'s address with subject, Message-ID, receipt and a Sent copy', async () => {
    const { session, waitFor } = await ctx.login();
    const before = ctx.smtp.received.length;
    await session.sendMessage(outbound('bob\\40example.org', 'Hello Bob, this first line is definitely longer than sixty characters\nsecond line', { id: 'm-1', receiptRequested: true }));
    const [received] = (await ctx.smtp.waitForCount(before + 1)).slice(before);
    expect(received.from).toBe(ALICE);
    expect(received.to).toEqual(['bob@example.org']);
    expect(received.user).toBe(ALICE);
    const mail = await simpleParser(received.raw);
    expect(mail.from?.text).toBe(ALICE);
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.text : '').toBe('bob@example.org');
    expect(mail.subject).toBe('Hello Bob, this first line is definitely longer than sixty…');
    expect([...mail.subject!].length).toBeLessThanOrEqual(60);
    expect(mail.messageId).toMatch(/^<xmpp-m-1-[A-Za-z0-9_-]+@example\.net>$/);
    expect(mail.text?.trim()).toBe('Hello Bob, this first line is definitely longer than sixty characters\nsecond line');
    expect(await waitFor('receipt')).toEqual([{ peer: 'bob\\40example.org', id: 'm-1', fromResource: 'alice@xmpp.example.org/phone' }]);

    // The Sent copy is appended after the send; wait for it.
    expect(await copiesIn(ctx, 'Sent')).toBe(1);
    const lock = await ctx.other.getMailboxLock('Sent');
    try {
      const copy = await ctx.other.fetchOne('*', { envelope: true, flags: true });
      expect(copy && copy.envelope?.messageId).toBe(mail.messageId);
      expect(copy && [...(copy.flags ?? [])]).toContain('\\Seen');
    } finally {
      lock.release();
    }
    await ctx.logout(session);
  });

  test('the % form of an address and an explicit subject are used as given', async () => {
    const { session } = await ctx.login();
    const before = ctx.smtp.received.length;
    await session.sendMessage(outbound('carol%example.org', 'body', { subject: 'Explicit' }));
    const [received] = (await ctx.smtp.waitForCount(before + 1)).slice(before);
    expect(received.to).toEqual(['carol@example.org']);
    expect((await simpleParser(received.raw)).subject).toBe('Explicit');
    await ctx.logout(session);
  });

  test('a CR/LF in the subject cannot inject a header', async () => {
    const { session } = await ctx.login();
    const before = ctx.smtp.received.length;
    await session.sendMessage(outbound('bob\\40example.org', 'x', { subject: 'hi\r\nBcc: evil@x.example\r\n\r\nfake body', id: 'inj\r\nX-Evil: 1' }));
    const [received] = (await ctx.smtp.waitForCount(before + 1)).slice(before);
    expect(received.to).toEqual(['bob@example.org']);
    const headerBlock = received.raw.toString('latin1').split('\r\n\r\n')[0];
    expect(headerBlock).not.toMatch(/^Bcc:/im);
    expect(headerBlock).not.toMatch(/^X-Evil:/im);
    const mail = await simpleParser(received.raw);
    expect(mail.bcc).toBeUndefined();
    expect(mail.subject).toBe('hi Bcc: evil@x.example fake body');
    expect(mail.text?.trim()).toBe('x');
    await ctx.logout(session);
  });

  test('an address with a line break or a comma is refused before anything is sent', async () => {
    const { session } = await ctx.login();
    const before = ctx.smtp.received.length;
    await expect(session.sendMessage(outbound('bob\\40example.org\r\nBcc: evil\\40x.example', 'x'))).rejects.toMatchObject({ condition: 'jid-malformed' });
    await expect(session.sendMessage(outbound('bob\\40example.org,evil\\40x.example', 'x'))).rejects.toMatchObject({ condition: 'jid-malformed' });
    await expect(session.sendMessage(outbound('\\3cbob\\40example.org\\3e', 'x'))).rejects.toMatchObject({ condition: 'jid-malformed' });
    expect(ctx.smtp.received.length).toBe(before);
    await ctx.logout(session);
  });

  test('an SMTP 550 refusal rejects the send with the server\'s text', async () => {
    const { session, log } = await ctx.login();
    const err = await session.sendMessage(outbound('gone\\40example.org', 'anyone there?', { id: 'm-550', receiptRequested: true })).catch((e: unknown) => e);
    expect(err).toMatchObject({ condition: 'not-acceptable' });
    expect((err as Error).message).toBe('SMTP server refused: 550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown');
    expect(log.filter((e) => e.kind === 'receipt')).toHaveLength(0);
    await ctx.logout(session);
  });

  test('replies continue the thread of a received mail (In-Reply-To, References, Re: subject)', async () => {
    const { session, waitFor } = await ctx.login();
    await ctx.deliverToInbox(plainMail({ from: 'Bob <bob@example.org>', to: ALICE, subject: 'Lunch?', body: 'Lunch at noon?', messageId: '<lunch-1@example.org>', headers: ['References: <older-0@example.org>'] }));
    const [inbound] = await waitFor('message', (m) => m.subject === 'Lunch?');
    expect(inbound).toMatchObject({ from: 'bob\\40example.org', thread: 'older-0@example.org' });

    // With the thread the client got ...
    const before = ctx.smtp.received.length;
    await session.sendMessage(outbound('bob\\40example.org', 'Yes!', { thread: (inbound as { thread: string }).thread }));
    // ... and without any thread (the last conversation with Bob).
    await session.sendMessage(outbound('bob\\40example.org', 'See you there'));
    const [first, second] = (await ctx.smtp.waitForCount(before + 2)).slice(before);
    const reply = await simpleParser(first.raw);
    expect(reply.subject).toBe('Re: Lunch?');
    expect(reply.inReplyTo).toBe('<lunch-1@example.org>');
    expect(reply.references).toEqual(['<older-0@example.org>', '<lunch-1@example.org>']);
    const followUp = await simpleParser(second.raw);
    expect(followUp.inReplyTo).toBe(reply.messageId);
    expect(followUp.subject).toBe('Re: Lunch?');

    // Bob answers the follow-up: the same XMPP thread continues.
    await ctx.deliverToInbox(plainMail({ from: 'bob@example.org', to: ALICE, subject: 'Re: Lunch?', body: 'Great', headers: [`In-Reply-To: ${followUp.messageId}`, `References: <older-0@example.org> <lunch-1@example.org> ${reply.messageId} ${followUp.messageId}`] }));
    const [answer] = await waitFor('message', (m) => m.body === 'Great');
    expect(answer).toMatchObject({ thread: 'older-0@example.org' });
    await ctx.logout(session);
  });

  test('a new XMPP thread starts a new mail thread and answers come back in it', async () => {
    const { session, waitFor } = await ctx.login();
    const before = ctx.smtp.received.length;
    // Mail to herself: the SMTP server delivers it into her Dovecot INBOX, a full round trip.
    await session.sendMessage(outbound('alice\\40example.net', 'note to self', { thread: 'xmpp-thread-7' }));
    const [sent] = (await ctx.smtp.waitForCount(before + 1)).slice(before);
    const mail = await simpleParser(sent.raw);
    expect(mail.inReplyTo).toBeUndefined();
    const [looped] = await waitFor('message', (m) => m.body === 'note to self');
    expect(looped).toMatchObject({ from: 'alice\\40example.net', thread: 'xmpp-thread-7', subject: 'note to self' });
    await ctx.logout(session);
  });
});

run('email adapter: an account without the Sent folder', () => {
  // The configured folder does not exist on the server, as with an account that never had one.
  const ctx = new EmailContext();
  beforeAll(() => ctx.start({ sentFolder: 'Gateway Sent' }));
  afterAll(() => ctx.stop());

  test('the folder is created on the first send and the copy is kept there', async () => {
    expect((await ctx.other.list()).map((box) => box.path)).not.toContain('Gateway Sent');
    const { session, waitFor } = await ctx.login();
    await session.sendMessage(outbound('bob\\40example.org', 'first mail', { id: 'sent-1', receiptRequested: true }));
    await waitFor('receipt');
    expect(await copiesIn(ctx, 'Gateway Sent')).toBe(1);
    expect((await ctx.other.list()).find((box) => box.path === 'Gateway Sent')?.subscribed).toBe(true);
    await ctx.logout(session);
  });
});
