/** The one table the benchmark prints: figure, gateway value, target, and biboumi beside it when measured. */
import { SETTLE_SECONDS, type Figures } from './measure';

export interface Row {
  figure: string;
  gateway: number | undefined;
  unit: string;
  /** Upper bound the gateway must stay under, if the figure has one. */
  target?: number;
  biboumi?: number;
  digits?: number;
}

function format(value: number | undefined, unit: string, digits: number): string {
  return value === undefined || Number.isNaN(value) ? '-' : `${value.toFixed(digits)} ${unit}`.trim();
}

export function rowsFor(n: number, m: number, k: number, gateway: Figures, biboumi?: Figures): Row[] {
  const both = (pick: (f: Figures) => number) => ({ gateway: pick(gateway), biboumi: biboumi ? pick(biboumi) : undefined });
  return [
    { figure: `CPU per stanza IRC->XMPP (${n} users x ${m} lines)`, unit: 'µs', target: 50, ...both((f) => f.ircToXmppMicros), digits: 1 },
    { figure: `CPU per message XMPP->IRC (${k} messages)`, unit: 'µs', target: 50, ...both((f) => f.xmppToIrcMicros), digits: 1 },
    { figure: `RSS per connected user (idle, then ${SETTLE_SECONDS} s)`, unit: 'KB', target: 60, ...both((f) => f.rssPerUserKb), digits: 1 },
    { figure: '  same, 3 s after the joins', unit: 'KB', ...both((f) => f.rssPerUserJustAfterKb), digits: 1 },
    { figure: '  of which JS heap in use (after full GC)', unit: 'KB', ...both((f) => f.heapPerUserKb), digits: 1 },
    { figure: 'RSS before users', unit: 'MB', ...both((f) => f.rssBeforeKb / 1024), digits: 1 },
    { figure: `RSS with ${n} users in one channel`, unit: 'MB', ...both((f) => f.rssAfterKb / 1024), digits: 1 },
    { figure: 'IRC->XMPP throughput', unit: 'stanzas/s', ...both((f) => (n * m) / f.ircToXmppSeconds), digits: 0 },
    { figure: 'latency IRC->XMPP p50 (20 lines/s, 5 s)', unit: 'ms', ...both((f) => f.latencyP50Ms), digits: 0 },
    { figure: 'latency IRC->XMPP p99 (20 lines/s, 5 s)', unit: 'ms', ...both((f) => f.latencyP99Ms), digits: 0 },
    { figure: `time to register + join ${n} users`, unit: 's', ...both((f) => f.enrollSeconds), digits: 1 },
  ];
}

export function renderTable(rows: Row[], withBiboumi: boolean): string {
  const header = ['figure', 'gateway', 'target', 'ok', ...(withBiboumi ? ['biboumi', 'gateway/biboumi'] : [])];
  const lines = rows.map((r) => {
    const digits = r.digits ?? 1;
    const cells = [
      r.figure,
      format(r.gateway, r.unit, digits),
      r.target === undefined ? '-' : `≤ ${r.target} ${r.unit}`,
      r.target === undefined || r.gateway === undefined ? '' : r.gateway <= r.target ? 'yes' : 'NO',
    ];
    if (withBiboumi) {
      cells.push(format(r.biboumi, r.unit, digits));
      cells.push(r.gateway !== undefined && r.biboumi ? `${(r.gateway / r.biboumi).toFixed(2)}x` : '-');
    }
    return cells;
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const render = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [render(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(render)].join('\n');
}
