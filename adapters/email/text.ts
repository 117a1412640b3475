import { randomBytes } from 'node:crypto';

/** A header value can never carry CR, LF or NUL (header injection); other controls become spaces. */
export function headerValue(value: string, maxLength = 998): string {
  return value.replace(/[\r\n\0]+/g, ' ').replace(/[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]/g, ' ').trim().slice(0, maxLength);
}

/** Text a remote server sent, made safe for an error sentence or a log line. */
export function remoteText(value: unknown, maxLength = 300): string {
  return String(value ?? '').replace(/[\x00-\x1f\x7f]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, maxLength);
}

const SUBJECT_LENGTH = 60;

/** 'first-line' subject: the first non-empty line, shortened to 60 characters with an ellipsis. */
export function firstLineSubject(body: string): string {
  const line = body.split(/\r\n|\r|\n/).map((l) => l.trim()).find((l) => l.length > 0) ?? '';
  const chars = [...headerValue(line)];
  return chars.length > SUBJECT_LENGTH ? `${chars.slice(0, SUBJECT_LENGTH - 1).join('').trimEnd()}…` : chars.join('');
}

/** "Re: x" once, however many times the subject was already answered. */
export function replySubject(subject: string): string {
  const bare = subject.replace(/^(\s*(re|aw|sv|antw)\s*:\s*)+/i, '');
  return `Re: ${bare}`;
}

/** <xmpp-{stanza id}-{random}@{domain}>: unique, and still recognisable in a bounce. */
export function newMessageId(stanzaId: string | undefined, fromAddress: string): string {
  const id = (stanzaId ?? '').replace(/[^A-Za-z0-9._-]/g, '').slice(0, 64) || 'msg';
  const domain = fromAddress.slice(fromAddress.lastIndexOf('@') + 1);
  return `<xmpp-${id}-${randomBytes(9).toString('base64url')}@${domain}>`;
}

/** Message-IDs as they appear in References / In-Reply-To: "<a@b> <c@d>" -> ['<a@b>', '<c@d>']. */
export function messageIds(value: string | string[] | undefined): string[] {
  const joined = Array.isArray(value) ? value.join(' ') : value ?? '';
  return joined.match(/<[^<>\s]+>/g) ?? [];
}

export function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
