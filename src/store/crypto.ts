import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';

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
