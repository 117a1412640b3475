import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { OfflineQueue, type PendingRequest } from '../../../adapters/sms/offline-queue';
import { GatewayStore, deriveKey } from '../../../src/store';
import { requireBinary, tempDir } from '../../harness/ports';
import { PostgresServer, postgresBinDir } from '../../harness/postgres';
import { REDIS_BINARY, RedisServer } from '../../harness/redis';

const key = deriveKey('offline queue backends');
const NUMBER = '+15551230001';
const bounds = { maxMessages: 50, maxBytes: 64 * 1024 };

function request(i: number): PendingRequest {
  return { kind: 'inbound', params: { MessageSid: `SM${String(i).padStart(32, '0')}`, Body: `kept ${i}`, To: NUMBER }, receivedAt: 1_700_000_000_000 + i, verified: true };
}

/** The queue's whole life on one real backend, through the adapter store the core hands out. */
function describeQueue(open: () => Promise<GatewayStore>): void {
  let store: GatewayStore;
  let queue: OfflineQueue;
  beforeEach(async () => {
    store = await open();
    queue = new OfflineQueue(store.adapterStore('sms.example.org'));
  });
  afterEach(async () => {
    await store.close();
  });

  it('appends, bounds, drains in order and clears', async () => {
    const outcomes = [];
    for (let i = 0; i < 52; i++) outcomes.push(await queue.add(NUMBER, request(i), bounds, 60_000));
    expect(outcomes.filter((o) => o === 'kept')).toHaveLength(50);
    expect(outcomes.slice(50)).toEqual(['full', 'full']);
    expect(await queue.add(NUMBER, request(3), bounds, 60_000)).toBe('duplicate');
    expect((await queue.size(NUMBER)).messages).toBe(50);

    const seen: string[] = [];
    let calls = 0;
    // A failure half-way keeps the rest for the next drain.
    await expect(queue.drain(NUMBER, async (r) => {
      if (++calls === 21) throw new Error('session went away');
      seen.push(r.params.Body);
    })).rejects.toThrow('session went away');
    expect(seen).toHaveLength(20);
    expect((await queue.size(NUMBER)).messages).toBe(30);
    expect(await queue.drain(NUMBER, async (r) => void seen.push(r.params.Body))).toBe(30);
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => `kept ${i}`));
    expect(await queue.size(NUMBER)).toEqual({ messages: 0, bytes: 0 });

    await queue.add(NUMBER, request(100), bounds, 60_000);
    await queue.clear(NUMBER);
    expect(await queue.drain(NUMBER, async () => undefined)).toBe(0);
  });
}

describe('OfflineQueue on SQLite (file)', () => {
  const dir = tempDir('sms-queue');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  describeQueue(() => GatewayStore.open({ url: `sqlite://${join(dir, `q${++n}.sqlite`)}`, encryptionKey: key }));
});

const redisInstalled = requireBinary(REDIS_BINARY, 'redis-server (Debian package redis-server)');
(redisInstalled ? describe : describe.skip)('OfflineQueue on Redis', () => {
  let redis: RedisServer;
  let n = 0;
  beforeAll(async () => {
    redis = (await RedisServer.start())!;
  });
  afterAll(async () => {
    await redis?.stop();
  });
  describeQueue(() => GatewayStore.open({ url: redis.url, namespace: `q${++n}`, encryptionKey: key }));
});

const postgresInstalled = requireBinary(join(postgresBinDir(), 'initdb'), 'PostgreSQL server (Debian package postgresql)');
(postgresInstalled ? describe : describe.skip)('OfflineQueue on PostgreSQL', () => {
  let postgres: PostgresServer;
  let n = 0;
  beforeAll(async () => {
    postgres = (await PostgresServer.start())!;
  });
  afterAll(async () => {
    await postgres?.stop();
  });
  describeQueue(() => GatewayStore.open({ url: postgres.url, namespace: `q${++n}`, encryptionKey: key }));
});
