import KeyvSqlite from '@keyv/sqlite';

/** A write as keyv hands it to a storage adapter: the value already serialized, the TTL in ms. */
export interface SerializedWrite {
  key: string;
  value: string;
  ttl?: number;
}

/** The rows of one multi-row statement: SQLite allows 32766 bound values (3.32+), three per row. */
const ROWS_PER_STATEMENT = 500;

/** When a value written now with this TTL expires (ms since the epoch), or null for never. */
export function expiresAt(ttl: number | undefined): number | null {
  return typeof ttl === 'number' && ttl > 0 && Number.isFinite(ttl) ? Date.now() + ttl : null;
}

/** A LIKE pattern for keys that start with `prefix`, with LIKE's own characters escaped by '\'. */
export function prefixPattern(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, '\\$&')}%`;
}

/** Later writes of a key win, as they would one after the other; a multi-row upsert may name a key once. */
export function lastWriteWins<T extends { key: string }>(writes: readonly T[]): T[] {
  return [...new Map(writes.map((w) => [w.key, w])).values()];
}

/**
 * @keyv/sqlite with an `expires` column beside the value. keyv drops an expired key only when it
 * is read, so keys nobody reads again (message ids, archive segments past the retention) would
 * stay forever; with their expiry in an indexed column, sweep() finds them without reading every
 * value. The value keeps keyv's own `expires` too, so keyv's reads stay correct whatever the
 * column says. Also one statement for many writes (setMany), which is what makes archive batches
 * cheap: a statement costs far more than the bytes it carries.
 */
export class SqliteKeyvAdapter extends KeyvSqlite {
  private get table(): string {
    return this.opts.table!;
  }

  /** Adds the column and its index to a table that predates them. Call once, before any write. */
  async prepare(): Promise<void> {
    const columns = (await this.query(`PRAGMA table_info(${this.table})`)) as Array<{ name: string }>;
    if (!columns.some((c) => c.name === 'expires')) {
      await this.query(`ALTER TABLE ${this.table} ADD COLUMN expires INTEGER`);
      // Rows written before the column existed carry their expiry only inside the value.
      await this.query(
        `UPDATE ${this.table} SET expires = CASE WHEN json_valid(value) THEN
           CASE WHEN json_type(value, '$.expires') = 'integer' THEN json_extract(value, '$.expires') END END`,
      );
    }
    await this.query(`CREATE INDEX IF NOT EXISTS ${this.table}_expires ON ${this.table}(expires) WHERE expires IS NOT NULL`);
  }

  // keyv passes the TTL as a third argument to every adapter.
  override async set(key: string, value: string, ttl?: number): Promise<void> {
    await this.setMany([{ key, value, ttl }]);
  }

  async setMany(writes: readonly SerializedWrite[]): Promise<void> {
    const rows = lastWriteWins(writes);
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
      const chunk = rows.slice(i, i + ROWS_PER_STATEMENT);
      await this.query(
        `INSERT INTO ${this.table} (key, value, expires) VALUES ${chunk.map(() => '(?, ?, ?)').join(', ')}
         ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires = excluded.expires`,
        chunk.flatMap((w) => [w.key, w.value, expiresAt(w.ttl)]),
      );
    }
  }

  /** Deletes up to `limit` keys under `prefix` that expired before `now`; returns how many. */
  async sweep(now: number, limit: number, prefix: string): Promise<number> {
    const deleted = (await this.query(
      `DELETE FROM ${this.table} WHERE rowid IN
         (SELECT rowid FROM ${this.table} WHERE expires < ? AND key LIKE ? ESCAPE '\\' LIMIT ?) RETURNING 1`,
      [now, prefixPattern(prefix), limit],
    )) as unknown[];
    return deleted.length;
  }
}
