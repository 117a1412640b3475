/**
 * IRC has no declared encoding: most lines are UTF-8, older clients send latin1 or cp1252.
 * Each line is decoded as UTF-8 when it is valid UTF-8 and with a fallback encoding otherwise,
 * so a latin1 "café" does not turn into mojibake or replacement characters.
 */

import { TextDecoder } from 'node:util';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Throws if Node's ICU does not know the encoding (checked once when options are read). */
export function fallbackDecoder(encoding: string): TextDecoder {
  return new TextDecoder(encoding);
}

export function decodeIrcLine(bytes: Uint8Array, fallback: TextDecoder): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return fallback.decode(bytes);
  }
}
