/** A component link whose XMPP server is down: reconnect attempts, the queue and what it drops. */
import pino from 'pino';
import xml from '@xmpp/xml';
import { ComponentConnection } from '../../src/component/connection';
import { enableMetrics, METRIC_PREFIX } from '../../src/metrics';
import { freePort } from '../harness/ports';

const DOMAIN = 'link.metrics.example';

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

test('reconnect attempts, queued and dropped stanzas of a link that cannot connect', async () => {
  const metrics = await enableMetrics();
  const read = async (name: string) => sample(await metrics.text(), `${METRIC_PREFIX}${name}`, { transport: DOMAIN });
  // Nothing listens on this port: every connect is refused at once.
  const link = new ComponentConnection({
    service: `xmpp://127.0.0.1:${await freePort()}`, domain: DOMAIN, password: 'secret',
    initialDelayMs: 5, maxDelayMs: 20, queueLimit: 2, backlogHighWaterBytes: 1 << 20, logger: pino({ level: 'silent' }),
  }, () => undefined);
  try {
    expect(await read('component_connected')).toBeUndefined();
    link.start();
    for (let i = 0; i < 3; i++) link.send(xml('message', { to: 'a@example.org', type: 'chat' }, xml('body', {}, `m${i}`)));
    for (const deadline = Date.now() + 10000; ((await read('component_reconnects_total')) ?? 0) < 3 && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(await read('component_reconnects_total')).toBeGreaterThanOrEqual(3);
    expect(await read('component_connected')).toBe(0);
    expect(await read('component_queue_stanzas')).toBe(2);
    expect(await read('component_queue_dropped_total')).toBe(1);
    expect(await read('stanzas_sent_total')).toBe(3);
  } finally {
    await link.stop();
  }
  // A stopped link is no longer reported, and no longer retries.
  expect(await read('component_queue_stanzas')).toBeUndefined();
  const attempts = await read('component_reconnects_total');
  await new Promise((r) => setTimeout(r, 100));
  expect(await read('component_reconnects_total')).toBe(attempts);
});
