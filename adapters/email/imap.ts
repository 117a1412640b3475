import { ImapFlow, type MailboxObject } from 'imapflow';
import type { Logger } from 'pino';
import type { GatewayError } from '../../src/core/errors';
import type { Conversations } from './conversations';
import type { MailAccount } from './credentials';
import { imapError } from './errors';

export interface WatcherSettings {
  connectTimeoutMs: number;
  pollIntervalSeconds: number;
  markSeen: boolean;
  maxMessageBytes: number;
  /** false: never IDLE, poll instead (servers with a broken IDLE). */
  idle: boolean;
}

export interface WatcherHooks {
  /** One new mail, in UID order; raw is undefined when the mail exceeds maxMessageBytes or vanished. */
  deliver(uid: number, raw: Buffer | undefined, size: number): Promise<void>;
  status(online: boolean, text: string): void;
}

const MAX_BACKOFF_MS = 5 * 60 * 1000;

/**
 * Watches INBOX over one IMAP connection: IDLE (or polling), delivery of every new UID exactly
 * once in order, the UID cursor in the user's state, and reconnects with exponential backoff.
 */
export class ImapWatcher {
  private client?: ImapFlow;
  private stopped = false;
  private attempts = 0;
  private reconnectTimer?: NodeJS.Timeout;
  private pollTimer?: NodeJS.Timeout;
  /** IMAP work runs one job at a time, so new-mail checks never overlap. */
  private chain: Promise<unknown> = Promise.resolve();
  private checkPending = false;

  constructor(
    private readonly account: MailAccount,
    private readonly settings: WatcherSettings,
    private readonly conversations: Conversations,
    private readonly logger: Logger,
    private readonly hooks: WatcherHooks,
  ) {}

  get online(): boolean {
    return !!this.client?.usable;
  }

  /** First connection: throws a GatewayError naming the IMAP server. */
  async start(): Promise<void> {
    await this.connect();
  }

  /** Keeps trying in the background (gateway start-up while the mail server is down). */
  startInBackground(reason: string): void {
    this.hooks.status(false, reason);
    this.scheduleReconnect();
  }

