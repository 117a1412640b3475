/**
 * The gateway's idle footprint: its resident memory with the transports of config.example.yaml
 * and no users, against a private Prosody on loopback; once with all three transports, once with
 * IRC alone: `npm run footprint` (FOOTPRINT_RUNS, default 3; FOOTPRINT_SETTLE_SECONDS, default 20:
 * how long the gateway idles before the reading). README, "Idle footprint", has the figures.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { GatewayChild, repoRoot } from './gateway-child';
import { Prosody } from '../test/harness/prosody';
import { freePort, tempDir } from '../test/harness/ports';

interface ExampleTransport {
  domain: string;
  secret: string;
  adapter: string;
}

interface Reading {
  /** VmRSS, kB. */
  rss: number;
  /** Of which file-backed pages (mostly the node binary's code, shared with other processes), kB. */
  file: number;
}

function memory(pid: number): Reading {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
    if (!match) throw new Error(`no ${name} for process ${pid}`);
    return Number(match[1]);
  };
  return { rss: field('VmRSS'), file: field('RssFile') };
}

function envInt(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number above 0`);
  return value;
}

async function measure(prosody: Prosody, example: Record<string, unknown>, transports: ExampleTransport[], settleMs: number): Promise<{ early: Reading; settled: Reading }> {
  const dir = tempDir('footprint');
  try {
    const httpPort = await freePort();
    const config = {
      ...example,
      xmpp: { ...(example.xmpp as object), port: prosody.componentPort },
      storage: { url: `sqlite://${join(dir, 'gateway.sqlite')}` },
      http: { ...(example.http as object), port: httpPort },
      logging: { level: 'warn', format: 'json' },
      transports,
    };
    const file = join(dir, 'config.yaml');
    writeFileSync(file, JSON.stringify(config, null, 2));
    const gateway = await GatewayChild.start(file, httpPort);
    try {
      await new Promise((r) => setTimeout(r, 3000));
      const early = memory(gateway.pid);
      await new Promise((r) => setTimeout(r, Math.max(0, settleMs - 3000)));
      return { early, settled: memory(gateway.pid) };
    } finally {
      await gateway.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main(): Promise<void> {
  if (!Prosody.available()) throw new Error('the measurement needs Prosody (Debian package prosody)');
  const runs = envInt('FOOTPRINT_RUNS', 3);
  const settleMs = envInt('FOOTPRINT_SETTLE_SECONDS', 20) * 1000;
  const example = parse(readFileSync(join(repoRoot(), 'config.example.yaml'), 'utf8')) as Record<string, unknown>;
  const all = example.transports as ExampleTransport[];
  const prosody = await Prosody.start(all.map(({ domain, secret }) => ({ domain, secret })));
  try {
    const cases: [string, ExampleTransport[]][] = [['irc, sms, email', all], ['irc alone', all.filter((t) => t.adapter === 'irc')]];
    for (const [name, transports] of cases) {
      const readings: { early: Reading; settled: Reading }[] = [];
      for (let i = 0; i < runs; i++) readings.push(await measure(prosody, example, transports, settleMs));
      const settled = readings.map((r) => r.settled.rss);
      const file = readings.map((r) => r.settled.file);
      process.stdout.write(`${name}: idle RSS ${mb(median(settled))}, of which file-backed ${mb(median(file))} (median of ${runs}; `
        + `runs: ${settled.map(mb).join(', ')}; 3 s after start: ${readings.map((r) => mb(r.early.rss)).join(', ')})\n`);
    }
  } finally {
    await prosody.destroy();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exit(1);
});
