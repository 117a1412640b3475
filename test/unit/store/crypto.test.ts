import { randomBytes } from 'node:crypto';
import { decryptString, deriveKey, encryptString, isEncrypted } from '../../../src/store/crypto';

describe('deriveKey', () => {
  it('uses 64 hex digits as the raw key', () => {
    const hex = randomBytes(32).toString('hex');
    expect(deriveKey(hex).equals(Buffer.from(hex, 'hex'))).toBe(true);
  });

  it('uses the base64 form of 32 bytes as the raw key', () => {
    const raw = randomBytes(32);
    expect(deriveKey(raw.toString('base64')).equals(raw)).toBe(true);
  });

  it('stretches a passphrase to 32 bytes, the same way every time', () => {
    const key = deriveKey('correct horse battery staple');
    expect(key).toHaveLength(32);
    expect(deriveKey('correct horse battery staple').equals(key)).toBe(true);
    expect(deriveKey('correct horse battery stapler').equals(key)).toBe(false);
  });

  it('rejects an empty secret', () => {
    expect(() => deriveKey('')).toThrow(/empty/);
  });
});

describe('encryptString / decryptString', () => {
  const key = deriveKey('a passphrase for the tests');

  it('round-trips unicode text and hides it', () => {
    const stored = encryptString(key, 'pässwörd ✓');
    expect(isEncrypted(stored)).toBe(true);
    expect(stored).toMatch(/^enc:v1:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+:[A-Za-z0-9_-]*$/);
    expect(stored).not.toContain('pässwörd');
    expect(decryptString(key, stored)).toBe('pässwörd ✓');
  });

  it('uses a fresh IV each time', () => {
    expect(encryptString(key, 'same')).not.toBe(encryptString(key, 'same'));
  });

  it('says the key is wrong when the tag does not match', () => {
    const stored = encryptString(key, 'secret');
    expect(() => decryptString(deriveKey('another passphrase'), stored)).toThrow(
      'cannot decrypt a stored secret: wrong storage.encryptionKey?',
    );
  });

  it('detects tampering with the ciphertext', () => {
    const stored = encryptString(key, 'secret value');
    const parts = stored.split(':');
    const ciphertext = Buffer.from(parts[4], 'base64url');
    ciphertext[0] ^= 1;
    parts[4] = ciphertext.toString('base64url');
    expect(() => decryptString(key, parts.join(':'))).toThrow(/cannot decrypt/);
  });

  it('rejects values that are not in the encrypted format', () => {
    expect(isEncrypted('hunter2')).toBe(false);
    expect(() => decryptString(key, 'hunter2')).toThrow(/not in the encrypted format/);
    expect(() => decryptString(key, 'enc:v1:abc')).toThrow(/malformed/);
  });
});
