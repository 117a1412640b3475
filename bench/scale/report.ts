/** The one table `npm run bench:scale` prints: a row per figure, a column per run, the issue's targets. */
import type { EventLoopDelay } from '../gateway-child';
import { EMAIL_DOMAIN, SMS_DOMAIN } from './mail-sms';
import { IRC_DOMAIN } from './gateway-scale';
import { BURST_LINES, BURST_MESSAGES, type RunFigures } from './gateway-run';

interface Row {
  figure: string;
  target?: string;
  value: (r: RunFigures) => string;
  /** The run meets the target (undefined: no target or no figure). */
  ok?: (r: RunFigures) => boolean | undefined;
}

const num = (v: number | undefined, digits: number, unit = '') => (v === undefined || Number.isNaN(v) ? '-' : `${v.toFixed(digits)}${unit ? ` ${unit}` : ''}`);
const eld = (e: EventLoopDelay | undefined) => (e ? `${e.p99.toFixed(1)} / ${e.max.toFixed(0)} ms` : '-');
const within = (v: number | undefined, limit: number) => (v === undefined || Number.isNaN(v) ? undefined : v <= limit);

/**
 * CPU per stanza of a window, above idle: the window also holds what the process spends with no
 * traffic at all (timers, keep-alives of U+E+S sessions), taken out at the idle rate measured in
 * the quiet minute after the traffic. XMPP->IRC messages also come back to the channel's other
 * gateway members over IRC; those copies are taken out at the window's inbound cost per line.
 */
function cpu(r: RunFigures, which: 'steady' | 'burst'): { inbound: number; perReceipt: number; outNet: number } {
  const [i, o] = which === 'steady' ? [r.inbound, r.outbound] : [r.inboundBurst, r.outboundBurst];
  const idlePerSecond = (r.idleCpuPercent / 100) * 1e6;
  const inbound = i.cpuMicros - idlePerSecond * i.seconds;
  const perReceipt = inbound / i.receipts;
  const outbound = o.cpuMicros - idlePerSecond * o.seconds - o.receipts * perReceipt;
  return { inbound: inbound / i.delivered, perReceipt, outNet: outbound / o.messages };
}

