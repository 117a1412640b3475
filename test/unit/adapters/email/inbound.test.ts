import { readMail } from '../../../../adapters/email/inbound';
import { deliveryStatusNotification, htmlOnlyMail, plainMail } from '../../../integration/email/mail-fixtures';

describe('reading an inbound mail', () => {
  test('plain mail: sender, subject, text, thread root from References', async () => {
    const mail = await readMail(Buffer.from(plainMail({
      from: '"Bob B." <bob@example.org>', to: 'alice@example.net', subject: 'Hi\tthere', body: 'line 1\r\n\r\nline 2\0',
      messageId: '<m3@example.org>', headers: ['References: <m1@example.org> <m2@example.org>', 'In-Reply-To: <m2@example.org>'],
    })));
    expect(mail).toMatchObject({
      messageId: '<m3@example.org>', fromAddress: 'bob@example.org', fromName: 'Bob B.', subject: 'Hi there',
      body: 'line 1\n\nline 2', threadRoot: '<m1@example.org>', references: ['<m1@example.org>', '<m2@example.org>', '<m3@example.org>'],
      attachments: [], bounce: undefined,
    });
  });

  test('a mail without References uses In-Reply-To, a new one is its own root', async () => {
    const reply = await readMail(Buffer.from(plainMail({ from: 'b@example.org', to: 'a@example.net', subject: 's', body: 'b', messageId: '<r@x.y>', headers: ['In-Reply-To: <q@x.y>'] })));
    expect(reply.threadRoot).toBe('<q@x.y>');
    const fresh = await readMail(Buffer.from(plainMail({ from: 'b@example.org', to: 'a@example.net', subject: 's', body: 'b', messageId: '<n@x.y>' })));
    expect(fresh.threadRoot).toBe('<n@x.y>');
  });

  test('HTML-only mail becomes text without markup, styles or scripts', async () => {
    const mail = await readMail(Buffer.from(htmlOnlyMail({ from: 'n@example.org', to: 'a@example.net', subject: 'N', html: '<style>x{}</style><p>One</p><p>Two &lt;3</p><script>evil()</script><img src="cid:x">' })));
    expect(mail.body).toBe('One\n\nTwo <3');
  });

  test('a DSN is a bounce with the embedded Message-ID and the diagnostic', async () => {
    const mail = await readMail(Buffer.from(deliveryStatusNotification({ to: 'a@example.net', failedRecipient: 'x@example.org', originalMessageId: '<orig@example.net>' })));
    expect(mail.bounce).toEqual({
      candidateIds: ['<orig@example.net>'],
      reason: 'smtp; 550 5.1.1 <x@example.org>: Recipient address rejected: User unknown',
      permanent: true,
    });
    expect(mail.attachments).toEqual([]);
  });

  test('a "delayed" report is news, not a failure', async () => {
    const raw = deliveryStatusNotification({ to: 'a@example.net', failedRecipient: 'x@example.org', originalMessageId: '<orig@example.net>' })
      .replace('Action: failed', 'Action: delayed').replace('Status: 5.1.1', 'Status: 4.4.1');
    expect((await readMail(Buffer.from(raw))).bounce).toBeUndefined();
  });

  test('a classic bounce from MAILER-DAEMON without a DSN structure is matched by In-Reply-To', async () => {
    const mail = await readMail(Buffer.from(plainMail({
      from: 'MAILER-DAEMON@mx.example.org', to: 'a@example.net', subject: 'failure notice', body: 'Sorry, it did not work.',
      headers: ['In-Reply-To: <orig-2@example.net>'],
    })));
    expect(mail.bounce).toEqual({ candidateIds: ['<orig-2@example.net>'], reason: 'failure notice', permanent: true });
  });
});
