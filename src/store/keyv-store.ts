import { Keyv } from 'keyv';
import { GatewayError } from '../component/errors';
import { decryptString, encryptString } from './crypto';
import type { KeyValue, KeyValueWrite } from './types';
import { KeyedMutex } from '../keyed-mutex';
import { createBackend, describe, type Backend } from './backends';
import { useFastSerialization } from './serialize';
import { ExpirySweeper, sweepOnce, sweepSettings, type SweepOptions, type SweepResult } from './sweeper';
import { recordStoreOperation, type StoreOperation } from '../metrics';

export interface Registration {
  jid: string;
  credentials: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

export interface RegistrationStore {
  /** The registration with its secrets decrypted. */
  get(jid: string): Promise<Registration | undefined>;
  /** secretFields are encrypted at rest; createdAt survives updates. */
  put(jid: string, credentials: Record<string, string>, secretFields: string[]): Promise<Registration>;
  remove(jid: string): Promise<boolean>;
  /**
   * All registered bare JIDs of the domain. If the process died in the middle of a put or remove,
   * a JID may be listed whose get() returns undefined; callers skip those.
   */
  list(): Promise<string[]>;
}

export interface GatewayStoreOptions {
  /** sqlite://file (default sqlite://gateway.sqlite, relative to the working directory), sqlite://:memory:, redis://, rediss://, postgres://, postgresql:// */
  url?: string;
  encryptionKey: Buffer;
  /** Prefix of every key, so several gateways (or other keyv users) can share one database. */
  namespace?: string;
  /** How long one operation may wait for the backend (default 5000 ms). */
  operationTimeoutMs?: number;
  /**
   * The periodic deletion of expired keys on SQLite and PostgreSQL (see sweeper.ts), started by
   * open() and stopped by close(); false turns it off. Redis expires keys by itself.
   */
  sweep?: SweepOptions | false;
  /** Hears every sweep run: what it deleted, or why it failed (the next run comes all the same). */
  onSweep?: (outcome: SweepResult | Error) => void;
}

interface StoredRegistration extends Registration {
  secretFields: string[];
}

const DEFAULT_SQLITE_URL = 'sqlite://gateway.sqlite';
const PROBE_KEY = 'store-probe';
const RETRY_DELAY_MS = 250;
const DEFAULT_OPERATION_TIMEOUT_MS = 5000;

/** A backend that does not answer (Redis or PostgreSQL down): reported, not waited for forever. */
export class StoreTimeoutError extends GatewayError {
  constructor(ms: number) {
    super('internal-server-error', `The gateway's storage did not answer within ${ms / 1000} s; try again in a moment.`, 'wait');
  }
}
const INDEX_PRUNE_EVERY = 256;
/**
 * A domain's registered JIDs are listed in this many keys, by a hash of the JID. With one list,
 * every registration read and rewrote the whole of it: at 10,000 users, 10,000 rewrites of a
 * list growing to 300 KB (1.5 GB of JSON in all). In buckets each rewrite is 1/128 of that, and
 * the start-up listing is 129 reads.
 */
const REGISTRATION_BUCKETS = 128;

/** FNV-1a of the JID, so a JID's bucket is the same in every process and version. */
export function registrationBucket(jid: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < jid.length; i++) {
    hash ^= jid.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % REGISTRATION_BUCKETS;
}

/**
 * Everything the gateway persists: registrations (with encrypted secrets), per-user adapter state
 * and per-transport adapter data, in one keyv database chosen by URL.
 */
export class GatewayStore {
  private readonly locks = new KeyedMutex();
  private closed = false;
  private sweeper: ExpirySweeper | undefined;

  private constructor(
    private readonly keyv: Keyv,
    private readonly encryptionKey: Buffer,
    private readonly namespace: string,
    private readonly operationTimeoutMs: number,
    private readonly backend: Backend,
    private readonly sweepOptions: ReturnType<typeof sweepSettings>,
  ) {}

