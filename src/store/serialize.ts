import type { Keyv } from 'keyv';

/**
 * Makes keyv's serializer fast for the common case while keeping its format byte for byte.
 *
 * keyv's format is JSON except for strings that start with ':' (stored with another ':' in
 * front) and Buffers (stored as ':base64:…' strings). Its serializer walks every value in
 * JavaScript and its parser runs a reviver on every string, which for an archive segment (tens of
 * kilobytes of stanzas, written on every batch) costs more than the database write itself. Here
 * the native JSON functions do the work, and keyv's own code runs only for values where the two
 * formats could differ, so what is already stored reads the same and plain keyv reads new rows.
 */

/**
 * In JSON text, a string value that starts with ':' shows as `":` right after `[`, `,` or `:` (an
 * opening quote), or at the very start. A key's closing quote followed by ':' matches only when
 * the key itself ends in one of those characters; that false alarm merely takes the slow path.
 */
const COLON_STRING = /(?:^|[[,:])":/;
/** How JSON.stringify renders a Buffer (keyv writes ':base64:…' instead). */
const BUFFER_JSON = '{"type":"Buffer","data":[';

/** Replaces the keyv instance's serializer pair; its own pair remains the fallback. */
export function useFastSerialization(keyv: Keyv): void {
  const slowSerialize = keyv.serialize;
  const slowDeserialize = keyv.deserialize;
  if (!slowSerialize || !slowDeserialize) return;
  keyv.serialize = (data) => {
    const text = JSON.stringify(data) as string | undefined;
    if (text === undefined || COLON_STRING.test(text) || text.includes(BUFFER_JSON)) return slowSerialize(data);
    return text;
  };
  keyv.deserialize = (text) => (typeof text === 'string' && !COLON_STRING.test(text) ? JSON.parse(text) : slowDeserialize(text));
}