const ROWS: Row[] = [
  { figure: 'users: IRC U (online on XMPP) / email E / SMS S', value: (r) => `${r.params.u} (${Math.min(r.params.online, r.params.u)}) / ${r.system === 'gateway' ? r.params.e : '-'} / ${r.system === 'gateway' ? r.params.s : '-'}` },
  { figure: 'quiet time before RSS readings: email, SMS / IRC', value: (r) => (r.system === 'gateway' ? `${r.params.mailSmsSettleSeconds}, ${r.params.mailSmsSettleSeconds} / ${r.params.settleSeconds} s` : `${r.params.settleSeconds} s`) },
  { figure: 'load average at start -> end (1/5/15 min)', value: (r) => `${r.loadStart} -> ${r.loadEnd}` },
  { figure: 'run time', value: (r) => num(r.wallSeconds / 60, 1, 'min'), target: '≤ 15 min (U=10000)', ok: (r) => (r.params.u >= 10000 ? within(r.wallSeconds, 900) : undefined) },
  { figure: 'idle RSS before any user', value: (r) => num(r.idleRssMb, 1, 'MB') },
  { figure: 'RSS with one user per transport (libraries loaded)', value: (r) => num(r.baseRssMb, 1, 'MB') },
  { figure: `RSS per email user (IMAP IDLE), after its quiet time`, target: '≤ 150 KB', value: (r) => num(r.emailRssPerUserKb, 1, 'KB'), ok: (r) => within(r.emailRssPerUserKb, 150) },
  { figure: 'RSS per SMS user, after its quiet time', value: (r) => num(r.smsRssPerUserKb, 1, 'KB') },
  { figure: 'RSS per IRC user after the quiet time, no forced GC', target: '≤ 50 KB', value: (r) => num(r.ircRssPerUserKb, 1, 'KB'), ok: (r) => (r.system === 'gateway' ? within(r.ircRssPerUserKb, 50) : undefined) },
  { figure: 'RSS at that point', value: (r) => num(r.rssAfterMb, 1, 'MB') },
  { figure: 'peak RSS (VmHWM): joins and traffic / restored process', value: (r) => `${num(r.peakMb, 0, 'MB')} / ${num(r.restorePeakMb, 0, 'MB')}` },
  { figure: 'CPU while idle with all users (that minute)', value: (r) => num(r.idleCpuPercent, 1, '% of a core') },
  { figure: 'IRC registration + all IRC joins done', value: (r) => num(r.ircJoinSeconds, 1, 's') },
  { figure: 'online users enter their rooms over XMPP', value: (r) => num(r.xmppJoinSeconds, 1, 's') },
  { figure: `CPU per delivered stanza IRC->XMPP, burst (${BURST_LINES} lines per traffic channel)`, target: '≤ 20 µs', value: (r) => num(cpu(r, 'burst').inbound, 1, 'µs'), ok: (r) => (r.system === 'gateway' ? within(cpu(r, 'burst').inbound, 20) : undefined) },
  { figure: '  per IRC line a user connection received', value: (r) => num(cpu(r, 'burst').perReceipt, 1, 'µs') },
  { figure: '  stanzas delivered / seconds', value: (r) => `${r.inboundBurst.delivered} / ${num(r.inboundBurst.seconds, 1)}` },
  { figure: '  steady traffic, above idle', value: (r) => num(cpu(r, 'steady').inbound, 1, 'µs') },
  { figure: '  steady traffic, idle CPU included', value: (r) => num(r.inbound.cpuMicros / r.inbound.delivered, 1, 'µs') },
  { figure: '  steady traffic: stanzas delivered / seconds', value: (r) => `${r.inbound.delivered} / ${num(r.inbound.seconds, 0)}` },
  { figure: `CPU per XMPP->IRC message, burst (${BURST_MESSAGES} per sender), net of its IRC copies`, target: '≤ 20 µs', value: (r) => num(cpu(r, 'burst').outNet, 1, 'µs'), ok: (r) => (r.system === 'gateway' ? within(cpu(r, 'burst').outNet, 20) : undefined) },
  { figure: '  raw (with the other members\' IRC copies)', value: (r) => num(r.outboundBurst.cpuMicros / r.outboundBurst.messages, 1, 'µs') },
  { figure: '  messages / seconds', value: (r) => `${r.outboundBurst.messages} / ${num(r.outboundBurst.seconds, 1)}` },
  { figure: '  steady traffic, above idle, net', value: (r) => num(cpu(r, 'steady').outNet, 1, 'µs') },
  { figure: '  steady traffic, raw', value: (r) => num(r.outbound.cpuMicros / r.outbound.messages, 1, 'µs') },
  { figure: 'added latency IRC->XMPP p50 / p99', value: (r) => `${num(r.latencyP50, 0)} / ${num(r.latencyP99, 0)} ms` },
  { figure: 'event-loop delay p99 / max, joins', value: (r) => eld(r.eldJoins) },
  { figure: 'event-loop delay p99 / max, steady traffic', target: 'p99 ≤ 10 ms', value: (r) => eld(r.eldTraffic), ok: (r) => within(r.eldTraffic?.p99, 10) },
  { figure: 'event-loop delay p99 / max, restore', target: 'p99 ≤ 50 ms', value: (r) => eld(r.eldRestore), ok: (r) => within(r.eldRestore?.p99, 50) },
  { figure: 'stop (SIGTERM to exit)', value: (r) => num(r.stopSeconds, 1, 's') },
  { figure: 'restore: all IRC sessions online', value: (r) => num(r.restoreSeconds?.[IRC_DOMAIN], 1, 's') },
  { figure: 'restore: all email sessions online', value: (r) => num(r.restoreSeconds?.[EMAIL_DOMAIN], 1, 's') },
  { figure: 'restore: all SMS sessions online', value: (r) => num(r.restoreSeconds?.[SMS_DOMAIN], 1, 's') },
  {
    figure: 'restore pace IRC / email / SMS (logins started per s)', target: '= configured',
    value: (r) => (r.restorePace ? [IRC_DOMAIN, EMAIL_DOMAIN, SMS_DOMAIN].map((d) => num(r.restorePace?.[d], 0)).join(' / ') + ` (of ${r.params.restore.perSecond})` : '-'),
    ok: (r) => (r.restorePace ? [IRC_DOMAIN, SMS_DOMAIN].every((d) => Math.abs((r.restorePace?.[d] ?? 0) - r.params.restore.perSecond) <= r.params.restore.perSecond * 0.02) : undefined),
  },
  { figure: 'restore: sessions left offline IRC / email / SMS', value: (r) => (r.restoreOffline ? [IRC_DOMAIN, EMAIL_DOMAIN, SMS_DOMAIN].map((d) => String(r.restoreOffline?.[d] ?? '-')).join(' / ') : '-') },
  { figure: 'restore: online users back in all their rooms', value: (r) => num(r.roomsBackSeconds, 1, 's') },
];

export function renderTable(runs: (RunFigures | { label: string; error: string })[]): string {
  const header = ['figure', 'target', ...runs.map((r) => r.label)];
  const lines = ROWS.map((row) => [
    row.figure,
    row.target ?? '',
    ...runs.map((r) => {
      if ('error' in r) return 'FAILED';
      const verdict = row.ok?.(r);
      return `${row.value(r)}${verdict === undefined ? '' : verdict ? ' ✓' : ' ✗'}`;
    }),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const render = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [render(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(render)].join('\n');
}
