/**
 * /metrics scraped from a gateway in front of a real Prosody (the echo adapter as the legacy
 * network) after a known number of messages: the counts are exact.
 */
import pino from 'pino';
import { Prosody } from '../../harness/prosody';
import { TestClient, xml, registerForm, errorCondition } from '../../harness/xmpp-client';
import { startGateway, testConfig } from '../../harness/gateway';
import { freePort } from '../../harness/ports';
import echoAdapter from '../../support/echo-adapter';
import { Gateway } from '../../../src/gateway';
import { METRIC_PREFIX as P } from '../../../src/metrics';

const DOMAIN = 'metrics-echo.localhost';
const run = Prosody.available() ? describe : describe.skip;

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

run('/metrics against a real Prosody', () => {
  let prosody: Prosody;
  let gateway: Gateway;
  let alice: TestClient;

  async function scrape(): Promise<string> {
    const response = await fetch(`http://127.0.0.1:${gateway.httpPort}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return response.text();
  }

  beforeAll(async () => {
    prosody = await Prosody.start([{ domain: DOMAIN, secret: 'm3trics' }]);
    gateway = await startGateway(testConfig(prosody, [{ domain: DOMAIN, secret: 'm3trics', adapter: 'echo' }]), { echo: echoAdapter });
    alice = await TestClient.connect(prosody, 'alice');
    await alice.send(xml('presence'));
  });

  afterAll(async () => {
    await alice?.stop();
    await gateway?.stop();
    await prosody?.destroy();
  });

  test('before any user: the link is up, no session, the process is described', async () => {
    const text = await scrape();
    const t = { transport: DOMAIN };
    expect(sample(text, `${P}component_connected`, t)).toBe(1);
    expect(sample(text, `${P}component_queue_stanzas`, t)).toBe(0);
    for (const state of ['restoring', 'online', 'offline', 'failed']) expect(sample(text, `${P}sessions`, { ...t, state })).toBe(0);
    expect(sample(text, `${P}legacy_messages_sent_total`, t)).toBeUndefined();
    expect(sample(text, `${P}process_resident_memory_bytes`)).toBeGreaterThan(0);
    expect(sample(text, `${P}nodejs_heap_size_used_bytes`)).toBeGreaterThan(0);
  });

  test('a refused and an accepted registration: logins, the error by condition, the session online', async () => {
    const refused = await alice.iq('set', DOMAIN, registerForm({ username: 'alice', password: 'wrong' }));
    expect(errorCondition(refused)).toBe('not-authorized');
    expect((await alice.iq('set', DOMAIN, registerForm({ username: 'alice', password: 'secret' }))).attrs.type).toBe('result');
    const text = await scrape();
    const t = { transport: DOMAIN };
    expect(sample(text, `${P}legacy_logins_total`, { ...t, reason: 'register', outcome: 'failed' })).toBe(1);
    expect(sample(text, `${P}legacy_logins_total`, { ...t, reason: 'register', outcome: 'ok' })).toBe(1);
    expect(sample(text, `${P}stanza_errors_total`, { ...t, kind: 'iq', condition: 'not-authorized' })).toBe(1);
    expect(sample(text, `${P}stanza_errors_total`, t)).toBe(1);
    expect(sample(text, `${P}sessions`, { ...t, state: 'online' })).toBe(1);
    expect(sample(text, `${P}stanzas_received_total`, { ...t, kind: 'iq', type: 'set' })).toBe(2);
    expect(sample(text, `${P}store_operation_duration_seconds_count`, { operation: 'write' })).toBeGreaterThan(0);
  });

  test('a known number of messages both ways, in chats and a room, and the errors among them', async () => {
    const echoJid = `echo@${DOMAIN}`;
    const chats = 5;
    for (let i = 0; i < chats; i++) {
      const reply = alice.waitFor((el) => el.name === 'message' && el.attrs.from === echoJid && el.getChildText('body') === `echo: n${i}`, 10000, `echo ${i}`);
      await alice.send(xml('message', { to: echoJid, type: 'chat', id: `n${i}` }, xml('body', {}, `n${i}`)));
      await reply;
    }
    const failed = alice.waitFor((el) => el.name === 'message' && el.attrs.type === 'error' && el.attrs.id === 'lost', 10000, 'message error');
    await alice.send(xml('message', { to: `nobody@${DOMAIN}`, type: 'chat', id: 'lost' }, xml('body', {}, 'anyone?')));
    expect(errorCondition(await failed)).toBe('item-not-found');
    const unknown = await alice.iq('get', DOMAIN, xml('query', { xmlns: 'urn:example:nothing' }));
    expect(errorCondition(unknown)).toBe('service-unavailable');

    const room = `#lobby@${DOMAIN}`;
    await alice.send(xml('presence', { to: `${room}/alice` }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' })));
    await alice.waitFor((el) => el.name === 'message' && Boolean(el.getChild('subject')), 10000, 'room subject');
    await alice.send(xml('message', { to: room, type: 'groupchat', id: 'g1' }, xml('body', {}, 'hello room')));
    await alice.waitFor((el) => el.name === 'message' && el.attrs.type === 'groupchat' && el.attrs.id === 'g1', 10000, 'reflection');

    const text = await scrape();
    const t = { transport: DOMAIN };
    // To the network: the chats and the room message (not the one it refused). From it: the echoes and the room's reflection.
    expect(sample(text, `${P}legacy_messages_sent_total`, { ...t, network: 'echo' })).toBe(chats + 1);
    expect(sample(text, `${P}legacy_messages_received_total`, { ...t, network: 'echo' })).toBe(chats + 1);
    expect(sample(text, `${P}stanzas_received_total`, { ...t, kind: 'message', type: 'chat' })).toBe(chats + 1);
    expect(sample(text, `${P}stanzas_received_total`, { ...t, kind: 'message', type: 'groupchat' })).toBe(1);
    expect(sample(text, `${P}stanzas_sent_total`, { ...t, kind: 'message', type: 'chat' })).toBe(chats);
    expect(sample(text, `${P}stanzas_sent_total`, { ...t, kind: 'message', type: 'error' })).toBe(1);
    expect(sample(text, `${P}stanza_errors_total`, { ...t, kind: 'message', condition: 'item-not-found' })).toBe(1);
    expect(sample(text, `${P}stanza_errors_total`, { ...t, kind: 'iq', condition: 'service-unavailable' })).toBe(1);
    expect(sample(text, `${P}stanza_errors_total`, t)).toBe(3);
    // Every error the transport answered with left on its link.
    expect(sample(text, `${P}stanzas_sent_total`, { ...t, type: 'error' })).toBe(3);
  });

  test('HTTP requests are counted by route pattern, never by the path asked', async () => {
    const before = sample(await scrape(), `${P}http_requests_total`, { route: 'GET /metrics', status: '200' }) ?? 0;
    expect((await fetch(`http://127.0.0.1:${gateway.httpPort}/no/such/alice@example.org`)).status).toBe(404);
    const text = await scrape();
    expect(sample(text, `${P}http_requests_total`, { route: 'GET /metrics', status: '200' })).toBe(before + 1);
    expect(sample(text, `${P}http_requests_total`, { route: 'unmatched', status: '404' })).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain('alice@example.org');
    expect(text).not.toContain(alice.bareJid);
  });
});

describe('http.metrics: false', () => {
  test('no /metrics route; /health still answers', async () => {
    const port = await freePort();
    const config = testConfig({ componentPort: await freePort() } as Prosody, [{ domain: 'off.localhost', secret: 's', adapter: 'echo' }], {
      http: { enabled: true, host: '127.0.0.1', port, metrics: false },
    });
    // No XMPP server behind it: the link keeps retrying, which /health reports as degraded.
    const gateway = await Gateway.start(config, { logger: pino({ level: 'silent' }), adapters: { echo: echoAdapter } });
    try {
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(503);
    } finally {
      await gateway.stop(0);
    }
  });
});
