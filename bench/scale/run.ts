/**
 * `npm run bench:scale`: the gateway with many registered users, measured the way an operator
 * sees it (issue 15). For each size in BENCH_SCALE_U (default "1000,10000"), BENCH_SCALE_REPEAT
 * times (default 1): one run of the gateway with U IRC users in a realistic channel topology,
 * E email users in IMAP IDLE and S SMS users, and, for sizes up to BENCH_SCALE_BIBOUMI_MAX_U
 * (default 1000) where biboumi is installed, the same IRC network against biboumi. Prints one
 * table and exits 1 if any run did not complete.
 */
import { biboumiBinary } from '../biboumi-sut';
import { biboumiRun } from './biboumi-run';
import { log, stopActiveRuns } from './env';
import { gatewayRun, type RunFigures, type ScaleParams } from './gateway-run';
import { inspircdAvailable } from './inspircd';
import { dovecotAvailable } from './mail-sms';
import { renderTable } from './report';
import { Prosody } from '../../test/harness/prosody';

function envInt(name: string, fallback: number, min = 0, max = 1_000_000): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  return value;
}

function envList(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (!raw) return fallback;
  const values = raw.split(',').map((v) => Number(v.trim()));
  if (values.some((v) => !Number.isInteger(v) || v < 40 || v > 20000)) throw new Error(`${name} must be a comma-separated list of whole numbers from 40 to 20000, got "${raw}"`);
  return values;
}

/**
 * Users whose client sits in their rooms. Every one of them joining the big room (U/2 members)
 * receives U/2 occupant presences, all routed by Prosody: at U=10000 with 1000 online that was
 * 2.75 million presences per join round, more than Prosody routes in the run's 15 minutes here.
 */
function defaultOnline(u: number): number {
  return u <= 1000 ? u : 300;
}

async function main(): Promise<number> {
  const sizes = envList('BENCH_SCALE_U', [1000, 10000]);
  const repeat = envInt('BENCH_SCALE_REPEAT', 1, 1, 10);
  const e = envInt('BENCH_SCALE_E', 500, 0, 2000);
  const s = envInt('BENCH_SCALE_S', 5000, 1, 20000);
  const onlineSet = process.env.BENCH_SCALE_ONLINE ? envInt('BENCH_SCALE_ONLINE', 0, 1) : undefined;
  const settleSeconds = envInt('BENCH_SCALE_SETTLE', 60, 0, 600);
  const mailSmsSettleSeconds = envInt('BENCH_SCALE_SETTLE_MAIL_SMS', 60, 0, 600);
  const trafficSeconds = envInt('BENCH_SCALE_TRAFFIC_SECONDS', 20, 5, 600);
  const [concurrency, perSecond] = (process.env.BENCH_SCALE_RESTORE ?? '50,200').split(',').map(Number);
  if (!(concurrency >= 1 && perSecond >= 1)) throw new Error('BENCH_SCALE_RESTORE must be "concurrency,perSecond", e.g. "50,200"');
  const biboumiMaxU = envInt('BENCH_SCALE_BIBOUMI_MAX_U', 1000, 0);
  if (!Prosody.available()) throw new Error('bench:scale needs prosody (Debian package prosody)');
  if (!inspircdAvailable()) throw new Error('bench:scale needs InspIRCd (Debian package inspircd)');
  if (e > 0 && !dovecotAvailable()) throw new Error('bench:scale needs Dovecot for its email users (Debian package dovecot-imapd), or BENCH_SCALE_E=0');
  const biboumi = process.env.BENCH_BIBOUMI === '0' ? undefined : biboumiBinary();
  const notes: string[] = [];
  if (!biboumi) notes.push(process.env.BENCH_BIBOUMI === '0' ? 'biboumi: skipped (BENCH_BIBOUMI=0).' : 'biboumi: not installed (Debian package biboumi), comparison skipped.');

  const runs: (RunFigures | { label: string; error: string })[] = [];
  for (let k = 1; k <= repeat; k++) {
    for (const u of sizes) {
      const params: ScaleParams = { u, e, s, online: onlineSet ?? defaultOnline(u), settleSeconds, mailSmsSettleSeconds, trafficSeconds, restore: { concurrency, perSecond } };
      const attempts: [string, () => Promise<RunFigures>][] = [[`gateway U=${u} #${k}`, () => gatewayRun(`gateway U=${u} #${k}`, params)]];
      if (biboumi && u <= biboumiMaxU) attempts.push([`biboumi U=${u} #${k}`, () => biboumiRun(`biboumi U=${u} #${k}`, biboumi, params)]);
      for (const [label, run] of attempts) {
        log(`${label}: start`);
        try {
          const figures = await run();
          runs.push(figures);
          log(`${label}: done in ${(figures.wallSeconds / 60).toFixed(1)} min`);
        } catch (err) {
          runs.push({ label, error: (err as Error).message });
          log(`${label}: FAILED: ${(err as Error).stack ?? (err as Error).message}`);
        }
      }
    }
  }
  if (biboumi && sizes.some((u) => u > biboumiMaxU)) {
    notes.push(`biboumi: not run above U=${biboumiMaxU}: it connects a user to IRC only while the user's client is in a room, so every user would have to be online on XMPP (U x 3 room joins, the N² presences of the big room through Prosody), which does not fit the time on this machine.`);
  }
  process.stdout.write(`\n${renderTable(runs)}\n\n`);
  for (const note of notes) process.stdout.write(`${note}\n`);
  process.stdout.write([
    'XMPP users: one component connection (users.localhost) plays every user; Prosody routes each stanza to each user\'s JID. "Online" users have their client in their 3 rooms and answer presence probes; the others are registered, their IRC connections sit in the channels.',
    'CPU: run time of all threads of the measured process (/proc/<pid>/task/*/schedstat). Bursts (lines into every traffic channel at once, 5 messages from every sender at once) give the cost per stanza; the steady windows also hold the idle process\'s own CPU, shown with it and without it (at the idle rate of the quiet minute). XMPP->IRC "net" takes out the other members\' IRC copies at the inbound cost per received line.',
    'RSS: VmRSS, never after a forced garbage collection. Email: (RSS after E users and their mails, after the quiet time) - (RSS with one user per transport), / E; SMS and IRC likewise from the reading before. Added latency: XMPP arrival minus the arrival of the same line at a native IRC client.',
    'Event-loop delay: perf_hooks monitorEventLoopDelay (10 ms timer, the interval taken out) inside the gateway process; joins = IRC registrations to the end of the XMPP room joins, restore = new process start to every online user back in their rooms.',
    '',
  ].join('\n'));
  const failed = runs.filter((r) => 'error' in r) as { label: string; error: string }[];
  for (const f of failed) process.stdout.write(`FAILED ${f.label}: ${f.error.split('\n')[0]}\n`);
  return failed.length > 0 ? 1 : 0;
}

// Ctrl-C or a SIGTERM stops the servers and the gateway of the run in progress before exiting.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping the run's servers`);
    void stopActiveRuns().finally(() => process.exit(130));
  });
}

main().then((code) => process.exit(code), (err: Error) => {
  process.stderr.write(`bench:scale failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
