import type { ImapFlow } from 'imapflow';
import type { Logger } from 'pino';
import type Mail from 'nodemailer/lib/mailer';
import type { IncomingMeta, LegacySession, MessageRef, OutboundMessage, SendResult, XmppUser } from '../../src/core/adapter';
import type { OutboundPolicy } from '../../src/core/outbound-policy';
import { GatewayError } from '../../src/core/errors';
import { InFlight } from '../../src/core/in-flight';
import { addressToLocalpart, localpartToAddress } from './address';
import type { AttachmentLinks } from './attachments';
import { attachFiles, filesSubject, withQuote } from './compose';
import type { Conversations, MailRecord, ThreadInfo } from './conversations';
import type { MailAccount } from './credentials';
import { ImapWatcher } from './imap';
import { readMail, type ReadMail } from './inbound';
import type { EmailOptions } from './options';
import { reportRead } from '../../src/core/read-sync';
import { SeenSync } from './seen-sync';
import { SmtpSender } from './smtp';
import { firstLineSubject, headerValue, humanSize, newMessageId, remoteText, replySubject } from './text';

export interface SessionDeps {
  account: MailAccount;
  options: EmailOptions;
  conversations: Conversations;
  attachments: AttachmentLinks;
  xmpp: XmppUser;
  logger: Logger;
  /** Where the IMAP and SMTP connections may go (AdapterServices.outbound). */
  outbound: OutboundPolicy;
}

/** One user's mail account seen as an XMPP contact list: SMTP out, IMAP in. */
export class EmailSession implements LegacySession {
  readonly smtp: SmtpSender;
  readonly imap: ImapWatcher;
  private sentFolder?: string;
  /** Sends in flight, known by the XMPP message each came from. */
  private readonly inFlight = new InFlight<{ peer: string; id?: string; fromResource?: string }>();
  /** Relayed mails read in another mail client reach XMPP (absent with markSeen: the gateway flags them itself). */
  readonly seen?: SeenSync;

  constructor(private readonly deps: SessionDeps) {
    const { account, options, conversations, logger, xmpp, outbound } = deps;
    this.smtp = new SmtpSender(account, options.connectTimeoutMs, outbound);
    const seen = options.markSeen ? undefined : new SeenSync(({ from, messageId }) => reportRead(xmpp.contact(from), { legacyId: messageId }));
    this.seen = seen;
    this.imap = new ImapWatcher(account, options, conversations, logger, {
      prepare: (uid, raw, size) => this.prepare(uid, raw, size),
      unrelayable: (size) => this.notice(`A mail (${humanSize(size)}) arrived in your inbox that the gateway could not relay; open it in your mail client.`),
      status: (online, text) => xmpp.status({ online, text }),
      ...(seen ? { flagsChanged: (client: ImapFlow) => seen.check(client) } : {}),
    }, outbound);
  }

  async sendMessage(msg: OutboundMessage): Promise<SendResult> {
    if (this.inFlight.draining) throw new GatewayError('service-unavailable', 'The gateway is shutting down; the mail was not sent.', 'wait');
    const to = localpartToAddress(msg.to);
    const peer = addressToLocalpart(to);
    // The id is only known once the mail went out; a send given up on by a shutdown names none.
    let legacyId: string | undefined;
    await this.inFlight.send({ peer, id: msg.id, fromResource: msg.fromResource }, async (abandoned) => {
      const sent = await this.send(msg, to, peer, abandoned);
      if (sent && !abandoned()) legacyId = sent;
    });
    return legacyId ? { legacyId } : {};
  }

