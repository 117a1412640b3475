import { randomBytes } from 'node:crypto';
import { KeyedMutex } from '../keyed-mutex';
import { deleteAll, writeAll, type KeyValue, type KeyValueWrite } from '../store/types';
import { countMatches, matches, overlaps, SegmentReader, summarize, digest, toEntry, type ArchiveEntry, type ArchiveOptions, type ArchivePage, type ArchiveQuery, type Filter, type NewArchiveEntry, type Segment, type Snapshot, type StoredEntry } from './archive-read';
import { GatewayError } from './errors';

export type { ArchiveEntry, ArchiveOptions, ArchivePage, ArchiveQuery, NewArchiveEntry } from './archive-read';

/** The per-scope head record: segment descriptors in archive order, the next segment number, when written. */
interface Head { next: number; at: number; segs: Array<[n: number, count: number, minTs: number, maxTs: number]> }
interface ScopeState {
  hash: string;
  segs: Segment[];
  /** Entries of the last segment while it takes appends; null when the next append starts a new one. */
  tail: StoredEntry[] | null;
  next: number;
  headAt: number;
}
/** Entries accepted for a scope and not yet written; `written` settles when they are (or could not be). */
interface Batch {
  entries: StoredEntry[];
  written: Promise<void>;
  /** Ends the window now: the write starts as soon as the scope's lock is free. */
  writeNow: () => void;
}

const DEFAULTS = { maxPerScope: 10000, segmentSize: 50, cachedScopes: 1000, batchWindowMs: 10 };

/**
 * The message archive: per scope (a room, or a user and a contact) an ordered log kept in
 * segments of `segmentSize` entries under one key each, plus a small head record. The open
 * segment lives in memory; a query reads just the segments its page touches. One process owns
 * a scope, which is what makes the in-memory copy safe.
 *
 * Appends are written in batches: the entries a scope receives within `batchWindowMs` (10 ms)
 * of the first, and all those that arrive while that scope's previous write is in flight (group
 * commit), go out together as one write of the segments they fill, their index keys and, when a
 * segment starts, the head: one statement on SQLite and PostgreSQL, one MULTI on Redis (setMany).
 * A statement costs far more than the bytes it carries, so a busy room costs a few statements a
 * second instead of two per line.
 *
 * What a crash (kill -9) can lose: entries whose batch was not written yet, i.e. those appended
 * in the last `batchWindowMs` before the crash plus those behind a write still in flight (one
 * store round trip: about a millisecond on SQLite; at most the store's operation timeout, 5 s,
 * when the backend stalls, as with one write per entry). History is best-effort: the live message
 * never waits for the archive. append() resolves only once its entry is stored, and a query first
 * ends the scope's window and waits for that write, so whatever a query has shown survives a
 * crash. flush() writes everything pending, for a clean stop before the store closes.
 */
export class Archive {
  private readonly maxPerScope: number;
  private readonly retentionMs: number | undefined;
  private readonly segmentSize: number;
  private readonly batchWindowMs: number;
  private readonly cachedScopes: number;
  private readonly prefix: string;
  private readonly now: () => number;
  private readonly newId: () => string;
  private readonly locks = new KeyedMutex();
  /** Least recently used first. */
  private readonly states = new Map<string, ScopeState>();
  /** Per scope, the batch that takes appends; it leaves this map when its write starts. */
  private readonly batches = new Map<string, Batch>();
  /** Every append not yet settled, for flush(). */
  private readonly unwritten = new Set<Promise<void>>();

