import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from 'smtp-server';
import { freePort } from './ports';
import type { DovecotServer } from './dovecot';

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: Buffer;
  /** The SMTP AUTH user name the client logged in with. */
  user?: string;
}

export interface TestSmtpOptions {
  /** user name -> password; AUTH PLAIN/LOGIN is required and checked when set. */
  users?: Record<string, string>;
  /** recipient address -> SMTP reply refusing it at RCPT TO, e.g. { code: 550, message: '5.1.1 no such user' }. */
  rejectRecipients?: Record<string, { code: number; message: string }>;
  /** Also deliver accepted mail into this Dovecot (recipient address -> Dovecot user name). */
  dovecot?: { server: DovecotServer; mailboxes: Record<string, string> };
}

/** A real SMTP server on loopback (the smtp-server package): accepts mail into `received`. */
export class TestSmtpServer {
  readonly host = '127.0.0.1';
  port = 0;
  readonly received: ReceivedMail[] = [];
  private readonly waiters: { count: number; resolve: () => void }[] = [];
  private server!: SMTPServer;

  private constructor(private readonly options: TestSmtpOptions) {}

  static async start(options: TestSmtpOptions = {}): Promise<TestSmtpServer> {
    const smtp = new TestSmtpServer(options);
    smtp.port = await freePort();
    smtp.server = new SMTPServer({
      secure: false,
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      authOptional: !options.users,
      authMethods: ['PLAIN', 'LOGIN'],
      logger: false,
      size: 50 * 1024 * 1024,
      disableReverseLookup: true,
      onAuth: (auth, _session, callback) => {
        const expected = options.users?.[auth.username ?? ''];
        if (expected !== undefined && expected === auth.password) return callback(null, { user: auth.username });
        return callback(Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 }));
      },
      onRcptTo: (address: SMTPServerAddress, _session, callback) => {
        const rejection = options.rejectRecipients?.[address.address.toLowerCase()];
        if (rejection) return callback(Object.assign(new Error(rejection.message), { responseCode: rejection.code }));
        return callback();
      },
      onData: (stream, session: SMTPServerSession, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('error', callback);
        stream.on('end', () => {
          const raw = Buffer.concat(chunks);
          smtp.accept({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw,
            user: typeof session.user === 'string' ? session.user : undefined,
          });
          callback();
        });
      },
    });
    smtp.server.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      smtp.server.listen(smtp.port, smtp.host, () => resolve());
      smtp.server.once('error', reject);
    });
    return smtp;
  }

  private accept(mail: ReceivedMail): void {
    this.received.push(mail);
    const target = this.options.dovecot;
    if (target) {
      for (const rcpt of mail.to) {
        const user = target.mailboxes[rcpt.toLowerCase()];
        if (user) target.server.deliver(user, mail.raw);
      }
    }
    for (const w of [...this.waiters]) {
      if (this.received.length >= w.count) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  }

  /** Resolves once `count` mails in total have been received. */
  waitForCount(count: number, timeoutMs = 10000): Promise<ReceivedMail[]> {
    if (this.received.length >= count) return Promise.resolve(this.received);
    return new Promise((resolve, reject) => {
      const w = { count, resolve: () => { clearTimeout(timer); resolve(this.received); } };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`expected ${count} mails, got ${this.received.length}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
