/**
 * One scale run of this gateway: idle, E email users, S SMS users, U IRC users in the
 * topology's channels (the online ones also in their rooms over XMPP), steady traffic both
 * ways, memory 60 s after it, then a restart and the restore of every registered user.
 * Memory is read as an operator sees it: VmRSS, never after a forced collection.
 */
import { cpuMicros, peakRssKb, rssKb, sleep } from '../proc-stats';
import type { EventLoopDelay } from '../gateway-child';
import { cpuQuiet, loadAverage, log, RunEnv } from './env';
import { IRC_DOMAIN, ScaleGateway, type RestoreConfig } from './gateway-scale';
import { EMAIL_DOMAIN, MailAndSms, SMS_DOMAIN } from './mail-sms';
import { restorePace } from '../gateway-sut';
import { latency, Traffic, inboundFigures, type InboundFigures, type OutboundResult } from './traffic';
import { buildTopology, trafficPlan } from './topology';
import { pool } from './xmpp-users';
import { tempDir } from '../../test/harness/ports';
import { rmSync } from 'node:fs';

export const BURST_LINES = 10;
export const BURST_MESSAGES = 5;

export interface ScaleParams {
  u: number;
  e: number;
  s: number;
  online: number;
  /** Quiet time before the RSS reading after the traffic (60 s: the reading). */
  settleSeconds: number;
  /** The same after the email and after the SMS registrations (shorter, for the 15-minute budget). */
  mailSmsSettleSeconds: number;
  trafficSeconds: number;
  restore: RestoreConfig;
}

export interface RunFigures {
  label: string;
  system: 'gateway' | 'biboumi';
  params: ScaleParams;
  loadStart: string;
  loadEnd: string;
  wallSeconds: number;
  idleRssMb: number;
  /** RSS once one user of each transport made the adapters load their libraries. */
  baseRssMb?: number;
  emailRssPerUserKb?: number;
  smsRssPerUserKb?: number;
  ircRssPerUserKb: number;
  rssAfterMb: number;
  /** Peak RSS (VmHWM) of the first process (registrations, joins, traffic) and of the restored one. */
  peakMb?: number;
  restorePeakMb?: number;
  /** CPU the process used while idle with every user (the settle window after the traffic), % of one core. */
  idleCpuPercent: number;
  ircJoinSeconds: number;
  xmppJoinSeconds: number;
  /** The steady traffic windows. */
  inbound: InboundFigures;
  outbound: OutboundResult;
  /** The bursts: BURST_LINES lines into each traffic channel, BURST_MESSAGES messages from each sender. */
  inboundBurst: InboundFigures;
  outboundBurst: OutboundResult;
  latencyP50: number;
  latencyP99: number;
  eldJoins?: EventLoopDelay;
  eldTraffic?: EventLoopDelay;
  eldRestore?: EventLoopDelay;
  stopSeconds?: number;
  restoreSeconds?: Record<string, number>;
  /** Sessions still not online when the restore ended (per domain). */
  restoreOffline?: Record<string, number>;
  restorePace?: Record<string, number>;
  roomsBackSeconds?: number;
  mailsDelivered?: number;
  smsDelivered?: number;
}

/** Waits `seconds` with the traffic stopped, then reads RSS (KB) without a collection. */
async function settledRss(pid: number, seconds: number): Promise<number> {
  await sleep(seconds * 1000);
  return rssKb(pid);
}

/** Like settledRss, also the CPU share (of one core, %) the process used meanwhile. */
export async function settle(pid: number, seconds: number): Promise<{ rssKb: number; idleCpuPercent: number }> {
  const before = cpuMicros(pid);
  const started = Date.now();
  const kb = await settledRss(pid, seconds);
  return { rssKb: kb, idleCpuPercent: ((cpuMicros(pid) - before) / ((Date.now() - started) * 1000)) * 100 };
}

async function waitFor(done: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await sleep(100);
  }
}

