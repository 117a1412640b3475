import type Mail from 'nodemailer/lib/mailer';
import type { MessageRef, OobLink } from '../../src/core/adapter';
import type { OutboundPolicy } from '../../src/core/outbound-policy';
import { localpartToAddress } from './address';
import type { MailRecord } from './conversations';
import { download, type Download, type DownloadLimits } from './downloads';

/*
 * The parts of an outgoing mail that XMPP expresses differently: files (links to uploads) become
 * attachments, a reply's quote goes below the answer as mail clients write it.
 */

/** A message naming more files than this gets the rest as links: the downloads run one by one. */
export const MAX_FILES_PER_MAIL = 10;

export interface FileSettings {
  maxBytes: number;
  totalBytes: number;
  timeoutMs: number;
  outbound: OutboundPolicy;
}

export type Fetcher = (url: string, policy: OutboundPolicy, limits: DownloadLimits) => Promise<Download>;

export interface MailFiles {
  /** The text without the link of a file that was the whole text, plus the link and reason of each file not attached. */
  text: string;
  attachments: Mail.Attachment[];
}

const BARE_HTTPS_URL = /^https:\/\/\S+$/i;

/**
 * Downloads the files a message links to: its XEP-0066 links (also how XEP-0363 uploads arrive)
 * and a body that is nothing but an https URL (how Conversations sends an upload). A file that
 * cannot be attached stays a link with one line saying why; a web page behind a bare URL was a
 * link, not a file, and stays one.
 */
export async function attachFiles(text: string, oob: OobLink[] | undefined, settings: FileSettings, fetch: Fetcher = download): Promise<MailFiles> {
  const explicit = unique((oob ?? []).map((link) => link.url.trim()).filter(Boolean));
  const bare = text.trim();
  const urls = BARE_HTTPS_URL.test(bare) ? unique([...explicit, bare]) : explicit;
  let main = text;
  const tail: string[] = [];
  const attachments: Mail.Attachment[] = [];
  let used = 0;
  for (const [index, url] of urls.entries()) {
    const result: Download = index < MAX_FILES_PER_MAIL
      ? await fetch(url, settings.outbound, { maxBytes: settings.maxBytes, totalBytes: settings.totalBytes, budget: settings.totalBytes - used, timeoutMs: settings.timeoutMs })
      : { ok: false, reason: `only the first ${MAX_FILES_PER_MAIL} files of a message are attached` };
    if (result.ok) {
      if (result.page && !explicit.includes(url)) continue;
      attachments.push({ filename: result.filename, contentType: result.contentType, content: result.content });
      used += result.content.length;
      if (main.trim() === url) main = '';
      continue;
    }
    const note = `(Not attached: ${result.reason}.)`;
    if (main.trim() === url) {
      main = '';
      tail.push(url, note);
    } else if (main.includes(url)) {
      tail.push(`(${url} not attached: ${result.reason}.)`);
    } else {
      tail.push(url, note);
    }
  }
  // Links of files that were attached are not repeated; every other link reaches the mail.
  return { text: [main.trimEnd(), ...tail].filter((part) => part.length > 0).join('\n'), attachments };
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/** The answered text as mail clients quote it: every line behind "> ", nested quotes as ">>". */
export function quoteLines(text: string): string[] {
  return text.replace(/\r\n?/g, '\n').trim().split('\n').map((line) => (line.startsWith('>') ? `>${line}` : line ? `> ${line}` : '>'));
}

/**
 * "On <date>, <author> wrote:" from what is remembered of the answered mail; without that
 * record, "<address> wrote:" when the reply names its author; else nothing.
 */
export function attribution(ref: MessageRef, record: MailRecord | undefined, ownAddress: string): string | undefined {
  let who = record?.from;
  if (!who && ref.author !== undefined) {
    try {
      who = ref.author === '' ? ownAddress : localpartToAddress(ref.author);
    } catch {
      who = undefined;
    }
  }
  if (!who) return undefined;
  const date = record?.date ? new Date(record.date) : undefined;
  return date && Number.isFinite(date.getTime()) ? `On ${date.toUTCString()}, ${who} wrote:` : `${who} wrote:`;
}

/** The answer, then the quote of the answered message (when the client sent its text). */
export function withQuote(answer: string, ref: MessageRef | undefined, record: MailRecord | undefined, ownAddress: string): string {
  if (!ref?.text?.trim()) return answer;
  const intro = attribution(ref, record, ownAddress);
  const quote = [...(intro ? [intro] : []), ...quoteLines(ref.text)].join('\n');
  return answer.trim() ? `${answer.trimEnd()}\n\n${quote}` : quote;
}

/** A first-line subject needs text: a message that was only files is named after them. */
export function filesSubject(attachments: Mail.Attachment[]): string {
  return attachments.map((a) => String(a.filename ?? '')).filter(Boolean).join(', ');
}