  /** The Message-ID (without angle brackets) of the mail sent, or undefined when a shutdown gave up on it. */
  private async send(msg: OutboundMessage, to: string, peer: string, abandoned: () => boolean): Promise<string | undefined> {
    const { account, options, conversations, xmpp } = this.deps;
    const replied = await this.repliedMail(msg);
    let thread: ThreadInfo | undefined;
    if (replied) {
      thread = { thread: replied.thread, references: replied.references, subject: replied.subject };
    } else if (!msg.replyTo || msg.thread) {
      // A reply to a mail no longer remembered follows only an explicit thread: the last
      // conversation with the contact is not necessarily the one the user answered.
      thread = await this.threadOf(msg.thread, to);
    }
    thread ??= { thread: msg.thread ?? '', references: [] };
    const messageId = newMessageId(msg.id, account.address);
    if (!thread.thread) thread.thread = messageId.replace(/^<|>$/g, '');

    const files = await attachFiles(msg.action ? `* ${msg.body}` : msg.body, msg.oob, {
      maxBytes: options.maxAttachmentBytes,
      totalBytes: options.maxAttachmentsPerMailBytes,
      timeoutMs: options.attachmentDownloadTimeoutSeconds * 1000,
      outbound: this.deps.outbound,
    });
    // The sender was told this mail failed while its files were downloading: it must not go out now.
    if (abandoned()) return undefined;

    let subject = msg.subject !== undefined ? headerValue(msg.subject) : undefined;
    if (subject === undefined && thread.subject) subject = replySubject(thread.subject);
    if (subject === undefined && options.defaultSubject === 'first-line') subject = firstLineSubject(files.text) || headerValue(filesSubject(files.attachments));
    subject ??= '';
    if (!thread.subject && subject) thread.subject = subject.replace(/^re:\s*/i, '');

    const text = withQuote(files.text, msg.replyTo, replied, account.address);
    const references = thread.references;
    const mail: Mail.Options = {
      from: account.address,
      to,
      subject,
      text: text.replace(/\0/g, ''),
      messageId,
      inReplyTo: references.at(-1),
      references: references.length ? references.join(' ') : undefined,
      attachments: files.attachments.length ? files.attachments : undefined,
      headers: { 'X-Mailer': 'XMPP email gateway' },
    };
    const raw = await this.smtp.compose(mail);
    await this.smtp.send(raw, to);
    // The shutdown already failed this message to its sender: a receipt now would contradict it.
    if (abandoned()) return undefined;

    // The mail is out: from here on nothing may turn this send into an error for the user.
    try {
      await conversations.rememberSent(messageId, { stanzaId: msg.id, peer, fromResource: msg.fromResource });
      const next = await conversations.remember(thread, messageId, to);
      await conversations.rememberMail(messageId, {
        thread: next.thread, references: [...references, messageId], subject: subject || undefined, from: account.address, date: new Date().toISOString(),
      });
    } catch (err) {
      this.deps.logger.warn({ err: remoteText((err as Error).message) }, 'could not remember a sent mail (threading and bounce matching)');
    }
    if (msg.receiptRequested && msg.id) xmpp.contact(peer).delivered({ id: msg.id, fromResource: msg.fromResource });
    if (options.saveToSent) this.inFlight.track(this.saveCopy(raw));
    return messageId.replace(/^<|>$/g, '');
  }

  /** A store that cannot be read costs the threading, not the mail. */
  private async threadOf(thread: string | undefined, to: string): Promise<ThreadInfo | undefined> {
    return this.deps.conversations.forOutbound(thread, to).catch((err: Error) => {
      this.deps.logger.warn({ err: remoteText(err.message) }, 'could not look up the thread of an outgoing mail');
      return undefined;
    });
  }

  /** The mail an XEP-0461 reply answers, when it is one this session relayed or sent and still remembers. */
  private async repliedMail(msg: OutboundMessage): Promise<MailRecord | undefined> {
    const id = msg.replyTo ? mailId(msg.replyTo) : undefined;
    if (!id) return undefined;
    return this.deps.conversations.mail(id).catch((err: Error) => {
      this.deps.logger.warn({ err: remoteText(err.message) }, 'could not look up the mail a reply answers');
      return undefined;
    });
  }

