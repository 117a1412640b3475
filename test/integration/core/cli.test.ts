import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, tempDir } from '../../harness/ports';
import { Prosody } from '../../harness/prosody';

// loadConfig refuses guessable keys (under 128 bits of estimated entropy) in the config file.
const STRONG_KEY = 'oZ0t3yZFyHzFuLw8LbkCswgSJqhAHYC5Ra8VhHgNpWk=';

const CLI = join(__dirname, '../../../dist/src/cli.js');

function runCli(args: string[], env: Record<string, string> = {}, untilOutput?: RegExp): Promise<{ code: number | null; output: string; signalSent: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
    let output = '';
    let signalSent = false;
    const onData = (d: Buffer) => {
      output += d.toString();
      if (untilOutput && !signalSent && untilOutput.test(output)) {
        signalSent = true;
        child.kill('SIGTERM');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output, signalSent });
    });
  });
}

describe('command line (built gateway)', () => {
  test('an invalid config stops the process with the key and the problem', async () => {
    const dir = tempDir('cli');
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'xmpp:\n  port: seventy\nstorage:\n  encryptionKey: k\ntransports:\n  - domain: irc.example.org\n    adapter: irc\n');
    const { code, output } = await runCli(['--config', file]);
    expect(code).toBe(1);
    expect(output).toContain('xmpp.port');
    expect(output).toContain('transports[0].secret');
  });

  const withProsody = Prosody.available() ? test : test.skip;
  withProsody('connects to Prosody, answers /health, and exits cleanly on SIGTERM', async () => {
    const prosody = await Prosody.start([{ domain: 'sms.localhost', secret: 'cli-secret' }]);
    try {
      const dir = tempDir('cli');
      const file = join(dir, 'gw.yaml');
      const httpPort = await freePort();
      writeFileSync(file, [
        'xmpp:', '  host: 127.0.0.1', `  port: ${prosody.componentPort}`,
        'storage:', `  url: sqlite://${dir}/gw.sqlite`, '  encryptionKey: ${KEY}',
        'http:', '  host: 127.0.0.1', `  port: ${httpPort}`,
        'transports:', '  - domain: sms.localhost', '    secret: ${SMS_SECRET}', '    adapter: sms', '',
      ].join('\n'));
      const child = spawn(process.execPath, [CLI, '--config', file], { env: { ...process.env, KEY: STRONG_KEY, SMS_SECRET: 'cli-secret' } });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      let health: { status: string } | undefined;
      for (let i = 0; i < 100 && health?.status !== 'ok'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        health = await fetch(`http://127.0.0.1:${httpPort}/health`).then((r) => r.json() as Promise<{ status: string }>).catch(() => undefined);
      }
      expect(health?.status).toBe('ok');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output).toContain('component online');
      expect(output).not.toContain('cli-secret');
    } finally {
      await prosody.destroy();
    }
  });

  /** A third-party adapter module (config `adapter: ./path`) that fails the way a bug would, once the gateway runs. */
  function crashingAdapter(dir: string, how: 'throw' | 'reject'): string {
    const file = join(dir, `crashing-${how}.js`);
    writeFileSync(file, `
module.exports = {
  name: 'crashing',
  optionsSchema: undefined,
  create() {
    setTimeout(() => {
      ${how === 'throw' ? "throw new Error('adapter bug: thrown from a timer');" : "Promise.reject(new Error('adapter bug: a rejection nobody handles'));"}
    }, 300);
    return {
      identity: { type: 'irc', name: 'Crashing' }, features: [], registration: { instructions: '', fields: [] },
      gatewayPrompt: { desc: '', prompt: '' }, parseAddress: () => ({ kind: 'contact', display: '' }), toLocalpart: (a) => a,
      login: async () => { throw new Error('no logins'); },
    };
  },
};
`);
    return file;
  }

  for (const how of ['throw', 'reject'] as const) {
    withProsody(`an unexpected ${how === 'throw' ? 'exception' : 'rejection'} is logged with its stack and the process exits non-zero`, async () => {
      const prosody = await Prosody.start([{ domain: 'crash.localhost', secret: 'crash-secret' }]);
      try {
        const dir = tempDir('cli-crash');
        const adapter = crashingAdapter(dir, how);
        const file = join(dir, 'gw.yaml');
        writeFileSync(file, ['xmpp:', `  port: ${prosody.componentPort}`, 'storage:', `  url: sqlite://${dir}/gw.sqlite`, `  encryptionKey: ${STRONG_KEY}`,
          'http:', '  enabled: false', 'transports:', '  - domain: crash.localhost', '    secret: crash-secret', `    adapter: ${adapter}`, ''].join('\n'));
        const { code, output, signalSent } = await runCli(['--config', file]);
        expect(signalSent).toBe(false);
        expect(code).toBe(1);
        expect(output).toContain(how === 'throw' ? 'uncaught exception: closing legacy sessions and exiting' : 'unhandled rejection: closing legacy sessions and exiting');
        expect(output).toContain(`${join(dir, `crashing-${how}.js`)}:`);
      } finally {
        await prosody.destroy();
      }
    });
  }

  test('a wrong component secret is reported and retried, not crashed on', async () => {
    if (!Prosody.available()) return;
    const prosody = await Prosody.start([{ domain: 'sms.localhost', secret: 'right' }]);
    try {
      const dir = tempDir('cli');
      const file = join(dir, 'gw.yaml');
      writeFileSync(file, ['xmpp:', `  port: ${prosody.componentPort}`, '  reconnect: { initialDelayMs: 100, maxDelayMs: 200 }',
        'storage:', `  url: sqlite://${dir}/gw.sqlite`, `  encryptionKey: ${STRONG_KEY}`, 'http:', '  enabled: false',
        'transports:', '  - domain: sms.localhost', '    secret: wrong', '    adapter: sms', ''].join('\n'));
      const { output, signalSent } = await runCli(['--config', file], {}, /refused the component secret[\s\S]*refused the component secret/);
      expect(signalSent).toBe(true);
    } finally {
      await prosody.destroy();
    }
  });
});