export async function gatewayRun(label: string, p: ScaleParams): Promise<RunFigures> {
  const started = Date.now();
  const loadStart = loadAverage();
  const t = buildTopology(p.u, p.online);
  const env = await RunEnv.start(p.u + 100);
  const dir = tempDir('bench-scale');
  env.defer(() => rmSync(dir, { recursive: true, force: true }));
  try {
    const mail = await MailAndSms.start(p.e, p.s);
    env.defer(() => mail.stop());
    const gw = await ScaleGateway.start({ prosody: env.prosody, ircPort: env.ircd.port, twilioUrl: mail.twilio.baseUrl, dir, restore: p.restore });
    env.defer(() => gw.stop());
    const users = env.users;
    log(`${label}: gateway up (pid ${gw.pid}); ${t.channels.length} channels, ${t.onlineCount} of ${p.u} IRC users online on XMPP`);
    const idleRssKb = await settledRss(gw.pid, 10);

    // One user per transport first: each adapter loads its network's libraries at its first login.
    await users.register('warm-irc', IRC_DOMAIN, { nick: 'warmup' });
    if (p.e > 0) await users.register(`warm-email`, EMAIL_DOMAIN, mail.mailForm(p.e));
    await users.register(`warm-sms`, SMS_DOMAIN, mail.smsForm(p.s));
    const baseRssKb = await settledRss(gw.pid, 10);

    let emailRssPerUserKb: number | undefined;
    let afterEmailKb = baseRssKb;
    if (p.e > 0) {
      log(`${label}: registering ${p.e} email users (IMAP IDLE each)`);
      await pool(Array.from({ length: p.e }, (_, i) => i), 20, async (i) => { await users.register(`e${i}`, EMAIL_DOMAIN, mail.mailForm(i)); });
      for (let i = 0; i < p.e; i++) mail.deliverMail(i, 1);
      await waitFor(() => (users.direct.get(EMAIL_DOMAIN) ?? 0) >= p.e, 300000, () => `${users.direct.get(EMAIL_DOMAIN) ?? 0} of ${p.e} mails relayed`);
      log(`${label}: ${p.e} mails relayed through IDLE; ${p.mailSmsSettleSeconds} s idle`);
      afterEmailKb = await settledRss(gw.pid, p.mailSmsSettleSeconds);
      emailRssPerUserKb = (afterEmailKb - baseRssKb) / p.e;
    }

    log(`${label}: registering ${p.s} SMS users`);
    await pool(Array.from({ length: p.s }, (_, i) => i), 50, async (i) => { await users.register(`s${i}`, SMS_DOMAIN, mail.smsForm(i)); });
    await pool(Array.from({ length: p.s }, (_, i) => i), 20, (i) => mail.deliverSms(i, 1));
    await waitFor(() => (users.direct.get(SMS_DOMAIN) ?? 0) >= p.s, 300000, () => `${users.direct.get(SMS_DOMAIN) ?? 0} of ${p.s} SMS relayed`);
    log(`${label}: ${p.s} SMS relayed; ${p.mailSmsSettleSeconds} s idle`);
    const afterSmsKb = await settledRss(gw.pid, p.mailSmsSettleSeconds);
    const smsRssPerUserKb = (afterSmsKb - afterEmailKb) / p.s;

    await gw.eventLoopDelay();
    await gw.profile('start', `joins-u${p.u}`);
    const joinStart = Date.now();
    log(`${label}: registering ${p.u} IRC users, each with its 3 channels to join`);
    await pool(Array.from({ length: p.u }, (_, i) => i), 100, async (i) => {
      const channels = t.channelsOf[i].map((c) => t.channels[c].name).join(',');
      await users.register(t.nicks[i], IRC_DOMAIN, { nick: t.nicks[i], channels });
      if (i % 2000 === 1999) log(`${label}: ${i + 1} IRC users registered`);
    });
    log(`${label}: registered in ${((Date.now() - joinStart) / 1000).toFixed(1)} s; waiting for the IRC joins`);
    await env.ircMembership(new Map(t.channels.map((c) => [c.name, c.members.length])), 900000, (s) => log(`${label}: ${s}`));
    const ircJoinSeconds = (Date.now() - joinStart) / 1000;
    const plan = trafficPlan(t, 200, 300);
    const watched = [...plan.inbound, ...plan.outbound.map((o) => o.channel)].map((c) => c.name);
    await env.feeder.joinAll(plan.inbound.map((c) => c.name));
    await env.observer.joinAll(watched);
    log(`${label}: IRC joins done in ${ircJoinSeconds.toFixed(1)} s; ${t.onlineCount} users enter their rooms over XMPP`);
    const xmppStart = Date.now();
    const joins = t.online.flatMap((on, i) => (on ? t.channelsOf[i].map((c) => ({ i, c })) : []));
    for (const i of t.online.flatMap((on, k) => (on ? [k] : []))) users.online.add(`${t.nicks[i]}@users.localhost`);
    await pool(joins, 50, ({ i, c }) => users.join(t.nicks[i], `${t.channels[c].name}@${IRC_DOMAIN}/${t.nicks[i]}`));
    await users.quiet(2000);
    await cpuQuiet([gw.pid, env.prosody.pid!], 120000);
    const xmppJoinSeconds = (Date.now() - xmppStart) / 1000;
    const eldJoins = await gw.eventLoopDelay();
    await gw.profile('stop', `joins-u${p.u}`);
    log(`${label}: ${joins.length} room joins in ${xmppJoinSeconds.toFixed(1)} s; traffic`);

    const target = { pid: gw.pid, room: (c: string) => `${c}@${IRC_DOMAIN}`, online: t.online };
    const traffic = new Traffic(env, t, target);
    await traffic.inbound(plan.inbound, 5);
    const inbound = await traffic.inbound(plan.inbound, p.trafficSeconds);
    const outbound = await traffic.outbound(plan.outbound, p.trafficSeconds);
    const eldTraffic = await gw.eventLoopDelay();
    await gw.profile('start', `bursts-u${p.u}`);
    const inboundBurst = await traffic.inboundBurst(plan.inbound, BURST_LINES);
    const outboundBurst = await traffic.outboundBurst(plan.outbound, BURST_MESSAGES);
    await gw.profile('stop', `bursts-u${p.u}`);
    log(`${label}: IRC->XMPP ${(inbound.cpuMicros / inbound.delivered).toFixed(1)} us per delivered stanza; ${p.settleSeconds} s idle`);
    const { rssKb: afterIrcKb, idleCpuPercent } = await settle(gw.pid, p.settleSeconds);
    const peakMb = peakRssKb(gw.pid) / 1024;

    log(`${label}: restart (SIGTERM, then a new process on the same store)`);
    // The stop's own "you left" presences are unavailable ones and are not counted; the count starts here.
    users.inRooms.clear();
    const { stopSeconds, spawnedAt } = await gw.restart();
    const expected = { [IRC_DOMAIN]: p.u + 1, [EMAIL_DOMAIN]: p.e > 0 ? p.e + 1 : 0, [SMS_DOMAIN]: p.s + 1 };
    const restored = await gw.waitRestored(expected, spawnedAt, 900000, (m) => log(`${label}: ${m}`));
    await waitFor(() => users.inRooms.size >= joins.length, 300000, () => `${users.inRooms.size} of ${joins.length} rooms re-joined`);
    const roomsBackSeconds = (Date.now() - spawnedAt) / 1000;
    const eldRestore = await gw.eventLoopDelay();
    const restorePeakMb = peakRssKb(gw.pid) / 1024;
    // The restore from the process start: BENCH_CPU_PROF=DIR profiles whole processes (written at exit).
    const pace = Object.fromEntries(restored.health.map((h) => [h.domain, restorePace(h.restore)]));
    log(`${label}: restored in ${JSON.stringify(restored.seconds)} s (left offline: ${JSON.stringify(restored.offline)}), rooms back after ${roomsBackSeconds.toFixed(1)} s`);

    const lat = latency(inbound);
    return {
      label, system: 'gateway', params: p, loadStart, loadEnd: loadAverage(), wallSeconds: (Date.now() - started) / 1000,
      idleRssMb: idleRssKb / 1024, baseRssMb: baseRssKb / 1024, emailRssPerUserKb, smsRssPerUserKb,
      ircRssPerUserKb: (afterIrcKb - afterSmsKb) / p.u, rssAfterMb: afterIrcKb / 1024, peakMb, restorePeakMb, idleCpuPercent,
      ircJoinSeconds, xmppJoinSeconds,
      inbound: inboundFigures(inbound), outbound,
      inboundBurst: inboundFigures(inboundBurst), outboundBurst, latencyP50: lat.p50, latencyP99: lat.p99,
      eldJoins, eldTraffic, eldRestore, stopSeconds, restoreSeconds: restored.seconds, restoreOffline: restored.offline, restorePace: pace, roomsBackSeconds,
      mailsDelivered: users.direct.get(EMAIL_DOMAIN) ?? 0, smsDelivered: users.direct.get(SMS_DOMAIN) ?? 0,
    };
  } finally {
    await env.stop();
  }
}
