import { EventEmitter } from 'node:events';
import type { StoredData } from 'keyv';

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

/**
 * A keyv storage adapter for PostgreSQL.
 *
 * Why not @keyv/postgres: it keeps one process-wide pool that a second store (or a reopen with
 * another URL) silently replaces, and it never listens for the pool's 'error' event, so a
 * PostgreSQL restart while connections sit idle would crash the whole gateway. This adapter owns
 * its pool, forwards pool errors as 'error' events, and keeps the same table layout (key, value)
 * with a TEXT key so long JIDs fit.
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
    this.ready ??= this.pool
      .query(`CREATE TABLE IF NOT EXISTS ${TABLE} (key TEXT PRIMARY KEY, value TEXT)`)
      .then(() => undefined)
      .catch((error: unknown) => {
        this.ready = undefined;
        throw error;
      });
    await this.ready;
    return this.pool.query(sql, values);
  }

  /** Returns the serialized text; keyv deserializes it. */
  async get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    const result = await this.query(`SELECT value FROM ${TABLE} WHERE key = $1`, [key]);
    return result.rows[0]?.value as StoredData<Value> | undefined;
  }

  async set(key: string, value: string): Promise<void> {
    await this.query(
      `INSERT INTO ${TABLE} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      [key, value],
    );
  }

  async delete(key: string): Promise<boolean> {
    const result = await this.query(`DELETE FROM ${TABLE} WHERE key = $1`, [key]);
    return (result.rowCount ?? 0) > 0;
  }

  /** Deletes only this gateway's keys: the table may be shared with other keyv users. */
  async clear(): Promise<void> {
    if (!this.namespace) throw new Error('refusing to clear a PostgreSQL keyv table without a namespace');
    const pattern = `${this.namespace.replace(/[\\%_]/g, '\\$&')}:%`;
    await this.query(`DELETE FROM ${TABLE} WHERE key LIKE $1`, [pattern]);
  }

  async disconnect(): Promise<void> {
    await this.pool.end();
  }
}
