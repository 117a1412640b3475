/** This gateway as a system under test: a child process with the irc transport on the bench ngircd. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { registerForm, type BenchUser } from './bench-user';
import { GatewayChild } from './gateway-child';
import { sleep } from './proc-stats';
import type { SystemUnderTest } from './target';
import { freePort } from '../test/harness/ports';
import type { Prosody } from '../test/harness/prosody';

export const GATEWAY_DOMAIN = 'irc.localhost';
export const GATEWAY_SECRET = 'bench-gateway-secret';
/** Restore pacing used by the bench (the shipped defaults are 5 at a time, 10 per second). */
export const RESTORE = { concurrency: 20, perSecond: 200 };

/**
 * The pace of the restore as the gateway saw it: intervals between the first and the last login
 * started, per second (k starts are k - 1 intervals), from /health `restore`.
 */
export function restorePace(restore: { started: number; firstAt?: number; lastAt?: number } | undefined): number {
  if (!restore || restore.started < 2 || restore.firstAt === undefined || restore.lastAt === undefined || restore.lastAt <= restore.firstAt) return Number.NaN;
  return ((restore.started - 1) * 1000) / (restore.lastAt - restore.firstAt);
}

export class GatewaySut implements SystemUnderTest {
  readonly name = 'gateway';

  private constructor(private child: GatewayChild, private readonly configPath: string, private readonly httpPort: number) {}

  get pid(): number {
    return this.child.pid;
  }

  static async start(prosody: Prosody, ircPort: number, dir: string): Promise<GatewaySut> {
    const httpPort = await freePort();
    const config = {
      xmpp: { host: '127.0.0.1', port: prosody.componentPort },
      // No key: the gateway creates gateway.key beside the store on first start.
      storage: { url: `sqlite://${join(dir, 'gateway.sqlite')}` },
      // BENCH_METRICS=0: without /metrics (prom-client not loaded), to see what metrics cost.
      http: { enabled: true, host: '127.0.0.1', port: httpPort, metrics: process.env.BENCH_METRICS !== '0' },
      logging: { level: 'warn' },
      // biboumi's archive is off in the bench (see biboumi-sut.ts); ours too, so both relay alike.
      // BENCH_ARCHIVE=1 measures the relay with history kept.
      archive: { enabled: process.env.BENCH_ARCHIVE === '1' },
      restore: RESTORE,
      access: { allow: [prosody.domain] },
      transports: [{
        domain: GATEWAY_DOMAIN,
        secret: GATEWAY_SECRET,
        adapter: 'irc',
        // A high burst and the smallest interval so that the gateway's own flood queue does not throttle the load.
        options: { server: { host: '127.0.0.1', port: ircPort, tls: false }, flood: { burst: 10000, intervalMs: 10, maxQueued: 100000 } },
      }],
    };
    const configPath = join(dir, 'gateway.yaml');
    // JSON is valid YAML.
    writeFileSync(configPath, JSON.stringify(config, null, 2));
    return new GatewaySut(await GatewayChild.start(configPath, httpPort), configPath, httpPort);
  }

  room(channel: string): string {
    return `${channel}@${GATEWAY_DOMAIN}`;
  }

  async register(user: BenchUser, nick: string): Promise<void> {
    await user.iq('set', GATEWAY_DOMAIN, registerForm({ nick }));
  }

  async join(user: BenchUser, nick: string, channel: string): Promise<void> {
    await user.join(`${this.room(channel)}/${nick}`);
  }

  /**
   * Stops the gateway and starts it again on the same SQLite file: seconds until the HTTP
   * server answers, and until /health counts all `n` sessions online.
   */
  async restart(n: number, timeoutMs = 180000): Promise<{ readySeconds: number; onlineSeconds: number; pacePerSecond: number }> {
    await this.child.stop();
    const started = Date.now();
    this.child = await GatewayChild.start(this.configPath, this.httpPort);
    const readySeconds = (Date.now() - started) / 1000;
    const deadline = started + timeoutMs;
    let online = 0;
    while (Date.now() < deadline) {
      const health = (await this.child.health())[0];
      online = health?.online ?? 0;
      if (online >= n) return { readySeconds, onlineSeconds: (Date.now() - started) / 1000, pacePerSecond: restorePace(health?.restore) };
      await sleep(50);
    }
    throw new Error(`after restart only ${online} of ${n} sessions came online in ${timeoutMs} ms:\n${this.child.stderr}`);
  }

  async settle(): Promise<number | undefined> {
    return this.child.collectGarbage();
  }

  async heapSnapshot(label: string): Promise<void> {
    const dir = process.env.BENCH_HEAP_SNAPSHOT;
    if (dir) await this.child.heapSnapshot(join(dir, `gateway-${label}.heapsnapshot`));
  }

  get stderr(): string {
    return this.child.stderr;
  }

  async stop(): Promise<void> {
    await this.child.stop();
  }
}
