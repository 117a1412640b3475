import { Archive, type ArchiveOptions, type ArchiveQuery } from '../../../src/core/archive';
import { GatewayError } from '../../../src/core/errors';
import type { KeyValue } from '../../../src/store/types';
import { MemoryKeyValue } from '../../harness/memory-kv';

const ROOM = '#chan%irc.example.net';
const stanza = (n: number) => `<message xmlns='jabber:client' type='groupchat'><body>line ${n}</body></message>`;
const T0 = Date.UTC(2026, 10, 1);

/** A clock the test moves by hand. */
function clock(start = T0) {
  let now = start;
  return { now: () => now, advance: (ms: number) => { now += ms; } };
}

/** Counts the store operations an archive does, to check what an append costs. */
class CountingKeyValue implements KeyValue {
  sets = 0;
  gets = 0;
  deletes = 0;
  failWrites: (key: string) => boolean = () => false;
  constructor(readonly inner: MemoryKeyValue = new MemoryKeyValue()) {}
  get<T>(key: string) {
    this.gets++;
    return this.inner.get<T>(key);
  }
  async set<T>(key: string, value: T, ttlMs?: number) {
    if (this.failWrites(key)) throw new Error('store down');
    this.sets++;
    return this.inner.set(key, value, ttlMs);
  }
  delete(key: string) {
    this.deletes++;
    return this.inner.delete(key);
  }
  reset() {
    this.sets = this.gets = this.deletes = 0;
  }
}

/** Appends n entries one minute apart, ids m1..mn, with alternating peers; returns the ids. */
async function fill(archive: Archive, n: number, scope = ROOM, from = 1): Promise<string[]> {
  const ids: string[] = [];
  for (let i = from; i < from + n; i++) {
    const { id } = await archive.append(scope, { id: `m${i}`, ts: T0 + i * 60_000, with: i % 2 ? 'alice' : 'bob', stanza: stanza(i) });
    ids.push(id);
  }
  return ids;
}

const ids = (page: { items: { id: string }[] }) => page.items.map((e) => e.id);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `m${from + i}`);

function make(options: ArchiveOptions = {}, kv: KeyValue = new MemoryKeyValue()) {
  const c = clock(T0 + 1000 * 60_000);
  return { archive: new Archive(kv, { segmentSize: 5, batchWindowMs: 0, now: c.now, ...options }), kv, clock: c };
}

