import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Archive } from '../../../src/core/archive';
import { MessageIdMap } from '../../../src/core/message-ids';
import { GatewayStore } from '../../../src/store';
import { deriveKey } from '../../../src/store/crypto';
import { requireBinary, tempDir } from '../../harness/ports';
import { PostgresServer, postgresBinDir } from '../../harness/postgres';
import { REDIS_BINARY, RedisServer } from '../../harness/redis';

const key = deriveKey('archive backends passphrase');
const ROOM = '#chan%irc.example.net';
const stanza = (i: number) => `<message xmlns='jabber:client' type='groupchat' from='${ROOM}@irc.example.org/n${i}'><body>line ${i} &amp; ü</body></message>`;

/**
 * The archive and the message-id map only use get/set/delete with TTLs, but through keyv each
 * backend serializes values its own way: tuples, nested arrays and long keys must come back intact,
 * also after the store is closed and opened again (a gateway restart).
 */
function describeArchiveOn(target: () => { url: string; namespace: string }): void {
  it('keeps the archive and the id map across a restart', async () => {
    const { url, namespace } = target();
    let store = await GatewayStore.open({ url, namespace, encryptionKey: key });
    try {
      const archive = new Archive(store.adapterStore('irc.example.org'), { segmentSize: 50, retentionMs: 24 * 3600_000 });
      for (let i = 1; i <= 120; i++) await archive.append(ROOM, { id: `m${i}`, with: `n${i}`, stanza: stanza(i) });
      const ids = new MessageIdMap(store.adapterStore('irc.example.org'));
      await ids.record(ROOM, { legacy: 'irc-msgid:ü/1', xmpp: ['client-1', 'm1'] });
      await store.close();

      store = await GatewayStore.open({ url, namespace, encryptionKey: key });
      const reopened = new Archive(store.adapterStore('irc.example.org'), { segmentSize: 50, retentionMs: 24 * 3600_000 });
      const last = await reopened.query(ROOM, { max: 50, before: true });
      expect(last.items.map((e) => e.id)).toEqual(Array.from({ length: 50 }, (_, i) => `m${71 + i}`));
      expect(last.items[49]).toMatchObject({ with: 'n120', stanza: stanza(120) });
      expect(last).toMatchObject({ complete: false, count: 120 });
      const previous = await reopened.query(ROOM, { max: 50, before: last.first });
      expect(previous.items.map((e) => e.id)).toEqual(Array.from({ length: 50 }, (_, i) => `m${21 + i}`));
      await reopened.append(ROOM, { id: 'm121', with: 'n121', stanza: stanza(121) });
      expect((await reopened.query(ROOM, { max: 2, after: 'm119' })).items.map((e) => e.id)).toEqual(['m120', 'm121']);

      const reopenedIds = new MessageIdMap(store.adapterStore('irc.example.org'));
      expect(await reopenedIds.legacyFor(ROOM, 'm1')).toBe('irc-msgid:ü/1');
      expect(await reopenedIds.xmppFor(ROOM, 'irc-msgid:ü/1')).toBe('client-1');

      await reopened.removeScope(ROOM);
      expect(await new Archive(store.adapterStore('irc.example.org')).query(ROOM, { max: 10 })).toMatchObject({ items: [], count: 0 });
    } finally {
      await store.close();
    }
  });

  it('writes a burst as batches (setMany on this backend) that a restart reads back, with maxPerScope holding', async () => {
    const { url, namespace } = target();
    const options = { segmentSize: 20, maxPerScope: 100, retentionMs: 24 * 3600_000 };
    let store = await GatewayStore.open({ url, namespace, encryptionKey: key });
    try {
      const archive = new Archive(store.coreStore('irc.example.org'), options);
      // Not awaited one by one: lines of one burst share a write, up to segments' worth at once.
      const appended = await Promise.all(Array.from({ length: 250 }, (_, i) => archive.append(ROOM, { id: `b${i + 1}`, with: 'n', stanza: stanza(i + 1) })));
      expect(appended.every((a) => a.added)).toBe(true);
      void archive.append(ROOM, { id: 'b251', with: 'n', stanza: stanza(251) });
      await archive.flush();
      await store.close();

      store = await GatewayStore.open({ url, namespace, encryptionKey: key });
      const reopened = new Archive(store.coreStore('irc.example.org'), options);
      const all = await reopened.query(ROOM, { max: 200 });
      expect(all.items.map((e) => e.id)).toEqual(Array.from({ length: 100 }, (_, i) => `b${152 + i}`));
      expect(all.items[99]).toMatchObject({ with: 'n', stanza: stanza(251) });
      // Paging by an id of the burst goes through its index key.
      expect((await reopened.query(ROOM, { max: 3, before: 'b200' })).items.map((e) => e.id)).toEqual(['b197', 'b198', 'b199']);
      // Segments pushed out by maxPerScope are gone with their index keys.
      await expect(reopened.query(ROOM, { max: 3, after: 'b100' })).rejects.toThrow('No message with the id "b100"');
    } finally {
      await store.close();
    }
  });
}

let namespaces = 0;
const freshNamespace = () => `archive${++namespaces}`;

describe('Archive on SQLite', () => {
  const dir = tempDir('archive-sqlite');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  describeArchiveOn(() => ({ url: `sqlite://${join(dir, 'gw.sqlite')}`, namespace: freshNamespace() }));
});

(requireBinary(REDIS_BINARY, 'redis-server (Debian package redis-server)') ? describe : describe.skip)('Archive on a real Redis', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = (await RedisServer.start())!;
  });
  afterAll(async () => {
    await redis?.stop();
  });
  describeArchiveOn(() => ({ url: redis.url, namespace: freshNamespace() }));
});

(requireBinary(join(postgresBinDir(), 'initdb'), 'PostgreSQL server (Debian package postgresql)') ? describe : describe.skip)('Archive on a real PostgreSQL', () => {
  let postgres: PostgresServer;
  beforeAll(async () => {
    postgres = (await PostgresServer.start())!;
  });
  afterAll(async () => {
    await postgres?.stop();
  });
  describeArchiveOn(() => ({ url: postgres.url, namespace: freshNamespace() }));
});
