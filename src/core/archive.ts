import { createHash, randomBytes } from 'node:crypto';
import { KeyedMutex } from '../keyed-mutex';
import type { KeyValue } from '../store/types';
import { GatewayError } from './errors';

/** One archived message (XEP-0313). */
export interface ArchiveEntry {
  /** The archive id (stanza-id), unique within its scope. */
  id: string;
  /** When the message was sent or received (ms since the epoch). */
  ts: number;
  /** The peer: a contact's localpart for 1:1, the occupant's nick in a room. */
  with: string;
  /** The serialized <message/> as sent to the user. */
  stanza: string;
}

/** id: generated (random, unpredictable) when not given; ts: now when not given. */
export type NewArchiveEntry = Omit<ArchiveEntry, 'id' | 'ts'> & { id?: string; ts?: number };

/**
 * A XEP-0313 query with XEP-0059 paging. Ids are exclusive bounds; one that is not in the archive
 * (never was, or expired) is refused with item-not-found, as XEP-0313 requires.
 */
export interface ArchiveQuery {
  /** Only entries with ts >= start / <= end (ms). */
  start?: number;
  end?: number;
  with?: string;
  /** Only these entries (the form's ids field). */
  ids?: string[];
  /** The form's after-id / before-id: filters, they do not change the paging direction. */
  afterId?: string;
  beforeId?: string;
  /** RSM <after>: the page after this id. */
  after?: string;
  /** RSM <before>: the page before this id; true (an empty <before/>) is the last page. */
  before?: string | true;
  /** Page size; 0 asks only for the count. */
  max: number;
}

export interface ArchivePage {
  /** Oldest first, also when paging backwards. */
  items: ArchiveEntry[];
  /** No further page in the paging direction. */
  complete: boolean;
  first?: string;
  last?: string;
  /** Size of the whole result set (ignoring RSM after/before); left out when it would cost a full scan (a `with` filter). */
  count?: number;
}

export interface ArchiveOptions {
  /** Newest entries kept per scope. Default 10000. */
  maxPerScope?: number;
  /** Entries older than this (by their ts) disappear; undefined keeps them until maxPerScope pushes them out. */
  retentionMs?: number;
  /** Entries per stored segment. Default 50. */
  segmentSize?: number;
  /** Scopes whose head and open segment stay in memory. Default 1000. */
  cachedScopes?: number;
  /** Key prefix inside the KeyValue. Default 'mam'. */
  prefix?: string;
  now?: () => number;
  newId?: () => string;
}

/** Entries are stored as tuples: a segment is rewritten on every append, so its size matters. */
type StoredEntry = [id: string, ts: number, peer: string, stanza: string];
interface Segment { n: number; count: number; minTs: number; maxTs: number }
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
interface Snapshot {
  hash: string;
  segs: Segment[];
  tail: StoredEntry[] | null;
  /** Position of each segment's first entry. */
  base: number[];
  total: number;
  /** Entries at or below this position are past maxPerScope, those older than tsFloor past the retention. */
  floor: number;
  tsFloor: number;
}

const DEFAULTS = { maxPerScope: 10000, segmentSize: 50, cachedScopes: 1000 };

/**
 * The message archive: per scope (a room, or a user and a contact) an ordered log kept in
 * segments of `segmentSize` entries under one key each, plus a small head record. The open
 * segment lives in memory, so an append writes that one key (and the id's index key), the head
 * only when a segment fills; a query reads just the segments its page touches. One process owns
 * a scope, which is what makes the in-memory copy safe.
 */
export class Archive {
  private readonly maxPerScope: number;
  private readonly retentionMs: number | undefined;
  private readonly segmentSize: number;
  private readonly cachedScopes: number;
  private readonly prefix: string;
  private readonly now: () => number;
  private readonly newId: () => string;
  private readonly locks = new KeyedMutex();
  /** Least recently used first. */
  private readonly states = new Map<string, ScopeState>();

  constructor(private readonly kv: KeyValue, options: ArchiveOptions = {}) {
    this.maxPerScope = positiveInteger('maxPerScope', options.maxPerScope ?? DEFAULTS.maxPerScope);
    this.segmentSize = Math.min(positiveInteger('segmentSize', options.segmentSize ?? DEFAULTS.segmentSize), this.maxPerScope);
    this.cachedScopes = positiveInteger('cachedScopes', options.cachedScopes ?? DEFAULTS.cachedScopes);
    if (options.retentionMs !== undefined && !(options.retentionMs > 0 && Number.isFinite(options.retentionMs))) {
      throw new Error('Archive: retentionMs must be a positive number of milliseconds');
    }
    this.retentionMs = options.retentionMs;
    this.prefix = options.prefix ?? 'mam';
    this.now = options.now ?? Date.now;
    this.newId = options.newId ?? (() => randomBytes(12).toString('base64url'));
  }

