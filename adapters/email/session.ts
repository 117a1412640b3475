import type { Logger } from 'pino';
import type Mail from 'nodemailer/lib/mailer';
import type { AdapterEvents, LegacySession, OutboundMessage } from '../../src/core/adapter';
import { GatewayError } from '../../src/core/errors';
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
}

/** One user's mail account seen as an XMPP contact list: SMTP out, IMAP in. */
export class EmailSession implements LegacySession {
  readonly smtp: SmtpSender;
  readonly imap: ImapWatcher;
  private sentFolder?: string;

  constructor(private readonly deps: SessionDeps) {
    const { account, options, conversations, logger, events } = deps;
    this.smtp = new SmtpSender(account, options.connectTimeoutMs);
    this.imap = new ImapWatcher(account, options, conversations, logger, {
      deliver: (uid, raw, size) => this.deliver(uid, raw, size),
      status: (online, text) => events.status({ online, text }),
    });
  }

  async sendMessage(msg: OutboundMessage): Promise<void> {
    const { account, options, conversations, events } = this.deps;
    const to = localpartToAddress(msg.to);
    const peer = addressToLocalpart(to);
    const known = await conversations.forOutbound(msg.thread, to);
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

    // The mail is out: from here on nothing may turn this send into an error for the user.
    try {
      await conversations.rememberSent(messageId, { stanzaId: msg.id, peer, fromResource: msg.fromResource });
      await conversations.remember(thread, messageId, to);
    } catch (err) {
      this.deps.logger.warn({ err: remoteText((err as Error).message) }, 'could not remember a sent mail (threading and bounce matching)');
    }
    if (msg.receiptRequested && msg.id) events.receipt({ peer, id: msg.id, fromResource: msg.fromResource });
    if (options.saveToSent) void this.saveCopy(raw);
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
        this.sentFolder ??= this.deps.options.sentFolder
          ?? (await client.list()).find((box) => box.specialUse === '\\Sent')?.path
          ?? 'Sent';
        await client.append(this.sentFolder, raw, ['\\Seen']);
      });
    } catch (err) {
      // The mail was delivered; a missing Sent copy is worth a log line, not an error to the user.
      this.deps.logger.warn({ err: remoteText((err as Error).message) }, 'could not store the copy in the Sent folder');
    }
  }

  private async deliver(uid: number, raw: Buffer | undefined, size: number): Promise<void> {
    const { events, options, logger } = this.deps;
    if (!raw) {
      events.message({ from: '', body: `A mail of ${humanSize(size)} arrived in your inbox; it is too large to relay, read it in your mail client.`, type: options.messageType });
      return;
    }
    let mail: ReadMail;
    try {
      mail = await readMail(raw);
    } catch (err) {
      logger.warn({ uid, err: remoteText((err as Error).message) }, 'unparseable mail');
      events.message({ from: '', body: `A mail (${humanSize(size)}) arrived in your inbox that the gateway could not read; open it in your mail client.`, type: options.messageType });
      return;
    }
    if (mail.bounce && await this.deliverBounce(mail)) return;
    let from = '';
    try {
      from = mail.fromAddress ? addressToLocalpart(mail.fromAddress) : '';
    } catch {
      logger.info({ uid }, 'mail with an unusable From address; relayed from the transport itself');
    }
    const lines = [mail.body];
    if (!from) lines.unshift(`From: ${remoteText(mail.fromAddress ?? mail.fromName ?? 'unknown sender', 200)}`);
    const { lines: attachmentLines, oob } = await this.deps.attachments.publish(mail.attachments);
    if (attachmentLines.length) lines.push('', 'Attachments:', ...attachmentLines);
    const thread = await this.rememberInbound(mail);
    events.message({
      from,
      body: lines.join('\n').trim() || '(empty mail)',
      id: mail.messageId?.replace(/^<|>$/g, ''),
      type: options.messageType,
      subject: mail.subject,
      thread,
      oob: oob.length ? oob : undefined,
      delay: mail.date && Number.isFinite(mail.date.getTime()) ? mail.date : undefined,
    });
  }

  private async rememberInbound(mail: ReadMail): Promise<string | undefined> {
    if (!mail.threadRoot || !mail.messageId || !mail.fromAddress) return undefined;
    const { conversations } = this.deps;
    const thread = await conversations.threadForRoot(mail.threadRoot);
    const known = await conversations.forOutbound(thread, mail.fromAddress);
    const references = known ? known.references : mail.references.slice(0, -1);
    try {
      await conversations.remember({ thread, references, subject: known?.subject ?? mail.subject }, mail.messageId, mail.fromAddress.toLowerCase());
    } catch (err) {
      this.deps.logger.warn({ err: (err as Error).message }, 'could not remember the thread of a mail');
    }
    return thread;
  }

  /** true when the bounce matched a mail this gateway sent (then it becomes an error, not a message). */
  private async deliverBounce(mail: ReadMail): Promise<boolean> {
    const bounce = mail.bounce!;
    const found = await this.deps.conversations.findSent(bounce.candidateIds);
    if (!found) return false;
    const { record } = found;
    const error = new GatewayError(bounce.permanent ? 'recipient-unavailable' : 'remote-server-timeout',
      `The mail could not be delivered: ${bounce.reason}`, bounce.permanent ? 'cancel' : 'wait');
    this.deps.events.messageError({ peer: record.peer, id: record.stanzaId, fromResource: record.fromResource }, error);
    return true;
  }
}
