import type { Element } from '@xmpp/xml';
import { Prosody } from '../../harness/prosody';
import { TestClient, xml, registerForm } from '../../harness/xmpp-client';
import { startGateway, testConfig } from '../../harness/gateway';
import echoAdapter, { echoNetwork } from '../../support/echo-adapter';
import type { Gateway } from '../../../src/gateway';

const DOMAIN = 'echo.localhost';
const run = Prosody.available() ? describe : describe.skip;


function errorCondition(el: Element): string | undefined {
  const error = el.getChild('error');
  return error?.getChildElements().find((c) => c.attrs.xmlns === 'urn:ietf:params:xml:ns:xmpp-stanzas' && c.name !== 'text')?.name;
}

function errorText(el: Element): string {
  return el.getChild('error')?.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas') ?? '';
}

run('gateway core against a real Prosody', () => {
  let prosody: Prosody;
  let gateway: Gateway;
  let alice: TestClient;

  beforeAll(async () => {
    prosody = await Prosody.start([{ domain: DOMAIN, secret: 's3cret' }]);
    gateway = await startGateway(testConfig(prosody, [{ domain: DOMAIN, secret: 's3cret', adapter: 'echo' }], { access: { allow: ['alice@localhost'] } }), { echo: echoAdapter });
    alice = await TestClient.connect(prosody, 'alice');
    await alice.send(xml('presence'));
  });

  afterAll(async () => {
    await alice?.stop();
    await gateway?.stop();
    await prosody?.destroy();
  });

  test('disco#info names a gateway with its type and features', async () => {
    const answer = await alice.iq('get', DOMAIN, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }));
    expect(answer.attrs.type).toBe('result');
    const query = answer.getChild('query')!;
    const identity = query.getChild('identity')!;
    expect(identity.attrs).toMatchObject({ category: 'gateway', type: 'irc', name: 'Echo network' });
    const features = query.getChildren('feature').map((f) => f.attrs.var);
    expect(features).toEqual(expect.arrayContaining(['jabber:iq:register', 'jabber:iq:gateway', 'http://jabber.org/protocol/commands', 'urn:xmpp:ping', 'jabber:iq:version', 'http://jabber.org/protocol/muc']));
  });

  test('ping and software version answer on the domain', async () => {
    expect((await alice.iq('get', DOMAIN, xml('ping', { xmlns: 'urn:xmpp:ping' }))).attrs.type).toBe('result');
    const version = await alice.iq('get', DOMAIN, xml('query', { xmlns: 'jabber:iq:version' }));
    expect(version.getChild('query')!.getChildText('name')).toBe('xmpp-transport-gateway');
  });

  test('an unknown iq gets service-unavailable with a text', async () => {
    const answer = await alice.iq('get', DOMAIN, xml('query', { xmlns: 'urn:example:nothing' }));
    expect(answer.attrs.type).toBe('error');
    expect(errorCondition(answer)).toBe('service-unavailable');
    expect(errorText(answer)).toMatch(/not supported/);
  });

  test('registration get offers legacy fields and a data form with labels and required flags', async () => {
    const answer = await alice.iq('get', DOMAIN, xml('query', { xmlns: 'jabber:iq:register' }));
    const query = answer.getChild('query')!;
    expect(query.getChildText('instructions')).toBe('Enter your echo network login.');
    expect(query.getChild('username')).toBeDefined();
    expect(query.getChild('password')).toBeDefined();
    expect(query.getChild('registered')).toBeUndefined();
    const form = query.getChild('x', 'jabber:x:data')!;
    const user = form.getChildren('field').find((f) => f.attrs.var === 'username')!;
    expect(user.attrs.label).toBe('User name');
    expect(user.getChild('required')).toBeDefined();
    expect(form.getChildren('field').find((f) => f.attrs.var === 'password')!.attrs.type).toBe('text-private');
  });

  test('a wrong password is refused with the adapter\'s reason and nothing is stored', async () => {
    const answer = await alice.iq('set', DOMAIN, registerForm({ username: 'alice', password: 'wrong' }));
    expect(answer.attrs.type).toBe('error');
    expect(errorCondition(answer)).toBe('not-authorized');
    expect(errorText(answer)).toBe('The echo network refused the password.');
    expect(await gateway.transports.get(DOMAIN)!.sessions.registrations.get(alice.bareJid)).toBeUndefined();
  });

  test('a missing required field is not-acceptable and names the field', async () => {
    const answer = await alice.iq('set', DOMAIN, registerForm({ password: 'secret' }));
    expect(errorCondition(answer)).toBe('not-acceptable');
    expect(errorText(answer)).toMatch(/User name is required/);
  });

  test('registration set logs in, subscribes (XEP-0100), then get shows registered values without the password', async () => {
    const subscribe = alice.waitFor((el) => el.name === 'presence' && el.attrs.type === 'subscribe' && el.attrs.from === DOMAIN, 10000, 'subscribe from transport');
    const answer = await alice.iq('set', DOMAIN, registerForm({ username: 'alice', password: 'secret' }));
    expect(answer.attrs.type).toBe('result');
    await subscribe;
    expect(echoNetwork.logins.at(-1)).toMatchObject({ user: alice.bareJid, reason: 'register' });
    // Approve and subscribe back, as a client does.
    await alice.send(xml('presence', { to: DOMAIN, type: 'subscribed' }));
    const online = alice.waitFor((el) => el.name === 'presence' && el.attrs.from === DOMAIN && !el.attrs.type, 10000, 'transport presence');
    await alice.send(xml('presence', { to: DOMAIN, type: 'subscribe' }));
    expect((await online).getChildText('status')).toBe('Logged in as alice');

    const get = await alice.iq('get', DOMAIN, xml('query', { xmlns: 'jabber:iq:register' }));
    const query = get.getChild('query')!;
    expect(query.getChild('registered')).toBeDefined();
    expect(query.getChildText('username')).toBe('alice');
    expect(query.getChildText('password')).toBe('');
    const stored = await gateway.transports.get(DOMAIN)!.sessions.registrations.get(alice.bareJid);
    expect(stored?.credentials).toMatchObject({ username: 'alice', password: 'secret', greeting: 'hello' });
  });

  test('a status change of the user (away) is not answered with another transport presence', async () => {
    // What the registration produced has arrived once the transport answered a ping sent after it.
    await alice.iq('get', DOMAIN, xml('ping', { xmlns: 'urn:xmpp:ping' }));
    alice.received.length = 0;
    await alice.send(xml('presence', {}, xml('show', {}, 'away')));
    await alice.send(xml('presence', {}, xml('show', {}, 'dnd')));
    // A ping answered by the transport after both: anything sent for the two presences came before it.
    const pong = await alice.iq('get', DOMAIN, xml('ping', { xmlns: 'urn:xmpp:ping' }));
    expect(pong.attrs.type).toBe('result');
    expect(alice.received.filter((el) => el.name === 'presence' && el.attrs.from === DOMAIN)).toEqual([]);
    await alice.send(xml('presence'));
  });

  test('messages go both ways, with a receipt when asked', async () => {
    const echoJid = `echo@${DOMAIN}`;
    const reply = alice.waitFor((el) => el.name === 'message' && el.attrs.from === echoJid && Boolean(el.getChild('body')), 10000, 'echo reply');
    const receipt = alice.waitFor((el) => el.name === 'message' && Boolean(el.getChild('received', 'urn:xmpp:receipts')), 10000, 'receipt');
    await alice.send(xml('message', { to: echoJid, type: 'chat', id: 'm1' }, xml('body', {}, 'hi there'), xml('request', { xmlns: 'urn:xmpp:receipts' })));
    expect((await reply).getChildText('body')).toBe('echo: hi there');
    expect((await receipt).getChild('received', 'urn:xmpp:receipts')!.attrs.id).toBe('m1');
  });

  test('a message the adapter cannot deliver comes back as an error stanza with its text', async () => {
    const error = alice.waitFor((el) => el.name === 'message' && el.attrs.type === 'error' && el.attrs.id === 'm2', 10000, 'message error');
    await alice.send(xml('message', { to: `nobody@${DOMAIN}`, type: 'chat', id: 'm2' }, xml('body', {}, 'anyone?')));
    const el = await error;
    expect(errorCondition(el)).toBe('item-not-found');
    expect(errorText(el)).toMatch(/no user called nobody/);
  });

  test('an address the adapter rejects is jid-malformed', async () => {
    const error = alice.waitFor((el) => el.name === 'message' && el.attrs.type === 'error' && el.attrs.id === 'm3', 10000, 'malformed error');
    await alice.send(xml('message', { to: `${'x'.repeat(70)}@${DOMAIN}`, type: 'chat', id: 'm3' }, xml('body', {}, 'hi')));
    expect(errorCondition(await error)).toBe('jid-malformed');
  });

  test('jabber:iq:gateway translates a legacy address', async () => {
    const get = await alice.iq('get', DOMAIN, xml('query', { xmlns: 'jabber:iq:gateway' }));
    expect(get.getChild('query')!.getChildText('prompt')).toBe('User name');
    const set = await alice.iq('set', DOMAIN, xml('query', { xmlns: 'jabber:iq:gateway' }, xml('prompt', {}, 'Bob')));
    expect(set.getChild('query')!.getChildText('jid')).toBe(`bob@${DOMAIN}`);
    const bad = await alice.iq('set', DOMAIN, xml('query', { xmlns: 'jabber:iq:gateway' }, xml('prompt', {}, 'not valid!')));
    expect(errorCondition(bad)).toBe('jid-malformed');
  });

  test('joining a room gives occupants, self-presence with 110, subject; groupchat is reflected', async () => {
    const room = `#lobby@${DOMAIN}`;
    await alice.send(xml('presence', { to: `${room}/alice` }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' })));
    const bot = await alice.waitFor((el) => el.name === 'presence' && el.attrs.from === `${room}/bot`, 10000, 'occupant');
    expect(bot.getChild('x', 'http://jabber.org/protocol/muc#user')!.getChild('item')!.attrs.role).toBe('moderator');
    const self = await alice.waitFor((el) => el.name === 'presence' && el.attrs.from === `${room}/alice`, 10000, 'self presence');
    const codes = self.getChild('x', 'http://jabber.org/protocol/muc#user')!.getChildren('status').map((s) => s.attrs.code);
    expect(codes).toContain('110');
    const subject = await alice.waitFor((el) => el.name === 'message' && Boolean(el.getChild('subject')), 10000, 'subject');
    expect(subject.getChildText('subject')).toBe('Welcome to the lobby');
    await alice.send(xml('message', { to: room, type: 'groupchat', id: 'g1' }, xml('body', {}, 'hello room')));
    const reflected = await alice.waitFor((el) => el.name === 'message' && el.attrs.type === 'groupchat' && el.attrs.id === 'g1', 10000, 'reflection');
    expect(reflected.getChildText('body')).toBe('hello room');
    const left = alice.waitFor((el) => el.name === 'presence' && el.attrs.type === 'unavailable' && el.attrs.from === `${room}/alice`, 10000, 'leave');
    await alice.send(xml('presence', { to: `${room}/alice`, type: 'unavailable' }));
    await left;
  });

  test('a nick collision on join gives a conflict presence error', async () => {
    await alice.send(xml('presence', { to: `#lobby@${DOMAIN}/taken` }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' })));
    const error = await alice.waitFor((el) => el.name === 'presence' && el.attrs.type === 'error', 10000, 'join error');
    expect(errorCondition(error)).toBe('conflict');
  });

  test('ad-hoc commands: list, show registration with the password masked', async () => {
    const items = await alice.iq('get', DOMAIN, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items', node: 'http://jabber.org/protocol/commands' }));
    const nodes = items.getChild('query')!.getChildren('item').map((i) => i.attrs.node);
    expect(nodes).toEqual(expect.arrayContaining(['unregister', 'reconnect', 'show-registration']));
    const shown = await alice.iq('set', DOMAIN, xml('command', { xmlns: 'http://jabber.org/protocol/commands', node: 'show-registration', action: 'execute' }));
    const note = shown.getChild('command')!.getChildText('note')!;
    expect(note).toContain('User name: alice');
    expect(note).toContain('Password: ********');
    expect(note).not.toContain('secret');
  });

  test('updating the registration logs in again with the new values', async () => {
    const before = echoNetwork.logouts.length;
    const answer = await alice.iq('set', DOMAIN, registerForm({ username: 'alice2', password: '' }));
    expect(answer.attrs.type).toBe('result');
    expect(echoNetwork.logins.at(-1)).toMatchObject({ reason: 'update', credentials: { username: 'alice2', password: 'secret' } });
    expect(echoNetwork.logouts.length).toBe(before + 1);
  });

  test('an update the network refuses is reported, and the previous registration keeps working', async () => {
    const answer = await alice.iq('set', DOMAIN, registerForm({ username: 'alice3', password: 'wrong' }));
    expect(errorCondition(answer)).toBe('not-authorized');
    for (let i = 0; i < 50 && echoNetwork.logins.at(-1)?.reason !== 'reconnect'; i++) await new Promise((r) => setTimeout(r, 50));
    expect(echoNetwork.logins.at(-1)).toMatchObject({ reason: 'reconnect', credentials: { username: 'alice2', password: 'secret' } });
    const stored = await gateway.transports.get(DOMAIN)!.sessions.registrations.get(alice.bareJid);
    expect(stored?.credentials.username).toBe('alice2');
    const reply = alice.waitFor((el) => el.name === 'message' && el.getChildText('body') === 'echo: still here', 10000, 'echo after failed update');
    await alice.send(xml('message', { to: `echo@${DOMAIN}`, type: 'chat' }, xml('body', {}, 'still here')));
    await reply;
  });

  test('a user outside the allow list is forbidden, with a reason', async () => {
    const bob = await TestClient.connect(prosody, 'bob');
    try {
      const answer = await bob.iq('get', DOMAIN, xml('query', { xmlns: 'jabber:iq:register' }));
      expect(errorCondition(answer)).toBe('forbidden');
      expect(errorText(answer)).toBe(`bob@localhost is not allowed to use ${DOMAIN}.`);
      const set = await bob.iq('set', DOMAIN, registerForm({ username: 'bob', password: 'secret' }));
      expect(errorCondition(set)).toBe('forbidden');
      expect(echoNetwork.logins.some((l) => l.user === 'bob@localhost')).toBe(false);
    } finally {
      await bob.stop();
    }
  });

  test('the component survives a Prosody restart and delivers stanzas produced meanwhile', async () => {
    const transport = gateway.transports.get(DOMAIN)!;
    await prosody.stop();
    await new Promise((r) => setTimeout(r, 300));
    expect(transport.connection.online).toBe(false);
    // The legacy side keeps talking while the XMPP link is down.
    const xmppSide = echoNetwork.sessions.get(alice.bareJid)!;
    for (let i = 0; i < 5; i++) xmppSide.contact('echo').sendText(`while down ${i}`);
    expect(transport.connection.queued).toBeGreaterThanOrEqual(5);
    await prosody.restart();
    await transport.connection.waitOnline(20000);
    for (let i = 0; i < 50 && transport.connection.queued > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(transport.connection.queued).toBe(0);
    // alice was offline too (Prosody restarted): the flushed messages wait in her offline store.
    await alice.stop();
    alice = await TestClient.connect(prosody, 'alice');
    await alice.send(xml('presence'));
    for (let i = 0; i < 5; i++) await alice.waitFor((el) => el.getChildText('body') === `while down ${i}`, 10000, `queued message ${i}`);
    expect(transport.connection.droppedStanzas).toBe(0);
  });

  test('unregister (<remove/>) logs out, deletes everything and unsubscribes', async () => {
    const rosterItem = async () => {
      const roster = await alice.iq('get', alice.bareJid, xml('query', { xmlns: 'jabber:iq:roster' }));
      return roster.getChild('query')!.getChildren('item').find((i) => i.attrs.jid === DOMAIN);
    };
    expect((await rosterItem())?.attrs.subscription).toBe('both');
    const offline = alice.waitFor((el) => el.name === 'presence' && el.attrs.type === 'unavailable' && el.attrs.from === DOMAIN, 10000, 'transport offline');
    const answer = await alice.iq('set', DOMAIN, xml('query', { xmlns: 'jabber:iq:register' }, xml('remove')));
    expect(answer.attrs.type).toBe('result');
    await offline;
    // The gateway's unsubscribe + unsubscribed leave no subscription in either direction.
    for (let i = 0; i < 20 && (await rosterItem())?.attrs.subscription !== 'none'; i++) await new Promise((r) => setTimeout(r, 100));
    expect((await rosterItem())?.attrs.subscription ?? 'none').toBe('none');
    expect(echoNetwork.logouts).toContain(alice.bareJid);
    expect(await gateway.transports.get(DOMAIN)!.sessions.registrations.get(alice.bareJid)).toBeUndefined();
    const again = await alice.iq('set', DOMAIN, xml('query', { xmlns: 'jabber:iq:register' }, xml('remove')));
    expect(errorCondition(again)).toBe('item-not-found');
  });
});
