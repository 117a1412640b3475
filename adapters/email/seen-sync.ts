/**
 * IMAP \Seen -> XMPP: a relayed mail that another mail client (webmail, a phone) marks read is
 * shown read in the user's XMPP clients too, through the contact's readByUser (see
 * src/core/read-sync.ts). Only mails this session relayed are watched, and only while they are
 * unread: once seen (or gone from INBOX) a mail is forgotten. With the option markSeen (the
 * gateway flags every relayed mail itself) there is nothing to learn and nothing is watched.
 *
 * The watcher asks for a check when flags may have changed: an untagged FETCH FLAGS (IDLE), a
 * poll, a (re)connect. A check is one UID FETCH (FLAGS) of the watched mails.
 */
import type { ImapFlow } from 'imapflow';

/** Watched mails per user: beyond it the oldest unread one is no longer followed. */
const MAX_WATCHED = 500;
/** Read reports remembered, so the privileged <displayed/> coming back to the gateway costs no IMAP round trip. */
const MAX_REPORTED = 100;

interface Watched {
  /** Message-ID without angle brackets: the XMPP id of the relayed message. */
  messageId: string;
  /** The contact's localpart. */
  from: string;
}

export interface SeenReport {
  from: string;
  messageId: string;
}

export class SeenSync {
  /** By UID, oldest first. */
  private readonly watched = new Map<number, Watched>();
  private uidValidity?: string;
  private readonly reported = new Set<string>();

  /** `read`: tell the core (contact(from).readByUser); called with the newest mail read per contact. */
  constructor(private readonly read: (report: SeenReport) => void) {}

  get size(): number {
    return this.watched.size;
  }

  /** A mail just handed over to the user, unread as far as the gateway knows. */
  watch(uidValidity: string, uid: number, messageId: string, from: string): void {
    if (this.uidValidity !== uidValidity) {
      this.watched.clear();
      this.uidValidity = uidValidity;
    }
    this.watched.set(uid, { messageId, from });
    if (this.watched.size > MAX_WATCHED) this.watched.delete(this.watched.keys().next().value!);
  }

  /**
   * The user read `messageId` from XMPP and the gateway is about to flag it: that change is not
   * news to report. Returns false when the mail was just reported read from IMAP (the user's
   * server carrying our own marker back): nothing left to flag.
   */
  readHere(messageId: string): boolean {
    for (const [uid, mail] of this.watched) if (mail.messageId === messageId) this.watched.delete(uid);
    return !this.reported.has(messageId);
  }

  /** Fetches the flags of the watched mails and reports the ones now \Seen; mails gone from INBOX are forgotten. */
  async check(client: ImapFlow): Promise<void> {
    if (this.watched.size === 0) return;
    const validity = client.mailbox ? String(client.mailbox.uidValidity) : undefined;
    if (validity !== this.uidValidity) {
      // The mailbox was rebuilt: the UIDs watched name other mails now, or none.
      this.watched.clear();
      return;
    }
    const uids = [...this.watched.keys()];
    const present = new Set<number>();
    const seen: number[] = [];
    for await (const msg of client.fetch(uidSet(uids), { uid: true, flags: true }, { uid: true })) {
      present.add(msg.uid);
      if (msg.flags?.has('\\Seen')) seen.push(msg.uid);
    }
    // Mails deleted or moved elsewhere meanwhile.
    for (const uid of uids) if (!present.has(uid)) this.watched.delete(uid);
    const newest = new Map<string, { uid: number; messageId: string }>();
    for (const uid of seen) {
      const mail = this.watched.get(uid);
      if (!mail) continue;
      this.watched.delete(uid);
      const known = newest.get(mail.from);
      if (!known || known.uid < uid) newest.set(mail.from, { uid, messageId: mail.messageId });
    }
    // "Read up to": one report per contact, for the newest mail read.
    for (const [from, { messageId }] of newest) {
      this.reported.add(messageId);
      if (this.reported.size > MAX_REPORTED) this.reported.delete(this.reported.values().next().value!);
      this.read({ from, messageId });
    }
  }
}

/** A UID set with runs collapsed ("3:7,9"), so a check stays one short command. */
export function uidSet(uids: number[]): string {
  const sorted = [...new Set(uids)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const start = sorted[i];
    while (i + 1 < sorted.length && sorted[i + 1] === sorted[i] + 1) i++;
    parts.push(start === sorted[i] ? String(start) : `${start}:${sorted[i]}`);
  }
  return parts.join(',');
}
