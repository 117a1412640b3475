import { deriveKey } from '../../../src/store/crypto';
import { GatewayStore } from '../../../src/store';

export interface StoreTarget {
  url: string;
  /** Distinct per test when several tests share one database server. */
  namespace?: string;
}

const key = deriveKey('store contract passphrase');
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/**
 * The behaviour every backend must show; run against SQLite in unit tests and against real Redis
 * and PostgreSQL servers in integration tests. newTarget() gives an empty database (or namespace).
 */
export function describeStoreRoundTrip(newTarget: () => StoreTarget): void {
  const open = (target: StoreTarget) => GatewayStore.open({ url: target.url, namespace: target.namespace, encryptionKey: key });
  let store: GatewayStore | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  it('keeps registrations across a reopen: put, get, list, remove', async () => {
    const target = newTarget();
    store = await open(target);
    const irc = store.registrations('irc.example.org');
    const saved = await irc.put('alice@example.org', { nick: 'alice', password: 'hunter2' }, ['password']);
    expect(saved.credentials).toEqual({ nick: 'alice', password: 'hunter2' });
    await store.close();

    store = await open(target);
    const reopened = store.registrations('irc.example.org');
    const registration = await reopened.get('alice@example.org');
    expect(registration).toMatchObject({ jid: 'alice@example.org', credentials: { nick: 'alice', password: 'hunter2' } });
    expect(new Date(registration!.createdAt).getTime()).not.toBeNaN();
    expect(await reopened.list()).toEqual(['alice@example.org']);
    expect(await reopened.remove('alice@example.org')).toBe(true);
    expect(await reopened.remove('alice@example.org')).toBe(false);
    expect(await reopened.get('alice@example.org')).toBeUndefined();
    expect(await reopened.list()).toEqual([]);
  });

  it('keeps createdAt and moves updatedAt when a registration is replaced', async () => {
    store = await open(newTarget());
    const sms = store.registrations('sms.example.org');
    const first = await sms.put('bob@example.org', { number: '+15550001' }, []);
    await sleep(5);
    const second = await sms.put('bob@example.org', { number: '+15550002' }, []);
    expect(second.createdAt).toBe(first.createdAt);
    expect(second.updatedAt > first.updatedAt).toBe(true);
    expect((await sms.get('bob@example.org'))?.credentials).toEqual({ number: '+15550002' });
    expect(await sms.list()).toEqual(['bob@example.org']);
  });

  it('keeps domains, users and key names apart, even with separators in them', async () => {
    store = await open(newTarget());
    await store.registrations('irc.example.org').put('a:b@example.org', { nick: 'irc' }, []);
    await store.registrations('email.example.org').put('a:b@example.org', { nick: 'email' }, []);
    await store.userState('irc.example.org', 'a@example.org').set('b:c', 'first');
    await store.userState('irc.example.org', 'a@example.org:b').set('c', 'second');
    await store.adapterStore('irc.example.org').set('x', 1);
    await store.adapterStore('irc.example.org:x').set('', 2);

    expect((await store.registrations('irc.example.org').get('a:b@example.org'))?.credentials.nick).toBe('irc');
    expect((await store.registrations('email.example.org').get('a:b@example.org'))?.credentials.nick).toBe('email');
    expect(await store.userState('irc.example.org', 'a@example.org').get('b:c')).toBe('first');
    expect(await store.userState('irc.example.org', 'a@example.org:b').get('c')).toBe('second');
    expect(await store.adapterStore('irc.example.org').get('x')).toBe(1);
    expect(await store.adapterStore('irc.example.org:x').get('')).toBe(2);
  });

  it('clearUser removes the registration and every userState key of that user only', async () => {
    store = await open(newTarget());
    const domain = 'email.example.org';
    await store.registrations(domain).put('carol@example.org', { imapPassword: 'pw' }, ['imapPassword']);
    await store.registrations(domain).put('dave@example.org', { imapPassword: 'pw2' }, ['imapPassword']);
    const carol = store.userState(domain, 'carol@example.org');
    await carol.set('lastUid', 42);
    await carol.set('folders', { inbox: { uidValidity: 7 } });
    await carol.set('shortLived', 'x', 60_000);
    await store.userState(domain, 'dave@example.org').set('lastUid', 9);
    await store.userState('irc.example.org', 'carol@example.org').set('lastUid', 5);

    await store.clearUser(domain, 'carol@example.org');

    expect(await store.registrations(domain).get('carol@example.org')).toBeUndefined();
    expect(await store.registrations(domain).list()).toEqual(['dave@example.org']);
    expect(await carol.get('lastUid')).toBeUndefined();
    expect(await carol.get('folders')).toBeUndefined();
    expect(await carol.get('shortLived')).toBeUndefined();
    expect(await store.userState(domain, 'dave@example.org').get('lastUid')).toBe(9);
    expect(await store.userState('irc.example.org', 'carol@example.org').get('lastUid')).toBe(5);
  });

  it('deletes single userState and adapter keys', async () => {
    store = await open(newTarget());
    const state = store.userState('irc.example.org', 'erin@example.org');
    await state.set('k', { nested: [1, 2, 3] });
    expect(await state.get('k')).toEqual({ nested: [1, 2, 3] });
    expect(await state.delete('k')).toBe(true);
    expect(await state.delete('k')).toBe(false);
    expect(await state.get('k')).toBeUndefined();
    const shared = store.adapterStore('irc.example.org');
    await shared.set('token', 'abc');
    expect(await shared.delete('token')).toBe(true);
    expect(await shared.get('token')).toBeUndefined();
  });

  it('expires values after their TTL', async () => {
    store = await open(newTarget());
    const state = store.userState('sms.example.org', 'frank@example.org');
    const shared = store.adapterStore('sms.example.org');
    await state.set('dedupe', true, 200);
    await shared.set('nonce', 'n', 200);
    await state.set('kept', true);
    expect(await state.get('dedupe')).toBe(true);
    expect(await shared.get('nonce')).toBe('n');
    await sleep(400);
    expect(await state.get('dedupe')).toBeUndefined();
    expect(await shared.get('nonce')).toBeUndefined();
    expect(await state.get('kept')).toBe(true);
  });

  it('writes and deletes many core keys in one call: TTLs, a key named twice, values of every shape', async () => {
    store = await open(newTarget());
    const core = store.coreStore('irc.example.org');
    const other = store.coreStore('sms.example.org');
    await other.set('a', 'other transport');
    await core.setMany!([
      { key: 'a', value: 'first' },
      { key: 'tuple', value: [['id', 1, 'ü', '<m/>']] },
      { key: 'brief', value: 'gone soon', ttlMs: 200 },
      { key: 'a', value: 'second', ttlMs: 3_600_000 },
    ]);
    expect(await core.get('a')).toBe('second');
    expect(await core.get('tuple')).toEqual([['id', 1, 'ü', '<m/>']]);
    expect(await other.get('a')).toBe('other transport');
    await sleep(400);
    expect(await core.get('brief')).toBeUndefined();
    expect(await core.get('a')).toBe('second');
    await core.deleteMany!(['a', 'tuple', 'never-written']);
    expect(await core.get('a')).toBeUndefined();
    expect(await core.get('tuple')).toBeUndefined();
    expect(await other.get('a')).toBe('other transport');
    // Empty calls cost no round trip and do nothing.
    await core.setMany!([]);
    await core.deleteMany!([]);
  });

  it('loses no entry when 100 registrations and 100 userState keys are written in parallel', async () => {
    store = await open(newTarget());
    const regs = store.registrations('irc.example.org');
    const jids = Array.from({ length: 100 }, (_, i) => `user${i}@example.org`);
    await Promise.all(jids.map((jid) => regs.put(jid, { nick: jid.split('@')[0], password: 'p' }, ['password'])));
    expect((await regs.list()).sort()).toEqual([...jids].sort());

    const state = store.userState('irc.example.org', 'user0@example.org');
    await Promise.all(jids.map((jid, i) => state.set(`key${i}`, i)));
    await store.clearUser('irc.example.org', 'user0@example.org');
    const left = await Promise.all(jids.map((_, i) => state.get(`key${i}`)));
    expect(left.every((value) => value === undefined)).toBe(true);
    expect(await regs.list()).toHaveLength(99);
  });
}
