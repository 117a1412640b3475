/** The measurements shared by every system under test. */
import { BenchUser, LATENCY_PREFIX, inBatches } from './bench-user';
import { cpuMicros, cpuSplitMicros, rssKb, sleep, until } from './proc-stats';
import type { SystemUnderTest } from './target';
import type { RawIrcClient } from '../test/integration/irc/raw-client';
import type { Prosody } from '../test/harness/prosody';

export const LOAD_CHANNEL = '#bench';
export const OUT_CHANNEL = '#benchout';
/**
 * Unmeasured traffic before each CPU measurement, the same for every system under test, then a
 * full collection: a long-running gateway has its hot paths compiled, and garbage left by the
 * previous phase is not the cost of this one. (Measured before this warm-up existed: XMPP->IRC
 * cost about 75 ms once per run on top of 12 µs per message, JIT compilation and a major GC.)
 */
export const WARM_UP_LINES = 20;
export const WARM_UP_MESSAGES = 1000;
/** Idle time after the joins before the memory figure is read (BENCH_SETTLE_SECONDS). */
export const SETTLE_SECONDS = Number(process.env.BENCH_SETTLE_SECONDS ?? 20);

export interface Figures {
  rssBeforeKb: number;
  rssAfterKb: number;
  rssPerUserKb: number;
  /** RSS per user 3 s after the last join, before the runtime settled. */
  rssPerUserJustAfterKb: number;
  /** JS heap in use per user after a full GC (NaN for a system that is not a garbage-collected runtime). */
  heapPerUserKb: number;
  enrollSeconds: number;
  ircToXmppMicros: number;
  ircToXmppSeconds: number;
  xmppToIrcMicros: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
}

export interface Load {
  prosody: Prosody;
  feeder: RawIrcClient;
  n: number;
  m: number;
  k: number;
  batch: number;
  /** Prefix of the XMPP usernames and IRC nicks, distinct per system under test. */
  prefix: string;
}

/**
 * Connects N XMPP users and makes them occupants of the load channel. RSS is read before, 3 s
 * after the last join (while the N² join presences have just been relayed) and again once the
 * process has been idle (under 2 % CPU) and then SETTLE_SECONDS more: a garbage-collected
 * runtime keeps the memory the join burst used until its allocation rate falls, and the
 * per-user cost an operator pays is the settled one.
 */
export async function enrollUsers(sut: SystemUnderTest, load: Load): Promise<{ users: BenchUser[]; rssBeforeKb: number; rssJustAfterKb: number; rssAfterKb: number; heapPerUserKb: number; seconds: number; idleAfterSeconds: number }> {
  const names = Array.from({ length: load.n }, (_, i) => `${load.prefix}${String(i).padStart(4, '0')}`);
  const users = await inBatches(names, load.batch, (name) => BenchUser.connect(load.prosody, name));
  await sleep(1000);
  await sut.heapSnapshot?.('before-users');
  const heapBefore = await sut.settle?.();
  const rssBeforeKb = rssKb(sut.pid);
  const started = Date.now();
  await inBatches(users, load.batch, async (user) => {
    await sut.register(user, user.username);
    await sut.join(user, user.username, LOAD_CHANNEL);
    user.watch(`${sut.room(LOAD_CHANNEL)}/${load.feeder.nick}`);
  });
  const seconds = (Date.now() - started) / 1000;
  await sleep(3000);
  await sut.settle?.();
  const rssJustAfterKb = rssKb(sut.pid);
  // At N=1000 the N² join presences keep Prosody (and so the gateway, paused and resumed by its
  // flow control) busy for a while after the last self-presence: memory is read once that is over.
  const idleAfterSeconds = await untilIdle([sut.pid, ...(load.prosody.pid ? [load.prosody.pid] : [])]);
  await sleep(SETTLE_SECONDS * 1000);
  const heapAfter = await sut.settle?.();
  // The runtime returns freed pages to the system from a background thread after a collection.
  await sleep(1000);
  const rssAfterKb = rssKb(sut.pid);
  await sut.heapSnapshot?.('after-users');
  const heapPerUserKb = heapBefore !== undefined && heapAfter !== undefined ? (heapAfter - heapBefore) / 1024 / load.n : Number.NaN;
  return { users, rssBeforeKb, rssJustAfterKb, rssAfterKb, heapPerUserKb, seconds, idleAfterSeconds };
}

