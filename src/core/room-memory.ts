import type { Logger } from 'pino';
import type { KeyValue } from '../store/types';

/** Which rooms a user is in, with the nick and the XMPP resources in each (full JIDs). */
export type RoomSnapshot = Record<string, { nick: string; resources: string[] }>;

/** In the user's state, beside the adapter's keys: `core:` keys belong to the core. */
const ROOMS_KEY = 'core:rooms';

/**
 * Keeps a user's room membership in the store, so that after a crash or restart the gateway
 * knows which resources were in which rooms. Writes are coalesced: a burst of joins costs one
 * write, and writes never overlap (the last snapshot always wins).
 */
export class RoomMemory {
  private writing = false;
  private pending?: () => RoomSnapshot;
  /** What the store holds, as JSON: a re-join after a reconnect changes nothing and writes nothing. */
  private stored?: string;

  constructor(private readonly state: KeyValue, private readonly logger: Logger) {}

  async load(): Promise<RoomSnapshot> {
    try {
      const snapshot = (await this.state.get<RoomSnapshot>(ROOMS_KEY)) ?? {};
      this.stored = JSON.stringify(snapshot);
      return snapshot;
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'cannot read the rooms the user was in');
      return {};
    }
  }

  /** Records the snapshot `take()` returns when the write happens (the latest state, not a stale copy). */
  save(take: () => RoomSnapshot): void {
    this.pending = take;
    if (!this.writing) void this.flush();
  }

  private async flush(): Promise<void> {
    this.writing = true;
    try {
      while (this.pending) {
        const take = this.pending;
        this.pending = undefined;
        const snapshot = take();
        const json = JSON.stringify(snapshot);
        if (json === this.stored) continue;
        try {
          if (Object.keys(snapshot).length) await this.state.set(ROOMS_KEY, snapshot);
          else await this.state.delete(ROOMS_KEY);
          this.stored = json;
        } catch (err) {
          // The live state is unaffected; only a restart would not find the user's rooms.
          this.logger.warn({ err: (err as Error).message }, 'cannot store the rooms the user is in');
        }
      }
    } finally {
      this.writing = false;
    }
  }
}
