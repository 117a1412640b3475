import { ImapFlow } from 'imapflow';
import pino from 'pino';
import emailModule from '../../../adapters/email';
import type { Adapter, LegacySession, LoginRequest } from '../../../src/core/adapter';
import { HttpServer } from '../../../src/http/server';
import { DovecotServer } from '../../harness/dovecot';
import { MemoryKeyValue } from '../../harness/memory-kv';
import { freePort } from '../../harness/ports';
import { recordingEvents } from '../../harness/recording-events';
import { TestSmtpServer } from '../../harness/smtp-server';
import { allowLoopback, noRegistration } from '../../support/outbound';

export const ALICE = 'alice@example.net';
export const IMAP_PASSWORD = 'imap-secret-1';
export const SMTP_PASSWORD = 'smtp-secret-2';

/** Dovecot + SMTP server + the gateway's HTTP server + the email adapter, for one test file. */
export class EmailContext {
  dovecot!: DovecotServer;
  smtp!: TestSmtpServer;
  http!: HttpServer;
  httpPort = 0;
  adapter!: Adapter;
  /** A second IMAP client playing "the rest of the world" delivering into Alice's INBOX. */
  other!: ImapFlow;
  private readonly sessions: LegacySession[] = [];

  async start(options: Record<string, unknown> = {}): Promise<void> {
    this.dovecot = await DovecotServer.start([{ username: ALICE, password: IMAP_PASSWORD }]);
    this.smtp = await TestSmtpServer.start({
      users: { [ALICE]: SMTP_PASSWORD },
      rejectRecipients: { 'gone@example.org': { code: 550, message: '5.1.1 <gone@example.org>: Recipient address rejected: User unknown' } },
      dovecot: { server: this.dovecot, mailboxes: { [ALICE]: ALICE } },
    });
    const logger = pino({ level: process.env.EMAIL_TEST_LOG ?? 'silent' });
    this.http = new HttpServer(logger);
    this.httpPort = await this.http.listen(await freePort(), '127.0.0.1');
    this.adapter = emailModule.create({
      domain: 'email.example.org', logger, store: new MemoryKeyValue(), http: this.http,
      publicUrl: `http://127.0.0.1:${this.httpPort}`, outbound: allowLoopback(), credentials: noRegistration,
    }, emailModule.optionsSchema.parse(options));
    await this.connectOther();
  }

  private async connectOther(): Promise<void> {
    this.other = new ImapFlow({ host: '127.0.0.1', port: this.dovecot.port, secure: false, auth: { user: ALICE, pass: IMAP_PASSWORD }, logger: false });
    this.other.on('error', () => undefined);
    await this.other.connect();
  }

  credentials(overrides: Record<string, string> = {}): Record<string, string> {
    return {
      email: ALICE,
      imap_host: '127.0.0.1', imap_port: String(this.dovecot.port), imap_tls: 'false', imap_username: ALICE, imap_password: IMAP_PASSWORD,
      smtp_host: '127.0.0.1', smtp_port: String(this.smtp.port), smtp_security: 'none', smtp_username: ALICE, smtp_password: SMTP_PASSWORD,
      ...overrides,
    };
  }

  async login(opts: { state?: MemoryKeyValue; reason?: LoginRequest['reason']; credentials?: Record<string, string> } = {}) {
    const recorder = recordingEvents();
    const state = opts.state ?? new MemoryKeyValue();
    const session = await this.adapter.login({
      user: 'alice@xmpp.example.org', credentials: opts.credentials ?? this.credentials(), state,
      xmpp: recorder.xmpp, reason: opts.reason ?? 'register',
    });
    this.sessions.push(session);
    return { session, state, ...recorder };
  }

  async logout(session: LegacySession): Promise<void> {
    this.sessions.splice(this.sessions.indexOf(session), 1);
    await session.logout();
  }

  /** Another mail client drops a mail into Alice's INBOX (reconnecting if a test cut it off). */
  async deliverToInbox(raw: string): Promise<void> {
    for (let attempt = 0; attempt < 2; attempt++) {
      if (!this.other.usable) await this.connectOther();
      // append() answers false instead of throwing when its connection dies under it.
      const result = await this.other.append('INBOX', raw).catch(() => false as const);
      if (result && result.uid) return;
      this.other.close();
    }
    throw new Error('could not append the test mail to INBOX');
  }

  async stop(): Promise<void> {
    for (const s of this.sessions.splice(0)) await s.logout().catch(() => undefined);
    await this.other?.logout().catch(() => undefined);
    await this.http?.close();
    await this.smtp?.stop();
    await this.dovecot?.stop();
  }
}
