/**
 * `npm run bench`: CPU per relayed stanza and memory per connected user of the gateway (in a
 * child process, read from /proc), with biboumi measured the same way when it is installed.
 * BENCH_N users (default 200, up to 1000), BENCH_M lines IRC->XMPP (default 100), BENCH_K messages XMPP->IRC
 * (default 4000; at most 8000, which with the warm-up stays inside the gateway's flood burst of 10000,
 * so the flood queue's pacing is not what is measured). BENCH_SETTLE_SECONDS (default 20) of idling
 * before the memory figure.
 */
import { rmSync } from 'node:fs';
import { BenchUser, inBatches } from './bench-user';
import { BiboumiSut, BIBOUMI_DOMAIN, BIBOUMI_SECRET, biboumiBinary } from './biboumi-sut';
import { GatewaySut, GATEWAY_DOMAIN, GATEWAY_SECRET, RESTORE } from './gateway-sut';
import { LOAD_CHANNEL, measureAll, type Figures, type Load } from './measure';
import { renderTable, rowsFor } from './table';
import { Prosody } from '../test/harness/prosody';
import { Ngircd, ngircdAvailable } from '../test/harness/ngircd';
import { tempDir } from '../test/harness/ports';
import { RawIrcClient } from '../test/integration/irc/raw-client';

function envInt(name: string, fallback: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) throw new Error(`${name} must be a whole number from 1 to ${max}, got "${raw}"`);
  return value;
}

const log = (s: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

async function main(): Promise<void> {
  const n = envInt('BENCH_N', 200, 1000);
  const m = envInt('BENCH_M', 100, 100000);
  const k = envInt('BENCH_K', 4000, 8000);
  if (!Prosody.available() || !ngircdAvailable()) throw new Error('the benchmark needs prosody and ngircd (Debian packages prosody, ngircd)');
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  const dir = tempDir('bench');
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const users: BenchUser[] = [];
  cleanups.push(() => Promise.all(users.map((u) => u.stop())));
  const notes: string[] = [];
  try {
    const prosody = await Prosody.start([{ domain: GATEWAY_DOMAIN, secret: GATEWAY_SECRET }, { domain: BIBOUMI_DOMAIN, secret: BIBOUMI_SECRET }]);
    cleanups.push(() => prosody.destroy());
    const ircd = await Ngircd.start();
    cleanups.push(() => ircd.stop());
    notes.push('ngircd: MaxPenaltyTime = 0 (the test harness setting), so ngircd does not throttle the load.');
    const feeder = await RawIrcClient.connect(ircd.port, 'feeder');
    cleanups.push(() => feeder.close());
    feeder.send(`JOIN ${LOAD_CHANNEL}`);
    await feeder.waitFor((l) => l.command === '366' && l.params[1] === LOAD_CHANNEL);
    const load = (prefix: string): Load => ({ prosody, feeder, n, m, k, batch: 25, prefix });

    log(`starting the gateway child process (N=${n}, M=${m}, K=${k})`);
    const gateway = await GatewaySut.start(prosody, ircd.port, dir);
    cleanups.push(() => gateway.stop());
    const measured = await measureAll(gateway, load('g'), log);
    users.push(...measured.users);
    log('gateway: restarting on the same SQLite storage');
    const restart = await gateway.restart(n);
    await gateway.stop();
    await Promise.all(users.splice(0).map((u) => u.stop()));

    let biboumi: Figures | undefined;
    const binary = process.env.BENCH_BIBOUMI === '0' ? undefined : biboumiBinary();
    if (binary) {
      log(`biboumi: ${binary}`);
      notes.push('biboumi: same Prosody and ngircd; per user: server ports set to the bench ngircd, throttle_limit -1, record_history false (its SQLite archive off).');
      const probe = await BenchUser.connect(prosody, 'probe');
      users.push(probe);
      const sut = await BiboumiSut.start(binary, prosody, ircd.port, dir, probe);
      cleanups.push(() => sut.stop());
      const result = await measureAll(sut, load('b'), log);
      users.push(...result.users);
      biboumi = result.figures;
      await Promise.all(users.splice(0).map((u) => u.stop()));
      await sut.stop();
    } else {
      notes.push(process.env.BENCH_BIBOUMI === '0' ? 'biboumi: skipped (BENCH_BIBOUMI=0)' : 'biboumi: not installed, comparison skipped');
    }

    const rows = rowsFor(n, m, k, measured.figures, biboumi);
    rows.push({ figure: `restart: gateway ready (component + HTTP up)`, gateway: restart.readySeconds, unit: 's', digits: 2 });
    rows.push({ figure: `restart: all ${n} sessions online again (restore ${RESTORE.concurrency} at a time, ≤ ${RESTORE.perSecond}/s)`, gateway: restart.onlineSeconds, unit: 's', digits: 2 });
    rows.push({ figure: 'restart: restore pace (logins started per second)', gateway: restart.pacePerSecond, unit: '/s', target: RESTORE.perSecond, digits: 1 });
    process.stdout.write(`\n${renderTable(rows, biboumi !== undefined)}\n\n`);
    for (const note of notes) process.stdout.write(`${note}\n`);
    process.stdout.write('CPU = run time of all threads of the measured process (/proc/<pid>/task/*/schedstat, same figure as utime + stime in /proc/<pid>/stat at ns resolution), after an unmeasured warm-up (20 lines, 1000 messages) and, for the gateway, a full GC; RSS = VmRSS from /proc/<pid>/status, for the gateway after a full GC.\n');
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (err) {
        log(`cleanup failed: ${(err as Error).message}`);
      }
    }
  }
}

main().then(() => process.exit(0), (err: Error) => {
  process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