  /**
   * XEP-0333: the user read a relayed mail, so other mail clients show it read too. Nothing to do
   * for an id that is no mail's, or a mail no longer in INBOX (moved or deleted meanwhile).
   */
  async markRead(_to: string, ref: MessageRef): Promise<void> {
    const id = mailId(ref);
    if (!id) return;
    // Read in another mail client and reported to XMPP just now: the user's server carried that marker back here.
    if (this.seen && !this.seen.readHere(id.slice(1, -1))) return;
    try {
      await this.imap.withClient(async (client) => {
        const found = await client.search({ header: { 'message-id': id } }, { uid: true });
        if (!found || !found.length) return;
        // HEADER searches match substrings: flag only the exact Message-ID.
        const exact: number[] = [];
        for await (const m of client.fetch(found, { uid: true, envelope: true }, { uid: true })) {
          if (m.envelope?.messageId === id) exact.push(m.uid);
        }
        if (exact.length) await client.messageFlagsAdd(exact, ['\\Seen'], { uid: true });
      });
    } catch (err) {
      this.deps.logger.warn({ err: remoteText((err as Error).message) }, 'could not mark a mail as read');
      throw new GatewayError('recipient-unavailable', `The mailbox on ${this.deps.account.imap.host} cannot be reached right now; the mail was not marked as read there.`, 'wait');
    }
  }

  /**
   * Shutdown: sends in flight (and their Sent copies) get until `deadline`; a send still waiting
   * for the SMTP server then fails once to its sender, and a late answer is ignored.
   */
  async drain(deadline: number): Promise<void> {
    const left = await this.inFlight.drain(deadline, ({ peer, ...ref }) => {
      this.deps.xmpp.contact(peer).failed(ref, new GatewayError('remote-server-timeout',
        'The gateway shut down before the SMTP server confirmed this mail; it may not have been sent.', 'wait'));
    });
    if (left) this.deps.logger.warn({ left }, 'shutdown before every copy reached the Sent folder');
  }

  async reconnect(): Promise<void> {
    await this.imap.reconnectNow();
  }

  async logout(): Promise<void> {
    await this.dispose();
    this.deps.xmpp.status({ online: false, text: 'Logged out' });
  }

  /** Closes both connections without telling the user (a login that failed). */
  async dispose(): Promise<void> {
    await this.imap.stop();
    this.smtp.close();
  }

  private async saveCopy(raw: Buffer): Promise<void> {
    try {
      await this.imap.withClient(async (client) => {
        this.sentFolder ??= await this.sentFolderOf(client);
        await client.append(this.sentFolder, raw, ['\\Seen']);
      });
    } catch (err) {
      // The mail was delivered; a missing Sent copy is worth a log line, not an error to the user.
      this.deps.logger.warn({ err: remoteText((err as Error).message) }, 'could not store the copy in the Sent folder');
    }
  }

  /**
   * The configured folder, else the one the server marks \\Sent, else "Sent"; created (and
   * subscribed) when the account does not have it, so the first copy is not lost.
   */
  private async sentFolderOf(client: ImapFlow): Promise<string> {
    const boxes = await client.list();
    const folder = this.deps.options.sentFolder ?? boxes.find((box) => box.specialUse === '\\Sent')?.path ?? 'Sent';
    if (!boxes.some((box) => box.path === folder)) {
      await client.mailboxCreate(folder);
      await client.mailboxSubscribe(folder);
      this.deps.logger.info({ folder }, 'created the missing Sent folder');
    }
    return folder;
  }

  /** A message from the transport itself about a mail that cannot be relayed as it is. */
  private notice(body: string): () => void {
    return () => this.deps.xmpp.contact('').sendText(body, { type: this.deps.options.messageType });
  }

