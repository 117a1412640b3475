/**
 * Outgoing flood control for one IRC connection: a token bucket that lets `burst` lines out at
 * once and then one line every `intervalMs`, so servers never disconnect the gateway for
 * "Excess Flood". The server counts every line against one budget, so there is one bucket; but
 * conversation and control lines (JOIN, PART, MODE, WHOIS...) wait in two lanes that take turns,
 * so a message never waits behind more than one control line: 200 JOINs of a reconnect or an
 * auto-join do not hold a 1:1 message back for minutes.
 */

export interface FloodOptions {
  burst: number;
  intervalMs: number;
  /** Lines allowed to wait per lane before new ones are refused (protects memory from a runaway sender). */
  maxQueued: number;
}

export interface QueuedLine {
  line: string;
  /** Control lines (JOIN, MODE...) are dropped on disconnect; messages wait for the next connection. */
  kind: 'message' | 'control';
  /**
   * Lower-cased channel the line concerns. Lines for one channel keep their order across the
   * lanes: a message queued before a reconnect follows that channel's re-JOIN, and one queued
   * before a PART goes out before it.
   */
  channel?: string;
  /** Called once the line has been handed to the socket. */
  sent?: () => void;
  /**
   * Called when the line is given up unsent (shutdown deadline). All lines of one XMPP message
   * share the same function, so its sender hears once, however many lines were left.
   */
  failed?: () => void;
}

interface Entry {
  item: QueuedLine;
  /** Queue order across both lanes (lines put in front get lower numbers than any waiting). */
  seq: number;
}

/** One lane, first in first out, knowing the order of the oldest waiting line of each channel. */
class Lane {
  readonly entries: Entry[] = [];
  private readonly byChannel = new Map<string, number[]>();

  get length(): number {
    return this.entries.length;
  }

  /** One entry at the back (the common case: no arrays built for it). */
  append(entry: Entry): void {
    this.entries.push(entry);
    const channel = entry.item.channel;
    if (!channel) return;
    const seqs = this.byChannel.get(channel);
    if (seqs) seqs.push(entry.seq);
    else this.byChannel.set(channel, [entry.seq]);
  }

  add(entries: Entry[], front: boolean): void {
    if (front) this.entries.unshift(...entries);
    else this.entries.push(...entries);
    for (const entry of front ? [...entries].reverse() : entries) {
      const channel = entry.item.channel;
      if (!channel) continue;
      const seqs = this.byChannel.get(channel) ?? [];
      if (front) seqs.unshift(entry.seq);
      else seqs.push(entry.seq);
      this.byChannel.set(channel, seqs);
    }
  }

  shift(): QueuedLine | undefined {
    const entry = this.entries.shift();
    const channel = entry?.item.channel;
    if (channel) {
      const seqs = this.byChannel.get(channel);
      seqs?.shift();
      if (!seqs?.length) this.byChannel.delete(channel);
    }
    return entry?.item;
  }

  oldest(channel: string): number | undefined {
    return this.byChannel.get(channel)?.[0];
  }

  clear(): QueuedLine[] {
    this.byChannel.clear();
    return this.entries.splice(0).map((e) => e.item);
  }
}

export class FloodQueue {
  private readonly messages = new Lane();
  private readonly controls = new Lane();
  private lastSeq = 0;
  private firstSeq = 0;
  /** Whose turn it is: after a (re)registration, control lines (re-joins, WHOIS) go first. */
  private lastKind: QueuedLine['kind'] = 'message';
  private tokens: number;
  private lastRefill: number;
  private timer?: NodeJS.Timeout;
  private paused = true;
  private drainer?: { resolve: (unsent: QueuedLine[]) => void; timer: NodeJS.Timeout; done: Promise<QueuedLine[]> };

  constructor(
    private readonly options: FloodOptions,
    private readonly write: (line: string) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = options.burst;
    this.lastRefill = now();
  }

  get length(): number {
    return this.messages.length + this.controls.length;
  }

  /** Returns false (and queues nothing) when a lane would overflow. */
  push(...lines: QueuedLine[]): boolean {
    let control = 0;
    for (const line of lines) if (line.kind === 'control') control++;
    if (this.controls.length + control > this.options.maxQueued) return false;
    if (this.messages.length + lines.length - control > this.options.maxQueued) return false;
    for (const item of lines) (item.kind === 'message' ? this.messages : this.controls).append({ item, seq: ++this.lastSeq });
    this.pump();
    return true;
  }