/**
 * Resolves once each process, and this one (the XMPP clients), used under 2 % of a CPU over two
 * consecutive half seconds, or after `maxMs` (a process may never get that quiet: biboumi at
 * N=1000 stays near 30 %); seconds waited. The gateway alone is not enough: paused by its flow
 * control, it idles while Prosody still works through the join presences.
 */
async function untilIdle(pids: number[], maxMs = 60000): Promise<number> {
  const started = Date.now();
  const sample = () => [...pids.map((pid) => cpuMicros(pid)), process.cpuUsage().user + process.cpuUsage().system];
  let quiet = 0;
  let last = sample();
  while (quiet < 2 && Date.now() - started < maxMs) {
    await sleep(500);
    const now = sample();
    quiet = now.every((v, i) => v - last[i] < 10000) ? quiet + 1 : 0;
    last = now;
  }
  return (Date.now() - started) / 1000;
}

function delivered(users: BenchUser[], room: string): number {
  return users.reduce((sum, u) => sum + u.count(room), 0);
}

/** The feeder sends M lines; CPU of the system per delivered groupchat stanza. */
export async function ircToXmpp(sut: SystemUnderTest, users: BenchUser[], load: Load): Promise<{ micros: number; seconds: number }> {
  const room = sut.room(LOAD_CHANNEL);
  // Warm-up, not measured: a long-running gateway has its hot paths compiled already.
  const warmed = delivered(users, room) + users.length * WARM_UP_LINES;
  for (let i = 0; i < WARM_UP_LINES; i++) load.feeder.send(`PRIVMSG ${LOAD_CHANNEL} :warm-up line ${i}`);
  await until(() => delivered(users, room) >= warmed, 60000, () => `${sut.name}: warm-up, ${delivered(users, room)} of ${warmed} groupchat messages`);
  await sut.settle?.();
  const expected = delivered(users, room) + users.length * load.m;
  const cpuBefore = cpuMicros(sut.pid);
  const started = Date.now();
  for (let i = 0; i < load.m; i++) load.feeder.send(`PRIVMSG ${LOAD_CHANNEL} :load line ${i} of ${load.m}`);
  await until(() => delivered(users, room) >= expected, 180000, () => `${sut.name}: ${delivered(users, room)} of ${expected} groupchat messages`);
  const seconds = (Date.now() - started) / 1000;
  return { micros: (cpuMicros(sut.pid) - cpuBefore) / (users.length * load.m), seconds };
}

/** 20 lines a second for 5 seconds, each carrying its send time; latency of every delivery. */
export async function latency(sut: SystemUnderTest, users: BenchUser[], load: Load, perSecond = 20, seconds = 5): Promise<{ p50: number; p99: number }> {
  const room = sut.room(LOAD_CHANNEL);
  const lines = perSecond * seconds;
  const expected = delivered(users, room) + users.length * lines;
  for (const u of users) u.latenciesMs.length = 0;
  const started = Date.now();
  for (let i = 0; i < lines; i++) {
    const due = started + (i * 1000) / perSecond;
    if (due > Date.now()) await sleep(due - Date.now());
    load.feeder.send(`PRIVMSG ${LOAD_CHANNEL} :${LATENCY_PREFIX}${Date.now()}`);
  }
  await until(() => delivered(users, room) >= expected, 120000, () => `${sut.name}: latency lines, ${delivered(users, room)} of ${expected}`);
  const all = users.flatMap((u) => u.latenciesMs).sort((a, b) => a - b);
  const at = (q: number) => all[Math.min(all.length - 1, Math.floor(q * all.length))];
  return { p50: at(0.5), p99: at(0.99) };
}

