/**
 * The email and SMS side of the scale benchmark: E mailboxes on the test Dovecot (each gateway
 * user keeps one IMAP connection in IDLE) with the loopback SMTP server, and S Twilio accounts on
 * the Twilio-compatible endpoint of the tests (an SMS user holds no connection, only state).
 */
import { appendFileSync, existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { DovecotServer, DOVECOT_BINARY } from '../../test/harness/dovecot';
import { FakeTwilio, type FakeAccount } from '../../test/harness/fake-twilio';
import { TestSmtpServer } from '../../test/harness/smtp-server';

export const EMAIL_DOMAIN = 'email.localhost';
export const SMS_DOMAIN = 'sms.localhost';

export function dovecotAvailable(): boolean {
  return existsSync(DOVECOT_BINARY);
}

async function portFree(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (!open) return;
    if (Date.now() > deadline) throw new Error(`port ${port} still in use after Dovecot stopped`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const mailUser = (i: number) => `e${String(i).padStart(4, '0')}@mail.bench`;
export const smsNumber = (i: number) => `+1555${String(2000000 + i).padStart(7, '0')}`;

export class MailAndSms {
  private constructor(
    readonly dovecot: DovecotServer | undefined,
    readonly smtp: TestSmtpServer | undefined,
    readonly twilio: FakeTwilio,
    readonly accounts: FakeAccount[],
    readonly e: number,
  ) {}

  /**
   * Dovecot serves one process per IMAP connection and allows 100 by default: the test
   * harness's config is extended with limits for E idle connections plus the logins in flight.
   */
  static async start(e: number, s: number): Promise<MailAndSms> {
    let dovecot: DovecotServer | undefined;
    let smtp: TestSmtpServer | undefined;
    if (e > 0) {
      const users = Array.from({ length: e + 1 }, (_, i) => ({ username: mailUser(i), password: `pw${i}` }));
      dovecot = await DovecotServer.start(users);
      await dovecot.halt();
      // The old master's login processes keep the port for a moment after it exits.
      await portFree(dovecot.port, 20000);
      const limit = e * 2 + 200;
      appendFileSync(join(dovecot.dir, 'dovecot.conf'), `
default_process_limit = ${limit}
default_client_limit = ${limit * 4}
default_vsz_limit = 0
mail_max_userip_connections = 50
service imap {
  process_limit = ${limit}
}
service imap-login {
  service_count = 0
  process_min_avail = 2
  client_limit = ${limit}
}
`);
      await dovecot.resume();
      smtp = await TestSmtpServer.start({ users: Object.fromEntries(users.map((u) => [u.username, u.password])) });
    }
    const twilio = await FakeTwilio.start();
    const accounts = Array.from({ length: s + 1 }, (_, i) => twilio.addAccount([smsNumber(i)]));
    return new MailAndSms(dovecot, smtp, twilio, accounts, e);
  }

  /** The registration form of mail user i (IMAP without TLS on loopback, SMTP without security). */
  mailForm(i: number): Record<string, string> {
    if (!this.dovecot || !this.smtp) throw new Error('no mail servers');
    const address = mailUser(i);
    return {
      email: address, imap_host: '127.0.0.1', imap_port: String(this.dovecot.port), imap_tls: 'false', imap_username: address,
      imap_password: `pw${i}`, smtp_host: '127.0.0.1', smtp_port: String(this.smtp.port), smtp_security: 'none',
    };
  }

  smsForm(i: number): Record<string, string> {
    return { accountSid: this.accounts[i].sid, authToken: this.accounts[i].authToken, phoneNumber: smsNumber(i) };
  }

  /** A mail in user i's INBOX, as a local delivery agent writes it: IDLE tells the gateway. */
  deliverMail(i: number, n: number): void {
    const raw = [
      `From: Bench Sender <sender${n}@elsewhere.bench>`, `To: ${mailUser(i)}`, `Subject: bench mail ${n}`,
      `Message-ID: <bench-${i}-${n}@elsewhere.bench>`, `Date: ${new Date().toUTCString()}`, 'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8', '', `Mail number ${n} for user ${i}.`, '',
    ].join('\r\n');
    this.dovecot!.deliver(mailUser(i), raw);
  }

  /** An SMS from a phone to user i's number, through the webhook Twilio would call. */
  async deliverSms(i: number, n: number): Promise<void> {
    const answer = await this.twilio.deliverSms({ from: '+15557000000', to: smsNumber(i), body: `bench sms ${n}` });
    if (answer.status !== 200) throw new Error(`SMS webhook for user ${i} answered ${answer.status}: ${answer.body.slice(0, 200)}`);
  }

  /** Dovecot's log, for a failure report. */
  log(): string {
    return this.dovecot?.log().slice(-3000) ?? '';
  }

  async stop(): Promise<void> {
    await this.twilio.close().catch(() => undefined);
    await this.smtp?.stop().catch(() => undefined);
    await this.dovecot?.stop().catch(() => undefined);
  }
}
