/** The one small storage interface every part of the gateway uses. */
export interface KeyValue {
  get<T = unknown>(key: string): Promise<T | undefined>;
  /** ttlMs: the value expires after that many milliseconds. */
  set<T = unknown>(key: string, value: T, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<boolean>;
}
