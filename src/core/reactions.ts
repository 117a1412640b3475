/**
 * Networks report reactions one emoji at a time (IRC: one +draft/react per emoji, +draft/unreact
 * to take one back); XEP-0444 sends a sender's whole set. The sets of recent messages are kept
 * here, bounded: a change to a message older than that starts from an empty set.
 */
import type { ReactionChange } from './adapter';

const MAX_TRACKED = 500;

export class ReactionSets {
  private readonly sets = new Map<string, string[]>();

  /** The sender's whole set after the change. */
  apply(sender: string, change: ReactionChange): string[] {
    const key = `${sender}\n${change.legacyId}`;
    const current = this.sets.get(key) ?? [];
    const removed = new Set(change.remove ?? []);
    const next = current.filter((e) => !removed.has(e));
    for (const emoji of change.add ?? []) if (emoji && !next.includes(emoji)) next.push(emoji);
    // Re-inserted at the end: the map's order is the order of last use.
    this.sets.delete(key);
    if (next.length) this.sets.set(key, next);
    if (this.sets.size > MAX_TRACKED) this.sets.delete(this.sets.keys().next().value!);
    return next;
  }
}