describe('Archive: RSM paging', () => {
  it('pages forward from the oldest entry with <after>, ending with complete', async () => {
    const { archive } = make();
    await fill(archive, 23);
    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    for (;;) {
      const page = await archive.query(ROOM, { max: 10, after });
      pages++;
      expect(page.count).toBe(23);
      expect(page.first).toBe(page.items[0]?.id);
      expect(page.last).toBe(page.items[page.items.length - 1]?.id);
      seen.push(...ids(page));
      if (page.complete) break;
      after = page.last;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(range(1, 23));
  });

  it('a page that ends exactly at the last entry is complete', async () => {
    const { archive } = make();
    await fill(archive, 10);
    expect(await archive.query(ROOM, { max: 10 })).toMatchObject({ complete: true, first: 'm1', last: 'm10' });
    expect(await archive.query(ROOM, { max: 9 })).toMatchObject({ complete: false, last: 'm9' });
    expect(await archive.query(ROOM, { max: 10, after: 'm10' })).toEqual({ items: [], complete: true, count: 10, first: undefined, last: undefined });
  });

  it('an empty <before/> gives the last page, oldest first; <before>id</before> pages backwards', async () => {
    const { archive } = make();
    await fill(archive, 23);
    const last = await archive.query(ROOM, { max: 10, before: true });
    expect(ids(last)).toEqual(range(14, 23));
    expect(last.complete).toBe(false);
    const previous = await archive.query(ROOM, { max: 10, before: last.first });
    expect(ids(previous)).toEqual(range(4, 13));
    expect(previous.complete).toBe(false);
    const oldest = await archive.query(ROOM, { max: 10, before: previous.first });
    expect(ids(oldest)).toEqual(range(1, 3));
    expect(oldest.complete).toBe(true);
    expect(oldest.count).toBe(23);
  });

  it('max 0 answers only the count', async () => {
    const { archive } = make();
    await fill(archive, 7);
    expect(await archive.query(ROOM, { max: 0 })).toMatchObject({ items: [], count: 7, complete: false });
    expect(await archive.query('empty scope', { max: 0 })).toMatchObject({ items: [], count: 0, complete: true });
  });

  it('an RSM or form id that is not in the archive is item-not-found, with a readable text', async () => {
    const { archive } = make();
    await fill(archive, 3);
    for (const q of [{ after: 'nope' }, { before: 'nope' }, { afterId: 'nope' }, { beforeId: 'nope' }, { ids: ['m1', 'nope'] }] as Partial<ArchiveQuery>[]) {
      const error = await archive.query(ROOM, { max: 10, ...q }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GatewayError);
      expect(error).toMatchObject({ condition: 'item-not-found', message: expect.stringContaining('"nope"') });
    }
  });
});

describe('Archive: filters', () => {
  it('start and end are inclusive and combine with paging and count', async () => {
    const { archive } = make();
    await fill(archive, 30);
    const q = { start: T0 + 5 * 60_000, end: T0 + 20 * 60_000 };
    const first = await archive.query(ROOM, { ...q, max: 10 });
    expect(ids(first)).toEqual(range(5, 14));
    expect(first).toMatchObject({ complete: false, count: 16 });
    const second = await archive.query(ROOM, { ...q, max: 10, after: first.last });
    expect(ids(second)).toEqual(range(15, 20));
    expect(second.complete).toBe(true);
    expect(ids(await archive.query(ROOM, { ...q, max: 3, before: true }))).toEqual(range(18, 20));
    expect(ids(await archive.query(ROOM, { start: T0 + 31 * 60_000, max: 10 }))).toEqual([]);
    expect(ids(await archive.query(ROOM, { start: T0 + 9 * 60_000, end: T0 + 2 * 60_000, max: 10 }))).toEqual([]);
  });

  it('finds entries by time even when timestamps are not in archive order', async () => {
    const { archive } = make();
    const stamps = [50, 10, 40, 20, 30, 60, 5, 55, 15, 45, 25, 35];
    for (const [i, m] of stamps.entries()) await archive.append(ROOM, { id: `e${i}`, ts: T0 + m * 60_000, with: 'x', stanza: stanza(i) });
    const page = await archive.query(ROOM, { start: T0 + 20 * 60_000, end: T0 + 40 * 60_000, max: 50 });
    expect(ids(page)).toEqual(['e2', 'e3', 'e4', 'e10', 'e11']);
    expect(page.count).toBe(5);
  });

  it('with keeps one peer; count is left out rather than scanning everything', async () => {
    const { archive } = make();
    await fill(archive, 12);
    const page = await archive.query(ROOM, { with: 'bob', max: 4 });
    expect(ids(page)).toEqual(['m2', 'm4', 'm6', 'm8']);
    expect(page.count).toBeUndefined();
    expect(ids(await archive.query(ROOM, { with: 'bob', max: 4, after: page.last }))).toEqual(['m10', 'm12']);
    expect(ids(await archive.query(ROOM, { with: 'bob', max: 2, before: true }))).toEqual(['m10', 'm12']);
    expect(ids(await archive.query(ROOM, { with: 'carol', max: 4 }))).toEqual([]);
  });

  it('after-id/before-id are filters: the count follows them, the direction comes from RSM', async () => {
    const { archive } = make();
    await fill(archive, 20);
    const between = await archive.query(ROOM, { afterId: 'm3', beforeId: 'm15', max: 5 });
    expect(ids(between)).toEqual(range(4, 8));
    expect(between.count).toBe(11);
    expect(ids(await archive.query(ROOM, { afterId: 'm3', beforeId: 'm15', max: 5, before: true }))).toEqual(range(10, 14));
    // RSM inside the filtered set: the tighter bound wins.
    expect(ids(await archive.query(ROOM, { afterId: 'm3', beforeId: 'm15', max: 5, after: 'm11' }))).toEqual(range(12, 14));
    expect(ids(await archive.query(ROOM, { afterId: 'm10', max: 5, after: 'm2' }))).toEqual(range(11, 15));
    expect(ids(await archive.query(ROOM, { beforeId: 'm6', max: 5, before: 'm18' }))).toEqual(range(1, 5));
  });

  it('ids picks entries in archive order, together with the other filters', async () => {
    const { archive } = make();
    await fill(archive, 20);
    const page = await archive.query(ROOM, { ids: ['m17', 'm2', 'm9'], max: 10 });
    expect(ids(page)).toEqual(['m2', 'm9', 'm17']);
    expect(page).toMatchObject({ count: 3, complete: true });
    expect(ids(await archive.query(ROOM, { ids: ['m17', 'm2', 'm9'], start: T0 + 5 * 60_000, max: 10 }))).toEqual(['m9', 'm17']);
    expect(ids(await archive.query(ROOM, { ids: ['m17', 'm2', 'm9'], max: 1, before: true }))).toEqual(['m17']);
  });
});

describe('Archive: bounds and retention', () => {
  it('keeps exactly the newest maxPerScope entries and drops whole old segments from the store', async () => {
    const { archive, kv } = make({ maxPerScope: 12, segmentSize: 5 });
    await fill(archive, 40);
    const page = await archive.query(ROOM, { max: 100 });
    expect(ids(page)).toEqual(range(29, 40));
    expect(page.count).toBe(12);
    await expect(archive.query(ROOM, { max: 5, after: 'm28' })).rejects.toMatchObject({ condition: 'item-not-found' });
    expect(ids(await archive.query(ROOM, { max: 5, before: 'm31' }))).toEqual(['m29', 'm30']);
    // Segments of 5 with 12 kept: at most 4 segments, the head and one index key per stored entry.
    const keys = [...(kv as MemoryKeyValue).data.keys()];
    expect(keys.filter((k) => /:s\d+$/.test(k)).length).toBeLessThanOrEqual(4);
    expect(keys.filter((k) => k.includes(':i:')).length).toBeLessThanOrEqual(20);
  });

  it('hides entries past the retention at once and removes their segments on a later append', async () => {
    const kv = new CountingKeyValue();
    const { archive, clock: c } = make({ retentionMs: 3600_000, segmentSize: 5 }, kv);
    const start = c.now();
    for (let i = 1; i <= 12; i++) {
      await archive.append(ROOM, { id: `m${i}`, with: 'x', stanza: stanza(i) });
      c.advance(10 * 60_000);
    }
    const segments = () => [...kv.inner.data.keys()].filter((k) => /:s\d+$/.test(k)).length;
    // m1..m5 (0-40 min) were dropped by the append at 110 min; m6..m10 (50-90 min) and m11, m12 remain.
    expect(segments()).toBe(2);
    c.advance(start + 155 * 60_000 - c.now());
    expect(ids(await archive.query(ROOM, { max: 50 }))).toEqual(['m11', 'm12']);
    expect((await archive.query(ROOM, { max: 0 })).count).toBe(2);
    await expect(archive.query(ROOM, { max: 5, after: 'm9' })).rejects.toMatchObject({ condition: 'item-not-found' });
    expect(segments()).toBe(2);
    await archive.append(ROOM, { id: 'm13', with: 'x', stanza: stanza(13) });
    expect(segments()).toBe(1);
    expect(ids(await archive.query(ROOM, { max: 50 }))).toEqual(range(11, 13));
    expect(ids(await make({ retentionMs: 3600_000, segmentSize: 5, now: c.now }, kv).archive.query(ROOM, { max: 50 }))).toEqual(range(11, 13));
    // An entry that arrives already older than the retention is not stored.
    expect(await archive.append(ROOM, { id: 'old', ts: c.now() - 7200_000, with: 'x', stanza: stanza(0) })).toEqual({ id: 'old', added: false });
    c.advance(2 * 3600_000);
    expect(await archive.query(ROOM, { max: 50 })).toMatchObject({ items: [], complete: true, count: 0 });
    await archive.append(ROOM, { id: 'fresh', with: 'x', stanza: stanza(99) });
    expect(ids(await archive.query(ROOM, { max: 50 }))).toEqual(['fresh']);
    expect(segments()).toBe(1);
  });

  it('the open segment sheds entries past the retention when it is rewritten', async () => {
    const kv = new CountingKeyValue();
    const { archive, clock: c } = make({ retentionMs: 3600_000, segmentSize: 50 }, kv);
    await archive.append(ROOM, { id: 'a', with: 'x', stanza: 'old' });
    c.advance(50 * 60_000);
    await archive.append(ROOM, { id: 'b', with: 'x', stanza: 'new' });
    c.advance(20 * 60_000);
    await archive.append(ROOM, { id: 'c', with: 'x', stanza: 'new' });
    const stored = [...kv.inner.data.entries()].filter(([k]) => /:s\d+$/.test(k)).map(([, v]) => (v.value as unknown[][]).map((e) => e[0]));
    expect(stored).toEqual([['b', 'c']]);
    expect([...kv.inner.data.keys()].filter((k) => k.includes(':i:'))).toHaveLength(2);
  });

  it('writes a bounded, small number of keys per append', async () => {
    const kv = new CountingKeyValue();
    const { archive } = make({ segmentSize: 50, maxPerScope: 200 }, kv);
    await fill(archive, 50);
    kv.reset();
    await fill(archive, 1000, ROOM, 51);
    // Open segment + index key per append; the head once per new segment.
    expect(kv.sets).toBeLessThanOrEqual(1000 * 2 + 1000 / 50);
    expect(kv.gets).toBeLessThanOrEqual(1000 + 1000 / 50 * 2);
    const last = await archive.query(ROOM, { max: 50, before: true });
    expect(ids(last)).toEqual(range(1001, 1050));
  });
  it('a query reads only the segments its page needs', async () => {
    const kv = new CountingKeyValue();
    const { archive } = make({ segmentSize: 50, maxPerScope: 5000 }, kv);
    await fill(archive, 1020);
    kv.reset();
    expect(ids(await archive.query(ROOM, { max: 50, before: true }))).toEqual(range(971, 1020));
    // The open segment (20 entries) is in memory; one stored segment completes the page; the count needs none.
    expect(kv.gets).toBe(1);
    kv.reset();
    const deep = await archive.query(ROOM, { max: 50, before: 'm500' });
    expect(ids(deep)).toEqual(range(450, 499));
    expect(deep.count).toBe(1020);
    // The id's index key, its segment and the one before.
    expect(kv.gets).toBe(3);
    expect(kv.sets + kv.deletes).toBe(0);
  });
});

describe('Archive: persistence and concurrency', () => {
  it('a new instance over the same store sees the same log and carries on appending', async () => {
    const kv = new MemoryKeyValue();
    const first = make({}, kv).archive;
    await fill(first, 13);
    const second = make({}, kv).archive;
    expect(ids(await second.query(ROOM, { max: 50 }))).toEqual(range(1, 13));
    await fill(second, 9, ROOM, 14);
    expect(await second.append(ROOM, { id: 'm3', with: 'x', stanza: 'dup' })).toEqual({ id: 'm3', added: false });
    expect(await second.append(ROOM, { id: 'm22', with: 'x', stanza: 'dup' })).toEqual({ id: 'm22', added: false });
    const third = make({}, kv).archive;
    const page = await third.query(ROOM, { max: 50 });
    expect(ids(page)).toEqual(range(1, 22));
    expect(page.items[2]).toEqual({ id: 'm3', ts: T0 + 3 * 60_000, with: 'alice', stanza: stanza(3) });
  });

  it('concurrent appends to one scope keep every entry, in call order', async () => {
    const kv = new MemoryKeyValue();
    const { archive } = make({ segmentSize: 7 }, kv);
    await Promise.all(Array.from({ length: 100 }, (_, i) => archive.append(ROOM, { id: `c${i}`, with: 'x', stanza: stanza(i) })));
    const expected = Array.from({ length: 100 }, (_, i) => `c${i}`);
    expect(ids(await archive.query(ROOM, { max: 200 }))).toEqual(expected);
    expect(ids(await make({ segmentSize: 7 }, kv).archive.query(ROOM, { max: 200 }))).toEqual(expected);
  });

  it('generates unique ids when none is given', async () => {
    const { archive } = make();
    const made = await Promise.all(Array.from({ length: 50 }, () => archive.append(ROOM, { with: 'x', stanza: 'x' })));
    expect(new Set(made.map((m) => m.id)).size).toBe(50);
    expect(made.every((m) => m.added && /^[\w-]{16}$/.test(m.id))).toBe(true);
  });

  it('keeps scopes apart, whatever characters scopes and ids hold, also when few scopes fit in memory', async () => {
    const kv = new MemoryKeyValue();
    const { archive } = make({ cachedScopes: 1 }, kv);
    const scopes = ['ann@example.org bob', 'ann@example.org bob:x', 'ünï\ncode:%2F/', ''];
    for (let i = 0; i < 12; i++) {
      for (const [k, scope] of scopes.entries()) await archive.append(scope, { id: `id:${k}:${i}\n<&>`, with: String(k), stanza: stanza(i) });
    }
    for (const [k, scope] of scopes.entries()) {
      const page = await archive.query(scope, { max: 50, after: `id:${k}:3\n<&>` });
      expect(page.items.map((e) => e.with)).toEqual(Array(8).fill(String(k)));
      expect(page.count).toBe(12);
    }
    expect([...kv.data.keys()].every((key) => /^mam:[\w-]+:(h|s\d+|i:[\w-]+)$/.test(key))).toBe(true);
  });

  it('a failed store write is reported, and the archive then shows what a restart would', async () => {
    const kv = new CountingKeyValue();
    const { archive } = make({ segmentSize: 3 }, kv);
    await fill(archive, 3);
    // The new segment is written, the head that lists it is not.
    kv.failWrites = (key) => key.endsWith(':h');
    await expect(archive.append(ROOM, { id: 'lost', with: 'x', stanza: 'x' })).rejects.toThrow('store down');
    kv.failWrites = () => false;
    await fill(archive, 3, ROOM, 4);
    kv.failWrites = (key) => /:s\d+$/.test(key);
    await expect(archive.append(ROOM, { id: 'lost2', with: 'x', stanza: 'x' })).rejects.toThrow('store down');
    kv.failWrites = () => false;
    expect(ids(await archive.query(ROOM, { max: 50 }))).toEqual(range(1, 6));
    expect(ids(await make({ segmentSize: 3 }, kv).archive.query(ROOM, { max: 50 }))).toEqual(range(1, 6));
  });

  it('removeScope deletes every key of the scope and nothing else', async () => {
    const kv = new MemoryKeyValue();
    const { archive } = make({}, kv);
    await fill(archive, 17);
    await fill(archive, 3, 'other');
    const before = kv.data.size;
    await archive.removeScope(ROOM);
    expect(kv.data.size).toBe(before - (1 + 4 + 17));
    expect(await archive.query(ROOM, { max: 50 })).toMatchObject({ items: [], count: 0 });
    expect(ids(await archive.query('other', { max: 50 }))).toEqual(range(1, 3));
    expect(ids(await make({}, kv).archive.query(ROOM, { max: 50 }))).toEqual([]);
    await fill(archive, 2);
    expect(ids(await archive.query(ROOM, { max: 50 }))).toEqual(range(1, 2));
  });

  it('bounds() gives the oldest and newest visible entry', async () => {
    const { archive } = make({ maxPerScope: 8 });
    expect(await archive.bounds(ROOM)).toEqual({ start: undefined, end: undefined });
    await fill(archive, 20);
    const { start, end } = await archive.bounds(ROOM);
    expect([start?.id, end?.id]).toEqual(['m13', 'm20']);
  });

  it('refuses bad options and bad input with a plain error', async () => {
    expect(() => new Archive(new MemoryKeyValue(), { maxPerScope: 0 })).toThrow('maxPerScope');
    expect(() => new Archive(new MemoryKeyValue(), { retentionMs: -5 })).toThrow('retentionMs');
    const { archive } = make();
    await expect(archive.append(ROOM, { id: '', with: 'x', stanza: 'x' })).rejects.toThrow('id');
    await expect(archive.append(ROOM, { ts: NaN, with: 'x', stanza: 'x' })).rejects.toThrow('ts');
    await expect(archive.query(ROOM, { max: -1 })).rejects.toThrow('max');
  });
});