  constructor(private readonly kv: KeyValue, options: ArchiveOptions = {}) {
    this.maxPerScope = positiveInteger('maxPerScope', options.maxPerScope ?? DEFAULTS.maxPerScope);
    this.segmentSize = Math.min(positiveInteger('segmentSize', options.segmentSize ?? DEFAULTS.segmentSize), this.maxPerScope);
    this.cachedScopes = positiveInteger('cachedScopes', options.cachedScopes ?? DEFAULTS.cachedScopes);
    this.batchWindowMs = options.batchWindowMs ?? DEFAULTS.batchWindowMs;
    if (!Number.isInteger(this.batchWindowMs) || this.batchWindowMs < 0 || this.batchWindowMs > 1000) {
      throw new Error('Archive: batchWindowMs must be a whole number of milliseconds from 0 to 1000');
    }
    if (options.retentionMs !== undefined && !(options.retentionMs > 0 && Number.isFinite(options.retentionMs))) {
      throw new Error('Archive: retentionMs must be a positive number of milliseconds');
    }
    this.retentionMs = options.retentionMs;
    this.prefix = options.prefix ?? 'mam';
    this.now = options.now ?? Date.now;
    this.newId = options.newId ?? (() => randomBytes(12).toString('base64url'));
  }

  /**
   * Appends at the end of the scope's log; resolves once the entry is stored. An entry whose id is
   * already archived is not added again (a backfill that overlaps what is stored); one already
   * past the retention is not stored. `fresh`: the caller made the id up just now, so it cannot be
   * stored yet (no look-up needed).
   */
  async append(scope: string, input: NewArchiveEntry, fresh = false): Promise<{ id: string; added: boolean }> {
    if (input.id !== undefined && (typeof input.id !== 'string' || input.id === '')) throw new Error('Archive.append: an id must be a non-empty string');
    const ts = input.ts ?? this.now();
    if (!Number.isFinite(ts)) throw new Error('Archive.append: ts must be a finite number');
    const id = input.id ?? this.newId();
    const appended = this.appendLocked(scope, id, ts, input, fresh);
    const settled = appended.then(() => undefined, () => undefined);
    this.unwritten.add(settled);
    void settled.then(() => this.unwritten.delete(settled));
    return appended;
  }

  private async appendLocked(scope: string, id: string, ts: number, input: NewArchiveEntry, fresh: boolean): Promise<{ id: string; added: boolean }> {
    // Wrapped: a promise returned from the locked section would be awaited there, under the lock the write needs.
    const queued = await this.locked(scope, async (state) => {
      if (this.retentionMs !== undefined && ts < this.now() - this.retentionMs) return undefined;
      if (input.id !== undefined && !fresh && (await this.contains(scope, state, id))) return undefined;
      return { written: this.enqueue(scope, [id, ts, input.with, input.stanza]) };
    });
    if (!queued) return { id, added: false };
    await queued.written;
    return { id, added: true };
  }

  /** Resolves once every append called so far is written (or failed): before the store closes. */
  async flush(): Promise<void> {
    // Open windows end now; appends still on their way to a batch are written when theirs ends.
    for (const batch of this.batches.values()) batch.writeNow();
    while (this.unwritten.size > 0) await Promise.all(this.unwritten);
  }

  async query(scope: string, q: ArchiveQuery): Promise<ArchivePage> {
    if (!Number.isInteger(q.max) || q.max < 0) throw new Error('Archive.query: max must be a non-negative integer');
    // Read your writes, and never show an entry a crash could still take back.
    await this.pending(scope);
    const snap = await this.locked(scope, async (state) => this.snapshot(state));
    const reader = new SegmentReader(snap, (n) => this.readSegment(snap.hash, n), (id) => this.kv.get<number>(this.indexKey(snap.hash, id)));
    const position = async (id: string): Promise<number> => {
      const found = await reader.locate(id);
      if (found === undefined) throw new GatewayError('item-not-found', `No message with the id "${id.length > 64 ? `${id.slice(0, 64)}…` : id}" in this archive; it may have expired.`);
      return found.position;
    };
    const formLo = q.afterId !== undefined ? await position(q.afterId) : -1;
    const formHi = q.beforeId !== undefined ? await position(q.beforeId) : snap.total;
    const pageLo = Math.max(formLo, q.after !== undefined ? await position(q.after) : -1);
    const pageHi = Math.min(formHi, typeof q.before === 'string' ? await position(q.before) : snap.total);
    const wanted = q.ids ? new Set(await Promise.all(q.ids.map(position))) : undefined;
    const filter: Filter = {
      lo: Math.max(formLo, snap.floor),
      hi: formHi,
      tsLo: Math.max(q.start ?? -Infinity, snap.tsFloor),
      tsHi: q.end ?? Infinity,
      with: q.with,
      positions: wanted,
    };
    const page: Filter = { ...filter, lo: Math.max(filter.lo, pageLo), hi: Math.min(filter.hi, pageHi) };
    const backwards = q.before !== undefined;
    const collected: ArchiveEntry[] = [];
    const order = snap.segs.map((_, i) => i);
    if (backwards) order.reverse();
    for (const i of order) {
      if (collected.length > q.max) break;
      if (!overlaps(snap, i, page)) continue;
      const entries = await reader.entries(i);
      if (!entries) continue;
      for (let k = 0; k < entries.length && collected.length <= q.max; k++) {
        const j = backwards ? entries.length - 1 - k : k;
        if (matches(page, snap.base[i] + j, entries[j])) collected.push(toEntry(entries[j]));
      }
    }
    const complete = collected.length <= q.max;
    const items = collected.slice(0, q.max);
    if (backwards) items.reverse();
    const count = q.with === undefined ? await countMatches(snap, reader, filter) : undefined;
    return { items, complete, first: items[0]?.id, last: items[items.length - 1]?.id, count };
  }

