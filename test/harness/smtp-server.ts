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
  private readonly waiters: { ready: () => boolean; resolve: () => void }[] = [];
  private server!: SMTPServer;
  /** While set, mails whose DATA is complete wait here for their final reply (a slow server). */
  private held?: (() => void)[];

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
          const finish = () => {
            smtp.accept({
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
              raw,
              user: typeof session.user === 'string' ? session.user : undefined,
            });
            callback();
          };
          if (smtp.held) {
            smtp.held.push(finish);
            smtp.notify();
          } else {
            finish();
          }
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
    this.notify();
  }

  private notify(): void {
    for (const w of [...this.waiters]) {
      if (w.ready()) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  }

  private waitUntil(ready: () => boolean, describe: () => string, timeoutMs: number): Promise<void> {
    if (ready()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w = { ready, resolve: () => { clearTimeout(timer); resolve(); } };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(describe()));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** Resolves once `count` mails in total have been received. */
  async waitForCount(count: number, timeoutMs = 10000): Promise<ReceivedMail[]> {
    await this.waitUntil(() => this.received.length >= count, () => `expected ${count} mails, got ${this.received.length}`, timeoutMs);
    return this.received;
  }

  /**
   * From now on the server takes each mail's data but withholds its final reply (250) until the
   * returned function is called: the client sees a send in flight for as long as the test wants.
   */
  hold(): () => void {
    const held: (() => void)[] = [];
    this.held = held;
    return () => {
      if (this.held === held) this.held = undefined;
      for (const finish of held.splice(0)) finish();
    };
  }

  /** Resolves once `count` mails are waiting for their reply under hold(). */
  async waitForHeld(count: number, timeoutMs = 10000): Promise<void> {
    await this.waitUntil(() => (this.held?.length ?? 0) >= count, () => `expected ${count} held mails, got ${this.held?.length ?? 0}`, timeoutMs);
  }

  stop(): Promise<void> {
    for (const finish of this.held?.splice(0) ?? []) finish();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
