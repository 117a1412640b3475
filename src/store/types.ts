/** One write of a batch: the value expires after ttlMs milliseconds when given. */
export interface KeyValueWrite {
  key: string;
  value: unknown;
  ttlMs?: number;
}

/** The one small storage interface every part of the gateway uses. */
export interface KeyValue {
  get<T = unknown>(key: string): Promise<T | undefined>;
  /** ttlMs: the value expires after that many milliseconds. */
  set<T = unknown>(key: string, value: T, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<boolean>;
  /**
   * Several writes in one round trip (one statement on SQLite and PostgreSQL, one MULTI on Redis).
   * Optional: callers fall back to set() per key (see writeAll), so test doubles need not have it.
   */
  setMany?(writes: readonly KeyValueWrite[]): Promise<void>;
  /** Several deletes in one round trip; optional like setMany. */
  deleteMany?(keys: readonly string[]): Promise<void>;
}

/** setMany when the store has it, else one set per key, all at once. */
export async function writeAll(kv: KeyValue, writes: readonly KeyValueWrite[]): Promise<void> {
  if (writes.length === 0) return;
  if (kv.setMany && writes.length > 1) return kv.setMany(writes);
  await Promise.all(writes.map((w) => kv.set(w.key, w.value, w.ttlMs)));
}

/** deleteMany when the store has it, else one delete per key, all at once. */
export async function deleteAll(kv: KeyValue, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  if (kv.deleteMany && keys.length > 1) return kv.deleteMany(keys);
  await Promise.all(keys.map((key) => kv.delete(key)));
}
