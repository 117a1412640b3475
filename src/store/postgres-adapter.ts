import { EventEmitter } from 'node:events';
import type { StoredData } from 'keyv';
import { expiresAt, lastWriteWins, prefixPattern, type SerializedWrite } from './sqlite-adapter';

/** The few parts of the `pg` package this adapter uses (pg ships no TypeScript types). */
interface PgPool {
  query(sql: string, values?: unknown[]): Promise<{ rows: Array<{ key: string; value: string }>; rowCount: number | null }>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  end(): Promise<void>;
}
interface PgModule {
  Pool: new (config: { connectionString: string; max: number; connectionTimeoutMillis: number }) => PgPool;
}

const TABLE = 'keyv';
/** PostgreSQL allows 65535 bound values per statement, three per row. */
const ROWS_PER_STATEMENT = 1000;

/**
 * A keyv storage adapter for PostgreSQL.
 *
 * Why not @keyv/postgres: it keeps one process-wide pool that a second store (or a reopen with
 * another URL) silently replaces, and it never listens for the pool's 'error' event, so a
 * PostgreSQL restart while connections sit idle would crash the whole gateway. This adapter owns
 * its pool, forwards pool errors as 'error' events, and keeps the same table layout (key, value)
 * with a TEXT key so long JIDs fit, plus an indexed `expires` column (ms since the epoch) so that
 * sweep() can delete expired keys, which keyv itself only drops when they are read.
 */
export class PostgresKeyvAdapter extends EventEmitter {
  readonly opts = { dialect: 'postgres' };
  namespace?: string;
  private readonly pool: PgPool;
  private ready: Promise<void> | undefined;

  constructor(connectionString: string) {
    super();
    // Loaded here so that SQLite and Redis deployments never load pg.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pg = require('pg') as PgModule;
    this.pool = new pg.Pool({ connectionString, max: 10, connectionTimeoutMillis: 10_000 });
    this.pool.on('error', (error) => this.emit('error', error));
  }

  private async query(sql: string, values?: unknown[]) {
    // Retried on the next call after a failure, so a database that comes up later still works.
    this.ready ??= this.prepare().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    await this.ready;
    return this.pool.query(sql, values);
  }

  private async prepare(): Promise<void> {
    await this.pool.query(`CREATE TABLE IF NOT EXISTS ${TABLE} (key TEXT PRIMARY KEY, value TEXT, expires BIGINT)`);
    const found = await this.pool.query(
      `SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '${TABLE}' AND column_name = 'expires'`,
    );
    if (found.rowCount === 0) {
      await this.pool.query(`ALTER TABLE ${TABLE} ADD COLUMN IF NOT EXISTS expires BIGINT`);
      // Rows written before the column existed carry their expiry only at the end of the value,
      // where keyv's serialization puts it: {"value":…,"expires":<ms>}.
      await this.pool.query(
        `UPDATE ${TABLE} SET expires = substring(value from '"expires":(\\d+)\\}$')::bigint WHERE value ~ '"expires":\\d+\\}$'`,
      );
    }
    await this.pool.query(`CREATE INDEX IF NOT EXISTS ${TABLE}_expires ON ${TABLE} (expires) WHERE expires IS NOT NULL`);
  }

  /** Returns the serialized text; keyv deserializes it. */
  async get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    const result = await this.query(`SELECT value FROM ${TABLE} WHERE key = $1`, [key]);
    return result.rows[0]?.value as StoredData<Value> | undefined;
  }

  // keyv passes the TTL as a third argument to every adapter.
  async set(key: string, value: string, ttl?: number): Promise<void> {
    await this.setMany([{ key, value, ttl }]);
  }

  /** One statement per thousand keys; a key named twice keeps its last value. */
  async setMany(writes: readonly SerializedWrite[]): Promise<void> {
    const rows = lastWriteWins(writes);
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
      const chunk = rows.slice(i, i + ROWS_PER_STATEMENT);
      await this.query(
        `INSERT INTO ${TABLE} (key, value, expires) VALUES ${chunk.map((_, j) => `($${3 * j + 1}, $${3 * j + 2}, $${3 * j + 3})`).join(', ')}
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires = excluded.expires`,
        chunk.flatMap((w) => [w.key, w.value, expiresAt(w.ttl)]),
      );
    }
  }

  async deleteMany(keys: string[]): Promise<boolean> {
    const result = await this.query(`DELETE FROM ${TABLE} WHERE key = ANY($1::text[])`, [keys]);
    return (result.rowCount ?? 0) > 0;
  }

  /** Deletes up to `limit` keys under `prefix` that expired before `now`; returns how many. */
  async sweep(now: number, limit: number, prefix: string): Promise<number> {
    const result = await this.query(
      `DELETE FROM ${TABLE} WHERE key IN (SELECT key FROM ${TABLE} WHERE expires < $1 AND key LIKE $2 LIMIT $3)`,
      [now, prefixPattern(prefix), limit],
    );
    return result.rowCount ?? 0;
  }

  async delete(key: string): Promise<boolean> {
    const result = await this.query(`DELETE FROM ${TABLE} WHERE key = $1`, [key]);
    return (result.rowCount ?? 0) > 0;
  }

  /** Deletes only this gateway's keys: the table may be shared with other keyv users. */
  async clear(): Promise<void> {
    if (!this.namespace) throw new Error('refusing to clear a PostgreSQL keyv table without a namespace');
    await this.query(`DELETE FROM ${TABLE} WHERE key LIKE $1`, [prefixPattern(`${this.namespace}:`)]);
  }

  async disconnect(): Promise<void> {
    await this.pool.end();
  }
}
