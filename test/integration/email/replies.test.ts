import { simpleParser, type ParsedMail } from 'mailparser';
import type { LegacySession } from '../../../src/core/adapter';
import { GatewayError } from '../../../src/core/errors';
import { DOVECOT_BINARY } from '../../harness/dovecot';
import { requireBinary } from '../../harness/ports';
import { ALICE, EmailContext } from './email-context';
import { plainMail } from './mail-fixtures';

const run = requireBinary(DOVECOT_BINARY, 'Dovecot') ? describe : describe.skip;
const DAN = 'dan\\40example.org';

function outbound(body: string, extra: Record<string, unknown> = {}) {
  return { to: DAN, body, receiptRequested: false, fromResource: 'alice@xmpp.example.org/phone', ...extra };
}

run('email adapter: XEP-0461 replies and XEP-0333 read markers', () => {
  const ctx = new EmailContext();
  let session: LegacySession;
  let waitFor: Awaited<ReturnType<EmailContext['login']>>['waitFor'];

  beforeAll(async () => {
    // Not flagged when relayed, so a read marker is what flags a mail \Seen here.
    await ctx.start({ markSeen: false, saveToSent: false });
    ({ session, waitFor } = await ctx.login());
  });
  afterAll(() => ctx.stop());

  /** A mail from Dan lands in the inbox and is relayed. */
  async function mailFromDan(id: string, extra: { subject?: string; headers?: string[] } = {}): Promise<void> {
    await ctx.deliverToInbox(plainMail({ from: 'Dan Example <dan@example.org>', to: ALICE, subject: extra.subject ?? 'Plans', body: 'Shall we meet?\nAt noon', messageId: `<${id}>`, headers: extra.headers }));
    await waitFor('message', (m: { id?: string }) => m.id === id, 15000);
  }

  async function send(body: string, extra: Record<string, unknown> = {}): Promise<{ mail: ParsedMail; legacyId?: string }> {
    const before = ctx.smtp.received.length;
    const result = await session.sendMessage(outbound(body, extra));
    const [received] = (await ctx.smtp.waitForCount(before + 1)).slice(before);
    return { mail: await simpleParser(received.raw), legacyId: result ? result.legacyId : undefined };
  }

  async function seen(messageId: string): Promise<boolean> {
    const lock = await ctx.other.getMailboxLock('INBOX');
    try {
      for await (const m of ctx.other.fetch('1:*', { envelope: true, flags: true })) {
        if (m.envelope?.messageId === messageId) return m.flags?.has('\\Seen') ?? false;
      }
    } finally {
      lock.release();
    }
    throw new Error(`${messageId} is not in INBOX`);
  }

  test('a reply answers that very mail: In-Reply-To, its References plus its id, Re: its subject, the quote below the answer', async () => {
    await mailFromDan('r-1@example.org', { headers: ['References: <root@example.org>'] });
    // A later mail of the same conversation: the reply must still name the one it answers.
    await mailFromDan('r-later@example.org', { subject: 'Something else', headers: ['References: <root@example.org> <r-1@example.org>'] });
    const { mail, legacyId } = await send('Sounds good', { replyTo: { id: 'r-1@example.org', legacyId: 'r-1@example.org', author: DAN, text: 'Shall we meet?\nAt noon' } });
    expect(mail.inReplyTo).toBe('<r-1@example.org>');
    expect(mail.references).toEqual(['<root@example.org>', '<r-1@example.org>']);
    expect(mail.subject).toBe('Re: Plans');
    expect(mail.text?.trim()).toBe('Sounds good\n\nOn Wed, 25 Nov 2026 10:00:00 GMT, Dan Example <dan@example.org> wrote:\n> Shall we meet?\n> At noon');
    expect(legacyId).toBe(mail.messageId!.replace(/^<|>$/g, ''));
  });

  test('a subject of the XMPP message wins over Re:; without the client\'s quote nothing is quoted', async () => {
    const { mail } = await send('New plan', { subject: 'Change of plans', replyTo: { id: 'r-1@example.org', legacyId: 'r-1@example.org' } });
    expect(mail.inReplyTo).toBe('<r-1@example.org>');
    expect(mail.subject).toBe('Change of plans');
    expect(mail.text?.trim()).toBe('New plan');
  });

  test('a reply to the user\'s own mail (the id sendMessage returned) answers that mail', async () => {
    const first = await send('First thoughts', { subject: 'Ideas' });
    const { mail } = await send('And one more', { replyTo: { id: 'x-1', legacyId: first.legacyId, author: '', text: 'First thoughts' } });
    expect(mail.inReplyTo).toBe(first.mail.messageId);
    // That mail continued the conversation with Dan: its chain, then itself.
    const chain = [first.mail.references ?? []].flat();
    expect(chain.length).toBeGreaterThan(0);
    expect(mail.references).toEqual([...chain, first.mail.messageId]);
    expect(mail.subject).toBe('Re: Ideas');
    expect(mail.text?.trim()).toMatch(/^And one more\n\nOn .+ GMT, alice@example\.net wrote:\n> First thoughts$/);
  });

  test('a reply to a mail no longer remembered still goes out, unthreaded, with the quote', async () => {
    const { mail } = await send('Late answer', { replyTo: { id: 'old@example.org', legacyId: 'old@example.org', author: DAN, text: 'Long ago' } });
    expect(mail.inReplyTo).toBeUndefined();
    expect(mail.references).toBeUndefined();
    expect(mail.subject).toBe('Late answer');
    expect(mail.text?.trim()).toBe('Late answer\n\ndan@example.org wrote:\n> Long ago');
    // An id that cannot be a Message-ID (e.g. a notice of the gateway's own) is the same case.
    const other = await send('Hm', { replyTo: { id: 'abc123' } });
    expect(other.mail.inReplyTo).toBeUndefined();
  });

  test('a read marker flags that mail \\Seen in the inbox and no other', async () => {
    await mailFromDan('unread-1@example.org');
    await mailFromDan('unread-2@example.org');
    expect(await seen('<unread-1@example.org>')).toBe(false);
    await session.markRead!(DAN, { id: 'unread-1@example.org' });
    expect(await seen('<unread-1@example.org>')).toBe(true);
    expect(await seen('<unread-2@example.org>')).toBe(false);
    // The core's recorded legacy id wins over the XMPP id; unknown ids are nothing to do.
    await session.markRead!(DAN, { id: 'xmpp-id', legacyId: 'unread-2@example.org' });
    expect(await seen('<unread-2@example.org>')).toBe(true);
    await expect(session.markRead!(DAN, { id: 'not-in-the-inbox@example.org' })).resolves.toBeUndefined();
    await expect(session.markRead!(DAN, { id: 'no-message-id' })).resolves.toBeUndefined();
  });

  test('a read marker while the mailbox is unreachable is an error saying so', async () => {
    const { session: offline } = await ctx.login();
    await offline.logout();
    const error = await offline.markRead!(DAN, { id: 'unread-1@example.org' }).then(() => undefined, (err: unknown) => err);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ condition: 'recipient-unavailable', message: 'The mailbox on 127.0.0.1 cannot be reached right now; the mail was not marked as read there.' });
  });
});
