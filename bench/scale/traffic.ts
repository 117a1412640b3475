/**
 * The steady traffic of a scale run and what it costs the system under test. IRC->XMPP: the
 * feeder (a native IRC user) talks in the big channel every 2 s, in each medium channel every
 * 5 s and in the small traffic channels 8 lines a second in turn. XMPP->IRC: online users write
 * into small channels, 10 messages a second in turn. The observer (another native IRC user in
 * all those channels) timestamps every line as IRC delivers it.
 */
import { cpuMicros, sleep } from '../proc-stats';
import type { RunEnv } from './env';
import { percentile } from './env';
import type { Channel, Topology } from './topology';
import { INBOUND_PREFIX, OUTBOUND_PREFIX } from './xmpp-users';

export interface TrafficTarget {
  pid: number;
  /** The MUC room JID of a channel. */
  room(channel: string): string;
  /** Users whose client is in their rooms (their deliveries are expected). */
  online: boolean[];
}

export interface InboundResult {
  lines: number;
  delivered: number;
  /** IRC lines the system's user connections received (one per gateway member of the channel). */
  receipts: number;
  cpuMicros: number;
  /** Delivery time minus the observer's receipt time of the same line, ms, sorted. */
  addedMs: number[];
  seconds: number;
}

/** What a run keeps of an inbound window (the latency samples are reduced to percentiles). */
export type InboundFigures = Omit<InboundResult, 'addedMs'>;

export function inboundFigures(r: InboundResult): InboundFigures {
  return { lines: r.lines, delivered: r.delivered, receipts: r.receipts, cpuMicros: r.cpuMicros, seconds: r.seconds };
}

export interface OutboundResult {
  messages: number;
  /** IRC lines the other gateway members' connections received for them. */
  receipts: number;
  delivered: number;
  cpuMicros: number;
  seconds: number;
}

const FILLER = 'a line of ordinary chat, about as long as people write';

export class Traffic {
  private lineId = 0;
  private readonly observedAt = new Map<number, number>();
  private outboundSeen = 0;

  constructor(private readonly env: RunEnv, private readonly t: Topology, private readonly target: TrafficTarget) {
    const feeder = env.feeder.nick;
    env.observer.onLine = (line, at) => {
      if (line.command !== 'PRIVMSG') return;
      const body = line.params[1] ?? '';
      if (line.nick === feeder && body.startsWith(INBOUND_PREFIX)) this.observedAt.set(parseInt(body.slice(1), 10), at);
      else if (body.startsWith(OUTBOUND_PREFIX)) this.outboundSeen++;
    };
  }

  private onlineIn(channel: Channel): number {
    return channel.members.reduce((n, m) => n + (this.target.online[m] ? 1 : 0), 0);
  }

  /** The inbound schedule for `seconds`: (offset ms, channel), in time order. */
  private schedule(inbound: Channel[], seconds: number): { at: number; channel: Channel }[] {
    const big = inbound.filter((c) => c.kind === 'big');
    const medium = inbound.filter((c) => c.kind === 'medium');
    const small = inbound.filter((c) => c.kind === 'small');
    const plan: { at: number; channel: Channel }[] = [];
    for (let ms = 0; ms < seconds * 1000; ms += 125) {
      if (ms % 2000 === 0) for (const c of big) plan.push({ at: ms, channel: c });
      // Medium channels staggered over the 5 s, so they do not all fire in one tick.
      medium.forEach((c, i) => { if ((ms + i * 500) % 5000 === 0) plan.push({ at: ms, channel: c }); });
      if (small.length > 0) plan.push({ at: ms, channel: small[(ms / 125) % small.length] });
    }
    return plan;
  }

  /** `seconds` of the steady inbound traffic. */
  inbound(inbound: Channel[], seconds: number): Promise<InboundResult> {
    return this.runInbound(this.schedule(inbound, seconds));
  }

  /**
   * `linesEach` lines into each channel at once: the cost per stanza without the idle
   * process's own background (timers, keep-alives), which a steady trickle also measures.
   */
  inboundBurst(inbound: Channel[], linesEach: number): Promise<InboundResult> {
    const plan: { at: number; channel: Channel }[] = [];
    for (let i = 0; i < linesEach; i++) for (const channel of inbound) plan.push({ at: 0, channel });
    return this.runInbound(plan);
  }

