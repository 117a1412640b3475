import xml from '@xmpp/xml';
import type { Adapter, Credentials, LoginRequest } from './adapter';
import { GatewayError, toGatewayError } from './errors';
import { UserSession, type SessionContext } from './user-session';
import type { GatewayStore, RegistrationStore } from '../store';
import { backoffDelay } from '../component/connection';

export interface SessionManagerOptions {
  restoreConcurrency: number;
  restorePerSecond: number;
  /** Names of fields stored encrypted. */
  secretFields: string[];
}

/**
 * Owns every user's session on one transport: login at registration, restore at start-up,
 * retry when a restore fails, logout at unregistration. Sessions never share failures.
 */
export class SessionManager {
  private readonly sessions = new Map<string, UserSession>();
  private readonly logins = new Map<string, Promise<UserSession>>();
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();
  private closed = false;
  readonly registrations: RegistrationStore;
  /**
   * Start-up restore so far (shown on /health): registrations found, logins started, and when
   * the first and the latest login started (epoch ms), from which the pace can be checked.
   */
  readonly restoreProgress: { total: number; started: number; firstAt?: number; lastAt?: number } = { total: 0, started: 0 };

  constructor(
    private readonly adapter: Adapter,
    private readonly store: GatewayStore,
    private readonly ctx: SessionContext,
    private readonly options: SessionManagerOptions,
  ) {
    this.registrations = store.registrations(ctx.domain);
  }

  get(jid: string): UserSession | undefined {
    return this.sessions.get(jid);
  }

  all(): UserSession[] {
    return [...this.sessions.values()];
  }

  private request(session: UserSession, credentials: Credentials, reason: LoginRequest['reason']): LoginRequest {
    return { user: session.jid, credentials, state: this.store.userState(this.ctx.domain, session.jid), events: session.events, reason };
  }

  /**
   * Registration or update: the adapter verifies the credentials for real before anything is
   * stored. On update the old connection closes first (an IRC nick cannot be held twice); if the
   * new values fail, the old registration is logged in again and the error is reported.
   */
  async register(jid: string, credentials: Credentials): Promise<void> {
    const previous = this.sessions.get(jid);
    const existing = await this.registrations.get(jid);
    const session = new UserSession(jid, this.ctx);
    this.cancelRetry(jid);
    if (previous) {
      // Keep the XMPP-side view (resources online) for the new connection.
      for (const [r, p] of previous.resources) session.resources.set(r, p);
      await this.closeLegacy(previous);
    }
    try {
      session.legacy = await this.adapter.login(this.request(session, credentials, existing ? 'update' : 'register'));
    } catch (err) {
      if (existing && previous) void this.restoreOne(jid, 'reconnect', 0);
      throw err;
    }
    this.sessions.set(jid, session);
    await this.registrations.put(jid, credentials, this.options.secretFields);
    if (!existing) {
      // XEP-0100: the gateway asks for the user's presence once registered.
      this.ctx.send(xml('presence', { from: this.ctx.domain, to: jid, type: 'subscribe' }));
    }
  }

  async unregister(jid: string): Promise<void> {
    this.cancelRetry(jid);
    const session = this.sessions.get(jid);
    this.sessions.delete(jid);
    if (session) await this.closeLegacy(session);
    await this.adapter.unregister?.(jid);
    await this.store.clearUser(this.ctx.domain, jid);
    for (const type of ['unsubscribe', 'unsubscribed', 'unavailable']) {
      this.ctx.send(xml('presence', { from: this.ctx.domain, to: jid, type }));
    }
  }

  /** The session of a user, logging in an unregistered user the biboumi way where the adapter allows it. */
  async sessionFor(jid: string): Promise<UserSession> {
    const live = this.sessions.get(jid);
    if (live?.legacy) return live;
    const inFlight = this.logins.get(jid);
    if (inFlight) return inFlight;
    if (live) throw new GatewayError('remote-server-timeout', `Not connected to the ${this.adapter.identity.name} network yet: ${live.status.text ?? 'connecting'}. Try again shortly.`);
    const credentials = this.adapter.anonymousCredentials?.(jid);
    if (!credentials) throw new GatewayError('registration-required', `Register with ${this.ctx.domain} first (in-band registration in your client's service discovery).`);
    const login = (async () => {
      const session = new UserSession(jid, this.ctx, true);
      session.legacy = await this.adapter.login(this.request(session, credentials, 'anonymous'));
      this.sessions.set(jid, session);
      return session;
    })();
    this.logins.set(jid, login);
    try {
      return await login;
    } finally {
      this.logins.delete(jid);
    }
  }

  /** Log every registered user in again, bounded in concurrency and in rate. */
  async restoreAll(): Promise<{ restored: number; failed: number }> {
    const jids = await this.registrations.list();
    this.restoreProgress.total = jids.length;
    const minGapMs = 1000 / Math.max(this.options.restorePerSecond, 0.001);
    let next = 0;
    let lastStart = 0;
    let restored = 0;
    let failed = 0;
    const worker = async () => {
      while (!this.closed && next < jids.length) {
        const jid = jids[next++];
        const wait = lastStart + minGapMs - Date.now();
        lastStart = Math.max(Date.now(), lastStart + minGapMs);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        this.restoreProgress.started++;
        this.restoreProgress.lastAt = Date.now();
        this.restoreProgress.firstAt ??= this.restoreProgress.lastAt;
        if (await this.restoreOne(jid, 'restore', 0)) restored++;
        else failed++;
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.options.restoreConcurrency) }, worker));
    return { restored, failed };
  }

  private async restoreOne(jid: string, reason: 'restore' | 'reconnect', attempt: number): Promise<boolean> {
    if (this.closed) return false;
    const registration = await this.registrations.get(jid).catch((err: Error) => {
      this.ctx.logger.error({ jid, err: err.message }, 'cannot read registration');
      return undefined;
    });
    if (!registration) return false;
    const session = this.sessions.get(jid) ?? new UserSession(jid, this.ctx);
    this.sessions.set(jid, session);
    try {
      session.legacy = await this.adapter.login(this.request(session, registration.credentials, reason));
      return true;
    } catch (err) {
      const error = toGatewayError(err);
      this.ctx.logger.warn({ jid, domain: this.ctx.domain, err: (err as Error).message }, 'restoring a session failed; will retry');
      session.events.status({ online: false, text: `Login failed: ${error.message}` });
      const delay = backoffDelay(attempt, 5000, 300000);
      this.retryTimers.set(jid, setTimeout(() => {
        this.retryTimers.delete(jid);
        if (this.sessions.get(jid) === session && !session.legacy) void this.restoreOne(jid, 'reconnect', attempt + 1);
      }, delay));
      return false;
    }
  }

  private cancelRetry(jid: string): void {
    clearTimeout(this.retryTimers.get(jid));
    this.retryTimers.delete(jid);
  }

  private async closeLegacy(session: UserSession): Promise<void> {
    const legacy = session.legacy;
    session.legacy = undefined;
    if (!legacy) return;
    try {
      await legacy.logout();
    } catch (err) {
      this.ctx.logger.warn({ jid: session.jid, err: (err as Error).message }, 'legacy logout failed');
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.retryTimers.values()) clearTimeout(timer);
    this.retryTimers.clear();
    for (const session of this.all()) session.shutdown('The gateway is shutting down');
    await Promise.all(this.all().map((s) => this.closeLegacy(s)));
    this.sessions.clear();
  }
}
