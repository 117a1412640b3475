/**
 * Outgoing flood control for one IRC connection: a token bucket that lets `burst` lines out at
 * once and then one line every `intervalMs`, so servers never disconnect the gateway for
 * "Excess Flood". Lines wait in order; nothing is dropped while the connection is paused.
 */

export interface FloodOptions {
  burst: number;
  intervalMs: number;
  /** Lines allowed to wait before new ones are refused (protects memory from a runaway sender). */
  maxQueued: number;
}

export interface QueuedLine {
  line: string;
  /** Control lines (JOIN, MODE...) are dropped on disconnect; messages wait for the next connection. */
  kind: 'message' | 'control';
  /** Called once the line has been handed to the socket. */
  sent?: () => void;
}

export class FloodQueue {
  private readonly queue: QueuedLine[] = [];
  private tokens: number;
  private lastRefill: number;
  private timer?: NodeJS.Timeout;
  private paused = true;

  constructor(
    private readonly options: FloodOptions,
    private readonly write: (line: string) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = options.burst;
    this.lastRefill = now();
  }

  get length(): number {
    return this.queue.length;
  }

  /** Returns false (and queues nothing) when the queue is full. */
  push(...lines: QueuedLine[]): boolean {
    if (this.queue.length + lines.length > this.options.maxQueued) return false;
    this.queue.push(...lines);
    this.pump();
    return true;
  }

  /** Lines that must precede everything already waiting (re-joins after a reconnect). */
  pushFront(...lines: QueuedLine[]): void {
    this.queue.unshift(...lines);
    this.pump();
  }

  /** Connection registered: start sending with a fresh burst. */
  resume(): void {
    this.paused = false;
    this.tokens = this.options.burst;
    this.lastRefill = this.now();
    this.pump();
  }

  /** Connection lost: keep messages for the next connection, forget control lines. */
  pause(): void {
    this.paused = true;
    this.stopTimer();
    for (let i = this.queue.length - 1; i >= 0; i--) {
      if (this.queue[i].kind === 'control') this.queue.splice(i, 1);
    }
  }

  /** Session over: nothing more will be sent. */
  clear(): QueuedLine[] {
    this.paused = true;
    this.stopTimer();
    return this.queue.splice(0);
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
    while (this.queue.length && this.tokens > 0) {
      const item = this.queue.shift() as QueuedLine;
      this.tokens--;
      this.write(item.line);
      item.sent?.();
    }
    if (this.queue.length) {
      const wait = Math.max(1, this.lastRefill + this.options.intervalMs - this.now());
      this.timer = setTimeout(() => { this.timer = undefined; this.pump(); }, wait);
    }
  }

  private stopTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
