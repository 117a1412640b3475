import { createHash } from 'node:crypto';
import { KeyedMutex } from '../keyed-mutex';
import { writeAll, type KeyValue } from '../store/types';

export interface MessageIdMapOptions {
  /** How long a mapping is kept after it was last recorded (ms). Default 30 days. */
  retentionMs?: number;
  /** Recent mappings kept in memory, so a reaction or correction right after a message costs no read. Default 2000. */
  cacheSize?: number;
  /** Key prefix inside the KeyValue. Default 'msgid'. */
  prefix?: string;
  /** The clock; tests inject one. */
  now?: () => number;
}

/** One legacy message and the XMPP ids it is known under (client id, origin-id, stanza-id). */
export interface MessageIds {
  legacy: string;
  xmpp: string[];
}

const DEFAULT_RETENTION_MS = 30 * 24 * 3600_000;
const DEFAULT_CACHE_SIZE = 2000;
/** Keeps a record O(1) even if a caller keeps adding ids to one legacy message. */
const MAX_XMPP_IDS = 8;

/** xmpp-id -> legacy-id record. `at` lets expiry follow the injected clock, not only the backend's TTL. */
interface ToLegacy {
  l: string;
  at: number;
}
/** legacy-id -> xmpp-ids record, first recorded id first. */
interface ToXmpp {
  x: string[];
  at: number;
}

/**
 * A persistent, bounded map between XMPP message ids and legacy message ids (IRCv3 msgid, Twilio
 * MessageSid, email Message-ID), per conversation scope. One key per id and direction, written
 * with the retention as TTL: a record costs one small read and 1 + n writes in one round trip
 * (setMany), whatever the size of the map. Nothing here lists or prunes: keys nobody reads again
 * are deleted by the store's sweep once their TTL has run out (src/store/sweeper.ts).
 */
export class MessageIdMap {
  private readonly retentionMs: number;
  private readonly cacheSize: number;
  private readonly prefix: string;
  private readonly now: () => number;
  private readonly locks = new KeyedMutex();
  /** Insertion-ordered, so the first key is the least recently used. */
  private readonly cache = new Map<string, ToLegacy | ToXmpp>();

  constructor(private readonly kv: KeyValue, options: MessageIdMapOptions = {}) {
    this.retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    if (!(this.retentionMs > 0) || !Number.isFinite(this.retentionMs)) throw new Error('MessageIdMap: retentionMs must be a positive number of milliseconds');
    this.cacheSize = Math.max(0, options.cacheSize ?? DEFAULT_CACHE_SIZE);
    this.prefix = options.prefix ?? 'msgid';
    this.now = options.now ?? Date.now;
  }

  /**
   * Records that one legacy message is known under these XMPP ids. Recording the same legacy id
   * again adds the new XMPP ids after the known ones (an echo that brings the network's id after
   * the client's), and refreshes the retention of all of them.
   */
  async record(scope: string, ids: MessageIds): Promise<void> {
    if (!ids.legacy) throw new Error('MessageIdMap.record: the legacy id is empty');
    const xmpp = [...new Set(ids.xmpp.filter((id) => id !== ''))];
    if (xmpp.length === 0) throw new Error('MessageIdMap.record: no XMPP id given');
    const legacyKey = this.key('l', scope, ids.legacy);
    await this.locks.run(legacyKey, async () => {
      const at = this.now();
      const known = this.live(await this.read<ToXmpp>(legacyKey));
      const merged = (known ? [...known.x, ...xmpp.filter((id) => !known.x.includes(id))] : xmpp).slice(0, MAX_XMPP_IDS);
      // Every id of the message points at the legacy id, including the ones recorded earlier,
      // whose TTL would otherwise run out before the legacy record's. One round trip for all.
      const pointing = [...new Set([...merged, ...xmpp])];
      await this.write([
        [legacyKey, { x: merged, at } satisfies ToXmpp],
        ...pointing.map((id): [string, ToLegacy] => [this.key('x', scope, id), { l: ids.legacy, at }]),
      ]);
    });
  }

  /** The legacy id of a message known under this XMPP id (any of its ids). */
  async legacyFor(scope: string, xmppId: string): Promise<string | undefined> {
    return this.live(await this.read<ToLegacy>(this.key('x', scope, xmppId)))?.l;
  }

  /** The first XMPP id recorded for a legacy message (the message's own id attribute, by convention). */
  async xmppFor(scope: string, legacyId: string): Promise<string | undefined> {
    return (await this.xmppIdsFor(scope, legacyId))[0];
  }

  /** Every XMPP id recorded for a legacy message, first recorded first. */
  async xmppIdsFor(scope: string, legacyId: string): Promise<string[]> {
    return [...(this.live(await this.read<ToXmpp>(this.key('l', scope, legacyId)))?.x ?? [])];
  }

  private live<T extends { at: number }>(record: T | undefined): T | undefined {
    return record && this.now() - record.at <= this.retentionMs ? record : undefined;
  }

  /**
   * Ids come from remote parties and may hold any character and be long (an email Message-ID):
   * a hash keeps keys short and safe for every backend. The length prefix keeps (scope, id)
   * pairs apart that would concatenate to the same text.
   */
  private key(direction: 'x' | 'l', scope: string, id: string): string {
    const digest = createHash('sha256').update(`${scope.length}:${scope}${id}`).digest('base64url').slice(0, 24);
    return `${this.prefix}:${direction}:${digest}`;
  }

  private async read<T extends ToLegacy | ToXmpp>(key: string): Promise<T | undefined> {
    const cached = this.cache.get(key);
    if (cached) {
      this.cache.delete(key);
      this.cache.set(key, cached);
      return cached as T;
    }
    const stored = await this.kv.get<T>(key);
    if (stored) this.remember(key, stored);
    return stored;
  }

  private async write(records: Array<[key: string, value: ToLegacy | ToXmpp]>): Promise<void> {
    // Forget first: if the write fails, a later read goes to the store instead of trusting memory.
    for (const [key] of records) this.cache.delete(key);
    await writeAll(this.kv, records.map(([key, value]) => ({ key, value, ttlMs: this.retentionMs })));
    for (const [key, value] of records) this.remember(key, value);
  }

  private remember(key: string, value: ToLegacy | ToXmpp): void {
    if (this.cacheSize === 0) return;
    this.cache.delete(key);
    this.cache.set(key, value);
    if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
  }
}