  /**
   * Turns a mail into the message to relay. Store faults are absorbed here (a missing thread or
   * download link is better than a mail held back); the watcher hands it over after its cursor write.
   */
  private async prepare(uid: number, raw: Buffer | undefined, size: number): Promise<() => void> {
    const { xmpp, options, logger } = this.deps;
    if (!raw) return this.notice(`A mail of ${humanSize(size)} arrived in your inbox; it is too large to relay, read it in your mail client.`);
    let mail: ReadMail;
    try {
      mail = await readMail(raw);
    } catch (err) {
      logger.warn({ uid, err: remoteText((err as Error).message) }, 'unparseable mail');
      return this.notice(`A mail (${humanSize(size)}) arrived in your inbox that the gateway could not read; open it in your mail client.`);
    }
    if (mail.bounce) {
      const bounce = await this.matchBounce(mail);
      if (bounce) return bounce;
    }
    let from = '';
    try {
      from = mail.fromAddress ? addressToLocalpart(mail.fromAddress) : '';
    } catch {
      logger.info({ uid }, 'mail with an unusable From address; relayed from the transport itself');
    }
    const lines = [mail.body];
    if (!from) lines.unshift(`From: ${remoteText(mail.fromAddress ?? mail.fromName ?? 'unknown sender', 200)}`);
    const { lines: attachmentLines, oob, unstored } = await this.deps.attachments.publish(mail.attachments);
    if (unstored) logger.warn({ uid, unstored }, 'could not store attachments for download; listed by name only');
    if (attachmentLines.length) lines.push('', 'Attachments:', ...attachmentLines);
    const thread = await this.rememberInbound(mail);
    const body = lines.join('\n').trim() || '(empty mail)';
    const meta: IncomingMeta = {
      legacyId: mail.messageId?.replace(/^<|>$/g, ''),
      type: options.messageType,
      subject: mail.subject,
      thread,
      oob: oob.length ? oob : undefined,
      delay: mail.date && Number.isFinite(mail.date.getTime()) ? mail.date : undefined,
      ...(mail.fromName ? { senderName: mail.fromName } : {}),
    };
    return () => {
      xmpp.contact(from).sendText(body, meta);
      const validity = this.imap.uidValidity;
      if (this.seen && from && meta.legacyId && validity) this.seen.watch(validity, uid, meta.legacyId, from);
    };
  }

  private async rememberInbound(mail: ReadMail): Promise<string | undefined> {
    if (!mail.threadRoot || !mail.messageId || !mail.fromAddress) return undefined;
    const { conversations } = this.deps;
    let thread = mail.threadRoot.replace(/^<|>$/g, '');
    let known: ThreadInfo | undefined;
    try {
      thread = await conversations.threadForRoot(mail.threadRoot);
      known = await conversations.forOutbound(thread, mail.fromAddress);
    } catch (err) {
      this.deps.logger.warn({ err: (err as Error).message }, 'could not look up the thread of a mail');
    }
    const references = known ? known.references : mail.references.slice(0, -1);
    const date = mail.date && Number.isFinite(mail.date.getTime()) ? mail.date.toISOString() : undefined;
    try {
      await conversations.remember({ thread, references, subject: known?.subject ?? mail.subject }, mail.messageId, mail.fromAddress.toLowerCase());
      // The mail's own chain, so an XMPP reply to this very mail answers it and not the thread's latest.
      await conversations.rememberMail(mail.messageId, {
        thread, references: mail.references, subject: mail.subject, date,
        from: mail.fromName ? `${mail.fromName} <${mail.fromAddress}>` : mail.fromAddress,
      });
    } catch (err) {
      this.deps.logger.warn({ err: (err as Error).message }, 'could not remember the thread of a mail');
    }
    return thread;
  }

  /** A bounce of a mail this gateway sent becomes an error for that message; undefined: relay it as mail. */
  private async matchBounce(mail: ReadMail): Promise<(() => void) | undefined> {
    const bounce = mail.bounce!;
    let found: Awaited<ReturnType<Conversations['findSent']>>;
    try {
      found = await this.deps.conversations.findSent(bounce.candidateIds);
    } catch (err) {
      // Unknown whether it is ours: relayed as a mail, so the user still reads it.
      this.deps.logger.warn({ err: (err as Error).message }, 'could not match a bounce');
      return undefined;
    }
    if (!found) return undefined;
    const { record } = found;
    const error = new GatewayError(bounce.permanent ? 'recipient-unavailable' : 'remote-server-timeout',
      `The mail could not be delivered: ${bounce.reason}`, bounce.permanent ? 'cancel' : 'wait');
    return () => this.deps.xmpp.contact(record.peer).failed({ id: record.stanzaId, fromResource: record.fromResource }, error);
  }
}

/** A MessageRef as a Message-ID with angle brackets; undefined when it cannot be one (e.g. a notice's id). */
function mailId(ref: MessageRef): string | undefined {
  const bare = (ref.legacyId ?? ref.id).replace(/^<|>$/g, '');
  return /^[\x21-\x3b\x3d\x3f-\x7e]{1,250}$/.test(bare) && bare.includes('@') ? `<${bare}>` : undefined;
}