  /**
   * Sends the planned lines and waits until every online member of each channel got each
   * line; measures the target's CPU from the first line to the last delivery.
   */
  private async runInbound(plan: { at: number; channel: Channel }[], timeoutMs = 600000): Promise<InboundResult> {
    const users = this.env.users;
    const firstLine = this.lineId + 1;
    const startIndex = users.inbound.length;
    let expected = 0;
    let receipts = 0;
    const cpuBefore = cpuMicros(this.target.pid);
    const started = Date.now();
    for (const step of plan) {
      const due = started + step.at;
      if (due > Date.now()) await sleep(due - Date.now());
      const id = ++this.lineId;
      expected += this.onlineIn(step.channel);
      receipts += step.channel.members.length;
      this.env.feeder.send(`PRIVMSG ${step.channel.name} :${INBOUND_PREFIX}${id} ${FILLER}`);
    }
    const lastLine = this.lineId;
    const delivered = () => users.inbound.length - startIndex;
    const deadline = Date.now() + timeoutMs;
    while (delivered() < expected || this.observedAt.get(lastLine) === undefined) {
      if (Date.now() > deadline) throw new Error(`IRC->XMPP: ${delivered()} of ${expected} deliveries after ${timeoutMs / 1000} s`);
      await sleep(20);
    }
    const cpu = cpuMicros(this.target.pid) - cpuBefore;
    const addedMs: number[] = [];
    for (let i = startIndex; i < users.inbound.length; i++) {
      const d = users.inbound[i];
      const observed = this.observedAt.get(d.line);
      if (d.line >= firstLine && d.line <= lastLine && observed !== undefined) addedMs.push(d.at - observed);
    }
    addedMs.sort((a, b) => a - b);
    return { lines: plan.length, delivered: delivered(), receipts, cpuMicros: cpu, addedMs, seconds: (Date.now() - started) / 1000 };
  }

  /**
   * Sends `seconds` of XMPP->IRC messages (10 a second, senders in turn) and waits until the
   * observer saw each one on IRC and every expected XMPP copy arrived (the sender's reflection
   * and each other online member's copy, which came back through IRC).
   */
  outbound(senders: { channel: Channel; sender: number }[], seconds: number): Promise<OutboundResult> {
    return this.runOutbound(Array.from({ length: seconds * 10 }, (_, i) => ({ at: i * 100, ...senders[i % senders.length] })));
  }

  /** `each` messages from every sender at once (the gateway's default flood burst is 5 lines). */
  outboundBurst(senders: { channel: Channel; sender: number }[], each: number): Promise<OutboundResult> {
    return this.runOutbound(Array.from({ length: each }, () => senders.map((s) => ({ at: 0, ...s }))).flat());
  }

  private async runOutbound(plan: { at: number; channel: Channel; sender: number }[], timeoutMs = 600000): Promise<OutboundResult> {
    const users = this.env.users;
    const total = plan.length;
    const seenBefore = this.outboundSeen;
    const deliveredBefore = users.outboundDeliveries;
    let expected = 0;
    let receipts = 0;
    const cpuBefore = cpuMicros(this.target.pid);
    const started = Date.now();
    for (const [i, { at, channel, sender }] of plan.entries()) {
      const due = started + at;
      if (due > Date.now()) await sleep(due - Date.now());
      expected += this.onlineIn(channel);
      receipts += channel.members.length - 1;
      // Not awaited, so that a burst leaves at once; a lost message shows as a timeout below.
      users.groupchat(this.t.nicks[sender], this.target.room(channel.name), `${OUTBOUND_PREFIX}${i} ${FILLER}`).catch(() => undefined);
    }
    const deadline = Date.now() + timeoutMs;
    const delivered = () => users.outboundDeliveries - deliveredBefore;
    while (this.outboundSeen - seenBefore < total || delivered() < expected) {
      if (Date.now() > deadline) throw new Error(`XMPP->IRC: ${this.outboundSeen - seenBefore} of ${total} lines on IRC, ${delivered()} of ${expected} XMPP copies after ${timeoutMs / 1000} s`);
      await sleep(20);
    }
    return { messages: total, receipts, delivered: delivered(), cpuMicros: cpuMicros(this.target.pid) - cpuBefore, seconds: (Date.now() - started) / 1000 };
  }
}

export function latency(result: InboundResult): { p50: number; p99: number } {
  return { p50: percentile(result.addedMs, 0.5), p99: percentile(result.addedMs, 0.99) };
}