  /**
   * Appends at the end of the scope's log. An entry whose id is already archived is not added
   * again (a backfill that overlaps what is stored); one already past the retention is not stored.
   */
  /** `fresh`: the caller made the id up just now, so it cannot be stored yet (no look-up needed). */
  async append(scope: string, input: NewArchiveEntry, fresh = false): Promise<{ id: string; added: boolean }> {
    if (input.id !== undefined && (typeof input.id !== 'string' || input.id === '')) throw new Error('Archive.append: an id must be a non-empty string');
    const ts = input.ts ?? this.now();
    if (!Number.isFinite(ts)) throw new Error('Archive.append: ts must be a finite number');
    const id = input.id ?? this.newId();
    return this.locked(scope, async (state) => {
      const now = this.now();
      await this.dropSegments(state, state.segs.filter((s) => !this.alive(s.maxTs, now)));
      if (this.retentionMs !== undefined && ts < now - this.retentionMs) return { id, added: false };
      if (input.id !== undefined && !fresh && (await this.contains(state, id))) return { id, added: false };
      const entry: StoredEntry = [id, ts, input.with, input.stanza];
      const open = state.tail && state.tail.length < this.segmentSize ? state.segs[state.segs.length - 1] : undefined;
      if (open && state.tail) {
        // The open segment is rewritten anyway: entries past the retention leave it now. Their index
        // keys are deleted too, since SQLite and PostgreSQL only drop an expired key when it is read.
        const shed = state.tail.filter((e) => !this.alive(e[1], now));
        const entries = [...state.tail.filter((e) => this.alive(e[1], now)), entry];
        await this.kv.set(this.segmentKey(state.hash, open.n), entries, this.retentionMs);
        state.tail = entries;
        Object.assign(open, summarize(open.n, entries));
        await Promise.all(shed.map((e) => this.kv.delete(this.indexKey(state.hash, e[0]))));
        if (this.retentionMs !== undefined && now - state.headAt >= this.retentionMs) await this.writeHead(state, now);
      } else {
        const n = state.next;
        // Segment before head: a crash in between leaves an unlisted segment that the next append overwrites.
        await this.kv.set(this.segmentKey(state.hash, n), [entry], this.retentionMs);
        state.segs.push(summarize(n, [entry]));
        state.tail = [entry];
        state.next = n + 1;
        const overflow = this.overflowing(state);
        state.segs = state.segs.filter((s) => !overflow.includes(s));
        await this.writeHead(state, now);
        await this.deleteSegments(state.hash, overflow);
      }
      await this.kv.set(this.indexKey(state.hash, id), state.segs[state.segs.length - 1].n, this.retentionMs);
      return { id, added: true };
    });
  }

