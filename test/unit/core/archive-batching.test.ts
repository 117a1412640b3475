/**
 * How the archive writes appends (group commit, see src/core/archive.ts): what one store call
 * carries, when an append counts as stored, and what a crash (a new instance over the same store,
 * without the first one's memory) can and cannot lose.
 */
import { Archive, type ArchiveOptions } from '../../../src/core/archive';
import type { KeyValueWrite } from '../../../src/store/types';
import { MemoryKeyValue } from '../../harness/memory-kv';

const ROOM = '#chan%irc.example.net';
const stanza = (n: number) => `<message xmlns='jabber:client' type='groupchat'><body>line ${n}</body></message>`;

/** A store with setMany whose writes can be held back, to see what waits for what. */
class BatchingKeyValue extends MemoryKeyValue {
  /** Keys of each setMany call, in call order. */
  calls: string[][] = [];
  sets = 0;
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  fail = false;

  override async set<T>(key: string, value: T, ttlMs?: number): Promise<void> {
    this.sets++;
    return super.set(key, value, ttlMs);
  }

  async setMany(writes: readonly KeyValueWrite[]): Promise<void> {
    this.calls.push(writes.map((w) => w.key));
    await this.gate;
    if (this.fail) throw new Error('store down');
    for (const w of writes) await super.set(w.key, w.value, w.ttlMs);
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    for (const key of keys) await super.delete(key);
  }

  /** Holds every write from now on until release(). */
  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.gate = undefined;
    this.open?.();
  }
}

/** Resolves once `check` holds; polls on the event loop, so held writes make progress meanwhile. */
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !check(); i++) await new Promise((r) => setImmediate(r));
  expect(check()).toBe(true);
}

function make(kv: BatchingKeyValue, options: ArchiveOptions = {}): Archive {
  return new Archive(kv, { segmentSize: 5, batchWindowMs: 0, ...options });
}

const append = (archive: Archive, i: number, fresh = true) => archive.append(ROOM, { id: `m${i}`, with: 'n', stanza: stanza(i) }, fresh);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `m${from + i}`);
const ids = async (archive: Archive) => (await archive.query(ROOM, { max: 1000 })).items.map((e) => e.id);