  /** The oldest and newest entry (XEP-0313 archive metadata). */
  async bounds(scope: string): Promise<{ start?: ArchiveEntry; end?: ArchiveEntry }> {
    const [oldest, newest] = await Promise.all([this.query(scope, { max: 1 }), this.query(scope, { max: 1, before: true })]);
    return { start: oldest.items[0], end: newest.items[0] };
  }

  /** Deletes everything archived for the scope (an unregistration). */
  async removeScope(scope: string): Promise<void> {
    await this.pending(scope);
    await this.locked(scope, async (state) => {
      const open = state.tail ? state.segs[state.segs.length - 1]?.n : undefined;
      await this.deleteSegments(state.hash, state.segs, (n) => (n === open ? state.tail : undefined));
      // A segment the last crash may have left unlisted.
      await this.kv.delete(this.segmentKey(state.hash, state.next));
      await this.kv.delete(this.headKey(state.hash));
      this.states.delete(scope);
    });
  }

  private alive(ts: number, now: number): boolean {
    return this.retentionMs === undefined || ts >= now - this.retentionMs;
  }

  /** Runs `work` on the scope's state under the scope's lock; a failure drops the in-memory copy, so the next call reloads what the store has. */
  private async locked<T>(scope: string, work: (state: ScopeState) => Promise<T>): Promise<T> {
    return this.locks.run(scope, async () => {
      try {
        return await work(await this.load(scope));
      } catch (error) {
        this.states.delete(scope);
        throw error;
      }
    });
  }

  private async load(scope: string): Promise<ScopeState> {
    const cached = this.states.get(scope);
    if (cached) {
      this.states.delete(scope);
      this.states.set(scope, cached);
      return cached;
    }
    const hash = digest(scope);
    const head = await this.kv.get<Head>(this.headKey(hash));
    const state: ScopeState = {
      hash,
      segs: (head?.segs ?? []).map(([n, count, minTs, maxTs]) => ({ n, count, minTs, maxTs })),
      tail: null,
      next: head?.next ?? 0,
      headAt: head?.at ?? -Infinity,
    };
    // The head is written only when a segment fills, so the open segment's own record is the truth.
    while (state.segs.length > 0) {
      const last = state.segs[state.segs.length - 1];
      const entries = await this.readSegment(hash, last.n);
      if (entries && entries.length > 0) {
        state.tail = entries;
        Object.assign(last, summarize(last.n, entries));
        break;
      }
      state.segs.pop();
    }
    this.states.set(scope, state);
    if (this.states.size > this.cachedScopes) this.states.delete(this.states.keys().next().value!);
    return state;
  }

  private snapshot(state: ScopeState): Snapshot {
    let total = 0;
    const base = state.segs.map((s) => (total += s.count) - s.count);
    const tsFloor = this.retentionMs === undefined ? -Infinity : this.now() - this.retentionMs;
    const segs = state.segs.map((s) => ({ ...s }));
    return { hash: state.hash, segs, tail: state.tail && [...state.tail], base, total, floor: total - this.maxPerScope - 1, tsFloor };
  }

