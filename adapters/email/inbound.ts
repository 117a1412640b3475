import { simpleParser, type ParsedMail, type AddressObject } from 'mailparser';
import { convert } from 'html-to-text';
import { messageIds, remoteText } from './text';

/** One inbound mail reduced to what the gateway relays. */
export interface ReadMail {
  messageId?: string;
  fromAddress?: string;
  fromName?: string;
  subject?: string;
  body: string;
  /** Root of the References chain (or In-Reply-To), the mail's own id when it starts a thread. */
  threadRoot?: string;
  /** References chain to continue when answering. */
  references: string[];
  date?: Date;
  attachments: { filename?: string; contentType?: string; content: Buffer; size: number }[];
  bounce?: Bounce;
}

export interface Bounce {
  /** Every Message-ID the bounce mentions: one of them is the mail that failed. */
  candidateIds: string[];
  reason: string;
  permanent: boolean;
}

const MAX_BODY_CHARS = 60000;

export async function readMail(raw: Buffer): Promise<ReadMail> {
  const parsed = await simpleParser(raw, {
    skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true, keepCidLinks: true, keepDeliveryStatus: true,
  });
  const from = firstAddress(parsed.from);
  const references = messageIds(parsed.references);
  const inReplyTo = messageIds(parsed.inReplyTo);
  const messageId = messageIds(parsed.messageId)[0];
  const chain = references.length ? references : inReplyTo;
  const attachments = parsed.attachments
    .filter((a) => !a.related && !/^(message\/delivery-status|text\/rfc822-headers|message\/rfc822)$/i.test(a.contentType))
    .map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content, size: a.size }));
  return {
    messageId,
    fromAddress: from?.address,
    fromName: from?.name ? remoteText(from.name, 100) : undefined,
    subject: parsed.subject ? remoteText(parsed.subject, 500) : undefined,
    body: readableBody(parsed),
    threadRoot: chain[0] ?? messageId,
    references: messageId ? [...chain, messageId] : chain,
    date: parsed.date,
    attachments,
    bounce: detectBounce(parsed, raw, from?.address, messageId),
  };
}

function firstAddress(header: AddressObject | AddressObject[] | undefined): { address?: string; name?: string } | undefined {
  const list = Array.isArray(header) ? header : header ? [header] : [];
  return list.flatMap((h) => h.value)[0];
}

function readableBody(parsed: ParsedMail): string {
  let text = parsed.text ?? '';
  if (!text.trim() && parsed.html) {
    text = convert(parsed.html, { wordwrap: false, selectors: [{ selector: 'img', format: 'skip' }] });
  }
  // NUL and other controls never reach the XML; tabs and newlines are kept for readability.
  text = text.replace(/\r\n?/g, '\n').replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, '').trim();
  if (text.length > MAX_BODY_CHARS) {
    text = `${text.slice(0, MAX_BODY_CHARS)}\n[… ${text.length - MAX_BODY_CHARS} more characters, read the full mail in your mail client]`;
  }
  return text;
}

/** A DSN (multipart/report; report-type=delivery-status) or a classic bounce from MAILER-DAEMON. */
function detectBounce(parsed: ParsedMail, raw: Buffer, from: string | undefined, ownId: string | undefined): Bounce | undefined {
  const contentType = parsed.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
  const isDsn = contentType?.value?.toLowerCase() === 'multipart/report'
    && (contentType.params?.['report-type'] ?? '').toLowerCase() === 'delivery-status';
  const fromDaemon = /^(mailer-daemon|postmaster)@/i.test(from ?? '');
  if (!isDsn && !fromDaemon) return undefined;
  const source = raw.toString('latin1');
  const action = /^Action:\s*(\S+)/im.exec(source)?.[1]?.toLowerCase();
  // "delayed" / "relayed" / "delivered" reports are news, not failures: they reach the user as mail.
  if (action && action !== 'failed') return undefined;
  const original = (parsed.headers.get('original-message-id') as string | undefined) ?? '';
  const embedded = [...source.matchAll(/^Message-ID:[ \t]*(<[^<>\s]+>)/gim)].map((m) => m[1]);
  const candidateIds = [...new Set([...messageIds(original), ...messageIds(parsed.inReplyTo), ...messageIds(parsed.references), ...embedded])]
    .filter((id) => id !== ownId);
  const diagnostic = /^Diagnostic-Code:\s*(.+)$/im.exec(source)?.[1];
  const status = /^Status:\s*([245]\.\d{1,3}\.\d{1,3})/im.exec(source)?.[1];
  const reason = remoteText(diagnostic ?? (status ? `status ${status}` : parsed.subject ?? 'the mail could not be delivered'));
  return { candidateIds, reason, permanent: !status || status.startsWith('5') };
}
