/**
 * The store's sweep of expired keys (src/store/sweeper.ts) against real SQLite and a real
 * PostgreSQL: keyv itself drops an expired key only when it is read, so without the sweep the
 * message-id map and archive segments past their retention would pile up in the table.
 * Rows are counted in the database itself, not through keyv (which would hide expired ones).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Keyv from 'keyv';
import KeyvSqlite from '@keyv/sqlite';
import sqlite3 from 'sqlite3';
import { Archive } from '../../../src/core/archive';
import { MessageIdMap } from '../../../src/core/message-ids';
import { GatewayStore, type GatewayStoreOptions } from '../../../src/store';
import { deriveKey } from '../../../src/store/crypto';
import type { SweepResult } from '../../../src/store/sweeper';
import { requireBinary, tempDir } from '../../harness/ports';
import { PostgresServer, postgresBinDir } from '../../harness/postgres';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const pg = require('pg') as { Client: new (config: { connectionString: string }) => { connect(): Promise<void>; query(sql: string, values?: unknown[]): Promise<{ rows: unknown[] }>; end(): Promise<void> } };

const encryptionKey = deriveKey('sweep passphrase');
const HOUR = 3600_000;
const DOMAIN = 'irc.example.org';

interface Backend {
  url(): string;
  /** Rows in the table whose key starts with the namespace. */
  rows(namespace: string): Promise<number>;
  /** Writes keys with a TTL the way the gateway did before the expires column existed. */
  legacyRows(namespace: string, count: number, ttlMs: number): Promise<void>;
}

let namespaces = 0;
const freshNamespace = () => `sweep${++namespaces}`;

/** Polls (no fixed sleep) until check() holds; a generous bound, for a busy machine. */
async function until(check: () => Promise<boolean>, what: string, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function describeSweepOn(backend: () => Backend): void {
  const stores: GatewayStore[] = [];
  const open = async (namespace: string, options: Partial<GatewayStoreOptions> = {}) => {
    const store = await GatewayStore.open({ url: backend().url(), namespace, encryptionKey, ...options });
    stores.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });

  it('deletes the keys whose TTL ran out, and only those, and only of its own namespace', async () => {
    const [mine, theirs] = [freshNamespace(), freshNamespace()];
    const store = await open(mine, { sweep: false });
    const other = await open(theirs, { sweep: false });
    const kv = store.coreStore(DOMAIN);
    await kv.set('short', 1, HOUR);
    await kv.setMany!([{ key: 'short2', value: 2, ttlMs: HOUR }, { key: 'day', value: 3, ttlMs: 24 * HOUR }, { key: 'forever', value: 4 }]);
    await other.coreStore(DOMAIN).set('short', 5, HOUR);
    expect(await backend().rows(mine)).toBe(4);

    expect(await store.sweepExpired(Date.now() + 2 * HOUR)).toEqual({ deleted: 2, more: false });
    expect(await backend().rows(mine)).toBe(2);
    expect(await kv.get('day')).toBe(3);
    expect(await kv.get('forever')).toBe(4);
    expect(await backend().rows(theirs)).toBe(1);
    // Nothing expired yet: nothing goes.
    expect(await store.sweepExpired()).toEqual({ deleted: 0, more: false });
  });

  it('a run deletes at most batchSize × maxBatches rows and says more are left', async () => {
    const namespace = freshNamespace();
    const store = await open(namespace, { sweep: { batchSize: 10, maxBatches: 2 } });
    await store.coreStore(DOMAIN).setMany!(Array.from({ length: 25 }, (_, i) => ({ key: `k${i}`, value: i, ttlMs: HOUR })));
    const later = Date.now() + 2 * HOUR;
    expect(await store.sweepExpired(later)).toEqual({ deleted: 20, more: true });
    expect(await backend().rows(namespace)).toBe(5);
    expect(await store.sweepExpired(later)).toEqual({ deleted: 5, more: false });
    expect(await backend().rows(namespace)).toBe(0);
  });

  it('sweeps on its own timer once the store is open, catching up in bounded runs, and stops with the store', async () => {
    const namespace = freshNamespace();
    const runs: Array<SweepResult | Error> = [];
    const store = await open(namespace, { sweep: { intervalMs: 30, batchSize: 4, maxBatches: 2, catchUpMs: 10 }, onSweep: (r) => runs.push(r) });
    const kv = store.coreStore(DOMAIN);
    await kv.setMany!(Array.from({ length: 20 }, (_, i) => ({ key: `soon${i}`, value: i, ttlMs: 1 })));
    await kv.set('kept', 'x', 24 * HOUR);
    await until(async () => (await backend().rows(namespace)) === 1, 'the sweep to delete 20 expired rows');
    expect(await kv.get('kept')).toBe('x');
    const results = runs.filter((r): r is SweepResult => !(r instanceof Error));
    expect(runs.filter((r) => r instanceof Error)).toEqual([]);
    // 20 rows at most 8 per run: at least three runs, none over its bound.
    expect(results.reduce((sum, r) => sum + r.deleted, 0)).toBe(20);
    expect(results.every((r) => r.deleted <= 8)).toBe(true);
    expect(results.filter((r) => r.deleted > 0).length).toBeGreaterThanOrEqual(3);
    await store.close();
    await expect(store.sweepExpired()).rejects.toThrow('closed');
  });

  it('the message-id map and the archive leave nothing in the table once their retention is over', async () => {
    const namespace = freshNamespace();
    const store = await open(namespace, { sweep: false });
    const core = store.coreStore(DOMAIN);
    const ids = new MessageIdMap(core, { retentionMs: HOUR, prefix: 'ids' });
    const archive = new Archive(core, { retentionMs: HOUR, segmentSize: 50, prefix: 'mam' });
    for (let i = 0; i < 10; i++) await ids.record('room #chan', { legacy: `legacy-${i}`, xmpp: [`a${i}`, `b${i}`] });
    await Promise.all(Array.from({ length: 120 }, (_, i) => archive.append('room #chan', { id: `m${i}`, with: 'nick', stanza: `<message><body>${i}</body></message>` })));
    expect(await backend().rows(namespace)).toBe(10 * 3 + 120 + 3 + 1);
    // Index keys and segments expire with the retention, the head at twice the retention.
    await store.sweepExpired(Date.now() + 2 * HOUR - 60_000);
    expect(await backend().rows(namespace)).toBe(1);
    await store.sweepExpired(Date.now() + 3 * HOUR);
    expect(await backend().rows(namespace)).toBe(0);
  });

  it('also sweeps rows written before the table had an expires column', async () => {
    const namespace = freshNamespace();
    await backend().legacyRows(namespace, 3, HOUR);
    const store = await open(namespace, { sweep: false });
    expect(await backend().rows(namespace)).toBe(3);
    expect(await store.sweepExpired(Date.now() + 2 * HOUR)).toEqual({ deleted: 3, more: false });
    expect(await backend().rows(namespace)).toBe(0);
  });
}

