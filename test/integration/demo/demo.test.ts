/**
 * `npm run demo` (scripts/demo.ts): started as a child process it prints an account that logs in,
 * the three transports answer disco#info, and SIGINT stops every process it started.
 * Needs root (the demo's Dovecot) and Prosody, ngircd and Dovecot; in CI all of them are required.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { client, xml } from '@xmpp/client';
import { DOVECOT_BINARY } from '../../harness/dovecot';
import { ngircdAvailable } from '../../harness/ngircd';
import { requireBinary } from '../../harness/ports';
import { Prosody } from '../../harness/prosody';
import { demoPackages, parsePackageList } from '../../../scripts/packages';

const ROOT = join(__dirname, '../../..');
const DEMO = join(ROOT, 'dist/demo/scripts/demo.js');
const DISCO_INFO = 'http://jabber.org/protocol/disco#info';

function rootOrSkip(): boolean {
  if (process.getuid?.() === 0) return true;
  if (process.env.CI === 'true') throw new Error('the demo test runs as root in CI (the demo starts Dovecot, which needs root)');
  // eslint-disable-next-line no-console
  console.warn('skipping: npm run demo needs root');
  return false;
}

const available = Prosody.available() && ngircdAvailable() && requireBinary(DOVECOT_BINARY, 'Dovecot (Debian package dovecot-imapd)') && rootOrSkip();

/** A process by pid and start time (field 22 of /proc/<pid>/stat), so a reused pid is not mistaken for it. */
interface ProcessId {
  pid: number;
  start: string;
  command: string;
}

function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; the fields after its ')' are space separated.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

function descendants(root: number): ProcessId[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (!fields) continue;
    const ppid = Number(fields[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const found: ProcessId[] = [];
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      const fields = statFields(child);
      if (!fields) continue;
      let command = '';
      try {
        command = readFileSync(`/proc/${child}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      } catch { /* gone meanwhile */ }
      found.push({ pid: child, start: fields[19], command });
      walk(child);
    }
  };
  walk(root);
  return found;
}

/** Running and not a zombie waiting for its parent. */
function stillRunning(proc: ProcessId): boolean {
  const fields = statFields(proc.pid);
  return fields !== undefined && fields[19] === proc.start && fields[0] !== 'Z';
}

test('the demo installs the servers it runs from the list .ci/run installs', () => {
  const all = parsePackageList(readFileSync(join(ROOT, '.ci/packages.txt'), 'utf8'));
  expect(demoPackages(ROOT)).toEqual(['prosody', 'ngircd', 'dovecot-imapd']);
  expect(all).toEqual(expect.arrayContaining(['prosody', 'prosody-modules', 'ejabberd', 'ngircd', 'dovecot-imapd']));
  expect(all.some((name) => /\s|#/.test(name))).toBe(false);
});

(available ? describe : describe.skip)('npm run demo', () => {
  let demo: ChildProcess;
  let exited: Promise<number | null>;
  let output = '';

  beforeAll(() => {
    // The demo is built by `npm run build:scripts` (it needs the dev dependencies, so `npm run build` leaves it out).
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(ROOT, 'scripts/tsconfig.json')], { stdio: 'pipe' });
    if (!existsSync(join(ROOT, 'dist/src/cli.js'))) throw new Error('dist/src/cli.js is missing: npm run build first');
  }, 120000);

  afterAll(async () => {
    if (demo && demo.exitCode === null && demo.signalCode === null) {
      demo.kill('SIGINT');
      await exited;
    }
  });

  test('prints an account that logs in, serves three transports, and SIGINT leaves no process behind', async () => {
    demo = spawn(process.execPath, [DEMO], { stdio: ['ignore', 'pipe', 'pipe'] });
    exited = new Promise((resolve) => demo.once('exit', (code) => resolve(code)));
    const ready = new Promise<void>((resolve, reject) => {
      const collect = (d: Buffer) => {
        output += d.toString();
        if (/^ready$/m.test(output)) resolve();
      };
      demo.stdout!.on('data', collect);
      demo.stderr!.on('data', collect);
      void exited.then((code) => reject(new Error(`the demo exited (${code}) before it was ready:\n${output}`)));
    });
    const timeout = setTimeout(() => demo.kill('SIGINT'), 110000);
    await ready;
    clearTimeout(timeout);

    const account = /account\s+(\S+)@(\S+)/.exec(output);
    const password = /password\s+(\S+)/.exec(output)?.[1];
    const port = /server\s+127\.0\.0\.1, port (\d+)/.exec(output)?.[1];
    expect(account && password && port).toBeTruthy();
    expect(`${account![1]}@${account![2]}`).toBe('demo@localhost');

    const xmpp = client({ service: `xmpp://127.0.0.1:${port}`, domain: account![2], username: account![1], password, resource: 'test' });
    xmpp.reconnect.stop();
    xmpp.on('error', () => undefined);
    await xmpp.start();
    try {
      const identities: Record<string, string> = {};
      for (const domain of ['irc.localhost', 'sms.localhost', 'email.localhost']) {
        const answer = await xmpp.iqCaller.request(xml('iq', { type: 'get', to: domain }, xml('query', { xmlns: DISCO_INFO })), 20000);
        const identity = answer.getChild('query', DISCO_INFO)?.getChild('identity');
        identities[domain] = `${identity?.attrs.category}/${identity?.attrs.type}`;
      }
      expect(identities).toEqual({ 'irc.localhost': 'gateway/irc', 'sms.localhost': 'gateway/sms', 'email.localhost': 'gateway/smtp' });
    } finally {
      await xmpp.stop().catch(() => undefined);
    }

    const started = descendants(demo.pid!);
    const commands = started.map((p) => p.command).join('\n');
    for (const server of ['prosody', 'ngircd', 'dovecot', 'dist/src/cli.js']) expect(commands).toContain(server);
    // The servers' throwaway folders, named in their command lines (config paths under gw-*).
    const folders = [...new Set(commands.match(/\/[^\s]*\/gw-[^/\s]+/g) ?? [])];
    expect(folders.length).toBeGreaterThanOrEqual(4);

    const servers = started.filter((p) => /prosody|ngircd|dovecot -F|dist\/src\/cli\.js/.test(p.command));
    expect(servers.filter(stillRunning)).toHaveLength(4);

    demo.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toMatch(/stopped/);
    expect(started.filter(stillRunning).map((p) => `${p.pid} ${p.command}`)).toEqual([]);
    expect(folders.filter((folder) => existsSync(folder))).toEqual([]);
  }, 180000);
});
