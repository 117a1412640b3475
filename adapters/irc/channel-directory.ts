/**
 * Channel membership shared between the gateway's users. Every user has their own IRC
 * connection, so N users in one channel would each hold the full list of N members: N² nick
 * strings and map entries, the bulk of the gateway's memory in a busy channel. Here each
 * (server, channel) has one table of nicks, and each user's view of the channel is one byte
 * per slot of that table (MemberView). Views stay independent: each is updated only by its own
 * connection's events, so what one user sees never depends on another user's timing.
 */

/** One channel's nicks, numbered; a slot lives as long as at least one view holds it. */
export class NickSlots {
  private readonly nicks: (string | undefined)[] = [];
  private readonly keys: (string | undefined)[] = [];
  private readonly refs: number[] = [];
  private readonly index = new Map<string, number>();
  private readonly free: number[] = [];
  /** Views open on this table (for the directory's bookkeeping). */
  views = 0;

  constructor(readonly id: string) {}

  /** Number of slots in use (for tests and metrics). */
  get size(): number {
    return this.index.size;
  }

  find(key: string): number | undefined {
    return this.index.get(key);
  }

  nick(slot: number): string {
    return this.nicks[slot] ?? '';
  }

  /** One more holder of the slot for `key`; `nick` becomes its display form (servers may change a nick's case). */
  acquire(key: string, nick: string): number {
    let slot = this.index.get(key);
    if (slot === undefined) {
      slot = this.free.pop() ?? this.nicks.length;
      this.index.set(key, slot);
      this.keys[slot] = key;
      this.refs[slot] = 0;
    }
    this.nicks[slot] = nick;
    this.refs[slot]++;
    return slot;
  }

  release(slot: number): void {
    if (--this.refs[slot] > 0) return;
    const key = this.keys[slot];
    if (key !== undefined) this.index.delete(key);
    this.keys[slot] = undefined;
    this.nicks[slot] = undefined;
    this.free.push(slot);
  }
}

/** The NickSlots of every channel the gateway's users are in, per IRC server. */
export class ChannelDirectory {
  private readonly tables = new Map<string, NickSlots>();

  /** Number of channels with at least one open view. */
  get size(): number {
    return this.tables.size;
  }

  open(server: string, channelKey: string): NickSlots {
    const id = `${server} ${channelKey}`;
    let table = this.tables.get(id);
    if (!table) {
      table = new NickSlots(id);
      this.tables.set(id, table);
    }
    table.views++;
    return table;
  }

  close(table: NickSlots): void {
    if (--table.views <= 0) this.tables.delete(table.id);
  }
}
