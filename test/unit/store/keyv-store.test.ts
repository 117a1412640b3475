import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../harness/ports';
import { deriveKey } from '../../../src/store/crypto';
import { GatewayStore } from '../../../src/store';
import { registrationBucket } from '../../../src/store/keyv-store';
import { describeStoreRoundTrip } from './store-contract';

const key = deriveKey('unit test passphrase');

/** Reads the file with the sqlite3 driver directly, bypassing the store. */
function selectAll(file: string, sql: string): Promise<Array<{ key: string; value: string }>> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sqlite3 = require('sqlite3') as { Database: new (file: string) => { all: Function; close: Function } };
  const db = new sqlite3.Database(file);
  return new Promise((done, fail) =>
    db.all(sql, (error: Error | null, rows: Array<{ key: string; value: string }>) => {
      db.close();
      if (error) fail(error);
      else done(rows);
    }),
  );
}

describe('GatewayStore on a SQLite file', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('store');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describeStoreRoundTrip(() => ({ url: `sqlite://${join(dir, `rt-${Math.random().toString(36).slice(2)}.sqlite`)}` }));

  it('creates the parent directory of a relative path, relative to the working directory', async () => {
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const store = await GatewayStore.open({ url: 'sqlite://nested/deeper/gw.sqlite', encryptionKey: key });
      await store.registrations('irc.example.org').put('a@example.org', { nick: 'a' }, []);
      await store.close();
      expect(existsSync(join(dir, 'nested/deeper/gw.sqlite'))).toBe(true);
    } finally {
      process.chdir(cwd);
    }
  });

  it('keeps encrypted secrets out of the database file in plain text', async () => {
    const file = join(dir, 'secrets.sqlite');
    const store = await GatewayStore.open({ url: `sqlite://${file}`, encryptionKey: key });
    await store.registrations('sms.example.org').put(
      'bob@example.org',
      { accountSid: 'AC-visible-id', authToken: 'TOPSECRET-token-4711' },
      ['authToken'],
    );
    await store.close();
    const bytes = readFileSync(file).toString('latin1');
    expect(bytes).toContain('AC-visible-id');
    expect(bytes).not.toContain('TOPSECRET-token-4711');
    expect(bytes).toContain('enc:v1:');
  });

  it('says the encryption key is wrong instead of returning garbage', async () => {
    const file = join(dir, 'wrong-key.sqlite');
    const store = await GatewayStore.open({ url: `sqlite://${file}`, encryptionKey: key });
    await store.registrations('irc.example.org').put('c@example.org', { password: 'pw' }, ['password']);
    await store.close();
    const reopened = await GatewayStore.open({ url: `sqlite://${file}`, encryptionKey: deriveKey('some other passphrase') });
    await expect(reopened.registrations('irc.example.org').get('c@example.org')).rejects.toThrow(
      'cannot decrypt a stored secret: wrong storage.encryptionKey?',
    );
    expect(await reopened.registrations('irc.example.org').list()).toEqual(['c@example.org']);
    await reopened.close();
  });

  it('stores the secret field encrypted in its SQLite row, next to the plain fields', async () => {
    const file = join(dir, 'rows.sqlite');
    const store = await GatewayStore.open({ url: `sqlite://${file}`, encryptionKey: key });
    await store.registrations('irc.example.org').put('d@example.org', { nick: 'dee', password: 'pw-in-clear-4711' }, ['password']);
    await store.close();
    const rows = await selectAll(file, 'SELECT key, value FROM keyv ORDER BY key');
    expect(rows.map((row) => row.key)).toEqual([
      'gateway:registration:irc.example.org:d%40example.org',
      `gateway:registrations:irc.example.org:${registrationBucket('d@example.org')}`,
    ]);
    const record = JSON.parse(rows[0].value) as { value: { credentials: Record<string, string> } };
    expect(record.value.credentials.nick).toBe('dee');
    expect(record.value.credentials.password).toMatch(/^enc:v1:/);
    expect(rows.some((row) => row.value.includes('pw-in-clear-4711'))).toBe(false);
  });

  it('prunes expired keys from the per-user key index so it does not grow forever', async () => {
    const file = join(dir, 'prune.sqlite');
    const store = await GatewayStore.open({ url: `sqlite://${file}`, encryptionKey: key });
    const state = store.userState('sms.example.org', 'gina@example.org');
    await state.set('kept', 'forever');
    for (let i = 0; i < 254; i++) await state.set(`seen-${i}`, true, 100);
    await new Promise((done) => setTimeout(done, 250));
    await state.set('last', 'added as the 256th key');
    await store.close();
    const rows = await selectAll(file, "SELECT key, value FROM keyv WHERE key LIKE 'gateway:user-keys:%'");
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0].value).value).toEqual(['kept', 'last']);
  });

  it('lists registrations from bucketed index keys, none of which holds more than a small share', async () => {
    const file = join(dir, 'buckets.sqlite');
    const store = await GatewayStore.open({ url: `sqlite://${file}`, encryptionKey: key });
    const registrations = store.registrations('irc.example.org');
    const jids = Array.from({ length: 2000 }, (_, i) => `user${i}@example.org`);
    await Promise.all(jids.map((jid) => registrations.put(jid, { nick: jid.split('@')[0] }, [])));
    await registrations.remove('user7@example.org');
    const listed = await registrations.list();
    expect(listed.sort()).toEqual(jids.filter((jid) => jid !== 'user7@example.org').sort());
    await store.close();
    const rows = await selectAll(file, "SELECT key, value FROM keyv WHERE key LIKE 'gateway:registrations:%'");
    const sizes = rows.map((row) => (JSON.parse(row.value).value as string[]).length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(1999);
    // 2000 JIDs over 128 buckets: about 16 each; a single list would hold them all.
    expect(Math.max(...sizes)).toBeLessThan(50);
  });

  it('still lists, and prunes on removal, registrations of the single index written before the buckets', async () => {
    const file = join(dir, 'legacy-index.sqlite');
    const store = await GatewayStore.open({ url: `sqlite://${file}`, encryptionKey: key });
    const registrations = store.registrations('sms.example.org');
    await registrations.put('old@example.org', { phone: '+15550001' }, []);
    await registrations.put('older@example.org', { phone: '+15550002' }, []);
    await store.close();
    // Rewrite the file as the previous version left it: one index key for the domain.
    const sqlite3 = require('sqlite3') as { Database: new (file: string) => { run: Function; close: Function } };
    const db = new sqlite3.Database(file);
    const run = (sql: string, ...args: unknown[]) => new Promise<void>((done, fail) => db.run(sql, ...args, (e: Error | null) => (e ? fail(e) : done())));
    await run("DELETE FROM keyv WHERE key LIKE 'gateway:registrations:sms.example.org:%'");
    await run('INSERT INTO keyv (key, value) VALUES (?, ?)', 'gateway:registrations:sms.example.org', JSON.stringify({ value: ['old@example.org', 'older@example.org'] }));
    await new Promise((done) => db.close(done));
    const reopened = await GatewayStore.open({ url: `sqlite://${file}`, encryptionKey: key });
    const again = reopened.registrations('sms.example.org');
    expect((await again.list()).sort()).toEqual(['old@example.org', 'older@example.org']);
    expect(await again.remove('old@example.org')).toBe(true);
    await again.put('new@example.org', { phone: '+15550003' }, []);
    expect((await again.list()).sort()).toEqual(['new@example.org', 'older@example.org']);
    await reopened.close();
    const legacy = await selectAll(file, "SELECT key, value FROM keyv WHERE key = 'gateway:registrations:sms.example.org'");
    expect(JSON.parse(legacy[0].value).value).toEqual(['older@example.org']);
  });
});

