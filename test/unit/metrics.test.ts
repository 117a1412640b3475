import xml from '@xmpp/xml';
import { parseConfig, ConfigError } from '../../src/config';
import {
  countErrorStanza, countLegacyMessage, describeTransport, enableMetrics, linkMetrics, METRIC_PREFIX, watchLink, watchSessions,
} from '../../src/metrics';

/** The sum of every sample of `name` whose labels include `labels`; undefined when none has them. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) total = (total ?? 0) + Number(m[3]);
  }
  return total;
}

const scrape = async () => (await enableMetrics()).text();
const P = METRIC_PREFIX;

describe('metrics', () => {
  test('stanzas are counted per link by kind and type; types a peer invents fold into "other"', async () => {
    const link = linkMetrics('count.example');
    for (let i = 0; i < 3; i++) link.received.count(xml('message', { type: 'chat' }));
    link.received.count(xml('message'));
    link.received.count(xml('presence'));
    link.received.count(xml('presence', { type: 'unavailable' }));
    link.received.count(xml('iq', { type: 'get' }));
    link.received.count(xml('iq', { type: 'x-made-up' }));
    link.received.count(xml('iq', { type: 'x-made-up-too' }));
    link.received.count(xml('handshake'));
    link.sent.count(xml('message', { type: 'error' }));
    const text = await scrape();
    const received = (kind: string, type: string) => sample(text, `${P}stanzas_received_total`, { transport: 'count.example', kind, type });
    expect(received('message', 'chat')).toBe(3);
    expect(received('message', 'normal')).toBe(1);
    expect(received('presence', 'available')).toBe(1);
    expect(received('presence', 'unavailable')).toBe(1);
    expect(received('iq', 'get')).toBe(1);
    expect(received('iq', 'other')).toBe(2);
    expect(received('other', 'none')).toBe(1);
    expect(text).not.toContain('x-made-up');
    expect(sample(text, `${P}stanzas_sent_total`, { transport: 'count.example' })).toBe(1);
    expect(sample(text, `${P}stanzas_sent_total`, { transport: 'count.example', kind: 'message', type: 'error' })).toBe(1);
  });

  test('error stanzas are counted by their RFC 6120 condition', async () => {
    const error = (name: string, condition?: string) => xml(name, { type: 'error' },
      xml('error', { type: 'cancel' }, ...(condition ? [xml(condition, { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' })] : []),
        xml('text', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }, 'why')));
    countErrorStanza('errors.example', error('iq', 'service-unavailable'));
    countErrorStanza('errors.example', error('iq', 'service-unavailable'));
    countErrorStanza('errors.example', error('message', 'item-not-found'));
    countErrorStanza('errors.example', error('presence', 'not-a-condition'));
    countErrorStanza('errors.example', error('message'));
    const text = await scrape();
    const errors = (kind: string, condition: string) => sample(text, `${P}stanza_errors_total`, { transport: 'errors.example', kind, condition });
    expect(errors('iq', 'service-unavailable')).toBe(2);
    expect(errors('message', 'item-not-found')).toBe(1);
    expect(errors('presence', 'other')).toBe(1);
    expect(errors('message', 'undefined-condition')).toBe(1);
    expect(text).not.toContain('not-a-condition');
  });

  test('legacy messages carry the network of their transport', async () => {
    describeTransport('sms.metrics.example', 'sms');
    countLegacyMessage('sms.metrics.example', 'received');
    countLegacyMessage('sms.metrics.example', 'received');
    countLegacyMessage('sms.metrics.example', 'sent');
    const text = await scrape();
    expect(sample(text, `${P}legacy_messages_received_total`, { transport: 'sms.metrics.example', network: 'sms' })).toBe(2);
    expect(sample(text, `${P}legacy_messages_sent_total`, { transport: 'sms.metrics.example', network: 'sms' })).toBe(1);
  });

  test('gauges read their sources at each scrape and forget them once unwatched', async () => {
    const link = { online: true, queued: 0, backlogBytes: 0, congested: false };
    const states = { restoring: 1, online: 2, offline: 0, failed: 0 };
    const stopLink = watchLink('gauge.example', link);
    const stopSessions = watchSessions('gauge.example', () => states);
    let text = await scrape();
    expect(sample(text, `${P}component_connected`, { transport: 'gauge.example' })).toBe(1);
    expect(sample(text, `${P}sessions`, { transport: 'gauge.example', state: 'online' })).toBe(2);
    // Every state is reported, also at 0, so that a dashboard shows it.
    expect(sample(text, `${P}sessions`, { transport: 'gauge.example', state: 'failed' })).toBe(0);

    Object.assign(link, { online: false, queued: 7, backlogBytes: 4096, congested: true });
    Object.assign(states, { restoring: 0, online: 1, offline: 1, failed: 1 });
    text = await scrape();
    expect(sample(text, `${P}component_connected`, { transport: 'gauge.example' })).toBe(0);
    expect(sample(text, `${P}component_queue_stanzas`, { transport: 'gauge.example' })).toBe(7);
    expect(sample(text, `${P}component_backlog_bytes`, { transport: 'gauge.example' })).toBe(4096);
    expect(sample(text, `${P}component_congested`, { transport: 'gauge.example' })).toBe(1);
    expect(sample(text, `${P}sessions`, { transport: 'gauge.example', state: 'failed' })).toBe(1);
    expect(sample(text, `${P}sessions`, { transport: 'gauge.example', state: 'restoring' })).toBe(0);

    stopLink();
    stopSessions();
    text = await scrape();
    expect(sample(text, `${P}component_connected`, { transport: 'gauge.example' })).toBeUndefined();
    expect(sample(text, `${P}sessions`, { transport: 'gauge.example' })).toBeUndefined();
  });

  test('one registry per process: every metric, process ones included, carries the prefix', async () => {
    const endpoint = await enableMetrics();
    expect(await enableMetrics()).toBe(endpoint);
    expect(endpoint.contentType).toMatch(/^text\/plain/);
    const text = await endpoint.text();
    const names = new Set(text.split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]));
    expect(names.size).toBeGreaterThan(20);
    for (const name of names) expect(name.startsWith(P)).toBe(true);
    expect([...names]).toEqual(expect.arrayContaining([
      `${P}process_cpu_seconds_total`, `${P}process_resident_memory_bytes`, `${P}nodejs_eventloop_lag_seconds`,
      `${P}store_operation_duration_seconds`, `${P}component_reconnects_total`, `${P}legacy_logins_total`,
    ]));
  });
});

describe('http.metrics setting', () => {
  const config = (http: string) => `
storage: { encryptionKey: metrics-test-encryption-key }
http: ${http}
transports: [{ domain: irc.example.org, secret: s, adapter: irc }]
`;

  test('on by default; true and false (also as strings from the environment) are taken', () => {
    expect(parseConfig(config('{}'), 'gateway.yaml', {}).http.metrics).toBe(true);
    expect(parseConfig(config('{ metrics: false }'), 'gateway.yaml', {}).http.metrics).toBe(false);
    expect(parseConfig(config('{ metrics: "${M}" }'), 'gateway.yaml', { M: 'true' }).http.metrics).toBe(true);
  });

  test('anything else is refused, naming the key', () => {
    expect(() => parseConfig(config('{ metrics: sometimes }'), 'gateway.yaml', {})).toThrow(ConfigError);
    expect(() => parseConfig(config('{ metrics: sometimes }'), 'gateway.yaml', {})).toThrow('gateway.yaml: http.metrics: must be true or false');
  });
});
