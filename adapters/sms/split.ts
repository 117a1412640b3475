/**
 * Splitting long bodies into numbered SMS parts: "(1/3) ...", "(2/3) ...".
 * Breaks after whitespace so words stay whole; the whitespace stays at the end of the earlier
 * part, so stripping the prefixes and concatenating the parts gives back the exact body.
 */

function prefix(index: number, total: number): string {
  return `(${index}/${total}) `;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** Cut `text` into pieces of at most `size` UTF-16 units, preferring whitespace boundaries. */
function chunk(text: string, size: number): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > size) {
    const window = rest.slice(0, size);
    let cut = -1;
    for (let i = window.length - 1; i > 0; i--) {
      if (/\s/.test(window[i])) {
        cut = i + 1;
        break;
      }
    }
    if (cut <= 0) {
      // One word longer than a part: cut it, but never between the halves of a surrogate pair.
      cut = isHighSurrogate(rest.charCodeAt(size - 1)) ? size - 1 : size;
    }
    pieces.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  if (rest.length > 0) pieces.push(rest);
  return pieces;
}

/** Parts of at most `maxLength` characters each (prefix included); a short body is one part, unchanged. */
export function splitBody(body: string, maxLength: number): string[] {
  if (body.length <= maxLength) return [body];
  // The prefix length depends on the number of parts, which depends on the prefix length:
  // iterate until the count is stable (it only grows, so this ends quickly).
  let total = 2;
  for (;;) {
    const room = maxLength - prefix(total, total).length;
    if (room < 1) throw new Error(`maxSegmentLength ${maxLength} is too small to number parts`);
    const pieces = chunk(body, room);
    if (pieces.length <= total) return pieces.map((piece, i) => prefix(i + 1, pieces.length) + piece);
    total = pieces.length;
  }
}

/** Inverse of the numbering, for tests and for logs: "(2/3) text" -> "text". */
export function stripPartPrefix(part: string): string {
  return part.replace(/^\(\d+\/\d+\) /, '');
}