describe('GatewayStore.open', () => {
  it('names storage.url for an unknown scheme', async () => {
    await expect(GatewayStore.open({ url: 'mysql://localhost/db', encryptionKey: key })).rejects.toThrow(/storage\.url/);
  });

  it('reports an unreachable Redis as an error, without crashing', async () => {
    await expect(GatewayStore.open({ url: 'redis://127.0.0.1:1', encryptionKey: key })).rejects.toThrow(
      /cannot open the store at storage\.url redis:\/\/127\.0\.0\.1:1.*ECONNREFUSED/,
    );
  });

  it('reports an unreachable PostgreSQL as an error and hides the password', async () => {
    const failure = GatewayStore.open({ url: 'postgres://gw:s3cret-pw@127.0.0.1:1/gw', encryptionKey: key });
    await expect(failure).rejects.toThrow(/cannot open the store at storage\.url postgres:\/\/gw:\*\*\*@127\.0\.0\.1:1\/gw: .*ECONNREFUSED/);
    await expect(failure).rejects.not.toThrow(/s3cret-pw/);
  });

  it('reports a SQLite file that cannot be created', async () => {
    const dir = tempDir('store-bad');
    try {
      writeFileSync(join(dir, 'plain-file'), '');
      await expect(GatewayStore.open({ url: `sqlite://${dir}/plain-file/x.sqlite`, encryptionKey: key })).rejects.toThrow(
        /storage\.url: cannot create the directory/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a key that is not 32 bytes', async () => {
    await expect(GatewayStore.open({ url: 'sqlite://:memory:', encryptionKey: Buffer.alloc(16) })).rejects.toThrow(/32 bytes/);
  });

  it('rejects use after close', async () => {
    const store = await GatewayStore.open({ url: 'sqlite://:memory:', encryptionKey: key });
    await store.close();
    await expect(store.registrations('x.example.org').list()).rejects.toThrow(/closed/);
  });
});