  /** Lines that must precede everything already waiting (re-joins after a reconnect). */
  pushFront(...lines: QueuedLine[]): void {
    const first = this.firstSeq - lines.length;
    this.firstSeq = first;
    this.add(lines.map((item, i) => ({ item, seq: first + i })), true);
    this.pump();
  }

  private add(entries: Entry[], front: boolean): void {
    this.messages.add(entries.filter((e) => e.item.kind === 'message'), front);
    this.controls.add(entries.filter((e) => e.item.kind === 'control'), front);
  }

  /** Connection registered: start sending with a fresh burst. */
  resume(): void {
    this.paused = false;
    this.lastKind = 'message';
    this.tokens = this.options.burst;
    this.lastRefill = this.now();
    this.pump();
  }

  /** Connection lost: keep messages for the next connection, forget control lines. */
  pause(): void {
    this.paused = true;
    this.stopTimer();
    this.controls.clear();
  }

  /**
   * Session over: nothing more will be sent. Returns what was waiting; a drain still waiting
   * gets the message lines among it, so their senders are told.
   */
  clear(): QueuedLine[] {
    this.paused = true;
    this.stopTimer();
    const dropped = [...this.controls.clear(), ...this.messages.clear()];
    const drainer = this.drainer;
    this.drainer = undefined;
    if (drainer) {
      clearTimeout(drainer.timer);
      drainer.resolve(dropped.filter((l) => l.kind === 'message'));
    }
    return dropped;
  }

  /**
   * Shutdown: keeps sending until no message line waits (resolves with []) or until `deadline`
   * (epoch ms, on this queue's clock), when every line still waiting is removed and the message
   * lines among them are returned, for their senders to be told. Control lines are just dropped.
   */
  drain(deadline: number): Promise<QueuedLine[]> {
    if (!this.messages.length) return Promise.resolve([]);
    // Asked twice, the first deadline holds and the unsent lines are handed out once.
    if (this.drainer) return this.drainer.done.then(() => []);
    let resolve!: (unsent: QueuedLine[]) => void;
    const done = new Promise<QueuedLine[]>((r) => { resolve = r; });
    const timer = setTimeout(() => this.clear(), Math.max(0, deadline - this.now()));
    this.drainer = { resolve, timer, done };
    return done;
  }

  /** The last message line has left: a waiting drain is done. */
  private settleDrain(): void {
    const drainer = this.drainer;
    if (!drainer || this.messages.length) return;
    this.drainer = undefined;
    clearTimeout(drainer.timer);
    drainer.resolve([]);
  }

  /** Lanes take turns, unless the other lane holds an older line for the same channel. */
  private next(): QueuedLine | undefined {
    if (!this.messages.length) return this.controls.shift();
    if (!this.controls.length) return this.messages.shift();
    const [turn, other] = this.lastKind === 'control' ? [this.messages, this.controls] : [this.controls, this.messages];
    const head = turn.entries[0];
    const older = head.item.channel ? other.oldest(head.item.channel) : undefined;
    // Both lanes are in queue order, so the other lane's head is never held back in turn.
    return older !== undefined && older < head.seq ? other.shift() : turn.shift();
  }

  private refill(): void {
    const now = this.now();
    const earned = Math.floor((now - this.lastRefill) / this.options.intervalMs);
    if (earned > 0) {
      this.tokens = Math.min(this.options.burst, this.tokens + earned);
      this.lastRefill = this.tokens === this.options.burst ? now : this.lastRefill + earned * this.options.intervalMs;
    }
  }

  private pump(): void {
    if (this.paused || this.timer) return;
    this.refill();
    while (this.length && this.tokens > 0) {
      const item = this.next() as QueuedLine;
      this.lastKind = item.kind;
      this.tokens--;
      this.write(item.line);
      item.sent?.();
    }
    this.settleDrain();
    if (this.length) {
      const wait = Math.max(1, this.lastRefill + this.options.intervalMs - this.now());
      this.timer = setTimeout(() => { this.timer = undefined; this.pump(); }, wait);
    }
  }

  private stopTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
