/** contrib/grafana-dashboard.json queries only what /metrics exposes, with the labels it has. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import xml from '@xmpp/xml';
import {
  countErrorStanza, countHttpRequest, countLegacyLogin, countLegacyMessage, enableMetrics, linkMetrics, recordStoreOperation, watchLink, watchSessions,
} from '../../src/metrics';

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: { expr: string; datasource: { uid: string } }[];
  gridPos: { x: number; y: number; w: number; h: number };
}

const dashboard = JSON.parse(readFileSync(join(__dirname, '../../contrib/grafana-dashboard.json'), 'utf8')) as {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; definition?: string }[] };
};

/** Metric name -> its label names (and Prometheus's own), from a scrape after one event of every kind. */
async function exposed(): Promise<Map<string, Set<string>>> {
  const endpoint = await enableMetrics();
  const link = linkMetrics('dash.example');
  link.received.count(xml('message'));
  link.sent.count(xml('message'));
  link.reconnects.inc();
  link.dropped.inc();
  countErrorStanza('dash.example', xml('iq', { type: 'error' }, xml('error', {}, xml('forbidden', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }))));
  countLegacyMessage('dash.example', 'received');
  countLegacyMessage('dash.example', 'sent');
  countLegacyLogin('dash.example', 'reconnect', true);
  recordStoreOperation('read', 1, false);
  countHttpRequest('GET /health', 200);
  const stops = [watchLink('dash.example', { online: true, queued: 0, backlogBytes: 0, congested: false }),
    watchSessions('dash.example', () => ({ restoring: 0, online: 0, offline: 0, failed: 0 }))];
  const text = await endpoint.text();
  stops.forEach((stop) => stop());
  const names = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? \S+$/.exec(line);
    if (!m) continue;
    const labels = names.get(m[1]) ?? new Set<string>(['instance', 'job']);
    for (const l of (m[2] ?? '').matchAll(/(\w+)="/g)) labels.add(l[1]);
    names.set(m[1], labels);
  }
  // Node's GC histogram has series only once a collection was observed: known from its TYPE line.
  for (const type of text.matchAll(/^# TYPE (\S+) histogram$/gm)) {
    for (const suffix of ['_bucket', '_sum', '_count']) if (!names.has(type[1] + suffix)) names.set(type[1] + suffix, new Set(['instance', 'job', 'le']));
  }
  return names;
}

test('a Grafana dashboard with a data source variable, unique panel ids and titles', () => {
  expect(dashboard.uid).toBe('xmpp-transport-gateway');
  expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'instance', 'transport']);
  const ids = dashboard.panels.map((p) => p.id);
  expect(new Set(ids).size).toBe(ids.length);
  for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
    expect(panel.title).toBeTruthy();
    expect(panel.datasource?.uid).toBe('${datasource}');
    expect(panel.targets?.length).toBeGreaterThan(0);
    expect(panel.gridPos.x + panel.gridPos.w).toBeLessThanOrEqual(24);
  }
});

test('every metric and label the dashboard queries is exposed', async () => {
  const names = await exposed();
  const queries = [
    ...dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr),
    ...dashboard.templating.list.map((v) => v.definition ?? ''),
  ];
  expect(queries.length).toBeGreaterThan(25);
  const used = new Set<string>();
  for (const expr of queries) {
    for (const m of expr.matchAll(/\b(xmpp_gateway_\w+)(?:\{([^}]*)\})?/g)) {
      used.add(m[1]);
      const labels = names.get(m[1]);
      if (!labels) throw new Error(`the dashboard queries ${m[1]}, which /metrics does not expose`);
      for (const l of (m[2] ?? '').matchAll(/(\w+)\s*=~?/g)) {
        if (!labels.has(l[1])) throw new Error(`the dashboard filters ${m[1]} by "${l[1]}", a label it does not have`);
      }
    }
  }
  // The metrics the issue asks for all appear on the dashboard.
  for (const name of ['stanzas_received_total', 'stanzas_sent_total', 'legacy_messages_received_total', 'legacy_messages_sent_total',
    'stanza_errors_total', 'sessions', 'component_reconnects_total', 'legacy_logins_total', 'component_queue_stanzas',
    'component_backlog_bytes', 'store_operation_duration_seconds_bucket', 'process_resident_memory_bytes']) {
    expect(used).toContain(`xmpp_gateway_${name}`);
  }
});
