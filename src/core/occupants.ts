/**
 * Who is in a legacy room, kept once per room for all of the gateway's users in it.
 *
 * Each user has their own legacy connection, so N users in one room would each hold the full
 * list of N members: N² nick strings and map entries, the bulk of the gateway's memory in a busy
 * room. Here each legacy room has one table of nicks (OccupantSlots), and each user's view of it
 * (OccupantView) is two bytes per slot: presence, role, affiliation and eight bits the network
 * adapter may use for its own per-member flags (IRC keeps its channel prefix modes there). Views
 * stay independent: each is changed only by its own user's legacy connection, so what one user
 * sees never depends on another user's timing.
 */
import type { Affiliation, Occupant, PresenceShow, Role } from '../component/types';

/** One room's nicks, numbered; a slot lives as long as at least one view holds it. */
export class OccupantSlots {
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

  /** One more holder of the slot for `key`; `nick` becomes its display form (a network may change a nick's case). */
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

/** The OccupantSlots of every legacy room some user is in, per transport. */
export class OccupantDirectory {
  private readonly tables = new Map<string, OccupantSlots>();

  /** Number of rooms with at least one open view. */
  get size(): number {
    return this.tables.size;
  }

  open(roomId: string): OccupantSlots {
    let table = this.tables.get(roomId);
    if (!table) {
      table = new OccupantSlots(roomId);
      this.tables.set(roomId, table);
    }
    table.views++;
    return table;
  }

  close(table: OccupantSlots): void {
    if (--table.views <= 0) this.tables.delete(table.id);
  }
}

const ROLES: Role[] = ['none', 'visitor', 'participant', 'moderator'];
const AFFILIATIONS: Affiliation[] = ['none', 'outcast', 'member', 'admin', 'owner'];
const PRESENT = 1;
const ROLE_SHIFT = 1; // 2 bits
const AFFILIATION_SHIFT = 3; // 3 bits
const MARKS_SHIFT = 6; // 8 bits

function pack(o: { role: Role; affiliation: Affiliation; marks?: number }): number {
  return PRESENT | (ROLES.indexOf(o.role) << ROLE_SHIFT) | (AFFILIATIONS.indexOf(o.affiliation) << AFFILIATION_SHIFT) | ((o.marks ?? 0) & 0xff) << MARKS_SHIFT;
}

interface Presence {
  show?: PresenceShow;
  status?: string;
}

/**
 * One user's occupant list of one room over the room's shared slots. Show and status are kept
 * only for the occupants that have them (on IRC: those who are away).
 */
export class OccupantView {
  private flags = new Uint16Array(0);
  private presence?: Map<number, Presence>;
  private count = 0;

  constructor(readonly slots: OccupantSlots, private readonly fold: (nick: string) => string = (nick) => nick) {}

  get size(): number {
    return this.count;
  }

  private slotOf(nick: string): number | undefined {
    const slot = this.slots.find(this.fold(nick));
    return slot !== undefined && slot < this.flags.length && this.flags[slot] & PRESENT ? slot : undefined;
  }

  private occupant(slot: number): Occupant {
    const bits = this.flags[slot];
    const o: Occupant = {
      nick: this.slots.nick(slot),
      role: ROLES[(bits >> ROLE_SHIFT) & 3],
      affiliation: AFFILIATIONS[(bits >> AFFILIATION_SHIFT) & 7] ?? 'none',
    };
    const marks = bits >> MARKS_SHIFT;
    if (marks) o.marks = marks;
    const p = this.presence?.get(slot);
    if (p?.show) o.show = p.show;
    if (p?.status !== undefined) o.status = p.status;
    return o;
  }

  private mark(slot: number, bits: number): void {
    if (slot >= this.flags.length) {
      const grown = new Uint16Array(Math.max(8, slot + 1, this.flags.length * 2));
      grown.set(this.flags);
      this.flags = grown;
    }
    if (!(this.flags[slot] & PRESENT)) this.count++;
    this.flags[slot] = bits;
  }

