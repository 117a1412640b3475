import { ImapFlow, type MailboxObject } from 'imapflow';
import type { Logger } from 'pino';
import { GatewayError } from '../../src/core/errors';
import type { OutboundPolicy } from '../../src/core/outbound-policy';
import type { Conversations, ImapCursor } from './conversations';
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
  /**
   * One new mail, in UID order; raw is undefined when the mail exceeds maxMessageBytes.
   * Everything that can fail or touch the store happens here; the returned function only hands
   * the finished message to the core (synchronous, cannot fail), after the cursor is written.
   */
  prepare(uid: number, raw: Buffer | undefined, size: number): Promise<() => void>;
  /** The notice for a mail prepare() failed on, so it does not vanish silently. */
  unrelayable(size: number): () => void;
  status(online: boolean, text: string): void;
  /**
   * Flags in INBOX may have changed (an untagged FETCH FLAGS while idling, a poll, a reconnect):
   * runs as an IMAP job after the new-mail check. Absent: flags are not watched.
   */
  flagsChanged?(client: ImapFlow): Promise<void>;
}

const MAX_BACKOFF_MS = 5 * 60 * 1000;

/**
 * Watches INBOX over one IMAP connection: IDLE (or polling), delivery of every new UID exactly
 * once in order, the UID cursor in the user's state, and reconnects with exponential backoff.
 *
 * Exactly once across store faults: the cursor is written ahead. A mail is prepared first (parsed,
 * attachments stored, thread looked up), then the cursor is moved past it, and only once that write
 * succeeded is the message handed to the core. A failed cursor write hands nothing over and retries
 * the same UID later (store retry timer, next poll or IDLE wake): a store fault is a delay, never a
 * duplicate. `cursor` in memory is what this process handed over, so a write that failed but did
 * land cannot skip a mail while the process lives. The trade-off taken: a crash between the write
 * and the hand-over (one synchronous call) loses that mail, as a crash loses any stanza still
 * queued in memory, instead of a duplicate after every store hiccup.
 */
export class ImapWatcher {
  private client?: ImapFlow;
  private stopped = false;
  private attempts = 0;
  private reconnectTimer?: NodeJS.Timeout;
  private pollTimer?: NodeJS.Timeout;
  private storeRetryTimer?: NodeJS.Timeout;
  private storeFailures = 0;
  /** The last UID handed to the core by this process (see the class comment). */
  private cursor?: ImapCursor;
  /** Connections still logging in: stop() must close them too, not only the adopted one. */
  private readonly opening = new Set<ImapFlow>();
  private readonly connecting = new Set<Promise<void>>();
  /** IMAP work runs one job at a time, so new-mail checks never overlap. */
  private chain: Promise<unknown> = Promise.resolve();
  private checkPending = false;
  /** Flags may have changed since the last flagsChanged job. */
  private flagsDirty = false;

  constructor(
    private readonly account: MailAccount,
    private readonly settings: WatcherSettings,
    private readonly conversations: Conversations,
    private readonly logger: Logger,
    private readonly hooks: WatcherHooks,
    private readonly outbound: OutboundPolicy,
  ) {}

  get online(): boolean {
    return !!this.client?.usable;
  }

