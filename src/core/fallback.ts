/**
 * What a message feature looks like as plain text, for networks (or servers) that cannot carry
 * it: every user on the legacy side still sees what happened, in a form people already use.
 */
import type { MessageRef } from './adapter';

const EXCERPT_CHARS = 60;

/** The first line of a text, cut short, for quoting in one line. */
export function excerpt(text: string, max = EXCERPT_CHARS): string {
  const line = text.trim().split('\n')[0] ?? '';
  const chars = Array.from(line);
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : line;
}

/** XEP-0308 as text: the usual "*" prefix of a correction in chat. */
export function correctionText(body: string): string {
  return `* ${body}`;
}

/** XEP-0461 as text: the quoted message, then the answer. */
export function replyText(target: MessageRef, body: string): string {
  if (!target.text) return body;
  const who = target.author ? `${target.author}: ` : '';
  return `> ${who}${excerpt(target.text)}\n${body}`;
}

/** XEP-0444 as text. */
export function reactionText(emojis: string[], target: MessageRef): string {
  const about = target.text ? ` to "${excerpt(target.text, 40)}"` : '';
  return emojis.length ? `Reacted ${emojis.join(' ')}${about}` : `Withdrew the reaction${about}`;
}