  static async open(options: GatewayStoreOptions): Promise<GatewayStore> {
    if (options.encryptionKey.length !== 32) throw new Error('the storage encryption key must be 32 bytes (use deriveKey)');
    // Checked before anything is opened: a bad setting is a configuration error, not a half-open store.
    const sweep = sweepSettings(options.sweep || undefined);
    const backend = await createBackend(options.url ?? DEFAULT_SQLITE_URL);
    const keyv = new Keyv({ store: backend.adapter, namespace: '', useKeyPrefix: false, throwOnErrors: true });
    useFastSerialization(keyv);
    // keyv reports backend failures as events; without a listener nothing would see them, and the
    // same failures also reject the operation that hit them, so the caller gets the error.
    let firstError: unknown;
    keyv.on('error', (error: unknown) => {
      firstError ??= error;
    });
    const store = new GatewayStore(keyv, options.encryptionKey, options.namespace ?? 'gateway', options.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS, backend, sweep);
    try {
      await keyv.get(store.key(PROBE_KEY));
    } catch (error) {
      await keyv.disconnect().catch(() => undefined);
      throw new Error(`cannot open the store at storage.url ${backend.description}: ${describe(firstError ?? error)}`);
    }
    backend.markOpened();
    if (options.sweep !== false && backend.sweep) {
      store.sweeper = new ExpirySweeper((now, limit) => store.sweepStatement(now, limit), sweep, options.onSweep);
      store.sweeper.start();
    }
    return store;
  }

  /**
   * One bounded sweep run now (what the timer does every sweep.intervalMs): deletes this
   * namespace's keys that expired before `now`. Nothing to do on Redis.
   */
  async sweepExpired(now = Date.now()): Promise<SweepResult> {
    if (!this.backend.sweep) return { deleted: 0, more: false };
    return sweepOnce((at, limit) => this.sweepStatement(at, limit), this.sweepOptions, now);
  }

  private async sweepStatement(now: number, limit: number): Promise<number> {
    this.ensureOpen();
    return this.bounded(() => this.backend.sweep!(now, limit, `${this.key()}:`));
  }

  registrations(domain: string): RegistrationStore {
    // Before 2026-11-26 one key listed every JID of the domain; it is still read and pruned, never grown.
    const legacyIndexKey = this.key('registrations', domain);
    const bucketKey = (bucket: number) => this.key('registrations', domain, String(bucket));
    const indexKeyOf = (jid: string) => bucketKey(registrationBucket(jid));
    const recordKey = (jid: string) => this.key('registration', domain, jid);
    return {
      get: async (jid) => {
        const stored = await this.read<StoredRegistration>(recordKey(jid));
        return stored && this.decryptRegistration(stored);
      },
      // Under the lock of the JID's bucket: the same JID always meets itself there.
      put: (jid, credentials, secretFields) =>
        this.locks.run(indexKeyOf(jid), async () => {
          const existing = await this.read<StoredRegistration>(recordKey(jid));
          const now = new Date().toISOString();
          const stored: StoredRegistration = {
            jid,
            credentials: this.encryptFields(credentials, secretFields),
            secretFields: secretFields.filter((field) => field in credentials),
            createdAt: existing?.createdAt ?? now,
            updatedAt: now,
          };
          // Index first: after a crash a listed JID without a record is harmless, a record nobody lists is lost.
          await this.addToIndex(indexKeyOf(jid), jid);
          await this.write(recordKey(jid), stored);
          return { jid, credentials: { ...credentials }, createdAt: stored.createdAt, updatedAt: now };
        }),
      remove: (jid) =>
        this.locks.run(indexKeyOf(jid), async () => {
          const existed = await this.erase(recordKey(jid));
          await this.removeFromIndex(indexKeyOf(jid), jid);
          await this.locks.run(legacyIndexKey, () => this.removeFromIndex(legacyIndexKey, jid));
          return existed;
        }),
      list: async () => {
        const keys = [legacyIndexKey, ...Array.from({ length: REGISTRATION_BUCKETS }, (_, i) => bucketKey(i))];
        const lists = await Promise.all(keys.map((key) => this.read<string[]>(key)));
        return [...new Set(lists.flatMap((list) => list ?? []))];
      },
    };
  }

