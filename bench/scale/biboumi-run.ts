/**
 * The IRC part of a scale run against biboumi (Debian package), on the same kind of Prosody and
 * InspIRCd network. biboumi connects a user to IRC when the user's client joins a room on that
 * server, so every user is online here: each joins its 3 rooms over XMPP. It has no stored
 * registrations to restore, no email or SMS, and no event-loop monitor.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { xml } from '@xmpp/component';
import type { Element } from '@xmpp/xml';
import { peakRssKb, rssKb, sleep, stopProcess } from '../proc-stats';
import { BIBOUMI_DOMAIN, BIBOUMI_SECRET, cpuQuiet, loadAverage, log, RunEnv } from './env';
import { BURST_LINES, BURST_MESSAGES, settle, type RunFigures, type ScaleParams } from './gateway-run';
import { inboundFigures, latency, Traffic } from './traffic';
import { buildTopology, trafficPlan } from './topology';
import { pool, RESOURCE, XmppUsers } from './xmpp-users';
import { tempDir } from '../../test/harness/ports';

const COMMANDS = 'http://jabber.org/protocol/commands';

async function startBiboumi(binary: string, env: RunEnv, dir: string): Promise<{ child: ChildProcess; output: () => string }> {
  const configPath = join(dir, 'biboumi.cfg');
  writeFileSync(configPath, [
    `hostname=${BIBOUMI_DOMAIN}`, `password=${BIBOUMI_SECRET}`, 'xmpp_server_ip=127.0.0.1', `port=${env.prosody.componentPort}`,
    'admin=', 'identd_port=0', `db_name=${join(dir, 'biboumi.sqlite')}`, 'realname_customization=true', 'log_level=2', '',
  ].join('\n'));
  const command = `ulimit -n 65536 2>/dev/null || true; exec ${binary} ${configPath}`;
  const child = spawn('/bin/sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (d: Buffer) => { output = (output + d.toString()).slice(-20000); };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const deadline = Date.now() + 20000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`biboumi exited with ${child.exitCode}:\n${output}`);
    const probe = `${XmppUsers.jid('probe')}/${RESOURCE}`;
    const answered = await env.users.iq(probe, BIBOUMI_DOMAIN, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }), 1000).then(() => true, () => false);
    if (answered) return { child, output: () => output };
    if (Date.now() > deadline) throw new Error(`biboumi did not connect to Prosody:\n${output}`);
    await sleep(200);
  }
}

/** biboumi's "configure" ad-hoc command (XEP-0050) on `target`, as the user. */
async function configure(users: XmppUsers, local: string, target: string, fields: Element[]): Promise<void> {
  const from = `${XmppUsers.jid(local)}/${RESOURCE}`;
  const first = await users.iq(from, target, 'set', xml('command', { xmlns: COMMANDS, node: 'configure', action: 'execute' }));
  const sessionid = String(first.getChild('command', COMMANDS)?.attrs.sessionid ?? '');
  await users.iq(from, target, 'set', xml('command', { xmlns: COMMANDS, node: 'configure', sessionid, action: 'complete' },
    xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, ...fields)));
}

const field = (name: string, ...values: string[]) => xml('field', { var: name }, ...values.map((v) => xml('value', {}, v)));

export async function biboumiRun(label: string, binary: string, p: ScaleParams): Promise<RunFigures> {
  const started = Date.now();
  const loadStart = loadAverage();
  // Every user is online: biboumi holds an IRC connection only for a client in a room.
  const t = buildTopology(p.u, p.u);
  const env = await RunEnv.start(p.u + 100);
  const dir = tempDir('bench-scale-biboumi');
  env.defer(() => rmSync(dir, { recursive: true, force: true }));
  try {
    const biboumi = await startBiboumi(binary, env, dir);
    env.defer(() => stopProcess(biboumi.child, 10000));
    const pid = biboumi.child.pid!;
    const users = env.users;
    await sleep(10000);
    const idleRssKb = rssKb(pid);
    const server = `127.0.0.1@${BIBOUMI_DOMAIN}`;
    const room = (c: string) => `${c}%127.0.0.1@${BIBOUMI_DOMAIN}`;
    log(`${label}: biboumi up (pid ${pid}); configuring ${p.u} users (bench port, no throttling, archive off) and joining their rooms`);
    const joinStart = Date.now();
    // Its default ports are 6697 (TLS) and 6667; each user's server settings get the bench port.
    await pool(Array.from({ length: p.u }, (_, i) => i), 50, async (i) => {
      await configure(users, t.nicks[i], server, [field('ports', String(env.ircd.port)), field('tls_ports'), field('throttle_limit', '-1')]);
      await configure(users, t.nicks[i], BIBOUMI_DOMAIN, [field('record_history', 'false')]);
    });
    for (let i = 0; i < p.u; i++) users.online.add(XmppUsers.jid(t.nicks[i]));
    const joins = t.channelsOf.flatMap((cs, i) => cs.map((c) => ({ i, c })));
    await pool(joins, 50, ({ i, c }) => users.join(t.nicks[i], `${room(t.channels[c].name)}/${t.nicks[i]}`));
    await env.ircMembership(new Map(t.channels.map((c) => [c.name, c.members.length])), 900000, (s) => log(`${label}: ${s}`));
    const plan = trafficPlan(t, 200, 300);
    await env.feeder.joinAll(plan.inbound.map((c) => c.name));
    await env.observer.joinAll([...plan.inbound, ...plan.outbound.map((o) => o.channel)].map((c) => c.name));
    await users.quiet(2000);
    await cpuQuiet([pid, env.prosody.pid!], 120000);
    const joinSeconds = (Date.now() - joinStart) / 1000;
    log(`${label}: ${joins.length} room joins in ${joinSeconds.toFixed(1)} s; traffic`);

    const traffic = new Traffic(env, t, { pid, room, online: t.online });
    await traffic.inbound(plan.inbound, 5);
    const inbound = await traffic.inbound(plan.inbound, p.trafficSeconds);
    const outbound = await traffic.outbound(plan.outbound, p.trafficSeconds);
    const inboundBurst = await traffic.inboundBurst(plan.inbound, BURST_LINES);
    const outboundBurst = await traffic.outboundBurst(plan.outbound, BURST_MESSAGES);
    log(`${label}: IRC->XMPP ${(inbound.cpuMicros / inbound.delivered).toFixed(1)} us per delivered stanza; ${p.settleSeconds} s idle`);
    const { rssKb: afterKb, idleCpuPercent } = await settle(pid, p.settleSeconds);
    const peakMb = peakRssKb(pid) / 1024;
    const lat = latency(inbound);
    return {
      label, system: 'biboumi', params: { ...p, online: p.u }, loadStart, loadEnd: loadAverage(), wallSeconds: (Date.now() - started) / 1000,
      idleRssMb: idleRssKb / 1024, ircRssPerUserKb: (afterKb - idleRssKb) / p.u, rssAfterMb: afterKb / 1024, peakMb, idleCpuPercent,
      ircJoinSeconds: joinSeconds, xmppJoinSeconds: Number.NaN,
      inbound: inboundFigures(inbound), outbound,
      inboundBurst: inboundFigures(inboundBurst), outboundBurst, latencyP50: lat.p50, latencyP99: lat.p99,
    };
  } finally {
    await env.stop();
  }
}
