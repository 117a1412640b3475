/**
 * Runs tasks one at a time per key, in call order; different keys run concurrently. The chain
 * of a key is dropped once it is idle, so a million idle keys cost nothing. The gateway is one
 * process: this is all the locking it needs (store read-modify-write, a user's session changes).
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, critical: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => done);
    this.tails.set(key, tail);
    await previous;
    try {
      return await critical();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
