/**
 * One XMPP user on two IRC servers at once, end to end: XMPP client -> Prosody -> gateway ->
 * two ngircd processes. The second server is known to the gateway as 127.0.0.2 (it also listens
 * on 127.0.0.1, where the plain test clients reach it): a distinct server name on loopback.
 */
import type { Element } from '@xmpp/xml';
import { Prosody } from '../../harness/prosody';
import { TestClient, xml, registerForm, errorCondition, errorText } from '../../harness/xmpp-client';
import { startGateway, testConfig } from '../../harness/gateway';
import { Ngircd, ngircdAvailable } from '../../harness/ngircd';
import type { Gateway } from '../../../src/gateway';
import type { GatewayConfig } from '../../../src/config';
import { tempDir } from '../../harness/ports';
import { join } from 'node:path';
import { RawIrcClient, type RawLine } from './raw-client';
import { fixedServerOptions } from './helpers';

const DOMAIN = 'irc.localhost';
const MUC = 'http://jabber.org/protocol/muc';
const MUC_USER = 'http://jabber.org/protocol/muc#user';
const COMMANDS = 'http://jabber.org/protocol/commands';
const SECOND = '127.0.0.2';
const run = Prosody.available() && ngircdAvailable() ? describe : describe.skip;

function execute(client: TestClient, node: string, values?: Record<string, string>, sessionid?: string): Promise<Element> {
  const form = values && xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
    ...Object.entries(values).map(([k, v]) => xml('field', { var: k }, xml('value', {}, v))));
  return client.iq('set', DOMAIN, xml('command', { xmlns: COMMANDS, node, sessionid, action: values ? 'complete' : 'execute' }, form));
}

/** Runs a command with a form: opens it, then submits `values`; resolves with the note. */
async function configure(client: TestClient, node: string, values: Record<string, string>): Promise<string> {
  const opened = (await execute(client, node)).getChild('command')!;
  expect(opened.getChild('x', 'jabber:x:data')).toBeDefined();
  const done = (await execute(client, node, values, opened.attrs.sessionid)).getChild('command')!;
  expect(done.attrs.status).toBe('completed');
  return done.getChildText('note') ?? '';
}

