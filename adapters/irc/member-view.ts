/**
 * One user's member list of one channel, as one byte per slot of the channel's shared
 * NickSlots: a presence bit and the prefix modes. Away messages are kept per view, and only
 * for members who are away, so that each view reports a change exactly once.
 */
import type { NickSlots } from './channel-directory';

export const PREFIX_MODES = ['q', 'a', 'o', 'h', 'v'] as const;

const PRESENT = 1;
const MODE_BIT: Record<string, number> = { q: 2, a: 4, o: 8, h: 16, v: 32 };
const MODE_MASK = 2 | 4 | 8 | 16 | 32;

export interface Member {
  nick: string;
  /** Channel prefix modes held, in the order q a o h v (e.g. "ov"). */
  modes: string;
  away?: string;
}

export function modeBits(modes: Iterable<string>): number {
  let bits = 0;
  for (const letter of modes) bits |= MODE_BIT[letter] ?? 0;
  return bits;
}

function modeLetters(bits: number): string {
  let letters = '';
  for (const letter of PREFIX_MODES) if (bits & MODE_BIT[letter]) letters += letter;
  return letters;
}

export class MemberView {
  private flags = new Uint8Array(0);
  private away?: Map<number, string>;
  private count = 0;

  constructor(readonly slots: NickSlots) {}

  get size(): number {
    return this.count;
  }

  private slotOf(key: string): number | undefined {
    const slot = this.slots.find(key);
    return slot !== undefined && slot < this.flags.length && this.flags[slot] & PRESENT ? slot : undefined;
  }

  private member(slot: number): Member {
    const away = this.away?.get(slot);
    const member: Member = { nick: this.slots.nick(slot), modes: modeLetters(this.flags[slot]) };
    if (away !== undefined) member.away = away;
    return member;
  }

  private mark(slot: number, bits: number): void {
    if (slot >= this.flags.length) {
      const grown = new Uint8Array(Math.max(8, slot + 1, this.flags.length * 2));
      grown.set(this.flags);
      this.flags = grown;
    }
    if (!(this.flags[slot] & PRESENT)) this.count++;
    this.flags[slot] = PRESENT | bits;
  }

  private unmark(slot: number): void {
    this.flags[slot] = 0;
    this.count--;
    this.away?.delete(slot);
    if (this.away?.size === 0) this.away = undefined;
    this.slots.release(slot);
  }

  has(key: string): boolean {
    return this.slotOf(key) !== undefined;
  }

  get(key: string): Member | undefined {
    const slot = this.slotOf(key);
    return slot === undefined ? undefined : this.member(slot);
  }

  /** A member arrived (or is listed again): present with exactly these modes. */
  set(key: string, nick: string, modes: Iterable<string> = ''): Member {
    const existing = this.slotOf(key);
    if (existing !== undefined) {
      this.slots.acquire(key, nick);
      this.slots.release(existing);
      this.flags[existing] = PRESENT | modeBits(modes);
      return this.member(existing);
    }
    const slot = this.slots.acquire(key, nick);
    this.mark(slot, modeBits(modes));
    return this.member(slot);
  }

  /** Removes the member; returns what it was, for the unavailable presence. */
  delete(key: string): Member | undefined {
    const slot = this.slotOf(key);
    if (slot === undefined) return undefined;
    const member = this.member(slot);
    this.unmark(slot);
    return member;
  }

  /** NICK: same member, new name; modes and away state move with it. */
  rename(oldKey: string, newKey: string, newNick: string): Member | undefined {
    const oldSlot = this.slotOf(oldKey);
    if (oldSlot === undefined) return undefined;
    const bits = this.flags[oldSlot] & MODE_MASK;
    const away = this.away?.get(oldSlot);
    const slot = this.slots.acquire(newKey, newNick);
    if (slot === oldSlot) {
      // Only the case changed: the acquire above updated the display nick; drop the extra hold.
      this.slots.release(slot);
      return this.member(slot);
    }
    this.unmark(oldSlot);
    if (this.flags.length > slot && this.flags[slot] & PRESENT) this.slots.release(slot);
    this.mark(slot, bits);
    if (away !== undefined) (this.away ??= new Map()).set(slot, away);
    return this.member(slot);
  }

  /** +o/-o and the like; returns the member when it is present. */
  setMode(key: string, letter: string, on: boolean): Member | undefined {
    const slot = this.slotOf(key);
    const bit = MODE_BIT[letter];
    if (slot === undefined || bit === undefined) return undefined;
    this.flags[slot] = on ? this.flags[slot] | bit : this.flags[slot] & ~bit;
    return this.member(slot);
  }

  /** Returns the member when its away state actually changed. */
  setAway(key: string, message: string | undefined): Member | undefined {
    const slot = this.slotOf(key);
    if (slot === undefined || this.away?.get(slot) === message) return undefined;
    if (message === undefined) {
      this.away?.delete(slot);
      if (this.away?.size === 0) this.away = undefined;
    } else {
      (this.away ??= new Map()).set(slot, message);
    }
    return this.member(slot);
  }

  /** A complete NAMES list: replaces the members, keeping the away state of those who stay. */
  replaceAll(members: { key: string; nick: string; modes: Iterable<string> }[]): void {
    const oldFlags = this.flags;
    const oldAway = this.away;
    this.flags = new Uint8Array(Math.max(8, oldFlags.length));
    this.away = undefined;
    this.count = 0;
    // Hold the new slots before letting go of the old ones, so a member in both keeps its slot.
    for (const m of members) {
      const slot = this.slots.acquire(m.key, m.nick);
      if (slot < this.flags.length && this.flags[slot] & PRESENT) {
        this.slots.release(slot); // listed twice
      }
      this.mark(slot, modeBits(m.modes));
      const away = oldFlags[slot] & PRESENT ? oldAway?.get(slot) : undefined;
      if (away !== undefined) (this.away ??= new Map()).set(slot, away);
    }
    for (let slot = 0; slot < oldFlags.length; slot++) if (oldFlags[slot] & PRESENT) this.slots.release(slot);
  }

  clear(): void {
    for (let slot = 0; slot < this.flags.length; slot++) if (this.flags[slot] & PRESENT) this.slots.release(slot);
    this.flags = new Uint8Array(0);
    this.away = undefined;
    this.count = 0;
  }

  *values(): IterableIterator<Member> {
    for (let slot = 0; slot < this.flags.length; slot++) if (this.flags[slot] & PRESENT) yield this.member(slot);
  }
}
