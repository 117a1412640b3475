import type { ImapFlow } from 'imapflow';
import type { Logger } from 'pino';
import type Mail from 'nodemailer/lib/mailer';
import type { AdapterEvents, InboundMessage, LegacySession, OutboundMessage } from '../../src/core/adapter';
import type { OutboundPolicy } from '../../src/core/outbound-policy';
import { GatewayError } from '../../src/core/errors';
import { InFlight } from '../../src/core/in-flight';
import { addressToLocalpart, localpartToAddress } from './address';
import type { AttachmentLinks } from './attachments';
import { Conversations, type ThreadInfo } from './conversations';
import type { MailAccount } from './credentials';
import { ImapWatcher } from './imap';
import { readMail, type ReadMail } from './inbound';
import type { EmailOptions } from './options';
import { SmtpSender } from './smtp';
import { firstLineSubject, headerValue, humanSize, newMessageId, remoteText, replySubject } from './text';

export interface SessionDeps {
  account: MailAccount;
  options: EmailOptions;
  conversations: Conversations;
  attachments: AttachmentLinks;
  events: AdapterEvents;
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
  private readonly inFlight = new InFlight<Parameters<AdapterEvents['messageError']>[0]>();

  constructor(private readonly deps: SessionDeps) {
    const { account, options, conversations, logger, events, outbound } = deps;
    this.smtp = new SmtpSender(account, options.connectTimeoutMs, outbound);
    this.imap = new ImapWatcher(account, options, conversations, logger, {
      prepare: (uid, raw, size) => this.prepare(uid, raw, size),
      unrelayable: (size) => this.notice(`A mail (${humanSize(size)}) arrived in your inbox that the gateway could not relay; open it in your mail client.`),
      status: (online, text) => events.status({ online, text }),
    }, outbound);
  }

  async sendMessage(msg: OutboundMessage): Promise<void> {
    if (this.inFlight.draining) throw new GatewayError('service-unavailable', 'The gateway is shutting down; the mail was not sent.', 'wait');
    const to = localpartToAddress(msg.to);
    const peer = addressToLocalpart(to);
    await this.inFlight.send({ peer, id: msg.id, fromResource: msg.fromResource }, (abandoned) => this.send(msg, to, peer, abandoned));
  }

  private async send(msg: OutboundMessage, to: string, peer: string, abandoned: () => boolean): Promise<void> {
    const { account, options, conversations, events } = this.deps;
    // A store that cannot be read costs the threading, not the mail.
    const known = await conversations.forOutbound(msg.thread, to).catch((err: Error) => {
      this.deps.logger.warn({ err: remoteText(err.message) }, 'could not look up the thread of an outgoing mail');
      return undefined;
    });
    const thread: ThreadInfo = known ?? { thread: msg.thread ?? '', references: [] };
    const messageId = newMessageId(msg.id, account.address);
    if (!thread.thread) thread.thread = messageId.replace(/^<|>$/g, '');

    let subject = msg.subject !== undefined ? headerValue(msg.subject) : undefined;
    if (subject === undefined && thread.subject) subject = replySubject(thread.subject);
    if (subject === undefined) subject = options.defaultSubject === 'first-line' ? firstLineSubject(msg.body) : '';
    if (!thread.subject && subject) thread.subject = subject.replace(/^re:\s*/i, '');

    let text = msg.action ? `* ${msg.body}` : msg.body;
    for (const link of msg.oob ?? []) if (!text.includes(link.url)) text += `\n${link.url}`;
    const mail: Mail.Options = {
      from: account.address,
      to,
      subject,
      text: text.replace(/\0/g, ''),
      messageId,
      inReplyTo: thread.references.at(-1),
      references: thread.references.length ? thread.references.join(' ') : undefined,
      headers: { 'X-Mailer': 'XMPP email gateway' },
    };
    const raw = await this.smtp.compose(mail);
    await this.smtp.send(raw, to);
    // The shutdown already failed this message to its sender: a receipt now would contradict it.
    if (abandoned()) return;

    // The mail is out: from here on nothing may turn this send into an error for the user.
    try {
      await conversations.rememberSent(messageId, { stanzaId: msg.id, peer, fromResource: msg.fromResource });
      await conversations.remember(thread, messageId, to);
    } catch (err) {
      this.deps.logger.warn({ err: remoteText((err as Error).message) }, 'could not remember a sent mail (threading and bounce matching)');
    }
    if (msg.receiptRequested && msg.id) events.receipt({ peer, id: msg.id, fromResource: msg.fromResource });
    if (options.saveToSent) this.inFlight.track(this.saveCopy(raw));
  }

  /**
   * Shutdown: sends in flight (and their Sent copies) get until `deadline`; a send still waiting
   * for the SMTP server then fails once to its sender, and a late answer is ignored.
   */
  async drain(deadline: number): Promise<void> {
    const left = await this.inFlight.drain(deadline, (ref) => {
      this.deps.events.messageError(ref, new GatewayError('remote-server-timeout',
        'The gateway shut down before the SMTP server confirmed this mail; it may not have been sent.', 'wait'));
    });
    if (left) this.deps.logger.warn({ left }, 'shutdown before every copy reached the Sent folder');
  }

  async reconnect(): Promise<void> {
    await this.imap.reconnectNow();
  }

  async logout(): Promise<void> {
    await this.dispose();
    this.deps.events.status({ online: false, text: 'Logged out' });
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
    return () => this.deps.events.message({ from: '', body, type: this.deps.options.messageType });
  }

  /**
   * Turns a mail into the message to relay. Store faults are absorbed here (a missing thread or
   * download link is better than a mail held back); the watcher hands it over after its cursor write.
   */
  private async prepare(uid: number, raw: Buffer | undefined, size: number): Promise<() => void> {
    const { events, options, logger } = this.deps;
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
    const message: InboundMessage = {
      from,
      body: lines.join('\n').trim() || '(empty mail)',
      id: mail.messageId?.replace(/^<|>$/g, ''),
      type: options.messageType,
      subject: mail.subject,
      thread,
      oob: oob.length ? oob : undefined,
      delay: mail.date && Number.isFinite(mail.date.getTime()) ? mail.date : undefined,
    };
    return () => events.message(message);
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
    try {
      await conversations.remember({ thread, references, subject: known?.subject ?? mail.subject }, mail.messageId, mail.fromAddress.toLowerCase());
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
    return () => this.deps.events.messageError({ peer: record.peer, id: record.stanzaId, fromResource: record.fromResource }, error);
  }
}
