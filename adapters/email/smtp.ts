import type { Socket } from 'node:net';
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import MailComposer from 'nodemailer/lib/mail-composer';
import type Mail from 'nodemailer/lib/mailer';
import { connectVetted, type OutboundPolicy } from '../../src/core/outbound-policy';
import type { MailAccount } from './credentials';
import { smtpLoginError, smtpSendError } from './errors';
import { remoteText } from './text';

/** The user's SMTP server: one transport per session, closed at logout. */
export class SmtpSender {
  private readonly transport: Transporter<SMTPPool.SentMessageInfo>;

  constructor(private readonly account: MailAccount, connectTimeoutMs: number, outbound: OutboundPolicy) {
    const { smtp } = account;
    this.transport = nodemailer.createTransport({
      // One kept-alive connection per user: mails leave in the order they were written, and a
      // chat-like exchange does not pay the connection and login round trips for every message.
      pool: true,
      maxConnections: 1,
      host: smtp.host,
      port: smtp.port,
      secure: smtp.security === 'tls',
      requireTLS: smtp.security === 'starttls',
      ignoreTLS: smtp.security === 'none',
      auth: { user: smtp.user, pass: smtp.pass },
      connectionTimeout: connectTimeoutMs,
      greetingTimeout: connectTimeoutMs,
      // Also how long an idle pooled connection stays open: below the 5 minutes servers allow.
      socketTimeout: Math.max(connectTimeoutMs, 60000),
      // nodemailer's own logger would print the AUTH exchange.
      logger: false,
      debug: false,
      // Asked for every connection (verify and each pooled one): the host is vetted each time and
      // the socket goes to the checked address; nodemailer keeps the name for TLS.
      getSocket: (_options: unknown, callback: (err: Error | null, socketOptions?: { connection: Socket } | false) => void) => {
        outbound.vet(smtp.host, smtp.port)
          .then((target) => connectVetted(target, connectTimeoutMs))
          .then((connection) => callback(null, { connection }), (err: Error) => callback(err, false));
      },
    });
    this.transport.on('error', () => undefined);
  }

  get host(): string {
    return this.account.smtp.host;
  }

  /** Connects and logs in for real (registration). */
  async verify(): Promise<void> {
    try {
      await this.transport.verify();
    } catch (err) {
      throw smtpLoginError(err, this.account.smtp.host);
    }
  }

  /** The exact bytes that are sent, so the Sent copy is identical. */
  compose(mail: Mail.Options): Promise<Buffer> {
    return new MailComposer(mail).compile().build();
  }

  /** Sends raw bytes; rejects with the server's refusal as a GatewayError. */
  async send(raw: Buffer, to: string): Promise<void> {
    let info: SMTPPool.SentMessageInfo;
    try {
      info = await this.transport.sendMail({ envelope: { from: this.account.address, to: [to] }, raw });
    } catch (err) {
      throw smtpSendError(err, this.account.smtp.host);
    }
    if (info.rejected.length > 0) {
      throw smtpSendError({ responseCode: 550, response: remoteText(info.response) }, this.account.smtp.host);
    }
  }

  close(): void {
    this.transport.close();
  }
}
