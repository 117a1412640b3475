import { MessageIdMap } from '../../../src/core/message-ids';
import type { KeyValue } from '../../../src/store/types';
import { MemoryKeyValue } from '../../harness/memory-kv';

const ONE_TO_ONE = 'ann@example.org +15551234567';
const ROOM = '#chan%irc.example.net';

/** Records every write with its TTL. */
class RecordingKeyValue extends MemoryKeyValue {
  writes: Array<{ key: string; ttlMs?: number }> = [];
  reads = 0;
  override async set<T>(key: string, value: T, ttlMs?: number): Promise<void> {
    this.writes.push({ key, ttlMs });
    return super.set(key, value, ttlMs);
  }
  override async get<T>(key: string): Promise<T | undefined> {
    this.reads++;
    return super.get<T>(key);
  }
}

function clock() {
  let now = Date.UTC(2026, 10, 1);
  return { now: () => now, advance: (ms: number) => { now += ms; } };
}

describe('MessageIdMap', () => {
  it('maps every XMPP id of a message to its legacy id, and the legacy id to the first XMPP id', async () => {
    const map = new MessageIdMap(new MemoryKeyValue());
    await map.record(ROOM, { legacy: 'irc-msgid-1', xmpp: ['client-id', 'origin-id', 'stanza-id'] });
    for (const id of ['client-id', 'origin-id', 'stanza-id']) expect(await map.legacyFor(ROOM, id)).toBe('irc-msgid-1');
    expect(await map.xmppFor(ROOM, 'irc-msgid-1')).toBe('client-id');
    expect(await map.xmppIdsFor(ROOM, 'irc-msgid-1')).toEqual(['client-id', 'origin-id', 'stanza-id']);
    expect(await map.legacyFor(ROOM, 'unknown')).toBeUndefined();
    expect(await map.xmppFor(ROOM, 'unknown')).toBeUndefined();
    expect(await map.xmppIdsFor(ROOM, 'unknown')).toEqual([]);
  });

  it('survives a restart: a new map over the same store (no cache) finds the records', async () => {
    const kv = new MemoryKeyValue();
    await new MessageIdMap(kv).record(ONE_TO_ONE, { legacy: 'SM0123', xmpp: ['abc'] });
    const reopened = new MessageIdMap(kv, { cacheSize: 0 });
    expect(await reopened.legacyFor(ONE_TO_ONE, 'abc')).toBe('SM0123');
    expect(await reopened.xmppFor(ONE_TO_ONE, 'SM0123')).toBe('abc');
  });

  it('recording a legacy id again adds the new XMPP ids after the first ones', async () => {
    const map = new MessageIdMap(new MemoryKeyValue(), { cacheSize: 0 });
    await map.record(ROOM, { legacy: 'L', xmpp: ['client-id'] });
    await map.record(ROOM, { legacy: 'L', xmpp: ['stanza-id', 'client-id'] });
    expect(await map.xmppIdsFor(ROOM, 'L')).toEqual(['client-id', 'stanza-id']);
    expect(await map.legacyFor(ROOM, 'stanza-id')).toBe('L');
  });

  it('concurrent records of one legacy id lose no XMPP id', async () => {
    const map = new MessageIdMap(new MemoryKeyValue(), { cacheSize: 0 });
    await Promise.all(['a', 'b', 'c', 'd'].map((id) => map.record(ROOM, { legacy: 'L', xmpp: [id] })));
    expect(await map.xmppIdsFor(ROOM, 'L')).toEqual(['a', 'b', 'c', 'd']);
  });

  it('keeps scopes apart, including ones that would concatenate to the same text', async () => {
    const map = new MessageIdMap(new MemoryKeyValue(), { cacheSize: 0 });
    await map.record('ab', { legacy: 'one', xmpp: ['c'] });
    await map.record('a', { legacy: 'two', xmpp: ['bc'] });
    expect(await map.legacyFor('ab', 'c')).toBe('one');
    expect(await map.legacyFor('a', 'bc')).toBe('two');
    expect(await map.legacyFor('a', 'c')).toBeUndefined();
    expect(await map.legacyFor(ONE_TO_ONE, 'c')).toBeUndefined();
  });

  it('stores any id under a short key of safe characters', async () => {
    const kv = new RecordingKeyValue();
    const map = new MessageIdMap(kv, { cacheSize: 0 });
    const messageId = `<${'x'.repeat(900)}@mail.example.net>\r\n: %00`;
    await map.record('ann@example.org bob\\40example.net@email.example.org', { legacy: messageId, xmpp: ['id with spaces', 'ünï:code/'] });
    expect(await map.legacyFor('ann@example.org bob\\40example.net@email.example.org', 'ünï:code/')).toBe(messageId);
    for (const { key } of kv.writes) expect(key).toMatch(/^msgid:[xl]:[\w-]{24}$/);
  });

  it('costs one read and 1 + n writes per record, each with the retention as TTL', async () => {
    const kv = new RecordingKeyValue();
    const map = new MessageIdMap(kv, { retentionMs: 3600_000 });
    for (let i = 0; i < 100; i++) await map.record(ROOM, { legacy: `L${i}`, xmpp: [`x${i}`, `s${i}`] });
    expect(kv.writes).toHaveLength(300);
    expect(kv.reads).toBe(100);
    expect(kv.writes.every((w) => w.ttlMs === 3600_000)).toBe(true);
  });

  it('forgets mappings after the retention, by its own clock too (backends expire lazily)', async () => {
    const c = clock();
    const kv = new MemoryKeyValue();
    const map = new MessageIdMap(kv, { retentionMs: 60_000, now: c.now });
    await map.record(ROOM, { legacy: 'L', xmpp: ['x'] });
    c.advance(59_000);
    expect(await map.legacyFor(ROOM, 'x')).toBe('L');
    c.advance(2000);
    expect(await map.legacyFor(ROOM, 'x')).toBeUndefined();
    expect(await map.xmppFor(ROOM, 'L')).toBeUndefined();
    expect(await new MessageIdMap(kv, { retentionMs: 60_000, now: c.now }).legacyFor(ROOM, 'x')).toBeUndefined();
    // Recording after expiry starts afresh instead of merging with the expired record.
    await map.record(ROOM, { legacy: 'L', xmpp: ['y'] });
    expect(await map.xmppIdsFor(ROOM, 'L')).toEqual(['y']);
  });

  it('answers recent lookups from memory and keeps that memory bounded', async () => {
    const kv = new RecordingKeyValue();
    const map = new MessageIdMap(kv, { cacheSize: 10 });
    await map.record(ROOM, { legacy: 'L1', xmpp: ['x1'] });
    const reads = kv.reads;
    expect(await map.legacyFor(ROOM, 'x1')).toBe('L1');
    expect(kv.reads).toBe(reads);
    for (let i = 2; i < 30; i++) await map.record(ROOM, { legacy: `L${i}`, xmpp: [`x${i}`] });
    expect(await map.legacyFor(ROOM, 'x1')).toBe('L1');
    expect(kv.reads).toBeGreaterThan(reads + 28);
  });

  it('a failed write is reported and not remembered', async () => {
    const kv: KeyValue & { down: boolean } = Object.assign(new MemoryKeyValue(), { down: false });
    const set = kv.set.bind(kv);
    kv.set = async (key, value, ttl) => {
      if (kv.down) throw new Error('store down');
      return set(key, value, ttl);
    };
    const map = new MessageIdMap(kv);
    kv.down = true;
    await expect(map.record(ROOM, { legacy: 'L', xmpp: ['x'] })).rejects.toThrow('store down');
    kv.down = false;
    expect(await map.legacyFor(ROOM, 'x')).toBeUndefined();
  });

  it('refuses empty ids and bad options with a plain error', async () => {
    const map = new MessageIdMap(new MemoryKeyValue());
    await expect(map.record(ROOM, { legacy: '', xmpp: ['x'] })).rejects.toThrow('legacy id');
    await expect(map.record(ROOM, { legacy: 'L', xmpp: ['', ''] })).rejects.toThrow('XMPP id');
    expect(() => new MessageIdMap(new MemoryKeyValue(), { retentionMs: 0 })).toThrow('retentionMs');
  });
});
