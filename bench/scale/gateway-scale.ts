/**
 * This gateway as the scale benchmark runs it: one child process with the IRC, email and SMS
 * transports, configured as an operator would (shipped Node flags, default flood control), with
 * the event-loop delay monitor on (BENCH_ELD=1, bench/gateway-process.ts).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GatewayChild, type EventLoopDelay, type TransportHealth } from '../gateway-child';
import { sleep } from '../proc-stats';
import { EMAIL_DOMAIN, SMS_DOMAIN } from './mail-sms';
import { USERS_DOMAIN } from './xmpp-users';
import { freePort } from '../../test/harness/ports';
import type { Prosody } from '../../test/harness/prosody';

export const IRC_DOMAIN = 'irc.localhost';
export const SECRETS: Record<string, string> = { [IRC_DOMAIN]: 'bench-irc', [EMAIL_DOMAIN]: 'bench-email', [SMS_DOMAIN]: 'bench-sms' };

export interface RestoreConfig {
  concurrency: number;
  perSecond: number;
}

export class ScaleGateway {
  private constructor(private child: GatewayChild, private readonly configPath: string, readonly httpPort: number) {}

  get pid(): number {
    return this.child.pid;
  }

  get stderr(): string {
    return this.child.stderr;
  }

  static async start(opts: { prosody: Prosody; ircPort: number; twilioUrl: string; dir: string; restore: RestoreConfig }): Promise<ScaleGateway> {
    const httpPort = await freePort();
    const config = {
      xmpp: { host: '127.0.0.1', port: opts.prosody.componentPort },
      storage: { url: `sqlite://${join(opts.dir, 'gateway.sqlite')}` },
      http: { enabled: true, host: '127.0.0.1', port: httpPort, publicUrl: `http://127.0.0.1:${httpPort}` },
      logging: { level: 'warn' },
      // biboumi's archive is off in the bench; ours too, so both relay alike (BENCH_ARCHIVE=1 keeps history).
      archive: { enabled: process.env.BENCH_ARCHIVE === '1' },
      restore: opts.restore,
      access: { allow: [USERS_DOMAIN] },
      // The users' mail servers are on loopback, which the gateway refuses unless told.
      outbound: { allow: ['127.0.0.0/8'], deny: [] },
      transports: [
        { domain: IRC_DOMAIN, secret: SECRETS[IRC_DOMAIN], adapter: 'irc', options: { server: { host: '127.0.0.1', port: opts.ircPort, tls: false } } },
        { domain: EMAIL_DOMAIN, secret: SECRETS[EMAIL_DOMAIN], adapter: 'email', options: {} },
        { domain: SMS_DOMAIN, secret: SECRETS[SMS_DOMAIN], adapter: 'sms', options: { apiBaseUrl: opts.twilioUrl } },
      ],
    };
    const configPath = join(opts.dir, 'gateway.yaml');
    writeFileSync(configPath, JSON.stringify(config, null, 2));
    return new ScaleGateway(await GatewayChild.start(configPath, httpPort, 60000, ScaleGateway.env()), configPath, httpPort);
  }

  private static env(): NodeJS.ProcessEnv {
    return { ...process.env, BENCH_ELD: '1' };
  }

  /**
   * With BENCH_SCALE_PROF=DIR: a CPU profile of one phase of the gateway process, written to
   * DIR/<label>.cpuprofile (nothing without the variable).
   */
  async profile(action: 'start' | 'stop', label: string): Promise<void> {
    const dir = process.env.BENCH_SCALE_PROF;
    if (dir) await this.child.profile(action, join(dir, `${label}.cpuprofile`));
  }

  eventLoopDelay(): Promise<EventLoopDelay> {
    return this.child.eventLoopDelay();
  }

  async health(): Promise<TransportHealth[]> {
    return this.child.health();
  }

  /**
   * SIGTERM (a clean stop, as systemd does it), then a new process on the same store: seconds
   * for the stop, and the new process, whose restore the caller watches.
   */
  async restart(): Promise<{ stopSeconds: number; spawnedAt: number }> {
    const started = Date.now();
    await this.child.stop();
    const stopSeconds = (Date.now() - started) / 1000;
    const spawnedAt = Date.now();
    this.child = await GatewayChild.start(this.configPath, this.httpPort, 60000, ScaleGateway.env());
    return { stopSeconds, spawnedAt };
  }

  /**
   * Polls /health until each transport has `expected[domain]` sessions online: seconds per
   * domain from `since`. A transport whose every login has started and whose online count has
   * not moved for `stallMs` is done too, with the sessions still offline counted (an SMS session
   * whose API check failed at restore starts offline and stays so until its user sends).
   */
  async waitRestored(expected: Record<string, number>, since: number, timeoutMs: number, progress: (s: string) => void, stallMs = 20000): Promise<{ seconds: Record<string, number>; offline: Record<string, number>; health: TransportHealth[] }> {
    const seconds: Record<string, number> = {};
    const offline: Record<string, number> = {};
    const last: Record<string, { online: number; at: number }> = {};
    const deadline = since + timeoutMs;
    let health: TransportHealth[] = [];
    let reported = Date.now();
    for (;;) {
      health = await this.health().catch(() => []);
      const now = Date.now();
      for (const t of health) {
        const want = expected[t.domain] ?? 0;
        if (last[t.domain]?.online !== t.online) last[t.domain] = { online: t.online, at: now };
        if (seconds[t.domain] !== undefined) continue;
        const stalled = t.restore.started >= t.restore.total && now - last[t.domain].at > stallMs;
        if (t.online >= want || stalled) {
          seconds[t.domain] = ((t.online >= want ? now : last[t.domain].at) - since) / 1000;
          offline[t.domain] = Math.max(0, want - t.online);
        }
      }
      if (Object.keys(expected).every((d) => seconds[d] !== undefined)) return { seconds, offline, health };
      const state = () => health.map((t) => `${t.domain}: ${t.online}/${expected[t.domain]} online, ${t.restore.started} logins started`).join('; ');
      if (now > deadline) throw new Error(`restore incomplete after ${timeoutMs / 1000} s: ${state()}\n${this.stderr.slice(-3000)}`);
      if (now - reported > 20000) {
        progress(`restore: ${state()}`);
        reported = now;
      }
      await sleep(250);
    }
  }

  async stop(): Promise<void> {
    await this.child.stop();
  }
}
