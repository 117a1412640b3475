/**
 * The pace at which the gateway opens connections to one IRC server, shared by every user of
 * the transport. Networks throttle connections per source (Libera, OFTC: a few per second, then
 * "Throttled: Reconnecting too fast" or a temporary K-line), so a gateway restart with hundreds
 * of users, or hundreds of reconnects after a netsplit, must not arrive all at once.
 *
 * A token bucket per server name (lower case): `burst` connections may start at once, then one
 * every 1/perSecond s. Waiters queue in order; a first login (a user waiting for the answer to
 * a registration) goes ahead of restores and reconnects, which nobody is watching.
 */

export interface PaceRule {
  /** Connections per second, after the burst. */
  perSecond: number;
  /** Connections that may start at once when the server has not been connected to for a while. */
  burst: number;
}

/** Time and timers, replaceable in unit tests. */
export interface PaceClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface PaceTicket {
  /** true once the connection may start; false when cancelled first. */
  readonly granted: Promise<boolean>;
  /** Leaves the queue (the connection was closed while waiting); no effect once granted. */
  cancel(): void;
}

const realClock: PaceClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    // A queue of reconnects must not keep a stopping process alive.
    timer.unref();
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

interface Waiter {
  urgent: boolean;
  grant(granted: boolean): void;
}

interface Bucket {
  tokens: number;
  updated: number;
  queue: Waiter[];
  timer?: unknown;
}

export class ConnectPace {
  private readonly buckets = new Map<string, Bucket>();

  /** Without a rule every connection starts at once. */
  constructor(private readonly rule: PaceRule | undefined, private readonly clock: PaceClock = realClock) {}

  /** Waits for a connection slot to `server`; `urgent` goes ahead of the non-urgent waiters. */
  take(server: string, urgent = false): PaceTicket {
    const rule = this.rule;
    if (!rule) return { granted: Promise.resolve(true), cancel: () => undefined };
    const key = server.toLowerCase();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { tokens: rule.burst, updated: this.clock.now(), queue: [] };
      this.buckets.set(key, bucket);
    }
    this.refill(bucket, rule);
    if (bucket.queue.length === 0 && bucket.tokens >= 1) {
      bucket.tokens -= 1;
      this.schedule(key, bucket, rule);
      return { granted: Promise.resolve(true), cancel: () => undefined };
    }
    let waiter!: Waiter;
    const granted = new Promise<boolean>((resolve) => {
      waiter = { urgent, grant: resolve };
    });
    const queue = bucket.queue;
    // Urgent waiters keep their own order, ahead of every non-urgent one.
    const at = urgent ? queue.findIndex((w) => !w.urgent) : -1;
    if (at === -1) queue.push(waiter);
    else queue.splice(at, 0, waiter);
    this.schedule(key, bucket, rule);
    const owner = bucket;
    return {
      granted,
      cancel: () => {
        const index = owner.queue.indexOf(waiter);
        if (index === -1) return;
        owner.queue.splice(index, 1);
        waiter.grant(false);
        this.schedule(key, owner, rule);
      },
    };
  }

  /** Connections waiting for `server`. */
  waiting(server: string): number {
    return this.buckets.get(server.toLowerCase())?.queue.length ?? 0;
  }

  private refill(bucket: Bucket, rule: PaceRule): void {
    const now = this.clock.now();
    bucket.tokens = Math.min(rule.burst, bucket.tokens + ((now - bucket.updated) / 1000) * rule.perSecond);
    bucket.updated = now;
  }

  /** Grants what the bucket allows, then sets one timer for the next token, or forgets an idle server. */
  private schedule(key: string, bucket: Bucket, rule: PaceRule): void {
    if (bucket.timer !== undefined) {
      this.clock.clearTimeout(bucket.timer);
      bucket.timer = undefined;
    }
    this.refill(bucket, rule);
    while (bucket.queue.length > 0 && bucket.tokens >= 1) {
      bucket.tokens -= 1;
      bucket.queue.shift()!.grant(true);
    }
    if (bucket.queue.length === 0 && bucket.tokens >= rule.burst) {
      // Full and idle: a new bucket would be the same, so the map does not grow with every server ever used.
      this.buckets.delete(key);
      return;
    }
    const target = bucket.queue.length > 0 ? 1 : rule.burst;
    // Rounded up: a timer that fires a fraction early would find less than a token and wait again.
    const ms = Math.max(1, Math.ceil(((target - bucket.tokens) / rule.perSecond) * 1000));
    bucket.timer = this.clock.setTimeout(() => {
      bucket.timer = undefined;
      this.schedule(key, bucket, rule);
    }, ms);
  }
}
