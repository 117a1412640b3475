/**
 * Hands out start times at most `perSecond` per second, measured between the moments callers
 * are released (not between the moments they were scheduled): a timer that fires late then
 * pushes the next slot back instead of letting two starts bunch up behind it.
 */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export class Pacer {
  private readonly gapMs: number;
  private last = -Infinity;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(perSecond: number, private readonly clock: Clock = realClock) {
    this.gapMs = 1000 / Math.max(perSecond, 0.001);
  }

  /** Resolves with the release time once this caller may start; callers are released in call order. */
  next(): Promise<number> {
    const turn = this.chain.then(async () => {
      // setTimeout may fire a millisecond early by Date.now()'s reckoning: wait until the clock agrees.
      for (let now = this.clock.now(); now < this.last + this.gapMs; now = this.clock.now()) {
        await this.clock.sleep(this.last + this.gapMs - now);
      }
      this.last = this.clock.now();
      return this.last;
    });
    this.chain = turn;
    return turn;
  }
}
