interface Send<R> {
  ref: R;
  done: Promise<void>;
  abandoned: boolean;
  /** Settles the caller's promise without the send's own result. */
  release(): void;
}

/**
 * What a session accepted and has not finished (an SMTP send and its Sent-folder copy, the parts
 * of an SMS), so a shutdown can wait for it up to a deadline and then fail each unfinished message
 * exactly once. `R` is what the session needs to tell the sender about a send given up on.
 */
export class InFlight<R> {
  private readonly sends = new Set<Send<R>>();
  private readonly chores = new Set<Promise<void>>();
  private closing = false;

  get draining(): boolean {
    return this.closing;
  }

  /**
   * Runs one accepted send. If drain() gives up on it, the returned promise resolves at once (the
   * sender was told through `fail`) and `abandoned()` tells the work to drop its late result.
   */
  async send(ref: R, work: (abandoned: () => boolean) => Promise<void>): Promise<void> {
    let release!: () => void;
    const released = new Promise<void>((resolve) => { release = resolve; });
    const entry: Send<R> = { ref, abandoned: false, release, done: Promise.resolve() };
    const result = work(() => entry.abandoned);
    entry.done = result.then(() => undefined, () => undefined).finally(() => this.sends.delete(entry));
    this.sends.add(entry);
    await Promise.race([result, released]);
  }

  /** Background work that a shutdown waits for but that nobody is waiting on (the Sent copy). */
  track(chore: Promise<unknown>): void {
    const entry: Promise<void> = chore.then(() => undefined, () => undefined).finally(() => this.chores.delete(entry));
    this.chores.add(entry);
  }

  /**
   * Waits for everything in flight until `deadline`; then `fail` is called once per send still
   * running, whose late outcome is ignored. Returns how many background chores were left unfinished.
   */
  async drain(deadline: number, fail: (ref: R) => void): Promise<number> {
    this.closing = true;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<true>((resolve) => { timer = setTimeout(() => resolve(true), Math.max(0, deadline - Date.now())); });
    try {
      // A send that finishes may start its Sent copy, so look again until nothing is left.
      while (this.sends.size || this.chores.size) {
        const current = [...[...this.sends].map((s) => s.done), ...this.chores];
        if (await Promise.race([Promise.allSettled(current).then(() => false), expired])) break;
      }
    } finally {
      clearTimeout(timer);
    }
    for (const entry of [...this.sends]) {
      entry.abandoned = true;
      this.sends.delete(entry);
      fail(entry.ref);
      entry.release();
    }
    return this.chores.size;
  }
}
