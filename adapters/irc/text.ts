/**
 * Outbound text rules for IRC: nothing from XMPP may end or extend an IRC line, and every
 * line the server relays must fit in 512 bytes including the prefix it adds.
 */

const IRC_LINE_BYTES = 512;
/** Worst-case size of the `user@host` part of the prefix the server adds when we do not know ours. */
const UNKNOWN_USERHOST_BYTES = 10 + 1 + 63;

/** Characters that end or corrupt an IRC line. */
const LINE_BREAKERS = /[\r\n\0]/g;

const ANY_BREAK = /[\r\n\0]/;

/** Replaces CR, LF and NUL with a space: for single-line values (topics, part reasons, nicks). */
export function singleLine(text: string): string {
  return text.replace(/\r\n/g, ' ').replace(LINE_BREAKERS, ' ');
}

/** Splits a body into its lines (any of CRLF, CR, LF) and removes NUL; empty lines are not sendable on IRC. */
export function bodyLines(body: string): string[] {
  // Most bodies are one line: no regular expressions, no intermediate arrays.
  if (!ANY_BREAK.test(body)) return body.length ? [body] : [];
  return body.replace(/\0/g, '').split(/\r\n|\r|\n/).filter((line) => line.length > 0);
}

export interface BudgetInput {
  command: 'PRIVMSG' | 'NOTICE';
  target: string;
  nick: string;
  /** `user@host` as the server shows it, if known. */
  userhost?: string;
  action?: boolean;
}

/**
 * Bytes of text that fit in one message: 512 minus CRLF minus what the receiving client sees
 * around the text, `:nick!user@host PRIVMSG target :` (and `\x01ACTION ` ... `\x01`).
 */
export function textByteBudget(input: BudgetInput): number {
  const userhost = input.userhost ? Buffer.byteLength(input.userhost) : UNKNOWN_USERHOST_BYTES;
  const prefix = 1 + Buffer.byteLength(input.nick) + 1 + userhost + 1;
  const command = input.command.length + 1 + Buffer.byteLength(input.target) + 2;
  const action = input.action ? '\x01ACTION '.length + 1 : 0;
  return IRC_LINE_BYTES - 2 - prefix - command - action;
}

/**
 * Cuts one line into pieces of at most `maxBytes` UTF-8 bytes, never inside a code point,
 * preferring to cut at the last space of each piece. That space is consumed by the cut (servers
 * trim trailing spaces anyway), so `pieces.join(' ')` restores a line cut only at spaces;
 * a word longer than a piece is cut without losing a character.
 */
export function splitLine(line: string, maxBytes: number): string[] {
  if (maxBytes < 4) throw new Error('splitLine needs room for at least one UTF-8 character');
  const pieces: string[] = [];
  let rest = line;
  while (Buffer.byteLength(rest) > maxBytes) {
    let bytes = 0;
    let cut = 0; // UTF-16 index where the piece ends
    let lastSpace = -1;
    for (const ch of rest) {
      const size = Buffer.byteLength(ch);
      if (bytes + size > maxBytes) {
        if (ch === ' ') lastSpace = cut; // a space right after a full piece is a perfect cut
        break;
      }
      if (ch === ' ') lastSpace = cut;
      bytes += size;
      cut += ch.length;
    }
    // Cut at a word boundary unless that would leave a tiny piece (one very long word).
    if (lastSpace > cut / 2) {
      pieces.push(rest.slice(0, lastSpace));
      rest = rest.slice(lastSpace + 1);
    } else {
      pieces.push(rest.slice(0, cut));
      rest = rest.slice(cut);
    }
  }
  if (rest.length) pieces.push(rest);
  return pieces;
}

/** A whole XMPP body as IRC message texts: one or more per line, each within the budget. */
export function splitBody(body: string, maxBytes: number): string[] {
  const lines = bodyLines(body);
  // One line that fits (UTF-8 takes at most 3 bytes per UTF-16 unit): as it is.
  if (lines.length === 1 && (lines[0].length * 3 <= maxBytes || Buffer.byteLength(lines[0]) <= maxBytes)) return lines;
  return lines.flatMap((line) => splitLine(line, maxBytes));
}
