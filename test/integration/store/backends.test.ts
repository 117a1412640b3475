import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { deriveKey } from '../../../src/store/crypto';
import { GatewayStore } from '../../../src/store';
import { requireBinary } from '../../harness/ports';
import { PostgresServer, postgresBinDir } from '../../harness/postgres';
import { REDIS_BINARY, REDIS_CLI, RedisServer } from '../../harness/redis';
import { describeStoreRoundTrip } from '../../unit/store/store-contract';

const key = deriveKey('integration test passphrase');
let namespaces = 0;
const freshNamespace = () => `test${++namespaces}`;

const redisInstalled = requireBinary(REDIS_BINARY, 'redis-server (Debian package redis-server)');
const postgresInstalled = requireBinary(join(postgresBinDir(), 'initdb'), 'PostgreSQL server (Debian package postgresql)');

(redisInstalled ? describe : describe.skip)('GatewayStore on a real Redis', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = (await RedisServer.start())!;
  });
  afterAll(async () => {
    await redis?.stop();
  });

  describeStoreRoundTrip(() => ({ url: redis.url, namespace: freshNamespace() }));

  it('keeps working after Redis drops its connection', async () => {
    const store = await GatewayStore.open({ url: redis.url, namespace: freshNamespace(), encryptionKey: key });
    try {
      await store.adapterStore('irc.example.org').set('before', 1);
      execFileSync(REDIS_CLI, ['-p', String(redis.port), 'CLIENT', 'KILL', 'TYPE', 'normal']);
      // The client reconnects on its own; the command waits in its queue meanwhile.
      await store.adapterStore('irc.example.org').set('after', 2);
      expect(await store.adapterStore('irc.example.org').get('before')).toBe(1);
      expect(await store.adapterStore('irc.example.org').get('after')).toBe(2);
    } finally {
      await store.close();
    }
  });

  it('answers with a readable error, not never, while Redis is down; closes anyway', async () => {
    const own = (await RedisServer.start())!;
    const store = await GatewayStore.open({ url: own.url, namespace: freshNamespace(), encryptionKey: key, operationTimeoutMs: 800 });
    await store.adapterStore('irc.example.org').set('k', 1);
    await own.stop();
    const started = Date.now();
    await expect(store.registrations('irc.example.org').get('ann@example.org')).rejects.toMatchObject({
      condition: 'internal-server-error',
      message: expect.stringContaining('storage did not answer'),
    });
    expect(Date.now() - started).toBeLessThan(3000);
    const closing = Date.now();
    await store.close();
    expect(Date.now() - closing).toBeLessThan(3000);
  });
});

(postgresInstalled ? describe : describe.skip)('GatewayStore on a real PostgreSQL', () => {
  let postgres: PostgresServer;
  beforeAll(async () => {
    postgres = (await PostgresServer.start())!;
  });
  afterAll(async () => {
    await postgres?.stop();
  });

  describeStoreRoundTrip(() => ({ url: postgres.url, namespace: freshNamespace() }));

  it('survives PostgreSQL closing its idle connections (no crash, next query reconnects)', async () => {
    const store = await GatewayStore.open({ url: postgres.url, namespace: freshNamespace(), encryptionKey: key });
    try {
      await store.adapterStore('sms.example.org').set('before', 'x');
      const killed = postgres.sql(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'",
      );
      expect(Number(killed.trim())).toBeGreaterThan(0);
      // Give the pool time to notice; an unhandled pool 'error' event would crash this process here.
      await new Promise((done) => setTimeout(done, 200));
      expect(await store.adapterStore('sms.example.org').get('before')).toBe('x');
    } finally {
      await store.close();
    }
  });

  it('stores long keys (a JID may be up to 3071 bytes)', async () => {
    const store = await GatewayStore.open({ url: postgres.url, namespace: freshNamespace(), encryptionKey: key });
    try {
      const jid = `${'a'.repeat(1000)}@${'b'.repeat(1000)}.example.org`;
      await store.registrations('email.example.org').put(jid, { address: 'x@example.net' }, []);
      expect((await store.registrations('email.example.org').get(jid))?.credentials.address).toBe('x@example.net');
    } finally {
      await store.close();
    }
  });
});