  async query(scope: string, q: ArchiveQuery): Promise<ArchivePage> {
    if (!Number.isInteger(q.max) || q.max < 0) throw new Error('Archive.query: max must be a non-negative integer');
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
    await this.locked(scope, async (state) => {
      await this.deleteSegments(state.hash, state.segs, state.tail);
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

  private async deleteSegments(hash: string, segs: Segment[], openTail?: StoredEntry[] | null): Promise<void> {
    await Promise.all(
      segs.map(async (s, i) => {
        const entries = i === segs.length - 1 && openTail ? openTail : await this.readSegment(hash, s.n);
        await Promise.all((entries ?? []).map((e) => this.kv.delete(this.indexKey(hash, e[0]))));
        await this.kv.delete(this.segmentKey(hash, s.n));
      }),
    );
  }

  private async writeHead(state: ScopeState, now: number): Promise<void> {
    const head: Head = { next: state.next, at: now, segs: state.segs.map((s) => [s.n, s.count, s.minTs, s.maxTs]) };
    // Twice the retention: the head must outlive the newest entry, and it is rewritten once per retention period.
    await this.kv.set(this.headKey(state.hash), head, this.retentionMs === undefined ? undefined : 2 * this.retentionMs);
    state.headAt = now;
  }

  private readSegment = (hash: string, n: number) => this.kv.get<StoredEntry[]>(this.segmentKey(hash, n));

  private async contains(state: ScopeState, id: string): Promise<boolean> {
    if (state.tail?.some((e) => e[0] === id)) return true;
    const n = await this.kv.get<number>(this.indexKey(state.hash, id));
    if (n === undefined) return false;
    const openN = state.tail ? state.segs[state.segs.length - 1].n : undefined;
    return n !== openN && state.segs.some((s) => s.n === n);
  }

  private headKey = (hash: string) => `${this.prefix}:${hash}:h`;
  private segmentKey = (hash: string, n: number) => `${this.prefix}:${hash}:s${n}`;
  private indexKey = (hash: string, id: string) => `${this.prefix}:${hash}:i:${digest(id)}`;
}

/** lo/hi: exclusive position bounds; tsLo/tsHi: inclusive. */
interface Filter { lo: number; hi: number; tsLo: number; tsHi: number; with?: string; positions?: Set<number> }

/** Reads each segment at most once per query; the open segment comes from the snapshot. */
class SegmentReader {
  private readonly cache = new Map<number, Promise<StoredEntry[] | undefined>>();
  constructor(
    private readonly snap: Snapshot,
    private readonly readSegment: (n: number) => Promise<StoredEntry[] | undefined>,
    private readonly readIndex: (id: string) => Promise<number | undefined>,
  ) {}

  entries(i: number): Promise<StoredEntry[] | undefined> {
    if (i === this.snap.segs.length - 1 && this.snap.tail) return Promise.resolve(this.snap.tail);
    if (!this.cache.has(i)) this.cache.set(i, this.readSegment(this.snap.segs[i].n));
    return this.cache.get(i)!;
  }

  async locate(id: string): Promise<{ position: number } | undefined> {
    const { snap } = this;
    const last = snap.segs.length - 1;
    const inTail = snap.tail ? snap.tail.findIndex((e) => e[0] === id) : -1;
    if (inTail >= 0) return this.visible(last, inTail, snap.tail![inTail]);
    const n = await this.readIndex(id);
    const i = snap.segs.findIndex((s) => s.n === n);
    if (i < 0) return undefined;
    const entries = await this.entries(i);
    const j = entries?.findIndex((e) => e[0] === id) ?? -1;
    return j >= 0 ? this.visible(i, j, entries![j]) : undefined;
  }

  private visible(i: number, j: number, entry: StoredEntry): { position: number } | undefined {
    const position = this.snap.base[i] + j;
    return position > this.snap.floor && entry[1] >= this.snap.tsFloor ? { position } : undefined;
  }
}

function overlaps(snap: Snapshot, i: number, f: Filter): boolean {
  const s = snap.segs[i];
  const firstPos = snap.base[i];
  const lastPos = firstPos + s.count - 1;
  if (f.positions && ![...f.positions].some((p) => p >= firstPos && p <= lastPos)) return false;
  return lastPos > f.lo && firstPos < f.hi && s.maxTs >= f.tsLo && s.minTs <= f.tsHi;
}

function matches(f: Filter, position: number, e: StoredEntry): boolean {
  return position > f.lo && position < f.hi && e[1] >= f.tsLo && e[1] <= f.tsHi
    && (f.with === undefined || e[2] === f.with) && (f.positions === undefined || f.positions.has(position));
}

/** Whole segments inside every bound are counted from their descriptor; only boundary segments are read. */
async function countMatches(snap: Snapshot, reader: SegmentReader, f: Filter): Promise<number> {
  let count = 0;
  for (let i = 0; i < snap.segs.length; i++) {
    if (!overlaps(snap, i, f)) continue;
    const s = snap.segs[i];
    const inside = snap.base[i] > f.lo && snap.base[i] + s.count - 1 < f.hi && s.minTs >= f.tsLo && s.maxTs <= f.tsHi;
    if (inside && f.positions === undefined) {
      count += s.count;
      continue;
    }
    for (const [j, e] of (await reader.entries(i) ?? []).entries()) if (matches(f, snap.base[i] + j, e)) count++;
  }
  return count;
}

function summarize(n: number, entries: StoredEntry[]): Segment {
  const stamps = entries.map((e) => e[1]);
  return { n, count: entries.length, minTs: Math.min(...stamps), maxTs: Math.max(...stamps) };
}

function toEntry(e: StoredEntry): ArchiveEntry {
  return { id: e[0], ts: e[1], with: e[2], stanza: e[3] };
}

/** Scopes and ids may hold any character and be long: a hash keeps keys short and safe for every backend. */
function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 24);
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new Error(`Archive: ${name} must be a positive integer`);
  return value;
}
