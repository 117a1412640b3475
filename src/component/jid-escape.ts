/** XEP-0106 JID Escaping: lets a localpart carry characters XMPP forbids there (email addresses, names). */

const ESCAPES: Record<string, string> = {
  ' ': '\\20',
  '"': '\\22',
  '&': '\\26',
  "'": '\\27',
  '/': '\\2f',
  ':': '\\3a',
  '<': '\\3c',
  '>': '\\3e',
  '@': '\\40',
};

/** The ten escape sequences (lower-case hex, as the XEP defines them). */
const SEQUENCE_CODES = ['20', '22', '26', '27', '2f', '3a', '3c', '3e', '40', '5c'];
const SEQUENCE = /\\(20|22|26|27|2f|3a|3c|3e|40|5c)/g;

/**
 * Escapes a string for use as a JID localpart. A backslash is escaped (\5c) only where it would
 * otherwise start one of the escape sequences, so "c:\net" becomes "c\3a\net".
 * Throws for a leading or trailing space: the XEP forbids an escaped localpart to begin or end with \20.
 */
export function escapeLocalpart(s: string): string {
  if (s.startsWith(' ') || s.endsWith(' ')) {
    throw new Error('a JID localpart cannot begin or end with a space (XEP-0106)');
  }
  let escaped = '';
  for (let i = 0; i < s.length; i++) {
    const char = s[i];
    if (char === '\\') {
      escaped += SEQUENCE_CODES.includes(s.slice(i + 1, i + 3)) ? '\\5c' : '\\';
    } else {
      escaped += ESCAPES[char] ?? char;
    }
  }
  return escaped;
}

/** Reverses escapeLocalpart in one left-to-right pass, so "\5c20" becomes "\20", not a space. */
export function unescapeLocalpart(s: string): string {
  return s.replace(SEQUENCE, (_sequence, code: string) => String.fromCharCode(parseInt(code, 16)));
}