  /** UIDVALIDITY of INBOX as last opened (the UIDs handed to prepare() belong to it). */
  get uidValidity(): string | undefined {
    return this.cursor?.uidValidity;
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

  /** Closes every connection this watcher opened (adopted, logging in, or due from a backoff timer). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.storeRetryTimer);
    this.stopPolling();
    // close() rejects a pending connect() at once; the attempt then closes and forgets its client.
    for (const client of this.opening) client.close();
    const client = this.client;
    this.client = undefined;
    if (client) await this.closeClient(client);
    await Promise.allSettled([...this.connecting]);
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

  private connect(): Promise<void> {
    const attempt = this.open().finally(() => this.connecting.delete(attempt));
    this.connecting.add(attempt);
    return attempt;
  }

  private async open(): Promise<void> {
    const { imap } = this.account;
    // Vetted on every (re)connect; imapflow gets the checked address and keeps the name for TLS.
    const target = await this.outbound.vet(imap.host, imap.port);
    const client = new ImapFlow({
      host: target.address,
      servername: target.servername,
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
    if (this.stopped) return;
    this.opening.add(client);
    // imapflow's own timeouts end at the greeting; a server that greets and then never answers
    // would hold the login (and its connection) for the 5-minute socket timeout.
    let timedOut = false;
    const deadline = setTimeout(() => { timedOut = true; client.close(); }, 3 * this.settings.connectTimeoutMs);
    try {
      await client.connect();
      const mailbox = await client.mailboxOpen('INBOX');
      await this.initCursor(mailbox);
    } catch (err) {
      await this.closeClient(client);
      throw timedOut ? imapError({ code: 'ETIMEOUT' }, imap.host) : imapError(err, imap.host);
    } finally {
      clearTimeout(deadline);
      this.opening.delete(client);
    }
    if (this.stopped) {
      await this.closeClient(client);
      return;
    }
    this.client = client;
    client.on('close', () => this.onClose(client));
    client.on('exists', () => this.scheduleCheck());
    if (this.hooks.flagsChanged) {
      client.on('flags', (event: { flags?: Set<string> }) => {
        // Only \Seen being set is news; other flags and our own STORE answers need no check.
        if (!event.flags?.has('\\Seen')) return;
        this.flagsDirty = true;
        this.scheduleCheck();
      });
    }
    // Whatever changed while disconnected.
    this.flagsDirty = true;
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
    this.pollTimer = setInterval(() => {
      // Without IDLE no FETCH FLAGS arrives on its own: each poll also looks at flags.
      this.flagsDirty = true;
      this.scheduleCheck();
    }, this.settings.pollIntervalSeconds * 1000);
  }

  private stopPolling(): void {
    clearInterval(this.pollTimer);
    this.pollTimer = undefined;
  }

  private async initCursor(mailbox: MailboxObject): Promise<void> {
    const uidValidity = String(mailbox.uidValidity);
    // A reconnect: memory knows what was handed over, even if the last cursor write failed.
    if (this.cursor?.uidValidity === uidValidity) return;
    let stored: ImapCursor | undefined;
    try {
      stored = await this.conversations.getCursor();
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'reading the IMAP cursor failed');
      throw new GatewayError('internal-server-error', 'The gateway could not read its saved mailbox position; it will try again.', 'wait');
    }
    if (stored && stored.uidValidity === uidValidity) {
      this.cursor = stored;
      return;
    }
    // A new mailbox (first registration) or a rebuilt one (UIDVALIDITY changed): old UIDs mean
    // nothing any more, and dumping the whole mailbox would flood the user, so start at UIDNEXT.
    if (stored) this.logger.warn({ host: this.account.imap.host, old: stored.uidValidity, now: uidValidity }, 'INBOX UIDVALIDITY changed; starting from UIDNEXT');
    this.cursor = { uidValidity, lastUid: Math.max(0, mailbox.uidNext - 1) };
    try {
      await this.conversations.setCursor(this.cursor);
    } catch (err) {
      // Not fatal: the first relayed mail writes a cursor past this one anyway.
      this.logger.warn({ err: (err as Error).message }, 'could not save the initial IMAP cursor');
    }
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
      await this.checkFlags();
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
    const cursor = this.cursor;
    if (!client?.usable || !cursor) return;
    const fresh: { uid: number; size: number }[] = [];
    // "n:*" also returns the highest existing UID when it is below n, hence the filter.
    for await (const msg of client.fetch(`${cursor.lastUid + 1}:*`, { uid: true, size: true }, { uid: true })) {
      if (msg.uid > cursor.lastUid) fresh.push({ uid: msg.uid, size: msg.size ?? 0 });
    }
    fresh.sort((a, b) => a.uid - b.uid);
    for (const { uid, size } of fresh) {
      if (this.client !== client || this.stopped) return;
      let raw: Buffer | undefined;
      let vanished = false;
      if (size <= this.settings.maxMessageBytes) {
        const msg = await client.fetchOne(String(uid), { source: true }, { uid: true });
        if (msg === false) vanished = true;
        else raw = msg.source;
      }
      const handOver = vanished ? () => undefined : await this.prepare(uid, raw, size);
      if (this.client !== client || this.stopped) return;
      const next = { uidValidity: cursor.uidValidity, lastUid: uid };
      if (!await this.commit(next)) return;
      // Committed means handed over, even if a logout or a reconnect came meanwhile.
      this.cursor = next;
      handOver();
      if (this.settings.markSeen && !vanished) await client.messageFlagsAdd(String(uid), ['\\Seen'], { uid: true });
    }
  }

  private async checkFlags(): Promise<void> {
    const client = this.client;
    if (!this.flagsDirty || !this.hooks.flagsChanged || !client?.usable || this.stopped) return;
    this.flagsDirty = false;
    try {
      await this.hooks.flagsChanged(client);
    } catch (err) {
      // Looked at again on the next flag change, poll or reconnect.
      this.flagsDirty = true;
      this.logger.warn({ err: (err as Error).message, host: this.account.imap.host }, 'checking INBOX flags failed');
    }
  }

  private async prepare(uid: number, raw: Buffer | undefined, size: number): Promise<() => void> {
    try {
      return await this.hooks.prepare(uid, raw, size);
    } catch (err) {
      // prepare() absorbs store faults itself; what is left is a mail it cannot turn into a
      // message. It must not block the mailbox, and the user is told rather than it vanishing.
      this.logger.error({ err: (err as Error).message, uid }, 'could not relay a mail');
      return this.hooks.unrelayable(size);
    }
  }

  /** The write-ahead cursor; false: the store refused it, nothing was handed over, retry later. */
  private async commit(next: ImapCursor): Promise<boolean> {
    try {
      await this.conversations.setCursor(next);
    } catch (err) {
      this.storeFailures += 1;
      // IDLE only wakes for new mail, so a mail held back by the store needs its own retry.
      const delay = Math.min(this.settings.pollIntervalSeconds * 1000, 1000 * 2 ** Math.min(this.storeFailures - 1, 10));
      this.logger.warn({ err: (err as Error).message, uid: next.lastUid, retryMs: delay }, 'could not save the IMAP cursor; the mail waits');
      clearTimeout(this.storeRetryTimer);
      if (!this.stopped) this.storeRetryTimer = setTimeout(() => this.scheduleCheck(), delay);
      return false;
    }
    this.storeFailures = 0;
    return true;
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
      this.connect().catch((err: unknown) => {
        if (this.stopped) return;
        const error = imapError(err, this.account.imap.host);
        this.logger.warn({ err: error.message, attempt: this.attempts }, 'IMAP reconnect failed');
        this.hooks.status(false, error.message);
        this.scheduleReconnect();
      });
    }, delay);
  }

  /** LOGOUT politely, but the socket is gone when this resolves, whatever the server does. */
  private async closeClient(client: ImapFlow): Promise<void> {
    const timer = setTimeout(() => client.close(), 3000);
    try {
      if (client.usable) await client.logout();
    } catch {
      // Closed below either way.
    } finally {
      clearTimeout(timer);
      client.close();
    }
  }
}
