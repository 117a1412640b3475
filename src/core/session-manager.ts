import type { Adapter, Credentials, LegacySession, LoginRequest } from './adapter';
import { GatewayError, toGatewayError } from './errors';
import { KeyedMutex } from '../keyed-mutex';
import { Pacer, realClock, type Clock } from './pacer';
import { RoomMemory } from './room-memory';
import { UserSession, type SessionContext } from './user-session';
import type { GatewayStore, RegistrationStore } from '../store';
import { backoffDelay } from '../component/connection';
import { countLegacyLogin, type SessionState } from '../metrics';
import { subscriptionPresence, transportPresence } from '../component/messages';

export interface SessionManagerOptions {
  restoreConcurrency: number;
  restorePerSecond: number;
  /** Names of fields stored encrypted. */
  secretFields: string[];
  /**
   * After a presence probe, how long answers are awaited before resources that did not answer
   * are taken out of the rooms they were in (they went offline while the gateway was away).
   */
  presenceCheckMs?: number;
  /** Pacing clock (tests use a virtual one). */
  clock?: Clock;
}

const DEFAULT_PRESENCE_CHECK_MS = 15000;

/**
 * Owns every user's session on one transport: login at registration, restore at start-up,
 * retry when a restore fails, logout at unregistration. Sessions never share failures.
 *
 * Everything that opens or closes a user's legacy connection runs one at a time per user (the
 * serializer), so concurrent registrations can never open connections that no entry owns.
 */
export class SessionManager {
  private readonly sessions = new Map<string, UserSession>();
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();
  private readonly presenceChecks = new Map<string, NodeJS.Timeout>();
  private readonly serial = new KeyedMutex();
  /** Users with a registration change waiting or running: a second one is refused with conflict. */
  private readonly changing = new Set<string>();
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

  private newSession(jid: string, anonymous = false): UserSession {
    const session = new UserSession(jid, this.ctx, anonymous);
    if (!anonymous) session.memory = new RoomMemory(this.store.userState(this.ctx.domain, jid), this.ctx.logger.child({ jid }));
    return session;
  }

  private async login(session: UserSession, credentials: Credentials, reason: LoginRequest['reason']): Promise<LegacySession> {
    const request: LoginRequest = { user: session.jid, credentials, state: this.store.userState(this.ctx.domain, session.jid), xmpp: session.xmpp, reason };
    try {
      const legacy = await this.adapter.login(request);
      countLegacyLogin(this.ctx.domain, reason, true);
      return legacy;
    } catch (err) {
      countLegacyLogin(this.ctx.domain, reason, false);
      throw err;
    }
  }

  /**
   * Sessions by state, for /metrics: failed (a login failed, its retry is waiting), restoring
   * (logging in), online, offline (logged in, but the legacy connection is down).
   */
  countByState(): Record<SessionState, number> {
    const counts: Record<SessionState, number> = { restoring: 0, online: 0, offline: 0, failed: 0 };
    for (const [jid, session] of this.sessions) {
      if (this.retryTimers.has(jid)) counts.failed++;
      else if (!session.legacy) counts.restoring++;
      else if (session.status.online) counts.online++;
      else counts.offline++;
    }
    return counts;
  }

  /**
   * Registration or update: the adapter verifies the credentials for real before anything is
   * stored. On update the old connection closes first (an IRC nick cannot be held twice); if the
   * new values fail, the old registration is logged in again and the error is reported.
   */
  async register(jid: string, credentials: Credentials): Promise<void> {
    if (this.changing.has(jid)) {
      throw new GatewayError('conflict', 'Another registration change of yours is still being processed; try again once it has finished.');
    }
    this.changing.add(jid);
    try {
      await this.serial.run(jid, () => this.registerNow(jid, credentials));
    } finally {
      this.changing.delete(jid);
    }
  }