  /**
   * The oldest segments that maxPerScope no longer needs (never the last). Checked only when a
   * segment starts, so the head is written once per segment; queries hide the surplus meanwhile.
   */
  private overflowing(state: ScopeState): Segment[] {
    const out: Segment[] = [];
    let kept = state.segs.reduce((sum, s) => sum + s.count, 0);
    for (const s of state.segs.slice(0, -1)) {
      if (kept - s.count < this.maxPerScope) break;
      out.push(s);
      kept -= s.count;
    }
    return out;
  }

  private async dropSegments(state: ScopeState, drop: Segment[]): Promise<void> {
    if (drop.length === 0) return;
    const last = state.segs[state.segs.length - 1];
    state.segs = state.segs.filter((s) => !drop.includes(s));
    if (drop.includes(last)) state.tail = null;
    await this.writeHead(state, this.now());
    await this.deleteSegments(state.hash, drop);
  }

  /** `known`: entries already in memory (the open segment, or segments of the batch at hand), so they need no read. */
  private async deleteSegments(hash: string, segs: Segment[], known: (n: number) => StoredEntry[] | null | undefined = () => undefined): Promise<void> {
    const contents = await Promise.all(segs.map(async (s) => known(s.n) ?? (await this.readSegment(hash, s.n)) ?? []));
    const keys = contents.flatMap((entries) => entries.map((e) => this.indexKey(hash, e[0])));
    await deleteAll(this.kv, [...keys, ...segs.map((s) => this.segmentKey(hash, s.n))]);
  }

  private headWrite(state: ScopeState, now: number): KeyValueWrite {
    const head: Head = { next: state.next, at: now, segs: state.segs.map((s) => [s.n, s.count, s.minTs, s.maxTs]) };
    // Twice the retention: the head must outlive the newest entry, and it is rewritten once per retention period.
    return { key: this.headKey(state.hash), value: head, ttlMs: this.retentionMs === undefined ? undefined : 2 * this.retentionMs };
  }

  private async writeHead(state: ScopeState, now: number): Promise<void> {
    const { key, value, ttlMs } = this.headWrite(state, now);
    await this.kv.set(key, value, ttlMs);
    state.headAt = now;
  }

  /** Adds the entry to the scope's open batch, starting one (written when its window ends) if there is none. */
  private enqueue(scope: string, entry: StoredEntry): Promise<void> {
    let batch = this.batches.get(scope);
    if (!batch) {
      let resolve!: () => void;
      let reject!: (error: unknown) => void;
      const written = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
      let timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
      const close = () => {
        if (this.batches.get(scope) === created) this.batches.delete(scope);
      };
      const writeNow = () => {
        if (timer === undefined) return;
        clearTimeout(timer as NodeJS.Timeout);
        clearImmediate(timer as NodeJS.Immediate);
        timer = undefined;
        // Under the lock, so that appends waiting behind a write in flight join too: the batch
        // closes when its own write starts, not when its window ends.
        this.locked(scope, async (state) => {
          close();
          await this.commit(state, created.entries);
        }).then(resolve, (error: unknown) => {
          close();
          reject(error);
        });
      };
      const created: Batch = { entries: [], written, writeNow };
      timer = this.batchWindowMs > 0 ? setTimeout(writeNow, this.batchWindowMs) : setImmediate(writeNow);
      this.batches.set(scope, created);
      batch = created;
    }
    batch.entries.push(entry);
    return batch.written;
  }

  /**
   * Waits until the appends called so far for the scope are written: a pass through the lock
   * lets them join a batch, then that batch is awaited. Its failure is the appenders' to report.
   */
  private async pending(scope: string): Promise<void> {
    await this.locks.run(scope, async () => undefined);
    const batch = this.batches.get(scope);
    batch?.writeNow();
    await batch?.written.catch(() => undefined);
  }