/** One XMPP user and the feeder share a second channel; the user sends K groupchat messages. */
export async function xmppToIrc(sut: SystemUnderTest, sender: BenchUser, load: Load): Promise<{ micros: number; kernelShare: number }> {
  load.feeder.send(`JOIN ${OUT_CHANNEL}`);
  await load.feeder.waitFor((l) => l.command === '366' && l.params[1] === OUT_CHANNEL);
  await sut.join(sender, sender.username, OUT_CHANNEL);
  await sleep(500);
  const fromSender = () => load.feeder.lines.filter((l) => l.command === 'PRIVMSG' && l.params[0] === OUT_CHANNEL && l.nick === sender.username).length;
  const room = sut.room(OUT_CHANNEL);
  const warmed = fromSender() + WARM_UP_MESSAGES;
  for (let i = 0; i < WARM_UP_MESSAGES; i++) await sender.sendGroupchat(room, `warm-up ${i}`);
  await until(() => fromSender() >= warmed, 60000, () => `${sut.name}: warm-up, ${fromSender()} of ${warmed} lines on IRC`, 20);
  await sut.settle?.();
  const expected = fromSender() + load.k;
  const cpuBefore = cpuMicros(sut.pid);
  const splitBefore = cpuSplitMicros(sut.pid);
  for (let i = 0; i < load.k; i++) await sender.sendGroupchat(room, `outbound ${i} of ${load.k}`);
  await until(() => fromSender() >= expected, 120000, () => `${sut.name}: ${fromSender()} of ${expected} lines on IRC`, 20);
  const micros = (cpuMicros(sut.pid) - cpuBefore) / load.k;
  const splitAfter = cpuSplitMicros(sut.pid);
  const user = splitAfter.user - splitBefore.user;
  const system = splitAfter.system - splitBefore.system;
  return { micros, kernelShare: user + system > 0 ? system / (user + system) : Number.NaN };
}

/** Every measurement in order, on users that stay connected for the caller's later steps. */
export async function measureAll(sut: SystemUnderTest, load: Load, log: (s: string) => void): Promise<{ figures: Figures; users: BenchUser[] }> {
  log(`${sut.name}: connecting and enrolling ${load.n} XMPP users in batches of ${load.batch}`);
  const enrolled = await enrollUsers(sut, load);
  log(`${sut.name}: enrolled in ${enrolled.seconds.toFixed(1)} s, idle ${enrolled.idleAfterSeconds.toFixed(1)} s after; IRC->XMPP with ${load.m} lines`);
  const inbound = await ircToXmpp(sut, enrolled.users, load);
  log(`${sut.name}: ${load.n * load.m} stanzas delivered in ${inbound.seconds.toFixed(1)} s; latency run`);
  const lat = await latency(sut, enrolled.users, load);
  log(`${sut.name}: XMPP->IRC with ${load.k} messages`);
  const outbound = await xmppToIrc(sut, enrolled.users[0], load);
  log(`${sut.name}: XMPP->IRC ${outbound.micros.toFixed(1)} us per message, ${(outbound.kernelShare * 100).toFixed(0)} % of it in the kernel`);
  return {
    users: enrolled.users,
    figures: {
      rssBeforeKb: enrolled.rssBeforeKb,
      rssAfterKb: enrolled.rssAfterKb,
      rssPerUserKb: (enrolled.rssAfterKb - enrolled.rssBeforeKb) / load.n,
      rssPerUserJustAfterKb: (enrolled.rssJustAfterKb - enrolled.rssBeforeKb) / load.n,
      heapPerUserKb: enrolled.heapPerUserKb,
      enrollSeconds: enrolled.seconds,
      ircToXmppMicros: inbound.micros,
      ircToXmppSeconds: inbound.seconds,
      xmppToIrcMicros: outbound.micros,
      latencyP50Ms: lat.p50,
      latencyP99Ms: lat.p99,
    },
  };
}
