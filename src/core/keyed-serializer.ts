/**
 * Runs tasks one at a time per key, in call order; different keys run concurrently. The chain
 * of a key is dropped once it is idle, so a million users cost nothing while nothing runs.
 */
export class KeyedSerializer {
  private readonly tails = new Map<string, Promise<void>>();

  /** True while a task of this key is running or waiting. */
  busy(key: string): boolean {
    return this.tails.has(key);
  }

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => done);
    this.tails.set(key, tail);
    await previous;
    try {
      return await task();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