  /**
   * Writes a batch: the segments it fills or opens, the head when a segment starts, an index key
   * per entry, in one setMany (segments first, head, then index keys, for a store that has none).
   * A crash between separate writes leaves at worst an unlisted segment that the next append
   * overwrites, as when the head write fails. Callers hold the scope's lock.
   */
  private async commit(state: ScopeState, batch: StoredEntry[]): Promise<void> {
    const now = this.now();
    await this.dropSegments(state, state.segs.filter((s) => !this.alive(s.maxTs, now)));
    const entries = batch.filter((e) => this.alive(e[1], now));
    if (entries.length === 0) return;
    const ttlMs = this.retentionMs;
    /** Contents of every segment this batch changes, by number. */
    const changed = new Map<number, StoredEntry[]>();
    let shed: StoredEntry[] = [];
    if (state.tail && state.tail.length < this.segmentSize) {
      // The open segment is rewritten anyway: entries past the retention leave it now. Their index
      // keys are deleted too, although the store sweeps expired keys, to keep the index exact.
      shed = state.tail.filter((e) => !this.alive(e[1], now));
      if (shed.length > 0) state.tail = state.tail.filter((e) => this.alive(e[1], now));
    }
    let opened = false;
    const placed: Array<[id: string, n: number]> = [];
    for (const entry of entries) {
      let open = state.segs[state.segs.length - 1];
      if (!state.tail || state.tail.length >= this.segmentSize) {
        open = { n: state.next, count: 0, minTs: entry[1], maxTs: entry[1] };
        state.next += 1;
        state.segs.push(open);
        state.tail = [];
        opened = true;
      }
      state.tail.push(entry);
      changed.set(open.n, state.tail);
      placed.push([entry[0], open.n]);
    }
    for (const s of state.segs) {
      const contents = changed.get(s.n);
      if (contents) Object.assign(s, summarize(s.n, contents));
    }
    // Checked only when a segment starts, so the head is written once per segment; queries hide the surplus meanwhile.
    const overflow = opened ? this.overflowing(state) : [];
    const dropped = new Set(overflow.map((s) => s.n));
    state.segs = state.segs.filter((s) => !dropped.has(s.n));
    const segmentWrites = [...changed].filter(([n]) => !dropped.has(n)).map(([n, contents]) => ({ key: this.segmentKey(state.hash, n), value: contents, ttlMs }));
    const indexWrites = placed.filter(([, n]) => !dropped.has(n)).map(([id, n]) => ({ key: this.indexKey(state.hash, id), value: n, ttlMs }));
    const headDue = opened || (ttlMs !== undefined && now - state.headAt >= ttlMs);
    const headWrites = headDue ? [this.headWrite(state, now)] : [];
    if (this.kv.setMany) {
      await writeAll(this.kv, [...segmentWrites, ...headWrites, ...indexWrites]);
    } else {
      await writeAll(this.kv, segmentWrites);
      await writeAll(this.kv, headWrites);
      await writeAll(this.kv, indexWrites);
    }
    if (headDue) state.headAt = now;
    await this.deleteSegments(state.hash, overflow, (n) => changed.get(n));
    await deleteAll(this.kv, shed.map((e) => this.indexKey(state.hash, e[0])));
  }

  private readSegment = (hash: string, n: number) => this.kv.get<StoredEntry[]>(this.segmentKey(hash, n));

  private async contains(scope: string, state: ScopeState, id: string): Promise<boolean> {
    if (state.tail?.some((e) => e[0] === id)) return true;
    if (this.batches.get(scope)?.entries.some((e) => e[0] === id)) return true;
    const n = await this.kv.get<number>(this.indexKey(state.hash, id));
    if (n === undefined) return false;
    const openN = state.tail ? state.segs[state.segs.length - 1].n : undefined;
    return n !== openN && state.segs.some((s) => s.n === n);
  }

  private headKey = (hash: string) => `${this.prefix}:${hash}:h`;
  private segmentKey = (hash: string, n: number) => `${this.prefix}:${hash}:s${n}`;
  private indexKey = (hash: string, id: string) => `${this.prefix}:${hash}:i:${digest(id)}`;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new Error(`Archive: ${name} must be a positive integer`);
  return value;
}