  private unmark(slot: number): void {
    this.flags[slot] = 0;
    this.count--;
    this.setPresence(slot, undefined);
    this.slots.release(slot);
  }

  private setPresence(slot: number, p: Presence | undefined): void {
    if (p && (p.show || p.status !== undefined)) {
      (this.presence ??= new Map()).set(slot, { show: p.show, status: p.status });
    } else {
      this.presence?.delete(slot);
      if (this.presence?.size === 0) this.presence = undefined;
    }
  }

  has(nick: string): boolean {
    return this.slotOf(nick) !== undefined;
  }

  get(nick: string): Occupant | undefined {
    const slot = this.slotOf(nick);
    return slot === undefined ? undefined : this.occupant(slot);
  }

  /** The occupant is present with exactly this state (arrived, listed again, or changed). */
  set(o: Occupant): Occupant {
    const existing = this.slotOf(o.nick);
    if (existing !== undefined) {
      // Re-acquired then released: the slot stays, and takes the nick's new display form.
      this.slots.acquire(this.fold(o.nick), o.nick);
      this.slots.release(existing);
      this.flags[existing] = pack(o);
      this.setPresence(existing, o);
      return this.occupant(existing);
    }
    const slot = this.slots.acquire(this.fold(o.nick), o.nick);
    this.mark(slot, pack(o));
    this.setPresence(slot, o);
    return this.occupant(slot);
  }

  /** Removes the occupant; returns what it was, for its unavailable presence. */
  delete(nick: string): Occupant | undefined {
    const slot = this.slotOf(nick);
    if (slot === undefined) return undefined;
    const o = this.occupant(slot);
    this.unmark(slot);
    return o;
  }

  /** Same occupant, new name; role, affiliation, marks and presence move with it. */
  rename(oldNick: string, newNick: string): Occupant | undefined {
    const oldSlot = this.slotOf(oldNick);
    if (oldSlot === undefined) return undefined;
    const bits = this.flags[oldSlot];
    const p = this.presence?.get(oldSlot);
    const slot = this.slots.acquire(this.fold(newNick), newNick);
    if (slot === oldSlot) {
      // Only the case changed: the acquire above updated the display nick; drop the extra hold.
      this.slots.release(slot);
      return this.occupant(slot);
    }
    this.unmark(oldSlot);
    if (this.flags.length > slot && this.flags[slot] & PRESENT) this.slots.release(slot);
    this.mark(slot, bits);
    this.setPresence(slot, p);
    return this.occupant(slot);
  }

  /** A complete member list: replaces the occupants, keeping the show/status of those who stay unless given. */
  replaceAll(list: Occupant[]): void {
    const oldFlags = this.flags;
    const oldPresence = this.presence;
    this.flags = new Uint16Array(Math.max(8, oldFlags.length));
    this.presence = undefined;
    this.count = 0;
    // Hold the new slots before letting go of the old ones, so an occupant in both keeps its slot.
    for (const o of list) {
      const slot = this.slots.acquire(this.fold(o.nick), o.nick);
      if (slot < this.flags.length && this.flags[slot] & PRESENT) this.slots.release(slot); // listed twice
      this.mark(slot, pack(o));
      const kept = o.show || o.status !== undefined ? o : oldFlags[slot] & PRESENT ? oldPresence?.get(slot) : undefined;
      this.setPresence(slot, kept);
    }
    for (let slot = 0; slot < oldFlags.length; slot++) if (oldFlags[slot] & PRESENT) this.slots.release(slot);
  }

  clear(): void {
    for (let slot = 0; slot < this.flags.length; slot++) if (this.flags[slot] & PRESENT) this.slots.release(slot);
    this.flags = new Uint16Array(0);
    this.presence = undefined;
    this.count = 0;
  }

  *values(): IterableIterator<Occupant> {
    for (let slot = 0; slot < this.flags.length; slot++) if (this.flags[slot] & PRESENT) yield this.occupant(slot);
  }
}
