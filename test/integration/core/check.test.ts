/**
 * `xmpp-gateway check`: the built command line against a real Prosody, a SQLite store in a temp
 * folder, and closed loopback ports for what is unreachable.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { component } from '@xmpp/component';
import { GatewayStore, deriveKey } from '../../../src/store';
import { freePort, tempDir } from '../../harness/ports';
import { Prosody } from '../../harness/prosody';

const CLI = join(__dirname, '../../../dist/src/cli.js');

function check(configFile: string, env: Record<string, string> = {}): Promise<{ code: number | null; lines: string[] }> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  if (!('GATEWAY_ENCRYPTION_KEY' in env)) delete childEnv.GATEWAY_ENCRYPTION_KEY;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'check', '--config', configFile], { env: childEnv });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, lines: output.split('\n').filter(Boolean) });
    });
  });
}

function writeConfig(dir: string, xmppPort: number, storageUrl: string, transports: { domain: string; secret: string }[], extra: string[] = []): string {
  const file = join(dir, 'gateway.yaml');
  writeFileSync(file, [
    'xmpp:', '  host: 127.0.0.1', `  port: ${xmppPort}`,
    'storage:', `  url: ${storageUrl}`, ...extra,
    'transports:', ...transports.flatMap((t) => [`  - domain: ${t.domain}`, `    secret: ${t.secret}`, '    adapter: sms']), '',
  ].join('\n'));
  return file;
}

const withProsody = Prosody.available() ? describe : describe.skip;

withProsody('check against a real Prosody', () => {
  let prosody: Prosody;
  beforeAll(async () => {
    prosody = await Prosody.start([{ domain: 'a.localhost', secret: 'alpha-secret' }, { domain: 'b.localhost', secret: 'beta-secret' }]);
  });
  afterAll(() => prosody?.destroy());

  test('a good configuration: one ok line per check, exit 0, nothing started and no key file written', async () => {
    const dir = tempDir('check-good');
    const file = writeConfig(dir, prosody.componentPort, `sqlite://${dir}/gw.sqlite`, [
      { domain: 'a.localhost', secret: 'alpha-secret' }, { domain: 'b.localhost', secret: 'beta-secret' },
    ]);
    const { code, lines } = await check(file);
    expect(lines).toEqual([
      `ok   config ${file}`,
      `ok   key ${dir}/gateway.key: does not exist yet; the gateway creates it on first start`,
      `ok   store sqlite://${dir}/gw.sqlite: get/set/delete work; 0 registration(s)`,
      'ok   xmpp a.localhost: component secret accepted',
      'ok   xmpp b.localhost: component secret accepted',
    ]);
    expect(code).toBe(0);
    expect(existsSync(join(dir, 'gateway.key'))).toBe(false);

    // With the domain already served (a running gateway), Prosody refuses the second connection
    // after checking its secret, and leaves the first alone.
    const running = component({ service: `xmpp://127.0.0.1:${prosody.componentPort}`, domain: 'a.localhost', password: 'alpha-secret' });
    running.on('error', () => undefined);
    await running.start();
    try {
      const again = await check(file);
      expect(again.lines[3]).toBe('ok   xmpp a.localhost: component secret accepted; the domain is already connected (is the gateway running?)');
      expect(again.code).toBe(0);
      expect(running.status).toBe('online');
    } finally {
      running.reconnect.stop();
      await running.stop();
    }
  });

  test('a wrong secret and an unknown domain are told apart from each other and from a good one', async () => {
    const dir = tempDir('check-secret');
    const file = writeConfig(dir, prosody.componentPort, `sqlite://${dir}/gw.sqlite`, [
      { domain: 'a.localhost', secret: 'not-the-secret' }, { domain: 'b.localhost', secret: 'beta-secret' }, { domain: 'c.localhost', secret: 'x' },
    ]);
    const { code, lines } = await check(file);
    expect(code).toBe(1);
    expect(lines.slice(3)).toEqual([
      expect.stringMatching(/^FAIL xmpp a\.localhost: the XMPP server refused the component secret \(not-authorized.*\): check transports\[\]\.secret against the server's config$/),
      'ok   xmpp b.localhost: component secret accepted',
      expect.stringMatching(/^FAIL xmpp c\.localhost: the XMPP server has no component c\.localhost \(host-unknown.*\): add it to the server's config$/),
    ]);
    expect(lines.slice(0, 3).every((line) => line.startsWith('ok   '))).toBe(true);
  });
});

describe('check without servers', () => {
  test('an unreachable store and an unreachable XMPP server: each reported, exit 1', async () => {
    const dir = tempDir('check-down');
    const [xmppPort, redisPort] = [await freePort(), await freePort()];
    const file = writeConfig(dir, xmppPort, `redis://127.0.0.1:${redisPort}`, [{ domain: 'a.localhost', secret: 's' }]);
    const { code, lines } = await check(file);
    expect(lines).toEqual([
      `ok   config ${file}`,
      `ok   key ${dir}/gateway.key: does not exist yet; the gateway creates it on first start`,
      `FAIL store redis://127.0.0.1:${redisPort}: connection refused`,
      `FAIL xmpp a.localhost: cannot reach the XMPP server at 127.0.0.1:${xmppPort}: connection refused`,
    ]);
    expect(code).toBe(1);
  });

  test('an invalid configuration is reported with every problem and nothing else is tried', async () => {
    const dir = tempDir('check-invalid');
    const file = writeConfig(dir, 70000, `sqlite://${dir}/gw.sqlite`, [{ domain: 'a.localhost', secret: 's' }], ['  encryptionKey: kkkkkkkkkkkkkkkkkkkk']);
    const { code, lines } = await check(file);
    expect(code).toBe(1);
    expect(lines[0]).toBe(`FAIL config ${file}`);
    expect(lines.slice(1).sort()).toEqual([
      expect.stringMatching(new RegExp(`^ {5}${file}: storage\\.encryptionKey: is too easy to guess .*openssl rand -base64 32`)),
      `     ${file}: xmpp.port: must be at most 65535`,
    ]);
    expect(existsSync(join(dir, 'gw.sqlite'))).toBe(false);
  });

  test('a lost or different key file is caught before the gateway fails to read stored passwords', async () => {
    const dir = tempDir('check-key');
    const storedWith = randomBytes(32).toString('base64');
    const store = await GatewayStore.open({ url: `sqlite://${dir}/gw.sqlite`, encryptionKey: deriveKey(storedWith) });
    await store.registrations('a.localhost').put('alice@localhost', { nick: 'alice', password: 'irc-pw' }, ['password']);
    await store.close();
    const file = writeConfig(dir, await freePort(), `sqlite://${dir}/gw.sqlite`, [{ domain: 'a.localhost', secret: 's' }]);
    const keyFile = join(dir, 'gateway.key');

    const lost = await check(file);
    expect(lost.lines[1]).toBe(`FAIL key ${keyFile}: does not exist, but the store holds 1 registration(s) encrypted with a key: restore that key file, or set GATEWAY_ENCRYPTION_KEY to that key`);
    expect(lost.lines[2]).toBe(`ok   store sqlite://${dir}/gw.sqlite: get/set/delete work; 1 registration(s)`);
    expect(lost.code).toBe(1);

    writeFileSync(keyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    expect((await check(file)).lines[1]).toBe(`FAIL key ${keyFile}: cannot decrypt the secrets stored for alice@localhost on a.localhost: not the key they were stored with`);

    writeFileSync(keyFile, `${storedWith}\n`, { mode: 0o600 });
    expect((await check(file)).lines[1]).toBe(`ok   key ${keyFile}`);
    expect((await check(file, { GATEWAY_ENCRYPTION_KEY: 'weak-but-from-env' })).lines[1]).toMatch(
      /^FAIL key GATEWAY_ENCRYPTION_KEY: cannot decrypt the secrets stored for alice@localhost/,
    );
  });
});
