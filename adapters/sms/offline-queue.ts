import { KeyedMutex } from '../../src/keyed-mutex';
import type { KeyValue } from '../../src/store/types';

/** A webhook request kept until its owner's session is back. */
export interface PendingRequest {
  kind: 'inbound' | 'status';
  params: Record<string, string>;
  receivedAt: number;
  /**
   * Checked against the owner's stored auth token when it arrived (every request kept now is).
   * Only lists kept by older versions lack it: they carry the url and signature to check at login.
   */
  verified?: boolean;
  url?: string;
  signature?: string;
}

export interface QueueBounds {
  maxMessages: number;
  maxBytes: number;
}

export type AddOutcome = 'kept' | 'duplicate' | 'full';

/** Where a number's queue stands: entries live under their own keys, seq in [head, next). */
interface QueueMeta {
  head: number;
  next: number;
  bytes: number;
}

const EMPTY: QueueMeta = { head: 0, next: 0, bytes: 0 };

/**
 * Per-number FIFO of kept webhooks on a plain KeyValue (SQLite, Redis and PostgreSQL alike): one
 * key per request plus a small counter record, so adding reads and writes a few hundred bytes
 * however long the queue is, and its size is bounded in count and bytes. Operations on one number
 * run one at a time (the gateway is one process).
 */
export class OfflineQueue {
  private readonly locks = new KeyedMutex();

  constructor(private readonly kv: KeyValue) {}

  private metaKey(number: string): string {
    return `pending-meta:${number}`;
  }

  private entryKey(number: string, seq: number): string {
    return `pending:${number}:${seq}`;
  }

  /** Marks a request already kept, so Twilio's retries of it do not pile up. */
  private markerKey(number: string, request: PendingRequest): string | undefined {
    const sid = request.params.MessageSid ?? request.params.SmsSid;
    if (!sid) return undefined;
    const status = request.params.MessageStatus ?? request.params.SmsStatus ?? '';
    return `pending-seen:${number}:${request.kind}:${sid}:${status}`;
  }

  add(number: string, request: PendingRequest, bounds: QueueBounds, markerTtlMs: number): Promise<AddOutcome> {
    return this.locks.run(number, async () => {
      const marker = this.markerKey(number, request);
      if (marker && (await this.kv.get(marker))) return 'duplicate';
      const meta = (await this.kv.get<QueueMeta>(this.metaKey(number))) ?? EMPTY;
      const size = Buffer.byteLength(JSON.stringify(request));
      if (meta.next - meta.head >= bounds.maxMessages || meta.bytes + size > bounds.maxBytes) return 'full';
      // Entry before counter: a crash in between leaves an entry the counter does not cover,
      // which the next add overwrites.
      await this.kv.set(this.entryKey(number, meta.next), request);
      await this.kv.set(this.metaKey(number), { head: meta.head, next: meta.next + 1, bytes: meta.bytes + size });
      if (marker) await this.kv.set(marker, 1, markerTtlMs);
      return 'kept';
    });
  }

  /** How much is kept for `number` (tests, logs). */
  async size(number: string): Promise<{ messages: number; bytes: number }> {
    const meta = (await this.kv.get<QueueMeta>(this.metaKey(number))) ?? EMPTY;
    return { messages: meta.next - meta.head, bytes: meta.bytes };
  }

  /**
   * Hands each kept request to `handle` in arrival order, forgetting each once handled (a crash in
   * between replays it, which the MessageSid check on delivery absorbs). If `handle` throws, the
   * rest stays kept for the next time.
   */
  drain(number: string, handle: (request: PendingRequest) => Promise<void>): Promise<number> {
    return this.locks.run(number, async () => {
      let handled = await this.drainLegacyList(number, handle);
      const meta = await this.kv.get<QueueMeta>(this.metaKey(number));
      if (!meta) return handled;
      const left = { ...meta };
      try {
        for (let seq = meta.head; seq < meta.next; seq++) {
          const key = this.entryKey(number, seq);
          const request = await this.kv.get<PendingRequest>(key);
          if (request) {
            await handle(request);
            handled++;
            left.bytes -= Buffer.byteLength(JSON.stringify(request));
          }
          await this.kv.delete(key);
          left.head = seq + 1;
        }
      } finally {
        if (left.head >= left.next) await this.kv.delete(this.metaKey(number));
        else if (left.head !== meta.head) await this.kv.set(this.metaKey(number), { ...left, bytes: Math.max(0, left.bytes) });
      }
      return handled;
    });
  }

  /** Forgets everything kept for `number` (the number was released). */
  clear(number: string): Promise<void> {
    return this.locks.run(number, async () => {
      await this.kv.delete(`pending:${number}`);
      const meta = await this.kv.get<QueueMeta>(this.metaKey(number));
      if (!meta) return;
      for (let seq = meta.head; seq < meta.next; seq++) await this.kv.delete(this.entryKey(number, seq));
      await this.kv.delete(this.metaKey(number));
    });
  }

  /** Versions before the queue kept one list under `pending:<number>`: hand those over once. */
  private async drainLegacyList(number: string, handle: (request: PendingRequest) => Promise<void>): Promise<number> {
    const key = `pending:${number}`;
    const list = await this.kv.get<PendingRequest[]>(key);
    if (!Array.isArray(list)) return 0;
    for (const request of list) await handle({ ...request, verified: false });
    await this.kv.delete(key);
    return list.length;
  }
}