  async reconnectNow(): Promise<void> {
    const old = this.client;
    this.client = undefined;
    if (old) await this.closeClient(old);
    clearTimeout(this.reconnectTimer);
    this.attempts = 0;
    try {
      await this.connect();
    } catch (err) {
      this.hooks.status(false, (err as Error).message);
      this.scheduleReconnect();
      throw err;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    this.stopPolling();
    const client = this.client;
    this.client = undefined;
    if (client) await this.closeClient(client);
  }

  /** Runs an IMAP job after the current one (e.g. the Sent copy). */
  withClient<T>(job: (client: ImapFlow) => Promise<T>): Promise<T> {
    const run = this.chain.then(() => {
      const client = this.client;
      if (!client?.usable) throw new Error('IMAP connection is down');
      return job(client);
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async connect(): Promise<void> {
    const { imap } = this.account;
    const client = new ImapFlow({
      host: imap.host,
      port: imap.port,
      secure: imap.tls,
      auth: { user: imap.user, pass: imap.pass },
      logger: false,
      connectionTimeout: this.settings.connectTimeoutMs,
      greetingTimeout: this.settings.connectTimeoutMs,
      disableAutoIdle: !this.settings.idle,
      autoIdleDelay: 1000,
      // Some servers silently drop an IDLE after 30 minutes; restart it well before.
      maxIdleTime: 10 * 60 * 1000,
    });
    client.on('error', (err: Error) => this.logger.warn({ err: err.message, host: imap.host }, 'IMAP connection error'));
    try {
      await client.connect();
      const mailbox = await client.mailboxOpen('INBOX');
      await this.initCursor(mailbox);
    } catch (err) {
      await this.closeClient(client);
      throw imapError(err, imap.host);
    }
    if (this.stopped) {
      await this.closeClient(client);
      return;
    }
    this.client = client;
    client.on('close', () => this.onClose(client));
    client.on('exists', () => this.scheduleCheck());
    this.attempts = 0;
    this.stopPolling();
    if (!this.settings.idle) this.startPolling('IDLE is turned off');
    else if (!client.capabilities.has('IDLE')) this.startPolling('the server has no IDLE');
    this.hooks.status(true, `Connected to ${imap.host}`);
    // Mail that arrived while disconnected.
    this.scheduleCheck();
  }

  private startPolling(why: string): void {
    this.logger.info({ host: this.account.imap.host, why, seconds: this.settings.pollIntervalSeconds }, 'polling INBOX');
    this.pollTimer = setInterval(() => this.scheduleCheck(), this.settings.pollIntervalSeconds * 1000);
  }

  private stopPolling(): void {
    clearInterval(this.pollTimer);
    this.pollTimer = undefined;
  }

  private async initCursor(mailbox: MailboxObject): Promise<void> {
    const uidValidity = String(mailbox.uidValidity);
    const cursor = await this.conversations.getCursor();
    if (cursor && cursor.uidValidity === uidValidity) return;
    // A new mailbox (first registration) or a rebuilt one (UIDVALIDITY changed): old UIDs mean
    // nothing any more, and dumping the whole mailbox would flood the user, so start at UIDNEXT.
    if (cursor) this.logger.warn({ host: this.account.imap.host, old: cursor.uidValidity, now: uidValidity }, 'INBOX UIDVALIDITY changed; starting from UIDNEXT');
    await this.conversations.setCursor({ uidValidity, lastUid: Math.max(0, mailbox.uidNext - 1) });
  }

  private scheduleCheck(): void {
    if (this.checkPending || this.stopped) return;
    this.checkPending = true;
    this.chain = this.chain.then(async () => {
      this.checkPending = false;
      try {
        await this.checkNew();
      } catch (err) {
        // The connection probably dropped: 'close' reconnects and the next check resumes at the cursor.
        this.logger.warn({ err: (err as Error).message, host: this.account.imap.host }, 'checking INBOX failed');
      }
      this.idleNow();
    });
  }

  /**
   * Auto-IDLE only starts after a quiet second, and mail arriving in that gap would wait for the
   * next server event; entering IDLE right after a check closes the gap.
   */
  private idleNow(): void {
    const client = this.client;
    if (!this.settings.idle || this.checkPending || !client?.usable || !client.capabilities.has('IDLE')) return;
    client.idle({ whenFree: true }).then((ok) => {
      // false: the server refused or broke IDLE on a live connection; polling takes over.
      if (ok === false && client === this.client && client.usable && !this.pollTimer) this.startPolling('IDLE failed');
    }, () => undefined);
  }

  private async checkNew(): Promise<void> {
    const client = this.client;
    if (!client?.usable) return;
    const cursor = await this.conversations.getCursor();
    if (!cursor) return;
    const fresh: { uid: number; size: number }[] = [];
    // "n:*" also returns the highest existing UID when it is below n, hence the filter.
    for await (const msg of client.fetch(`${cursor.lastUid + 1}:*`, { uid: true, size: true }, { uid: true })) {
      if (msg.uid > cursor.lastUid) fresh.push({ uid: msg.uid, size: msg.size ?? 0 });
    }
    fresh.sort((a, b) => a.uid - b.uid);
    for (const { uid, size } of fresh) {
      if (this.client !== client || this.stopped) return;
      let raw: Buffer | undefined;
      if (size <= this.settings.maxMessageBytes) {
        const msg = await client.fetchOne(String(uid), { source: true }, { uid: true });
        if (msg === false) {
          await this.conversations.setCursor({ uidValidity: cursor.uidValidity, lastUid: uid });
          continue;
        }
        raw = msg.source;
      }
      try {
        await this.hooks.deliver(uid, raw, size);
      } catch (err) {
        // One unreadable mail must not block the mailbox: it is skipped, the user reads it elsewhere.
        this.logger.error({ err: (err as Error).message, uid }, 'could not relay a mail');
      }
      await this.conversations.setCursor({ uidValidity: cursor.uidValidity, lastUid: uid });
      if (this.settings.markSeen) await client.messageFlagsAdd(String(uid), ['\\Seen'], { uid: true });
    }
  }

  private onClose(client: ImapFlow): void {
    if (client !== this.client) return;
    this.client = undefined;
    this.stopPolling();
    if (this.stopped) return;
    this.logger.info({ host: this.account.imap.host }, 'IMAP connection closed; reconnecting');
    this.hooks.status(false, `Connection to ${this.account.imap.host} lost; reconnecting`);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    clearTimeout(this.reconnectTimer);
    // Exponential backoff with jitter, so many users of one server do not reconnect in lockstep.
    const base = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** this.attempts);
    const delay = Math.round(base * (0.5 + Math.random() * 0.5));
    this.attempts += 1;
    this.reconnectTimer = setTimeout(() => {
      this.connect().catch((err: GatewayError) => {
        const error = imapError(err, this.account.imap.host);
        this.logger.warn({ err: error.message, attempt: this.attempts }, 'IMAP reconnect failed');
        this.hooks.status(false, error.message);
        this.scheduleReconnect();
      });
    }, delay);
  }

  private async closeClient(client: ImapFlow): Promise<void> {
    const timer = setTimeout(() => client.close(), 3000);
    try {
      await client.logout();
    } catch {
      client.close();
    } finally {
      clearTimeout(timer);
    }
  }
}
