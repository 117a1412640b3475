import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseConfig, readConfig } from '../../src/config';
import { deriveKey, estimateEntropyBits } from '../../src/store/crypto';

const STRONG = 'oZ0t3yZFyHzFuLw8LbkCswgSJqhAHYC5Ra8VhHgNpWk=';
const WEAK = 'kkkkkkkkkkkkkkkkkkkk';
const PLACEHOLDER = 'change-me-to-a-long-random-string';

function configText(storage: string, extra = ''): string {
  return `storage:\n${storage}\ntransports:\n  - { domain: irc.example.org, secret: s3cret, adapter: irc }\n${extra}`;
}

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gw-config-key-'));
  path = join(dir, 'gateway.yaml');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function loadProblems(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  writeFileSync(path, text);
  try {
    loadConfig(path, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message.split('\n');
  }
  throw new Error('expected a ConfigError');
}

describe('estimateEntropyBits', () => {
  it('finds next to nothing in repeats and runs, and far more than 128 bits in 32 random bytes', () => {
    expect(estimateEntropyBits(WEAK)).toBe(0);
    expect(estimateEntropyBits('abcdefghijklmnopqrstuvwxyzabcdefghijklmnop')).toBeLessThan(16);
    expect(estimateEntropyBits('passwordpasswordpassword')).toBeLessThan(128);
    expect(estimateEntropyBits('restart-test-encryption-key')).toBeLessThan(128);
    for (let i = 0; i < 200; i++) {
      expect(estimateEntropyBits(randomBytes(32).toString('base64'))).toBeGreaterThanOrEqual(160);
      expect(estimateEntropyBits(randomBytes(32).toString('hex'))).toBeGreaterThanOrEqual(160);
    }
  });
});

describe('the key policy of loadConfig', () => {
  it('refuses the old example placeholder, naming the key and how to generate one', () => {
    const [line, ...rest] = loadProblems(configText(`  encryptionKey: ${PLACEHOLDER}`));
    expect(rest).toEqual([]);
    expect(line).toMatch(new RegExp(`^${path}: storage\\.encryptionKey: is the example's placeholder`));
    expect(line).toContain('openssl rand -base64 32');
  });

  it('refuses a guessable key along with every other problem of the file', () => {
    const lines = loadProblems(configText(`  encryptionKey: ${WEAK}`, 'xmpp: { port: seventy }\n'));
    expect(lines).toHaveLength(2);
    expect(lines).toContain(`${path}: xmpp.port: must be a number`);
    const keyLine = lines.find((line) => line.startsWith(`${path}: storage.encryptionKey: `));
    expect(keyLine).toMatch(/too easy to guess \(about 0 bits of entropy, at least 128 needed\); generate one with: openssl rand -base64 32/);
    expect(keyLine).toContain('GATEWAY_ENCRYPTION_KEY');
  });

  it('takes any key from GATEWAY_ENCRYPTION_KEY, directly or by reference, but not a weak key from another variable', () => {
    writeFileSync(path, configText("  url: 'sqlite://:memory:'"));
    expect(loadConfig(path, { GATEWAY_ENCRYPTION_KEY: WEAK }).storage).toEqual({ url: 'sqlite://:memory:', encryptionKey: WEAK });
    writeFileSync(path, configText("  encryptionKey: '${GATEWAY_ENCRYPTION_KEY}'"));
    expect(loadConfig(path, { GATEWAY_ENCRYPTION_KEY: PLACEHOLDER }).storage.encryptionKey).toBe(PLACEHOLDER);
    expect(readConfig(path, { GATEWAY_ENCRYPTION_KEY: WEAK }).keyFromEnv).toBe(true);
    expect(loadProblems(configText("  encryptionKey: '${MY_KEY}'"), { MY_KEY: WEAK })[0]).toMatch(/storage\.encryptionKey: is too easy to guess/);
    expect(existsSync(join(dir, 'gateway.key'))).toBe(false);
  });

  it('takes a strong key from the file and writes no key file', () => {
    writeFileSync(path, configText(`  encryptionKey: ${STRONG}`));
    const config = loadConfig(path, { GATEWAY_ENCRYPTION_KEY: 'the file wins over the environment' });
    expect(config.storage.encryptionKey).toBe(STRONG);
    expect(config.storage.keyFile).toBeUndefined();
    expect(existsSync(join(dir, 'gateway.key'))).toBe(false);
  });

  it('parseConfig, which has no folder for a key file, still requires a key but applies no policy (tests, embedders)', () => {
    expect(parseConfig(configText(`  encryptionKey: ${WEAK}`), 'inline.yaml', {}).storage.encryptionKey).toBe(WEAK);
  });
});

describe('the key file', () => {
  it('is created beside the SQLite file on first load, readable by its owner only, and read back afterwards', () => {
    writeFileSync(path, configText('  url: sqlite://state/gw.sqlite'));
    const first = loadConfig(path, {});
    const keyFile = join(dir, 'state', 'gateway.key');
    expect(first.storage.keyFile).toEqual({ path: keyFile, created: true });
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const text = readFileSync(keyFile, 'utf8');
    expect(text).toMatch(/^[A-Za-z0-9+/]{43}=\n$/);
    expect(first.storage.encryptionKey).toBe(text.trim());
    expect(deriveKey(first.storage.encryptionKey)).toEqual(Buffer.from(text.trim(), 'base64'));

    const second = loadConfig(path, {});
    expect(second.storage.keyFile).toEqual({ path: keyFile, created: false });
    expect(second.storage.encryptionKey).toBe(first.storage.encryptionKey);
  });

  it('lives beside the config file when the store is not a SQLite file, and readConfig only says where', () => {
    writeFileSync(path, configText('  url: redis://127.0.0.1:6379'));
    expect(readConfig(path, {}).keyFile).toBe(join(dir, 'gateway.key'));
    expect(existsSync(join(dir, 'gateway.key'))).toBe(false);
    expect(loadConfig(path, {}).storage.keyFile).toEqual({ path: join(dir, 'gateway.key'), created: true });
  });

  it('is refused when others may read it, when it holds no key, and when it cannot be created', () => {
    const keyFile = join(dir, 'gateway.key');
    writeFileSync(keyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o644 });
    chmodSync(keyFile, 0o644);
    const text = configText('  url: sqlite://gw.sqlite');
    expect(loadProblems(text)).toEqual([
      `${path}: storage.encryptionKey: not set, so the key file ${keyFile} is used, but other users may access it (mode 0644): run chmod 600 ${keyFile}`,
    ]);

    writeFileSync(keyFile, randomBytes(16).toString('base64'));
    chmodSync(keyFile, 0o600);
    expect(loadProblems(text)[0]).toMatch(/the key file .* is used, but it does not hold a key \(24 bytes\): it must contain only the base64 form of 32 random bytes/);

    rmSync(keyFile);
    mkdirSync(keyFile);
    expect(loadProblems(text)[0]).toMatch(/is used, but it is not a regular file/);

    // The SQLite file's folder is a regular file: nothing can be created under it.
    writeFileSync(join(dir, 'plain'), '');
    const [line] = loadProblems(configText('  url: sqlite://plain/gw.sqlite'));
    expect(line).toMatch(/storage\.encryptionKey: not set, so the key file .*plain\/gateway\.key is used, but cannot create it: E[A-Z]+: /);
    expect(line).toContain('openssl rand -base64 32');
  });
});
