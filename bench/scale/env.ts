/**
 * The servers and peers one scale run needs, started fresh for each run and torn down after it:
 * Prosody (with the gateway's, biboumi's and the users' component domains), InspIRCd, the
 * users' component connection, and two native IRC users (a feeder that talks, an observer that
 * listens and timestamps).
 */
import { readFileSync } from 'node:fs';
import { cpuMicros, sleep } from '../proc-stats';
import { Inspircd } from './inspircd';
import { IrcPeer } from './irc-peer';
import { EMAIL_DOMAIN, SMS_DOMAIN } from './mail-sms';
import { IRC_DOMAIN, SECRETS } from './gateway-scale';
import { XmppUsers, USERS_DOMAIN, USERS_SECRET } from './xmpp-users';
import { Prosody } from '../../test/harness/prosody';

export const BIBOUMI_DOMAIN = 'biboumi.localhost';
export const BIBOUMI_SECRET = 'bench-biboumi';

export const log = (s: string) => process.stderr.write(`[bench:scale ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

const active = new Set<RunEnv>();

/** Stops every run still in progress (on a signal). */
export async function stopActiveRuns(): Promise<void> {
  await Promise.all([...active].map((env) => env.stop()));
}

export class RunEnv {
  private readonly cleanups: (() => Promise<unknown> | unknown)[] = [];

  private constructor(readonly prosody: Prosody, readonly ircd: Inspircd, readonly users: XmppUsers, readonly feeder: IrcPeer, readonly observer: IrcPeer) {}

  static async start(maxIrcClients: number): Promise<RunEnv> {
    const cleanups: (() => Promise<unknown> | unknown)[] = [];
    try {
      const prosody = await Prosody.start([
        ...[IRC_DOMAIN, EMAIL_DOMAIN, SMS_DOMAIN].map((domain) => ({ domain, secret: SECRETS[domain] })),
        { domain: BIBOUMI_DOMAIN, secret: BIBOUMI_SECRET },
        { domain: USERS_DOMAIN, secret: USERS_SECRET },
      ]);
      cleanups.push(() => prosody.destroy());
      const ircd = await Inspircd.start(maxIrcClients);
      cleanups.push(() => ircd.stop());
      const users = await XmppUsers.connect(prosody);
      cleanups.push(() => users.stop());
      const feeder = await IrcPeer.connect(ircd.port, 'feeder');
      cleanups.push(() => feeder.close());
      const observer = await IrcPeer.connect(ircd.port, 'observer');
      cleanups.push(() => observer.close());
      const env = new RunEnv(prosody, ircd, users, feeder, observer);
      env.cleanups.push(...cleanups);
      active.add(env);
      return env;
    } catch (err) {
      for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
      throw err;
    }
  }

  /** Something to stop when the run ends (last added, first stopped). */
  defer(cleanup: () => Promise<unknown> | unknown): void {
    this.cleanups.push(cleanup);
  }

  /** Waits until every channel has the expected number of members on the IRC server (LIST). */
  async ircMembership(expected: Map<string, number>, timeoutMs: number, progress: (s: string) => void): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastReport = 0;
    for (;;) {
      const counts = await this.observer.list();
      let missing = 0;
      for (const [name, n] of expected) missing += Math.max(0, n - (counts.get(name.toLowerCase()) ?? 0));
      if (missing === 0) return;
      if (Date.now() > deadline) throw new Error(`IRC joins incomplete after ${timeoutMs / 1000} s: ${missing} memberships missing`);
      if (Date.now() - lastReport > 20000) {
        progress(`IRC joins: ${missing} memberships still missing`);
        lastReport = Date.now();
      }
      await sleep(2000);
    }
  }

  async stop(): Promise<void> {
    active.delete(this);
    for (const cleanup of this.cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (err) {
        log(`cleanup failed: ${(err as Error).message}`);
      }
    }
  }
}

/**
 * Resolves once each process used under 3 % of a CPU over two consecutive seconds, or after
 * `maxMs`; seconds waited. The gateway pauses its IRC input while Prosody is behind (flow
 * control), so Prosody is watched with it.
 */
export async function cpuQuiet(pids: number[], maxMs: number): Promise<number> {
  const started = Date.now();
  const sample = () => pids.map((pid) => cpuMicros(pid));
  let quiet = 0;
  let last = sample();
  while (quiet < 2 && Date.now() - started < maxMs) {
    await sleep(1000);
    const now = sample();
    quiet = now.every((v, i) => v - last[i] < 30000) ? quiet + 1 : 0;
    last = now;
  }
  return (Date.now() - started) / 1000;
}

export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
