import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { KeyvStoreAdapter } from 'keyv';

/** The keyv storage adapter for a storage.url, and what the store needs to know about it. */
export interface Backend {
  adapter: KeyvStoreAdapter;
  /** Deletes up to `limit` keys under `prefix` that expired before `now` (absent: the backend expires keys itself). */
  sweep?: (now: number, limit: number, prefix: string) => Promise<number>;
  /** The URL with any password removed, for error messages. */
  description: string;
  /** Called once the first round trip worked: from then on connection losses are retried forever. */
  markOpened(): void;
}

/** Backends are imported lazily so that a SQLite deployment never loads pg or the Redis client. */
export async function createBackend(url: string): Promise<Backend> {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  const description = withoutPassword(url);
  const nothingToMark = () => undefined;
  switch (scheme) {
    case 'sqlite': {
      const { SqliteKeyvAdapter } = await import('./sqlite-adapter');
      const path = url.slice('sqlite://'.length);
      if (path === '') throw new Error('storage.url: sqlite:// needs a file path, e.g. sqlite://data/gateway.sqlite');
      let file = path;
      if (path !== ':memory:') {
        file = resolve(path);
        try {
          mkdirSync(dirname(file), { recursive: true });
        } catch (error) {
          throw new Error(`storage.url: cannot create the directory for ${file}: ${describe(error)}`);
        }
      }
      const adapter = new SqliteKeyvAdapter({ uri: `sqlite://${file}`, busyTimeout: 5000 });
      if (file !== ':memory:') {
        // Write-ahead logging: ten times the writes per second of the default rollback journal
        // (history and message ids write on every message); a crash of the process loses nothing,
        // a power cut at most the last transactions.
        await adapter.query('PRAGMA journal_mode=WAL');
        await adapter.query('PRAGMA synchronous=NORMAL');
      }
      try {
        await adapter.prepare();
      } catch (error) {
        await adapter.disconnect().catch(() => undefined);
        throw new Error(`cannot open the store at storage.url sqlite://${file}: ${describe(error)}`);
      }
      return { adapter: adapter, description: `sqlite://${file}`, markOpened: nothingToMark, sweep: (now, limit, prefix) => adapter.sweep(now, limit, prefix) };
    }
    case 'redis':
    case 'rediss': {
      const { default: KeyvRedis } = await import('@keyv/redis');
      let opened = false;
      const adapter = new KeyvRedis(
        {
          url,
          socket: {
            connectTimeout: 5000,
            // Fail fast while opening (a wrong URL should stop start-up); once running, keep retrying
            // with capped backoff: commands wait in the client's queue until Redis is back.
            // A new Error, not `cause`: the client checks `instanceof Error`, which fails for errors
            // from another realm (as under jest) and would turn "give up" into endless retries.
            reconnectStrategy: (retries: number, cause: Error) =>
              opened ? Math.min(100 * 2 ** retries, 5000) : retries >= 2 ? new Error(cause.message) : 200,
          },
        },
        { throwOnConnectError: true, throwOnErrors: true },
      );
      return { adapter: adapter, description, markOpened: () => (opened = true) };
    }
    case 'postgres':
    case 'postgresql': {
      const { PostgresKeyvAdapter } = await import('./postgres-adapter');
      const adapter = new PostgresKeyvAdapter(url);
      return { adapter, description, markOpened: nothingToMark, sweep: (now, limit, prefix) => adapter.sweep(now, limit, prefix) };
    }
    default:
      throw new Error(
        `storage.url: unsupported store "${description}"; use sqlite://<file>, redis://<host>:<port> or postgres://<user>@<host>/<database>`,
      );
  }
}

function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
  }
}

export function describe(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return describe(error.errors[0]);
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
