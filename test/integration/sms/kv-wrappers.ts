import type { KeyValue } from '../../../src/store/types';

export type StoreMode = 'ok' | 'read-only' | 'down';

/**
 * The adapter's KeyValue with the failures a real backend has (a read-only SQLite file, an
 * unreachable Redis), switched on and off by the test, and a record of every write's size.
 */
export class FaultyKeyValue implements KeyValue {
  mode: StoreMode = 'ok';
  readonly writes: { key: string; bytes: number }[] = [];

  constructor(private readonly inner: KeyValue) {}

  private check(write: boolean): void {
    if (this.mode === 'down') throw new Error('the store did not answer');
    if (write && this.mode === 'read-only') throw new Error('SQLITE_READONLY: attempt to write a readonly database');
  }

  async get<T>(key: string): Promise<T | undefined> {
    this.check(false);
    return this.inner.get<T>(key);
  }

  async set<T>(key: string, value: T, ttlMs?: number): Promise<void> {
    this.check(true);
    this.writes.push({ key, bytes: Buffer.byteLength(JSON.stringify(value) ?? '') });
    await this.inner.set(key, value, ttlMs);
  }

  async delete(key: string): Promise<boolean> {
    this.check(true);
    return this.inner.delete(key);
  }
}

/** Bytes a MemoryKeyValue holds, keys included. */
export function storedBytes(data: Map<string, { value: unknown }>): number {
  let total = 0;
  for (const [key, entry] of data) total += Buffer.byteLength(key) + Buffer.byteLength(JSON.stringify(entry.value) ?? '');
  return total;
}