describe('Archive: batched writes', () => {
  it('appends of one turn go out in one store call: segments, head, index keys', async () => {
    const kv = new BatchingKeyValue();
    const archive = make(kv);
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => append(archive, i + 1)));
    expect(results.every((r) => r.added)).toBe(true);
    expect(kv.calls).toHaveLength(1);
    // Three segments of at most 5, the head that lists them, one index key per entry.
    expect(kv.calls[0].filter((k) => /:s\d+$/.test(k))).toHaveLength(3);
    expect(kv.calls[0].filter((k) => k.endsWith(':h'))).toHaveLength(1);
    expect(kv.calls[0].filter((k) => k.includes(':i:'))).toHaveLength(12);
    expect(kv.sets).toBe(0);
    expect(await ids(make(kv))).toEqual(range(1, 12));
  });

  it('appends that arrive while a write is in flight wait for it, then go out together, in order', async () => {
    const kv = new BatchingKeyValue();
    const archive = make(kv);
    kv.hold();
    const first = append(archive, 1);
    await until(() => kv.calls.length === 1);
    const later = [2, 3, 4].map((i) => append(archive, i));
    let settled = false;
    void Promise.all(later).then(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    expect(kv.calls).toHaveLength(1);
    expect(settled).toBe(false);
    kv.release();
    await Promise.all([first, ...later]);
    expect(kv.calls).toHaveLength(2);
    expect(kv.calls[1].filter((k) => k.includes(':i:'))).toHaveLength(3);
    expect(await ids(make(kv))).toEqual(range(1, 4));
  });

  it('an append resolves only once stored; a crash loses at most what was still unwritten', async () => {
    const kv = new BatchingKeyValue();
    const archive = make(kv);
    await Promise.all(range(1, 3).map((_, i) => append(archive, i + 1)));
    kv.hold();
    let stored = false;
    const pending = append(archive, 4).then(() => (stored = true));
    await until(() => kv.calls.length === 2);
    // The process dies now: a new one over the same store has every acknowledged entry.
    expect(stored).toBe(false);
    expect(await ids(make(kv))).toEqual(range(1, 3));
    kv.release();
    await pending;
    expect(await ids(make(kv))).toEqual(range(1, 4));
  });

  it('a query waits for the pending batch, so what it shows is stored', async () => {
    const kv = new BatchingKeyValue();
    const archive = make(kv);
    kv.hold();
    const appended = [1, 2].map((i) => append(archive, i));
    const page = archive.query(ROOM, { max: 10 });
    await until(() => kv.calls.length === 1);
    kv.release();
    expect((await page).items.map((e) => e.id)).toEqual(range(1, 2));
    await Promise.all(appended);
  });

  it('flush() waits for appends nobody awaited', async () => {
    const kv = new BatchingKeyValue();
    const archive = make(kv);
    for (let i = 1; i <= 7; i++) void append(archive, i);
    await archive.flush();
    expect(await ids(make(kv))).toEqual(range(1, 7));
    await archive.flush();
  });

  it('a failed write rejects every append of its batch; the next batch is written, the lost ones stay lost', async () => {
    const kv = new BatchingKeyValue();
    const archive = make(kv);
    await Promise.all([1, 2].map((i) => append(archive, i)));
    kv.fail = true;
    const failed = await Promise.allSettled([3, 4, 5].map((i) => append(archive, i)));
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    kv.fail = false;
    await Promise.all([6, 7].map((i) => append(archive, i)));
    expect(await ids(archive)).toEqual(['m1', 'm2', 'm6', 'm7']);
    expect(await ids(make(kv))).toEqual(['m1', 'm2', 'm6', 'm7']);
  });

  it('a batch larger than maxPerScope keeps the newest entries and leaves no key of the others', async () => {
    const kv = new BatchingKeyValue();
    const archive = make(kv, { maxPerScope: 12 });
    await Promise.all(Array.from({ length: 31 }, (_, i) => append(archive, i + 1)));
    const page = await archive.query(ROOM, { max: 100 });
    expect(page.items.map((e) => e.id)).toEqual(range(20, 31));
    expect(page.count).toBe(12);
    // What is stored: whole segments covering at least the newest 12 (m16..m31), their index keys, the head.
    const keys = [...kv.data.keys()];
    expect(keys.filter((k) => /:s\d+$/.test(k))).toHaveLength(4);
    expect(keys.filter((k) => k.includes(':i:'))).toHaveLength(16);
    expect(keys.filter((k) => k.endsWith(':h'))).toHaveLength(1);
    expect(await ids(make(kv, { maxPerScope: 12 }))).toEqual(range(20, 31));
  });

  it('appends within the window join one write; a query or flush() ends the window early', async () => {
    const kv = new BatchingKeyValue();
    const archive = make(kv, { batchWindowMs: 1000 });
    const appended = [append(archive, 1)];
    for (let turn = 0; turn < 3; turn++) await new Promise((r) => setImmediate(r));
    appended.push(append(archive, 2));
    for (let turn = 0; turn < 3; turn++) await new Promise((r) => setImmediate(r));
    expect(kv.calls).toHaveLength(0);
    expect((await archive.query(ROOM, { max: 10 })).items.map((e) => e.id)).toEqual(range(1, 2));
    expect(kv.calls).toHaveLength(1);
    await Promise.all(appended);
    void append(archive, 3);
    await archive.flush();
    expect(kv.calls).toHaveLength(2);
    expect(await ids(make(kv))).toEqual(range(1, 3));
  });

  it('a batch is written once its window ends, with nobody asking', async () => {
    const kv = new BatchingKeyValue();
    const archive = make(kv, { batchWindowMs: 20 });
    await Promise.all([append(archive, 1), append(archive, 2)]);
    expect(kv.calls).toHaveLength(1);
    expect(await ids(make(kv))).toEqual(range(1, 2));
  });

  it('refuses a batch window that is not a whole number of milliseconds up to a second', () => {
    const kv = new BatchingKeyValue();
    for (const bad of [-1, 1.5, 1001, Number.NaN]) expect(() => make(kv, { batchWindowMs: bad })).toThrow('Archive: batchWindowMs must be a whole number of milliseconds from 0 to 1000');
  });

  it('an id already waiting in the batch is not added twice', async () => {
    const kv = new BatchingKeyValue();
    const archive = make(kv);
    const [a, b] = await Promise.all([append(archive, 1, false), append(archive, 1, false)]);
    expect([a.added, b.added]).toEqual([true, false]);
    expect(await ids(archive)).toEqual(['m1']);
  });

  it('entries past the retention leave the open segment and the index when the segment is next written', async () => {
    let now = Date.UTC(2026, 10, 1);
    const kv = new BatchingKeyValue();
    const archive = make(kv, { retentionMs: 60_000, now: () => now });
    await Promise.all([1, 2].map((i) => append(archive, i)));
    now += 61_000;
    await Promise.all([3, 4].map((i) => append(archive, i)));
    expect(await ids(archive)).toEqual(['m3', 'm4']);
    expect([...kv.data.keys()].filter((k) => k.includes(':i:'))).toHaveLength(2);
  });
});
