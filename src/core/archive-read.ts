import { createHash } from 'node:crypto';

/**
 * The archive's types and its read side (src/core/archive.ts): positions, filters and paging
 * over a snapshot of a scope's segments, reading each stored segment at most once per query.
 */

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
  /**
   * How long a scope's batch takes appends before it is written (ms); 0 writes in the next turn.
   * Also the longest a crash can cut off, plus one write in flight. Default 10.
   */
  batchWindowMs?: number;
  /** Key prefix inside the KeyValue. Default 'mam'. */
  prefix?: string;
  now?: () => number;
  newId?: () => string;
}

/** Entries are stored as tuples: small to serialize, since a segment is written whole. */
export type StoredEntry = [id: string, ts: number, peer: string, stanza: string];
export interface Segment { n: number; count: number; minTs: number; maxTs: number }

export interface Snapshot {
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

/** lo/hi: exclusive position bounds; tsLo/tsHi: inclusive. */
export interface Filter { lo: number; hi: number; tsLo: number; tsHi: number; with?: string; positions?: Set<number> }

/** Reads each segment at most once per query; the open segment comes from the snapshot. */
export class SegmentReader {
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

export function overlaps(snap: Snapshot, i: number, f: Filter): boolean {
  const s = snap.segs[i];
  const firstPos = snap.base[i];
  const lastPos = firstPos + s.count - 1;
  if (f.positions && ![...f.positions].some((p) => p >= firstPos && p <= lastPos)) return false;
  return lastPos > f.lo && firstPos < f.hi && s.maxTs >= f.tsLo && s.minTs <= f.tsHi;
}

export function matches(f: Filter, position: number, e: StoredEntry): boolean {
  return position > f.lo && position < f.hi && e[1] >= f.tsLo && e[1] <= f.tsHi
    && (f.with === undefined || e[2] === f.with) && (f.positions === undefined || f.positions.has(position));
}

/** Whole segments inside every bound are counted from their descriptor; only boundary segments are read. */
export async function countMatches(snap: Snapshot, reader: SegmentReader, f: Filter): Promise<number> {
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

export function summarize(n: number, entries: StoredEntry[]): Segment {
  let minTs = Infinity;
  let maxTs = -Infinity;
  for (const e of entries) {
    if (e[1] < minTs) minTs = e[1];
    if (e[1] > maxTs) maxTs = e[1];
  }
  return { n, count: entries.length, minTs, maxTs };
}

export function toEntry(e: StoredEntry): ArchiveEntry {
  return { id: e[0], ts: e[1], with: e[2], stanza: e[3] };
}

/** Scopes and ids may hold any character and be long: a hash keeps keys short and safe for every backend. */
export function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 24);
}
