/**
 * What users see when the gateway process dies (kill -9) or is stopped (SIGTERM) while they are
 * in rooms: the built gateway as its own process, real Prosody, real ngircd.
 */
import type { Element } from '@xmpp/xml';
import { join } from 'node:path';
import { GatewayProcess } from '../../harness/gateway-process';
import { Ngircd, ngircdAvailable } from '../../harness/ngircd';
import { tempDir } from '../../harness/ports';
import { Prosody } from '../../harness/prosody';
import { errorCondition, mamQuery, registerForm, TestClient, xml } from '../../harness/xmpp-client';
import { RawIrcClient } from '../irc/raw-client';
import { fixedServerOptions } from '../irc/helpers';

const DOMAIN = 'irc.localhost';
const SECRET = 'restart-secret';
const MUC = 'http://jabber.org/protocol/muc';
const MUC_USER = 'http://jabber.org/protocol/muc#user';
const run = Prosody.available() && ngircdAvailable() ? describe : describe.skip;

function gatewayConfig(prosody: Prosody, ircPort: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    xmpp: { host: '127.0.0.1', port: prosody.componentPort, reconnect: { initialDelayMs: 200, maxDelayMs: 2000 } },
    storage: { url: `sqlite://${join(tempDir('restart-store'), 'gateway.sqlite')}`, encryptionKey: 'pSvx0M5Xn4dO3JtWq0V3b2mXo7C9Yq1fHk8uRz6LwEw=' },
    logging: { level: 'warn' },
    restore: { concurrency: 5, perSecond: 50 },
    outbound: { allow: ['127.0.0.0/8'] },
    transports: [{ domain: DOMAIN, secret: SECRET, adapter: 'irc', options: fixedServerOptions(ircPort, extra) }],
  };
}

const selfPresence = (room: string, nick: string, type?: string) => (el: Element) =>
  el.name === 'presence' && el.attrs.from === `${room}/${nick}` && el.attrs.type === type
  && Boolean(el.getChild('x', MUC_USER)?.getChildren('status').some((s) => s.attrs.code === '110'));

/** Registers, accepts the transport's subscription (as clients do after XEP-0100 registration) and joins. */
async function registerAndJoin(client: TestClient, nick: string, room: string): Promise<void> {
  const answer = await client.iq('set', DOMAIN, registerForm({ nick }));
  expect(answer.attrs.type).toBe('result');
  await client.waitFor((el) => el.name === 'presence' && el.attrs.from === DOMAIN && el.attrs.type === 'subscribe', 10000, 'subscription request');
  await client.send(xml('presence', { to: DOMAIN, type: 'subscribed' }));
  await client.send(xml('presence', { to: `${room}/${nick}` }, xml('x', { xmlns: MUC })));
  await client.waitFor(selfPresence(room, nick), 10000, `${nick} joined`);
}

async function selfPing(client: TestClient, occupant: string): Promise<string> {
  const answer = await client.iq('get', occupant, xml('ping', { xmlns: 'urn:xmpp:ping' }));
  return answer.attrs.type === 'result' ? 'result' : errorCondition(answer) ?? 'error';
}