  /** Seals and opens secrets an adapter keeps in its own state, with the registrations' key (AdapterServices.secrets). */
  secretBox(): { seal(plain: string): string; open(sealed: string): string } {
    const key = this.encryptionKey;
    return { seal: (plain) => encryptString(key, plain), open: (sealed) => decryptString(key, sealed) };
  }

  userState(domain: string, jid: string): KeyValue {
    const indexKey = this.key('user-keys', domain, jid);
    const valueKey = (key: string) => this.key('user', domain, jid, key);
    return {
      get: (key) => this.read(valueKey(key)),
      set: (key, value, ttlMs) =>
        this.locks.run(indexKey, async () => {
          const size = await this.addToIndex(indexKey, key);
          await this.write(valueKey(key), value, ttlMs);
          // Keys whose TTL ran out stay listed; prune them now and then so the index stays small.
          if (size % INDEX_PRUNE_EVERY === 0) await this.pruneIndex(indexKey, valueKey);
        }),
      delete: (key) =>
        this.locks.run(indexKey, async () => {
          const existed = await this.erase(valueKey(key));
          await this.removeFromIndex(indexKey, key);
          return existed;
        }),
    };
  }

  /** The core's own data for a transport (message ids, history): apart from the adapter's keys. */
  coreStore(domain: string): KeyValue {
    return this.namespaced('core', domain);
  }

  adapterStore(domain: string): KeyValue {
    return this.namespaced('adapter', domain);
  }

  private namespaced(kind: string, domain: string): KeyValue {
    const valueKey = (key: string) => this.key(kind, domain, key);
    return {
      get: (key) => this.read(valueKey(key)),
      set: (key, value, ttlMs) => this.write(valueKey(key), value, ttlMs),
      delete: (key) => this.erase(valueKey(key)),
      setMany: (writes) => this.writeMany(writes.map((w) => ({ ...w, key: valueKey(w.key) }))),
      deleteMany: (keys) => this.eraseMany(keys.map(valueKey)),
    };
  }

  /** Forgets a user of one transport entirely: the registration and every userState key. */
  async clearUser(domain: string, jid: string): Promise<void> {
    await this.registrations(domain).remove(jid);
    const indexKey = this.key('user-keys', domain, jid);
    await this.locks.run(indexKey, async () => {
      const keys = (await this.read<string[]>(indexKey)) ?? [];
      for (const key of keys) await this.erase(this.key('user', domain, jid, key));
      await this.erase(indexKey);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.sweeper?.stop();
    this.closed = true;
    // A Redis client that is still trying to reconnect would wait for its server before quitting.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.keyv.disconnect().catch(() => undefined),
      new Promise<void>((done) => { timer = setTimeout(done, this.operationTimeoutMs); }),
    ]);
    clearTimeout(timer);
  }

  /** Components are URI-encoded so that no domain, JID or key can contain the ':' separator. */
  private key(...parts: string[]): string {
    return [this.namespace, ...parts].map(encodeURIComponent).join(':');
  }

  private ensureOpen(): void {
    if (this.closed) throw new Error('the gateway store is closed');
  }

  /**
   * Runs one backend operation, once more after a short pause if it fails: a command that was in
   * flight when a Redis or PostgreSQL connection dropped fails although the client reconnects at
   * once. Every operation here is idempotent (get, set to a value, delete), so repeating is safe.
   */
  private async withRetry<T>(operation: () => Promise<T>): Promise<T> {
    this.ensureOpen();
    try {
      return await this.bounded(operation);
    } catch (error) {
      // A backend that did not answer at all has had its chance.
      if (error instanceof StoreTimeoutError) throw error;
      await new Promise((done) => setTimeout(done, RETRY_DELAY_MS));
      this.ensureOpen();
      return this.bounded(operation);
    }
  }

