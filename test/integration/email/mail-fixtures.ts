import { randomBytes } from 'node:crypto';

/** Raw RFC 5322 mails for the tests, as a remote mail client would write them. */
export function plainMail(opts: { from: string; to: string; subject: string; body: string; messageId?: string; headers?: string[] }): string {
  const id = opts.messageId ?? `<${randomBytes(6).toString('hex')}@remote.example.org>`;
  return [
    `From: ${opts.from}`, `To: ${opts.to}`, `Subject: ${opts.subject}`, `Message-ID: ${id}`,
    'Date: Wed, 25 Nov 2026 10:00:00 +0000', 'MIME-Version: 1.0', ...(opts.headers ?? []),
    'Content-Type: text/plain; charset=utf-8', '', opts.body, '',
  ].join('\r\n');
}

export function htmlOnlyMail(opts: { from: string; to: string; subject: string; html: string }): string {
  return [
    `From: ${opts.from}`, `To: ${opts.to}`, `Subject: ${opts.subject}`, `Message-ID: <html-${randomBytes(4).toString('hex')}@remote.example.org>`,
    'MIME-Version: 1.0', 'Content-Type: text/html; charset=utf-8', '', opts.html, '',
  ].join('\r\n');
}

export function mailWithAttachment(opts: { from: string; to: string; subject: string; body: string; filename: string; content: Buffer }): string {
  const b = `b-${randomBytes(4).toString('hex')}`;
  return [
    `From: ${opts.from}`, `To: ${opts.to}`, `Subject: ${opts.subject}`, `Message-ID: <att-${randomBytes(4).toString('hex')}@remote.example.org>`,
    'MIME-Version: 1.0', `Content-Type: multipart/mixed; boundary="${b}"`, '',
    `--${b}`, 'Content-Type: text/plain; charset=utf-8', '', opts.body, '',
    `--${b}`, `Content-Type: application/octet-stream; name="${opts.filename}"`,
    `Content-Disposition: attachment; filename="${opts.filename}"`, 'Content-Transfer-Encoding: base64', '',
    opts.content.toString('base64').replace(/.{76}/g, '$&\r\n'), '',
    `--${b}--`, '',
  ].join('\r\n');
}

/** A Postfix-style DSN for a mail whose headers are embedded as text/rfc822-headers. */
export function deliveryStatusNotification(opts: { to: string; failedRecipient: string; originalMessageId: string }): string {
  const b = `dsn-${randomBytes(4).toString('hex')}`;
  return [
    'From: Mail Delivery System <MAILER-DAEMON@mx.remote.example.org>', `To: ${opts.to}`,
    'Subject: Undelivered Mail Returned to Sender', `Message-ID: <dsn-${randomBytes(4).toString('hex')}@mx.remote.example.org>`,
    'MIME-Version: 1.0', `Content-Type: multipart/report; report-type=delivery-status; boundary="${b}"`, '',
    `--${b}`, 'Content-Type: text/plain', '', 'I could not deliver your message to the recipients below.', '',
    `--${b}`, 'Content-Type: message/delivery-status', '',
    'Reporting-MTA: dns; mx.remote.example.org', '',
    `Final-Recipient: rfc822; ${opts.failedRecipient}`, 'Action: failed', 'Status: 5.1.1',
    `Diagnostic-Code: smtp; 550 5.1.1 <${opts.failedRecipient}>: Recipient address rejected: User unknown`, '',
    `--${b}`, 'Content-Type: text/rfc822-headers', '',
    `From: ${opts.to}`, `To: ${opts.failedRecipient}`, 'Subject: lost', `Message-ID: ${opts.originalMessageId}`, '',
    `--${b}--`, '',
  ].join('\r\n');
}