/** Asks ISON until `nick` is (or is no longer) on the server: waits for the state, not a time. */
async function waitIson(client: RawIrcClient, nick: string, online: boolean, timeoutMs = 30000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const from = client.lines.length;
    client.send(`ISON ${nick}`);
    const reply = await client.waitFor((l: RawLine) => l.command === '303' && client.lines.indexOf(l) >= from);
    if (reply.params[1].split(' ').includes(nick) === online) return;
    if (Date.now() > deadline) throw new Error(`${nick} is still ${online ? 'offline' : 'online'}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

run('IRC: one XMPP user on two servers at once', () => {
  let one: Ngircd;
  let two: Ngircd;
  let prosody: Prosody;
  let gateway: Gateway;
  let config: GatewayConfig;
  let alice: TestClient;
  let bob1: RawIrcClient;
  let bob2: RawIrcClient;
  const roomOne = `#one@${DOMAIN}`;
  const roomTwo = `#two%${SECOND}@${DOMAIN}`;

  beforeAll(async () => {
    one = await Ngircd.start({ name: 'irc.one.local' });
    two = await Ngircd.start({ name: 'irc.two.local', listen: [SECOND, '127.0.0.1'] });
    prosody = await Prosody.start([{ domain: DOMAIN, secret: 's3cret' }]);
    config = testConfig(prosody, [{
      domain: DOMAIN, secret: 's3cret', adapter: 'irc',
      // A second server closes 1.2 s after its last channel and message.
      options: fixedServerOptions(one.port, { allowedServers: [SECOND], serverIdleMinutes: 0.02 }),
    }], {
      access: { allow: ['localhost'] },
      // On disk: the gateway restarts below.
      storage: { url: `sqlite://${join(tempDir('two-servers'), 'gateway.sqlite')}`, encryptionKey: 'two-servers-test-key' },
    });
    gateway = await startGateway(config);
    alice = await TestClient.connect(prosody, 'alice');
    await alice.send(xml('presence'));
    bob1 = await RawIrcClient.connect(one.port, 'bobone');
    bob2 = await RawIrcClient.connect(two.port, 'bobtwo');
    const registered = await alice.iq('set', DOMAIN, registerForm({ nick: 'alice' }));
    expect(registered.attrs.type).toBe('result');
  }, 60000);

  afterAll(async () => {
    bob1?.close();
    bob2?.close();
    await alice?.stop();
    await gateway?.stop();
    await prosody?.destroy();
    await one?.stop();
    await two?.stop();
  });

  const selfIn = (room: string) => (el: Element) => el.name === 'presence' && !el.attrs.type && String(el.attrs.from ?? '').startsWith(`${room}/`)
    && Boolean(el.getChild('x', MUC_USER)?.getChildren('status').some((s) => s.attrs.code === '110'));

  test('a server outside the allowed ones is refused with a sentence naming them', async () => {
    await alice.send(xml('presence', { to: `#x%irc.elsewhere.example@${DOMAIN}/alice` }, xml('x', { xmlns: MUC })));
    const error = await alice.waitFor((el) => el.name === 'presence' && el.attrs.type === 'error' && String(el.attrs.from ?? '').startsWith('#x%irc.elsewhere.example@'), 10000, 'join error');
    expect(errorCondition(error)).toBe('not-allowed');
    expect(errorText(error)).toBe(`This gateway connects you to 127.0.0.1, ${SECOND} only; irc.elsewhere.example is not one of them.`);
  });

  test('the second server is configured, then joined on first use: rooms on both servers relay both ways at once', async () => {
    // The commands list offers a Configure per allowed server.
    const items = await alice.iq('get', DOMAIN, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items', node: COMMANDS }));
    const nodes = items.getChild('query')!.getChildren('item').map((i) => i.attrs.node);
    expect(nodes).toEqual(expect.arrayContaining(['irc-configure@127.0.0.1', `irc-configure@${SECOND}`]));
    expect(await configure(alice, `irc-configure@${SECOND}`, { port: String(two.port), tls: 'false' })).toMatch(/apply when you next use/);

    bob1.send('JOIN #one');
    bob2.send('JOIN #two');
    await bob1.waitFor((l) => l.command === '366' && l.params[1] === '#one');
    await bob2.waitFor((l) => l.command === '366' && l.params[1] === '#two');
    await alice.send(xml('presence', { to: `${roomOne}/alice` }, xml('x', { xmlns: MUC })));
    await alice.send(xml('presence', { to: `${roomTwo}/alice` }, xml('x', { xmlns: MUC })));
    await alice.waitFor(selfIn(roomOne), 15000, 'in #one');
    await alice.waitFor(selfIn(roomTwo), 15000, 'in #two');
    await bob2.waitFor((l) => l.command === 'JOIN' && l.nick === 'alice');

    // All four directions in flight together.
    const toAlice1 = alice.waitFor((el) => el.name === 'message' && el.attrs.from === `${roomOne}/bobone` && el.getChildText('body') === 'from one', 10000, 'groupchat on one');
    const toAlice2 = alice.waitFor((el) => el.name === 'message' && el.attrs.from === `${roomTwo}/bobtwo` && el.getChildText('body') === 'from two', 10000, 'groupchat on two');
    const toBob1 = bob1.waitFor((l) => l.command === 'PRIVMSG' && l.nick === 'alice' && l.params[0] === '#one' && l.params[1] === 'hello one');
    const toBob2 = bob2.waitFor((l) => l.command === 'PRIVMSG' && l.nick === 'alice' && l.params[0] === '#two' && l.params[1] === 'hello two');
    bob1.send('PRIVMSG #one :from one');
    bob2.send('PRIVMSG #two :from two');
    await alice.send(xml('message', { to: roomOne, type: 'groupchat', id: 'm1' }, xml('body', {}, 'hello one')));
    await alice.send(xml('message', { to: roomTwo, type: 'groupchat', id: 'm2' }, xml('body', {}, 'hello two')));
    await Promise.all([toAlice1, toAlice2, toBob1, toBob2]);
  });

  test('private messages on the second server, both ways', async () => {
    const peer = `bobtwo%${SECOND}@${DOMAIN}`;
    await alice.send(xml('message', { to: peer, type: 'chat', id: 'p1' }, xml('body', {}, 'psst two')));
    await bob2.waitFor((l) => l.command === 'PRIVMSG' && l.nick === 'alice' && l.params[0] === 'bobtwo' && l.params[1] === 'psst two');
    bob2.send('PRIVMSG alice :psst back');
    const reply = await alice.waitFor((el) => el.name === 'message' && String(el.attrs.from ?? '').startsWith(peer) && el.getChildText('body') === 'psst back', 10000, 'pm from two');
    expect(reply.attrs.type).toBe('chat');
  });

  test('Configure changes the nick on the second server only, at once', async () => {
    const nickLine = bob2.waitFor((l) => l.command === 'NICK' && l.nick === 'alice' && l.params[0] === 'alicetwo');
    const note = await configure(alice, `irc-configure@${SECOND}`, { nick: 'alicetwo' });
    expect(note).toBe(`Saved. Your nickname on ${SECOND} is now alicetwo.`);
    await nickLine;
    const renamed = await alice.waitFor((el) => el.name === 'presence' && el.attrs.from === `${roomTwo}/alicetwo`, 10000, 'new nick in #two');
    expect(renamed.getChild('x', MUC_USER)!.getChildren('status').map((s) => s.attrs.code)).toContain('110');
    await waitIson(bob1, 'alice', true);
    await waitIson(bob2, 'alicetwo', true);
  });

  test('left unused, the second server\'s connection closes; the registered one stays', async () => {
    const left = alice.waitFor((el) => el.name === 'presence' && el.attrs.type === 'unavailable' && el.attrs.from === `${roomTwo}/alicetwo`, 10000, 'left #two');
    await alice.send(xml('presence', { to: `${roomTwo}/alicetwo`, type: 'unavailable' }));
    await left;
    await bob2.waitFor((l) => l.command === 'PART' && l.nick === 'alicetwo');
    await waitIson(bob2, 'alicetwo', false);
    await waitIson(bob1, 'alice', true);
    // Used again, it connects again, with its configured nick.
    await alice.send(xml('message', { to: `bobtwo%${SECOND}@${DOMAIN}`, type: 'chat', id: 'p2' }, xml('body', {}, 'back again')));
    await bob2.waitFor((l) => l.command === 'PRIVMSG' && l.nick === 'alicetwo' && l.params[1] === 'back again', 20000);
  });

  const leftRoom = (room: string) => (el: Element) => el.name === 'presence' && el.attrs.type === 'unavailable' && String(el.attrs.from ?? '').startsWith(`${room}/`);

  test('one server going down takes only its own rooms out; its return brings them back', async () => {
    await alice.send(xml('presence', { to: `${roomTwo}/alicetwo` }, xml('x', { xmlns: MUC })));
    await alice.waitFor(selfIn(roomTwo), 15000, 'in #two again');
    alice.received.length = 0;
    await two.kill();
    const out = await alice.waitFor(leftRoom(roomTwo), 10000, 'out of #two');
    expect(out.getChild('x', MUC_USER)!.getChildren('status').map((s) => s.attrs.code)).toContain('110');
    bob1.send('PRIVMSG #one :one is fine');
    await alice.waitFor((el) => el.name === 'message' && el.attrs.from === `${roomOne}/bobone` && el.getChildText('body') === 'one is fine', 10000, 'line on one');
    expect(alice.received.filter(leftRoom(roomOne))).toEqual([]);
    expect(alice.received.filter((el) => el.name === 'presence' && el.attrs.from === DOMAIN && el.attrs.type === 'unavailable')).toEqual([]);
    bob2.close();
    await two.restart();
    await alice.waitFor(selfIn(roomTwo), 20000, 'back in #two');
    bob2 = await RawIrcClient.connect(two.port, 'bobtwo');
    bob2.send('JOIN #two');
    await alice.waitFor((el) => el.name === 'presence' && !el.attrs.type && el.attrs.from === `${roomTwo}/bobtwo`, 10000, 'bobtwo in #two');
  });

  test('a changed connection setting reconnects that server at once and keeps its channels', async () => {
    alice.received.length = 0;
    const from = bob2.lines.length;
    expect(await configure(alice, `irc-configure@${SECOND}`, { verify_certificate: 'false' })).toBe(`Saved. Reconnecting to ${SECOND} with the new settings.`);
    await alice.waitFor(leftRoom(roomTwo), 10000, 'out of #two while reconnecting');
    await alice.waitFor(selfIn(roomTwo), 20000, 'back in #two');
    await bob2.waitFor((l) => l.command === 'JOIN' && l.nick === 'alicetwo' && bob2.lines.indexOf(l) >= from);
    expect(bob2.lines.slice(from).some((l) => l.command === 'QUIT' && l.nick === 'alicetwo')).toBe(true);
    expect(alice.received.filter(leftRoom(roomOne))).toEqual([]);
  });

  async function restartGateway(): Promise<void> {
    await gateway.stop();
    await waitIson(bob1, 'alice', false);
    await waitIson(bob2, 'alicetwo', false);
    alice.received.length = 0;
    gateway = await startGateway(config);
  }

  test('after a gateway restart the rooms the core remembers on the second server are joined again, which connects it', async () => {
    await restartGateway();
    await alice.waitFor(selfIn(roomOne), 20000, 'back in #one');
    await alice.waitFor(selfIn(roomTwo), 20000, 'back in #two');
    bob2.send('PRIVMSG #two :after the restart');
    await alice.waitFor((el) => el.name === 'message' && el.attrs.from === `${roomTwo}/bobtwo` && el.getChildText('body') === 'after the restart', 10000, 'line on two');
  });

  test('a persistent second server connects after a restart without any room', async () => {
    const left = alice.waitFor(leftRoom(roomTwo), 10000, 'left #two');
    await alice.send(xml('presence', { to: `${roomTwo}/alicetwo`, type: 'unavailable' }));
    await left;
    expect(await configure(alice, `irc-configure@${SECOND}`, { persistent: 'true' })).toMatch(/^Saved/);
    await restartGateway();
    await alice.waitFor(selfIn(roomOne), 20000, 'back in #one');
    await waitIson(bob2, 'alicetwo', true);
  });
});
