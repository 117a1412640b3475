import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

const PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const KEY_BYTES = 32;
// A fixed salt is enough here: the passphrase protects one deployment's data, and a per-deployment
// random salt would have to be stored next to the data it protects.
const PASSPHRASE_SALT = 'xmpp-transport-gateway/storage.encryptionKey/v1';

/**
 * The AES-256 key for secrets at rest. A 64-character hex string or the base64 form of 32 bytes is
 * used as the raw key; anything else is treated as a passphrase and stretched with scrypt.
 */
export function deriveKey(secret: string): Buffer {
  if (secret.length === 0) throw new Error('storage.encryptionKey is empty');
  if (/^[0-9a-fA-F]{64}$/.test(secret)) return Buffer.from(secret, 'hex');
  if (secret.length === 44 && /^[A-Za-z0-9+/]{43}=$/.test(secret)) {
    const raw = Buffer.from(secret, 'base64');
    if (raw.length === KEY_BYTES) return raw;
  }
  return scryptSync(secret, PASSPHRASE_SALT, KEY_BYTES);
}

export function isEncrypted(value: string): boolean {
  return value.startsWith(PREFIX);
}

export function encryptString(key: Buffer, plain: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return `${PREFIX}${iv.toString('base64url')}:${tag.toString('base64url')}:${ciphertext.toString('base64url')}`;
}

export function decryptString(key: Buffer, stored: string): string {
  if (!isEncrypted(stored)) throw new Error('a stored secret is not in the encrypted format');
  const parts = stored.slice(PREFIX.length).split(':');
  if (parts.length !== 3) throw new Error('a stored secret is malformed (expected iv:tag:ciphertext)');
  const [iv, tag, ciphertext] = parts.map((part) => Buffer.from(part, 'base64url'));
  if (iv.length !== IV_BYTES || tag.length !== 16) throw new Error('a stored secret is malformed (bad iv or tag length)');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch {
    throw new Error('cannot decrypt a stored secret: wrong storage.encryptionKey?');
  }
}

/**
 * A conservative estimate of the entropy of a key written by a person: its length times the
 * smallest of the bits per character its character classes allow, the Shannon entropy of its
 * characters and that of the steps between neighbouring characters. Repeats ("kkkk…") and runs
 * ("abcd…") come out near zero; 32 random bytes in base64 or hex come out well above 128.
 */
export function estimateEntropyBits(secret: string): number {
  const chars = [...secret];
  if (chars.length < 2) return 0;
  const codes = chars.map((char) => char.codePointAt(0) ?? 0);
  const steps = codes.slice(1).map((code, i) => code - codes[i]);
  let pool = 0;
  if (/[a-z]/.test(secret)) pool += 26;
  if (/[A-Z]/.test(secret)) pool += 26;
  if (/[0-9]/.test(secret)) pool += 10;
  if (/[^a-zA-Z0-9]/.test(secret)) pool += 33;
  const perChar = Math.min(Math.log2(pool), shannon(chars), shannon(steps));
  return Math.floor(perChar * chars.length);
}

function shannon<T>(symbols: T[]): number {
  const counts = new Map<T, number>();
  for (const symbol of symbols) counts.set(symbol, (counts.get(symbol) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) bits -= (count / symbols.length) * Math.log2(count / symbols.length);
  return bits;
}

/** The text of a key file: the base64 form of 32 random bytes, as `openssl rand -base64 32` prints it. */
export function newKeyText(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

/** A key file's text is a raw key deriveKey uses as is: 32 bytes in base64 or 64 hex digits. */
export function isRawKeyText(text: string): boolean {
  return /^[0-9a-fA-F]{64}$/.test(text) || (/^[A-Za-z0-9+/]{43}=$/.test(text) && Buffer.from(text, 'base64').length === KEY_BYTES);
}

/**
 * Reads a key file; undefined when there is none. Refused, like ssh refuses a private key: a file
 * others may read or write, and a file that is not exactly one raw key.
 */
export function readKeyFile(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    const hint = code === 'EACCES' || code === 'EPERM' ? ' (it must belong to the user the gateway runs as)' : '';
    throw new Error(`cannot read it: ${(error as Error).message}${hint}`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new Error('it is not a regular file');
    if ((stat.mode & 0o077) !== 0) {
      throw new Error(`other users may access it (mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}): run chmod 600 ${path}`);
    }
    const text = readFileSync(fd, 'utf8').trim();
    if (!isRawKeyText(text)) {
      throw new Error(`it does not hold a key (${Buffer.byteLength(text)} bytes): it must contain only the base64 form of 32 random bytes, as openssl rand -base64 32 prints it`);
    }
    return text;
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates a key file with a new random key, readable by this user only, or returns the key of a
 * file that appeared meanwhile (two processes starting at once must end up with the same key).
 * The key is written and synced under a temporary name and then linked into place, so that no
 * reader ever sees a partial file.
 */
export function createKeyFile(path: string): { key: string; created: boolean } {
  const key = newKeyText();
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const cannotCreate = (error: unknown) =>
    new Error(`cannot create it: ${(error as Error).message}; create it yourself (umask 077; openssl rand -base64 32 > ${path}) or set storage.encryptionKey or GATEWAY_ENCRYPTION_KEY`);
  try {
    mkdirSync(dirname(path), { recursive: true });
    const fd = openSync(temporary, 'wx', 0o600);
    try {
      writeSync(fd, `${key}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    unlinkQuietly(temporary);
    throw cannotCreate(error);
  }
  try {
    linkSync(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw cannotCreate(error);
    const existing = readKeyFile(path);
    if (existing === undefined) throw cannotCreate(error);
    return { key: existing, created: false };
  } finally {
    unlinkQuietly(temporary);
  }
  syncDirectory(dirname(path));
  return { key, created: true };
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // never created, or already gone
  }
}

/** Without this a crash right after start-up could lose the new file's name while the store keeps what it encrypted. */
function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // not every file system lets a directory be synced; the file itself is
  }
}
