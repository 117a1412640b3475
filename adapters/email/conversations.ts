import type { KeyValue } from '../../src/store/types';

/*
 * What the adapter remembers per user (LoginRequest.state) to thread mail like a mail client and
 * to match bounces: every entry expires, so the state stays bounded however much mail flows.
 */

const DAY_MS = 24 * 60 * 60 * 1000;
const THREAD_TTL_MS = 90 * DAY_MS;
const SENT_TTL_MS = 30 * DAY_MS;
const MAX_REFERENCES = 12;

export interface ThreadInfo {
  /** The XMPP thread id. */
  thread: string;
  /** References chain (root first, last message last), bounded. */
  references: string[];
  subject?: string;
}

/** One mail (either direction) by its Message-ID, so an XMPP reply to it can be threaded and attributed. */
export interface MailRecord {
  /** The XMPP thread it belongs to. */
  thread: string;
  /** Its own References chain with its Message-ID last, bounded like a thread's. */
  references: string[];
  subject?: string;
  /** Its author as "Name <address>" (or the address alone), for the "... wrote:" line of a quote. */
  from?: string;
  /** Its Date, ISO 8601. */
  date?: string;
}

export interface SentRecord {
  stanzaId?: string;
  peer: string;
  fromResource?: string;
}

export interface ImapCursor {
  uidValidity: string;
  lastUid: number;
}

export class Conversations {
  constructor(private readonly state: KeyValue) {}

  /** The thread for an XMPP thread id, or for the last conversation with that address. */
  async forOutbound(thread: string | undefined, address: string): Promise<ThreadInfo | undefined> {
    if (thread) return this.state.get<ThreadInfo>(`thread:${thread}`);
    const last = await this.state.get<string>(`peer:${address}`);
    return last ? this.state.get<ThreadInfo>(`thread:${last}`) : undefined;
  }

  /** XMPP thread for an inbound mail: the thread its References root already belongs to, else the root itself. */
  async threadForRoot(rootMessageId: string): Promise<string> {
    return (await this.state.get<string>(`root:${rootMessageId}`)) ?? rootMessageId.replace(/^<|>$/g, '');
  }

  /** Record a message (either direction) as the latest of its thread and of the conversation with address. */
  async remember(info: ThreadInfo, messageId: string, address: string): Promise<ThreadInfo> {
    const bounded = boundedChain([...info.references.filter((id) => id !== messageId), messageId]);
    const next: ThreadInfo = { thread: info.thread, references: bounded, subject: info.subject };
    await this.state.set(`thread:${info.thread}`, next, THREAD_TTL_MS);
    await this.state.set(`root:${bounded[0]}`, info.thread, THREAD_TTL_MS);
    await this.state.set(`peer:${address}`, info.thread, THREAD_TTL_MS);
    return next;
  }

  /** `record.references` must end with `messageId` (it is bounded here). */
  async rememberMail(messageId: string, record: MailRecord): Promise<void> {
    await this.state.set(`mail:${messageId}`, { ...record, references: boundedChain(record.references) }, THREAD_TTL_MS);
  }

  /** A mail by its Message-ID with angle brackets; undefined when unknown or expired. */
  mail(messageId: string): Promise<MailRecord | undefined> {
    return this.state.get<MailRecord>(`mail:${messageId}`);
  }

  async rememberSent(messageId: string, record: SentRecord): Promise<void> {
    await this.state.set(`sent:${messageId}`, record, SENT_TTL_MS);
  }

  async findSent(messageIds: string[]): Promise<{ messageId: string; record: SentRecord } | undefined> {
    for (const messageId of messageIds) {
      const record = await this.state.get<SentRecord>(`sent:${messageId}`);
      if (record) return { messageId, record };
    }
    return undefined;
  }

  getCursor(): Promise<ImapCursor | undefined> {
    return this.state.get<ImapCursor>('imap-cursor');
  }

  setCursor(cursor: ImapCursor): Promise<void> {
    return this.state.set('imap-cursor', cursor);
  }
}

/** Keeps the root (first) plus the most recent ids, like mail clients trimming References. */
function boundedChain(references: string[]): string[] {
  return references.length > MAX_REFERENCES ? [references[0], ...references.slice(-(MAX_REFERENCES - 1))] : references;
}