describe('Store sweep on SQLite', () => {
  const dir = tempDir('sweep-sqlite');
  let legacyFiles = 0;
  let file = join(dir, 'gw.sqlite');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const count = (path: string, namespace: string) =>
    new Promise<number>((resolve, reject) => {
      const db = new sqlite3.Database(path, sqlite3.OPEN_READONLY, (openError) => {
        if (openError) return reject(openError);
        db.get(`SELECT count(*) AS n FROM keyv WHERE key LIKE ?`, [`${namespace}:%`], (error: Error | null, row: { n: number }) => {
          db.close();
          if (error) reject(error);
          else resolve(row.n);
        });
      });
    });

  describeSweepOn(() => ({
    url: () => `sqlite://${file}`,
    rows: (namespace) => count(file, namespace),
    legacyRows: async (namespace, n, ttlMs) => {
      // A database of its own, laid out as @keyv/sqlite alone makes it (no expires column).
      file = join(dir, `legacy${++legacyFiles}.sqlite`);
      const keyv = new Keyv({ store: new KeyvSqlite({ uri: `sqlite://${file}` }), namespace: '', useKeyPrefix: false });
      for (let i = 0; i < n; i++) await keyv.set(`${namespace}:core:old${i}`, { i }, ttlMs);
      await keyv.disconnect();
    },
  }));
});

(requireBinary(join(postgresBinDir(), 'initdb'), 'PostgreSQL server (Debian package postgresql)') ? describe : describe.skip)('Store sweep on a real PostgreSQL', () => {
  let postgres: PostgresServer;
  let database = 'postgres';
  let legacyDatabases = 0;
  beforeAll(async () => {
    postgres = (await PostgresServer.start())!;
  });
  afterAll(async () => {
    await postgres?.stop();
  });

  const url = () => postgres.url.replace(/\/postgres$/, `/${database}`);
  /** Runs SQL in the current database over its own connection, beside the store's pool. */
  const sql = async (statement: string, values: unknown[] = []) => {
    const client = new pg.Client({ connectionString: url() });
    await client.connect();
    try {
      return (await client.query(statement, values)).rows as Array<Record<string, unknown>>;
    } finally {
      await client.end();
    }
  };

  describeSweepOn(() => ({
    url,
    rows: async (namespace) => Number((await sql(`SELECT count(*) AS n FROM keyv WHERE key LIKE $1`, [`${namespace}:%`]))[0].n),
    legacyRows: async (namespace, n, ttlMs) => {
      // A database of its own, with the table as the gateway created it before: (key, value).
      const name = `legacy${++legacyDatabases}`;
      await sql(`CREATE DATABASE ${name}`);
      database = name;
      await sql('CREATE TABLE keyv (key TEXT PRIMARY KEY, value TEXT)');
      const expires = Date.now() + ttlMs;
      for (let i = 0; i < n; i++) {
        await sql('INSERT INTO keyv (key, value) VALUES ($1, $2)', [`${namespace}:core:old${i}`, JSON.stringify({ value: { i }, expires })]);
      }
    },
  }));
});