  private async registerNow(jid: string, credentials: Credentials): Promise<void> {
    if (this.closed) throw new GatewayError('service-unavailable', 'The gateway is shutting down; try again in a moment.');
    const previous = this.sessions.get(jid);
    const existing = await this.registrations.get(jid);
    this.cancelRetry(jid);
    const session = this.newSession(jid);
    if (previous) {
      // Keep the XMPP-side view (resources online) for the new connection.
      for (const [r, p] of previous.resources) session.resources.set(r, p);
      await this.closeLegacy(previous);
    }
    try {
      session.legacy = await this.login(session, credentials, existing ? 'update' : 'register');
    } catch (err) {
      // The stored registration stays valid: get it connected again (after this change ends).
      if (existing) void this.restoreOne(jid, 'reconnect', 0);
      throw err;
    }
    try {
      await this.registrations.put(jid, credentials, this.options.secretFields);
    } catch (err) {
      // Not stored means not registered: the connection just opened must not outlive this answer.
      await this.closeLegacy(session);
      if (existing) void this.restoreOne(jid, 'reconnect', 0);
      throw err;
    }
    if (previous) session.adoptRooms(previous);
    this.sessions.set(jid, session);
    await this.rejoinRooms(session);
    if (!existing) {
      // XEP-0100: the gateway asks for the user's presence once registered.
      this.ctx.send(subscriptionPresence(this.ctx.domain, jid, 'subscribe'));
    }
  }

  /** Logs out and forgets the user; false when there was nothing to remove. Waits for a change in progress. */
  /**
   * Closes a user's legacy connection and keeps the registration (an administrator's command).
   * Under the user's lock, so a pending restore retry or a registration cannot reopen it meanwhile.
   */
  async disconnect(jid: string, text: string): Promise<boolean> {
    return this.serial.run(jid, async () => {
      const session = this.sessions.get(jid);
      if (!session?.legacy) return false;
      this.cancelRetry(jid);
      await this.closeLegacy(session);
      session.xmpp.status({ online: false, text });
      return true;
    });
  }

  async unregister(jid: string): Promise<boolean> {
    return this.serial.run(jid, async () => {
      const registered = Boolean(await this.registrations.get(jid)) || this.sessions.has(jid);
      if (!registered) return false;
      this.cancelRetry(jid);
      this.cancelPresenceCheck(jid);
      const session = this.sessions.get(jid);
      this.sessions.delete(jid);
      if (session) {
        session.memory = undefined;
        await this.closeLegacy(session);
      }
      await this.adapter.unregister?.(jid);
      await this.ctx.history?.forget(jid);
      await this.store.clearUser(this.ctx.domain, jid);
      this.ctx.send(subscriptionPresence(this.ctx.domain, jid, 'unsubscribe'));
      this.ctx.send(subscriptionPresence(this.ctx.domain, jid, 'unsubscribed'));
      this.ctx.send(transportPresence(this.ctx.domain, jid, false));
      return true;
    });
  }

  /** The session of a user, logging in an unregistered user the biboumi way where the adapter allows it. */
  async sessionFor(jid: string): Promise<UserSession> {
    const live = this.sessions.get(jid);
    if (live?.legacy) return live;
    if (live) throw new GatewayError('remote-server-timeout', `Not connected to the ${this.adapter.identity.name} network yet: ${live.status.text ?? 'connecting'}. Try again shortly.`);
    if (!this.adapter.anonymousCredentials?.(jid)) throw new GatewayError('registration-required', `Register with ${this.ctx.domain} first (in-band registration in your client's service discovery).`);
    return this.serial.run(jid, async () => {
      // Another stanza may have logged in (or registered) while this one waited.
      const current = this.sessions.get(jid);
      if (current?.legacy) return current;
      const credentials = this.adapter.anonymousCredentials?.(jid);
      if (this.closed || !credentials) throw new GatewayError('service-unavailable', 'The gateway is shutting down; try again in a moment.');
      const session = this.newSession(jid, true);
      session.legacy = await this.login(session, credentials, 'anonymous');
      this.sessions.set(jid, session);
      return session;
    });
  }