  /**
   * While Redis is unreachable its client queues commands until it reconnects, which would leave
   * a registration or a message waiting without an answer. Past the timeout the caller gets an
   * error; the queued command may still run later, which is harmless for get/set/delete.
   */
  private async bounded<T>(operation: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreTimeoutError(this.operationTimeoutMs)), this.operationTimeoutMs);
    });
    try {
      return await Promise.race([operation(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** withRetry, timed for /metrics (the retry and its pause included: that is what callers wait). */
  private async measured<T>(operation: StoreOperation, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    let ok = false;
    try {
      const result = await this.withRetry(work);
      ok = true;
      return result;
    } finally {
      recordStoreOperation(operation, performance.now() - started, ok);
    }
  }

  private async read<T>(key: string): Promise<T | undefined> {
    return (await this.measured('read', () => this.keyv.get<T>(key))) ?? undefined;
  }

  private async write(key: string, value: unknown, ttlMs?: number): Promise<void> {
    const ok = await this.measured('write', () => this.keyv.set(key, value, ttlMs));
    if (!ok) throw new Error('the store did not accept a write');
  }

  private async erase(key: string): Promise<boolean> {
    return this.measured('erase', () => this.keyv.delete(key));
  }

  /** One round trip on every backend (see KeyValue.setMany); measured as one write. */
  private async writeMany(writes: readonly KeyValueWrite[]): Promise<void> {
    if (writes.length === 0) return;
    // keyv answers per key only where the adapter has no setMany of its own (Redis, here); ours throw instead.
    const results: unknown = await this.measured('write', () => this.keyv.setMany(writes.map((w) => ({ key: w.key, value: w.value, ttl: w.ttlMs }))));
    if (Array.isArray(results) && !results.every(Boolean)) throw new Error('the store did not accept a write');
  }

  private async eraseMany(keys: readonly string[]): Promise<void> {
    if (keys.length > 0) await this.measured('erase', () => this.keyv.deleteMany([...keys]));
  }

  /** Callers hold the lock for indexKey. Returns the new size when the entry was added, else 1. */
  private async addToIndex(indexKey: string, entry: string): Promise<number> {
    const entries = (await this.read<string[]>(indexKey)) ?? [];
    if (entries.includes(entry)) return 1;
    await this.write(indexKey, [...entries, entry]);
    return entries.length + 1;
  }

  /** Callers hold the lock for indexKey. */
  private async pruneIndex(indexKey: string, valueKey: (entry: string) => string): Promise<void> {
    const entries = (await this.read<string[]>(indexKey)) ?? [];
    const live: string[] = [];
    for (const entry of entries) if ((await this.read(valueKey(entry))) !== undefined) live.push(entry);
    if (live.length < entries.length) await this.write(indexKey, live);
  }

  /** Callers hold the lock for indexKey. */
  private async removeFromIndex(indexKey: string, entry: string): Promise<void> {
    const entries = (await this.read<string[]>(indexKey)) ?? [];
    if (!entries.includes(entry)) return;
    const rest = entries.filter((existing) => existing !== entry);
    if (rest.length > 0) await this.write(indexKey, rest);
    else await this.erase(indexKey);
  }

  private encryptFields(credentials: Record<string, string>, secretFields: string[]): Record<string, string> {
    const stored: Record<string, string> = {};
    for (const [field, value] of Object.entries(credentials)) {
      stored[field] = secretFields.includes(field) ? encryptString(this.encryptionKey, value) : value;
    }
    return stored;
  }

  private decryptRegistration(stored: StoredRegistration): Registration {
    const credentials: Record<string, string> = {};
    for (const [field, value] of Object.entries(stored.credentials)) {
      credentials[field] = stored.secretFields.includes(field) ? decryptString(this.encryptionKey, value) : value;
    }
    return { jid: stored.jid, credentials, createdAt: stored.createdAt, updatedAt: stored.updatedAt };
  }
}
