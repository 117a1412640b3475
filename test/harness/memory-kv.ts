import type { KeyValue } from '../../src/store/types';

/** In-process KeyValue for adapter tests that do not exercise the real store. */
export class MemoryKeyValue implements KeyValue {
  readonly data = new Map<string, { value: unknown; expires?: number }>();
  async get<T>(key: string): Promise<T | undefined> {
    const entry = this.data.get(key);
    if (!entry) return undefined;
    if (entry.expires !== undefined && entry.expires < Date.now()) {
      this.data.delete(key);
      return undefined;
    }
    return structuredClone(entry.value) as T;
  }
  async set<T>(key: string, value: T, ttlMs?: number): Promise<void> {
    this.data.set(key, { value: structuredClone(value), expires: ttlMs ? Date.now() + ttlMs : undefined });
  }
  async delete(key: string): Promise<boolean> {
    return this.data.delete(key);
  }
}