  /** Log every registered user in again, bounded in concurrency and in rate. */
  async restoreAll(): Promise<{ restored: number; failed: number }> {
    const jids = await this.registrations.list();
    this.restoreProgress.total = jids.length;
    const pacer = new Pacer(this.options.restorePerSecond, this.options.clock ?? realClock);
    let next = 0;
    let restored = 0;
    let failed = 0;
    const worker = async () => {
      while (!this.closed && next < jids.length) {
        const jid = jids[next++];
        if (await this.restoreOne(jid, 'restore', 0, pacer)) restored++;
        else failed++;
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.options.restoreConcurrency) }, worker));
    return { restored, failed };
  }

  /**
   * Logs a stored registration in. The store is read before the pacer is asked for a slot, so
   * the pace is that of logins, whatever the store's latency.
   */
  private restoreOne(jid: string, reason: 'restore' | 'reconnect', attempt: number, pacer?: Pacer): Promise<boolean> {
    return this.serial.run(jid, async () => {
      if (this.closed) return false;
      const registration = await this.registrations.get(jid).catch((err: Error) => {
        this.ctx.logger.error({ jid, err: err.message }, 'cannot read registration');
        return undefined;
      });
      if (!registration) return false;
      let session = this.sessions.get(jid);
      if (session?.legacy) return true; // a registration change logged in meanwhile
      if (!session) {
        session = this.newSession(jid);
        await session.loadRooms();
        this.sessions.set(jid, session);
      }
      if (pacer) {
        const startedAt = await pacer.next();
        this.restoreProgress.started++;
        this.restoreProgress.lastAt = startedAt;
        this.restoreProgress.firstAt ??= startedAt;
      }
      try {
        const legacy = await this.login(session, registration.credentials, reason);
        if (this.closed || this.sessions.get(jid) !== session) {
          await legacy.logout().catch(() => undefined);
          return false;
        }
        session.legacy = legacy;
      } catch (err) {
        const error = toGatewayError(err);
        this.ctx.logger.warn({ jid, domain: this.ctx.domain, err: (err as Error).message }, 'restoring a session failed; will retry');
        session.xmpp.status({ online: false, text: `Login failed: ${error.message}` });
        this.scheduleRetry(jid, session, attempt);
        return false;
      }
      await this.rejoinRooms(session);
      this.checkPresence(session);
      return true;
    });
  }

  private scheduleRetry(jid: string, session: UserSession, attempt: number): void {
    this.cancelRetry(jid);
    const delay = backoffDelay(attempt, 5000, 300000);
    this.retryTimers.set(jid, setTimeout(() => {
      this.retryTimers.delete(jid);
      if (this.sessions.get(jid) === session && !session.legacy) void this.restoreOne(jid, 'reconnect', attempt + 1);
    }, delay));
  }

  /** Rooms the user was in before the restart are joined again for the resources that were in them. */
  private async rejoinRooms(session: UserSession): Promise<void> {
    const legacy = session.legacy;
    if (!legacy?.joinRoom) return;
    for (const [room, state] of [...session.rooms]) {
      for (const resource of [...state.pending]) {
        try {
          // No nick: the connection keeps the one it has (a stored one may be a server-forced "carol_").
          await legacy.joinRoom({ room, nick: '', resource });
        } catch (err) {
          state.joinFailed(state.nick, toGatewayError(err));
        }
      }
    }
  }

  /**
   * Asks the user's server which resources are online (the gateway is subscribed to the user's
   * presence after XEP-0100 registration). Resources still recorded in rooms that do not answer
   * within the check period went offline while the gateway could not see it: they leave the
   * room. Without any answer (no subscription) nothing is removed: the gateway cannot tell.
   */
  checkPresence(session: UserSession): void {
    if (session.anonymous || this.closed) return;
    this.cancelPresenceCheck(session.jid);
    session.presenceAnswered = false;
    session.resources.clear();
    this.ctx.send(subscriptionPresence(this.ctx.domain, session.jid, 'probe'));
    const timer = setTimeout(() => {
      this.presenceChecks.delete(session.jid);
      if (this.sessions.get(session.jid) !== session || !session.presenceAnswered) return;
      for (const room of session.roomsOfAbsentResources()) void session.legacy?.leaveRoom?.(room).catch(() => undefined);
    }, this.options.presenceCheckMs ?? DEFAULT_PRESENCE_CHECK_MS);
    timer.unref();
    this.presenceChecks.set(session.jid, timer);
  }

  private cancelPresenceCheck(jid: string): void {
    clearTimeout(this.presenceChecks.get(jid));
    this.presenceChecks.delete(jid);
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

  /**
   * Shutdown, first step: legacy sessions send what they accepted until `deadline`; what is left
   * then is failed back to its sender by the adapter while events are still relayed.
   */
  async drain(deadline: number): Promise<void> {
    this.closed = true;
    await Promise.all(this.all().map(async (s) => {
      try {
        await s.legacy?.drain?.(deadline);
      } catch (err) {
        this.ctx.logger.warn({ jid: s.jid, err: (err as Error).message }, 'draining a legacy session failed');
      }
    }));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.retryTimers.values()) clearTimeout(timer);
    this.retryTimers.clear();
    for (const timer of this.presenceChecks.values()) clearTimeout(timer);
    this.presenceChecks.clear();
    for (const session of this.all()) session.shutdown('The gateway is shutting down');
    await Promise.all(this.all().map((s) => this.closeLegacy(s)));
    this.sessions.clear();
  }
}
