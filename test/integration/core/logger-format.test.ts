/**
 * The built gateway's log format as an admin meets it: JSON lines when its output goes to a pipe
 * (journald, a file), readable lines on a terminal (through `script`, which gives it a pty) or
 * when `logging.format: pretty` forces them. The XMPP port is closed, so the gateway logs its
 * connection attempts and keeps running until it is stopped.
 */
import { spawn } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, requireBinary, tempDir } from '../../harness/ports';

const CLI = join(__dirname, '../../../dist/src/cli.js');
const SCRIPT = '/usr/bin/script';

async function writeConfig(format?: string): Promise<{ dir: string; file: string }> {
  const dir = tempDir('log-format');
  const file = join(dir, 'gateway.yaml');
  writeFileSync(file, [
    'xmpp:', '  host: 127.0.0.1', `  port: ${await freePort()}`, '  reconnect: { initialDelayMs: 200, maxDelayMs: 400 }',
    'storage:', `  url: sqlite://${dir}/gw.sqlite`,
    'http:', '  enabled: false',
    ...(format ? ['logging:', `  format: ${format}`] : []),
    'transports:', '  - domain: sms.localhost', '    secret: s', '    adapter: sms', '',
  ].join('\n'));
  return { dir, file };
}

/** Runs the command until its output shows a failed component connect, then stops it with SIGTERM. */
function runUntilConnectFailed(command: string, args: string[]): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm' };
  delete env.GATEWAY_ENCRYPTION_KEY;
  delete env.NO_COLOR;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let stopped = false;
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      if (!stopped && output.includes('component connect failed')) {
        stopped = true;
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30000);
    child.on('exit', () => {
      clearTimeout(timer);
      if (stopped) resolve(output);
      else reject(new Error(`the gateway exited before logging a connect attempt:\n${output}`));
    });
  });
}

const PRETTY = /^\d\d:\d\d:\d\d\.\d{3} (TRACE|DEBUG|INFO |WARN |ERROR|FATAL) \S/;

describe('log format of the built gateway', () => {
  test('JSON lines when standard output is not a terminal; the new key file is logged with its path', async () => {
    const { dir, file } = await writeConfig();
    const output = await runUntilConnectFailed(process.execPath, [CLI, '--config', file]);
    const entries = output.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { level: number; msg: string; keyFile?: string });
    expect(entries[0]).toMatchObject({ level: 40, keyFile: join(dir, 'gateway.key') });
    expect(entries[0].msg).toMatch(/^created a new storage encryption key file/);
    expect(entries.some((entry) => entry.msg === 'component connect failed')).toBe(true);
    expect(statSync(join(dir, 'gateway.key')).mode & 0o777).toBe(0o600);
  });

  test('readable lines, without colour, when logging.format is pretty and the output is a pipe', async () => {
    const { dir, file } = await writeConfig('pretty');
    const lines = (await runUntilConnectFailed(process.execPath, [CLI, '--config', file])).split('\n').filter(Boolean);
    expect(lines[0]).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} WARN  created a new storage encryption key file: .* keyFile=${dir}/gateway\\.key$`));
    expect(lines.filter((line) => !line.startsWith(' ')).every((line) => PRETTY.test(line))).toBe(true);
    expect(lines.some((line) => / WARN  component connect failed .*err="connect ECONNREFUSED/.test(line))).toBe(true);
    expect(lines.join('\n')).not.toContain('\x1b[');
  });

  const withScript = requireBinary(SCRIPT, 'script (Debian package bsdutils)') ? test : test.skip;
  withScript('readable, coloured lines by default on a terminal', async () => {
    const { file } = await writeConfig();
    // script gives the gateway a pseudo-terminal as its standard output.
    const output = await runUntilConnectFailed(SCRIPT, ['-qfec', `${process.execPath} ${CLI} --config ${file}`, '/dev/null']);
    // script's own farewell when it is stopped is not the gateway's.
    const lines = output.replace(/\r/g, '').split('\n').filter((line) => line.trim() !== '' && !line.startsWith('Session terminated'));
    expect(lines.length).toBeGreaterThan(0);
    const plain = lines.map((line) => line.replace(/\x1b\[[0-9;]*m/g, ''));
    expect(plain.filter((line) => !line.startsWith(' ')).every((line) => PRETTY.test(line))).toBe(true);
    expect(lines.some((line) => line.includes('\x1b[33mWARN \x1b[0m component connect failed'))).toBe(true);
  });
});