run('gateway restarts with users in rooms', () => {
  let ircd: Ngircd;
  let prosody: Prosody;
  let gateway: GatewayProcess | undefined;
  const clients: TestClient[] = [];
  const raws: RawIrcClient[] = [];

  beforeAll(async () => {
    ircd = await Ngircd.start();
    prosody = await Prosody.start([{ domain: DOMAIN, secret: SECRET }]);
  });

  afterEach(async () => {
    for (const raw of raws.splice(0)) raw.close();
    await Promise.all(clients.splice(0).map((c) => c.stop()));
    await gateway?.stop();
    gateway = undefined;
  });

  afterAll(async () => {
    await prosody?.destroy();
    await ircd?.stop();
  });

  test('after kill -9 and a restart both users are back in the room, get the next lines and can talk; self-ping tells the truth', async () => {
    gateway = await GatewayProcess.create(gatewayConfig(prosody, ircd.port));
    await gateway.start();
    const room = `#crash@${DOMAIN}`;
    const alice = await TestClient.connect(prosody, 'alice9');
    const carol = await TestClient.connect(prosody, 'carol9');
    clients.push(alice, carol);
    for (const c of [alice, carol]) await c.send(xml('presence'));
    const dave = await RawIrcClient.connect(ircd.port, 'dave9');
    raws.push(dave);
    dave.send('JOIN #crash');
    await dave.waitFor((l) => l.command === '366' && l.params[1] === '#crash');
    await registerAndJoin(alice, 'alice9', room);
    await registerAndJoin(carol, 'carol9', room);
    expect(await selfPing(alice, `${room}/alice9`)).toBe('result');

    await gateway.kill('SIGKILL');
    await dave.waitFor((l) => l.command === 'QUIT' && l.nick === 'alice9', 10000);
    await dave.waitFor((l) => l.command === 'QUIT' && l.nick === 'carol9', 10000);
    alice.received.length = 0;
    carol.received.length = 0;

    await gateway.start();
    await alice.waitFor(selfPresence(room, 'alice9'), 20000, 'alice back in the room');
    await carol.waitFor(selfPresence(room, 'carol9'), 20000, 'carol back in the room');
    dave.lines.length = 0;
    dave.send('NAMES #crash');
    const names = await dave.waitFor((l) => l.command === '353' && l.params[2] === '#crash');
    expect(names.params[3].split(' ')).toEqual(expect.arrayContaining(['alice9', 'carol9']));

    dave.send('PRIVMSG #crash :after the crash');
    for (const c of [alice, carol]) {
      const line = await c.waitFor((el) => el.name === 'message' && el.attrs.from === `${room}/dave9` && el.getChildText('body') === 'after the crash', 10000, 'next line');
      expect(line.attrs.type).toBe('groupchat');
    }
    await alice.send(xml('message', { to: room, type: 'groupchat', id: 'after-1' }, xml('body', {}, 'still here')));
    await dave.waitFor((l) => l.command === 'PRIVMSG' && l.nick === 'alice9' && l.params[1] === 'still here');
    expect(alice.received.filter((el) => el.attrs.type === 'error')).toEqual([]);

    expect(await selfPing(alice, `${room}/alice9`)).toBe('result');
    const left = carol.waitFor(selfPresence(room, 'carol9', 'unavailable'), 10000, 'carol left');
    await carol.send(xml('presence', { to: `${room}/carol9`, type: 'unavailable' }));
    await left;
    expect(await selfPing(carol, `${room}/carol9`)).toBe('not-acceptable');
    expect(await selfPing(carol, `#never@${DOMAIN}/carol9`)).toBe('not-acceptable');
  });

  test('room history (MAM) survives kill -9: the last lines come back in pages, and only to users in the room', async () => {
    gateway = await GatewayProcess.create(gatewayConfig(prosody, ircd.port));
    await gateway.start();
    const room = `#history@${DOMAIN}`;
    const gina = await TestClient.connect(prosody, 'gina12');
    const hank = await TestClient.connect(prosody, 'hank12');
    clients.push(gina, hank);
    for (const c of [gina, hank]) await c.send(xml('presence'));
    const ivan = await RawIrcClient.connect(ircd.port, 'ivan12');
    raws.push(ivan);
    ivan.send('JOIN #history');
    await ivan.waitFor((l) => l.command === '366' && l.params[1] === '#history');
    await registerAndJoin(gina, 'gina12', room);
    for (let i = 1; i <= 12; i++) ivan.send(`PRIVMSG #history :line ${i}`);
    await gina.waitFor((el) => el.name === 'message' && el.getChildText('body') === 'line 12', 10000, 'line 12');
    await gina.send(xml('message', { to: room, type: 'groupchat', id: 'own-1' }, xml('body', {}, 'my own line')));
    await gina.waitFor((el) => el.name === 'message' && el.attrs.id === 'own-1', 10000, 'reflection');
    // The archive writes behind the live messages, in batches (src/core/archive.ts); a MAM query
    // first waits for its scope's pending batch, so once a query shows all 13 they are stored.
    const deadline = Date.now() + 10000;
    let stored = 0;
    while (stored < 13 && Date.now() < deadline) stored = (await mamQuery(gina, room, { max: 50 })).messages.length;
    expect(stored).toBe(13);

    await gateway.kill('SIGKILL');
    gina.received.length = 0;
    await gateway.start();
    await gina.waitFor(selfPresence(room, 'gina12'), 20000, 'gina back in the room');

    const last = await mamQuery(gina, room, { max: 5, before: true });
    expect(last.fin.attrs.type).toBe('result');
    expect(last.messages.map((m) => m.getChildText('body'))).toEqual(['line 9', 'line 10', 'line 11', 'line 12', 'my own line']);
    expect(last.messages.map((m) => m.attrs.from)).toEqual([...Array(4).fill(`${room}/ivan12`), `${room}/gina12`]);
    const fin = last.fin.getChild('fin', 'urn:xmpp:mam:2')!;
    expect(fin.attrs.complete).not.toBe('true');
    const first = fin.getChild('set', 'http://jabber.org/protocol/rsm')!.getChildText('first')!;
    const before = await mamQuery(gina, room, { max: 5, before: first });
    expect(before.messages.map((m) => m.getChildText('body'))).toEqual(['line 4', 'line 5', 'line 6', 'line 7', 'line 8']);

    // hank is registered but not in the room: its history is not his to read.
    expect((await hank.iq('set', DOMAIN, registerForm({ nick: 'hank12' }))).attrs.type).toBe('result');
    const refused = await hank.iq('set', room, xml('query', { xmlns: 'urn:xmpp:mam:2' }));
    expect(errorCondition(refused)).toBe('forbidden');
  });

  test('SIGTERM right after 15 groupchat messages: every accepted message reaches IRC or comes back as an error', async () => {
    // burst 5, then one line per 100 ms: most of the 15 are still queued when SIGTERM arrives.
    gateway = await GatewayProcess.create(gatewayConfig(prosody, ircd.port, { flood: { burst: 5, intervalMs: 100 } }));
    await gateway.start();
    const room = `#drain@${DOMAIN}`;
    const erin = await TestClient.connect(prosody, 'erin15');
    clients.push(erin);
    await erin.send(xml('presence'));
    const frank = await RawIrcClient.connect(ircd.port, 'frank15');
    raws.push(frank);
    frank.send('JOIN #drain');
    await frank.waitFor((l) => l.command === '366' && l.params[1] === '#drain');
    await registerAndJoin(erin, 'erin15', room);

    for (let i = 1; i <= 15; i++) await erin.send(xml('message', { to: room, type: 'groupchat', id: `d${i}` }, xml('body', {}, `drain ${i}`)));
    await new Promise((r) => setTimeout(r, 300));
    expect(await gateway.kill('SIGTERM')).toBe(0);

    const delivered = () => frank.lines.filter((l) => l.command === 'PRIVMSG' && l.nick === 'erin15').map((l) => l.params[1]);
    await frank.waitFor((l) => l.command === 'QUIT' && l.nick === 'erin15', 10000);
    const errors = erin.received.filter((el) => el.name === 'message' && el.attrs.type === 'error').map((el) => el.attrs.id);
    // Each message exactly once: on IRC or back to the sender as an error, never both, never neither.
    const outcome = Array.from({ length: 15 }, (_, i) => `d${i + 1}`).map((id, i) => (delivered().includes(`drain ${i + 1}`) ? 1 : 0) + (errors.includes(id) ? 1 : 0));
    expect(outcome).toEqual(Array(15).fill(1));
    // The default drain period (10 s) is long enough for 15 lines at this pace: all went out.
    expect(delivered()).toHaveLength(15);
  });
});
