/**
 * Any client, any user: the transport's chat interface, registration as an ad-hoc command,
 * per-user command discovery and admin commands, through a real Prosody and the echo adapter.
 */
import type { Element } from '@xmpp/xml';
import { Prosody } from '../../harness/prosody';
import { TestClient, xml, errorCondition, errorText } from '../../harness/xmpp-client';
import { startGateway, testConfig } from '../../harness/gateway';
import echoAdapter, { echoNetwork } from '../../support/echo-adapter';
import type { Gateway } from '../../../src/gateway';
import { TransportChat } from '../../support/transport-chat';

const DOMAIN = 'echo.localhost';
const COMMANDS = 'http://jabber.org/protocol/commands';
const ADMIN = 'http://jabber.org/protocol/admin';
const run = Prosody.available() ? describe : describe.skip;

async function commandNodes(client: TestClient): Promise<string[]> {
  const items = await client.iq('get', DOMAIN, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items', node: COMMANDS }));
  return items.getChild('query')!.getChildren('item').map((i) => i.attrs.node as string);
}

function execute(client: TestClient, node: string, values?: Record<string, string>, sessionid?: string): Promise<Element> {
  const form = values && xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
    ...Object.entries(values).map(([k, v]) => xml('field', { var: k }, xml('value', {}, v))));
  return client.iq('set', DOMAIN, xml('command', { xmlns: COMMANDS, node, sessionid, action: values ? 'complete' : 'execute' }, form));
}

run('any client: chat commands, registration by ad-hoc, per-user commands, admin commands', () => {
  let prosody: Prosody;
  let gateway: Gateway;
  let alice: TestClient;
  let admin: TestClient;
  /** The two users' chats with the transport. */
  let toAlice: TransportChat;
  let toAdmin: TransportChat;

  beforeAll(async () => {
    echoNetwork.reset();
    prosody = await Prosody.start([{ domain: DOMAIN, secret: 's3cret' }]);
    gateway = await startGateway(testConfig(prosody, [{ domain: DOMAIN, secret: 's3cret', adapter: 'echo' }], {
      access: { allow: ['alice@localhost', 'carol@localhost', 'dave@localhost', 'boss@localhost'] },
      admins: ['Boss@localhost'],
    }), { echo: echoAdapter });
    alice = await TestClient.connect(prosody, 'alice');
    admin = await TestClient.connect(prosody, 'boss');
    await alice.send(xml('presence'));
    await admin.send(xml('presence'));
    toAlice = new TransportChat(alice, DOMAIN);
    toAdmin = new TransportChat(admin, DOMAIN);
  });

  afterAll(async () => {
    await alice?.stop();
    await admin?.stop();
    await gateway?.stop();
    await prosody?.destroy();
  });

  test('help lists what an unregistered user can do; unknown input gets a hint, never an error', async () => {
    const help = await toAlice.say('help');
    expect(help).toContain('register — Register with Echo network');
    expect(help).toContain('join <#room> [key]');
    expect(help).not.toMatch(/^unregister/m);
    expect(help).not.toContain('users');
    expect(await toAlice.say('frobnicate the thing')).toBe('Unknown command; send help for the list.');
    expect(await toAlice.say('status')).toBe(`Register with ${DOMAIN} to use "Show my connection and registration". Send register to start.`);
    expect(await toAlice.say('query Bob')).toBe(`bob: bob@${DOMAIN}\nxmpp:bob@${DOMAIN}?message\nOpen the link, or add bob@${DOMAIN} as a contact in your client.`);
    expect(await toAlice.say('join #lobby sesame')).toMatch(new RegExp(`^#lobby: #lobby@${DOMAIN}\nxmpp:%23lobby@${DOMAIN}\\?join;password=sesame\n`));
    expect(await toAlice.say('join bob')).toBe('bob is not a room; send query bob for a person\'s address.');
    expect(await toAlice.say('query not valid!')).toBe('"not valid!" is not an echo network address.');
    expect(alice.received.filter((el) => el.attrs.type === 'error')).toEqual([]);
  });

  test('a user outside the allow list is told so in the chat', async () => {
    const eve = await TestClient.connect(prosody, 'eve');
    await eve.send(xml('presence'));
    try {
      expect(await new TransportChat(eve, DOMAIN).say('register')).toBe(`eve@localhost is not allowed to use ${DOMAIN}.`);
    } finally {
      await eve.stop();
    }
  });

  test('someone new who subscribes to the transport is told how to register, once', async () => {
    const carol = await TestClient.connect(prosody, 'carol');
    await carol.send(xml('presence'));
    try {
      const welcome = carol.waitFor((el) => el.name === 'message' && el.attrs.from === DOMAIN, 10000, 'welcome');
      const refused = carol.waitFor((el) => el.name === 'presence' && el.attrs.type === 'error' && el.attrs.from === DOMAIN, 10000, 'subscribe error');
      await carol.send(xml('presence', { to: DOMAIN, type: 'subscribe' }));
      expect(errorCondition(await refused)).toBe('registration-required');
      expect((await welcome).getChildText('body')).toMatch(/^This is Echo network\. Register here in this chat, one question at a time: send register\.\nregister — /);
      // The dialogue can be left at any point; nothing is registered.
      const toCarol = new TransportChat(carol, DOMAIN);
      expect(await toCarol.say('register', /questions/)).toMatch(/^Register with Echo network\nEnter your echo network login\.\n3 questions/);
      expect(await toCarol.say('Cancel')).toBe('Canceled; nothing was changed.');
      expect(await toCarol.say('cancel')).toBe('No question is open; send help for the commands.');
      expect(await gateway.transports.get(DOMAIN)!.sessions.registrations.get('carol@localhost')).toBeUndefined();
    } finally {
      await carol.stop();
    }
  });

  test('a client without registration UI registers by chat: back, a refusal with the reason, then success', async () => {
    const first = await toAlice.say('register', /questions/);
    expect(first).toContain('3 questions, one per message; send back for the previous one, cancel to stop.');
    expect(first).toMatch(/\(1\/3\) User name$/);
    expect(await toAlice.say('alice')).toBe('(2/3) Greeting (optional)\nSend - for hello.');
    expect(await toAlice.say('back')).toBe('(1/3) User name');
    expect(await toAlice.say('alice')).toContain('Greeting');
    const secret = await toAlice.say('hi there');
    expect(secret).toMatch(/^\(3\/3\) Password\nSecret: the gateway never shows it back, but your client/);
    const refused = toAlice.say('wrong-pass', /^Refused/);
    const review = await refused;
    expect(review).toBe('Refused: The echo network refused the password.\n\nYour answers:\n1. User name: alice\n2. Greeting: hi there\n3. Password: ********\n'
      + 'Send a number to change that answer, retry to try again, or cancel.');
    expect(echoNetwork.logins.at(-1)).toMatchObject({ user: 'alice@localhost', reason: 'register', credentials: { password: 'wrong-pass' } });
    expect(await toAlice.say('3')).toMatch(/^Password\n/);
    expect(await toAlice.say('secret', /Your answers/)).toMatch(/^Got it \(not shown\)\./);
    const subscribe = alice.waitFor((el) => el.name === 'presence' && el.attrs.type === 'subscribe' && el.attrs.from === DOMAIN, 10000, 'subscribe');
    expect(await toAlice.say('retry', /registered/)).toMatch(/^You are registered with Echo network and logged in\./);
    await subscribe;
    const stored = await gateway.transports.get(DOMAIN)!.sessions.registrations.get('alice@localhost');
    expect(stored?.credentials).toEqual({ username: 'alice', password: 'secret', greeting: 'hi there' });
    // Secrets typed in the chat never come back from the gateway.
    const bodies = toAlice.bodies().join('\n');
    expect(bodies).not.toContain('wrong-pass');
    expect(bodies).not.toMatch(/\bsecret\b/);
    expect(bodies).toContain('Checking with Echo network…');
  });

  test('accepting the transport\'s subscription brings one welcome with the commands that matter', async () => {
    const welcome = alice.waitFor((el) => el.name === 'message' && el.attrs.from === DOMAIN && /^Welcome/.test(el.getChildText('body') ?? ''), 10000, 'welcome');
    await alice.send(xml('presence', { to: DOMAIN, type: 'subscribed' }));
    expect((await welcome).getChildText('body')).toBe('Welcome to Echo network! This chat is the gateway\'s command line. The three commands that matter:\n'
      + 'join <#room> — the address of a room, to join it\nquery <user name> — the address of a person, to write to them\n'
      + 'help — everything else (status, reconnect, unregister, …)');
    await alice.send(xml('presence', { to: DOMAIN, type: 'subscribed' }));
    await alice.iq('get', DOMAIN, xml('ping', { xmlns: 'urn:xmpp:ping' }));
    expect(toAlice.bodies().filter((b) => b.startsWith('Welcome'))).toEqual([]);
  });

  test('status shows the connection and the registration, masked; help now offers the registered commands', async () => {
    expect(await toAlice.say('status')).toBe('Connection to Echo network: online (Logged in as alice)\nUser name: alice\nPassword: ********\nGreeting: hi there');
    const help = await toAlice.say('help');
    expect(help).toMatch(/^unregister — Unregister$/m);
    expect(help).toMatch(/^reconnect — Reconnect$/m);
    expect(await commandNodes(alice)).toEqual(['jabber:iq:register', 'unregister', 'reconnect', 'show-registration']);
  });

  test('a registered user changes the registration by chat: - keeps the current values and the stored password', async () => {
    const intro = await toAlice.say('register', /questions/);
    expect(intro).toContain('You are registered: this changes your registration');
    expect(intro).toMatch(/\(1\/3\) User name\nSend - for alice\.$/);
    expect(await toAlice.say('-')).toMatch(/^\(2\/3\) Greeting \(optional\)\nSend - for hi there\.$/);
    expect(await toAlice.say('good day')).toMatch(/^\(3\/3\) Password \(optional\)\nSend - to keep the one stored\.\nSecret:/);
    expect(await toAlice.say('-', /updated/)).toBe('Your registration with Echo network is updated and logged in again.');
    expect(echoNetwork.logins.at(-1)).toMatchObject({ reason: 'update', credentials: { username: 'alice', password: 'secret', greeting: 'good day' } });
  });

  test('an ad-hoc command with a form is also a chat dialogue; its answer may follow its name', async () => {
    expect(await toAlice.say('unregister', /Yes, unregister me/)).toMatch(/Answer yes or no\.$/);
    expect(await toAlice.say('no')).toBe('Nothing was changed.');
    expect(await gateway.transports.get(DOMAIN)!.sessions.registrations.get('alice@localhost')).toBeDefined();
  });

  test('registration as the ad-hoc node jabber:iq:register: a refusal comes back on the form, then it registers', async () => {
    const dave = await TestClient.connect(prosody, 'dave');
    await dave.send(xml('presence'));
    try {
      expect(await commandNodes(dave)).toEqual(['jabber:iq:register']);
      const info = await dave.iq('get', DOMAIN, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info', node: 'jabber:iq:register' }));
      expect(info.getChild('query')!.getChild('identity')!.attrs).toMatchObject({ category: 'automation', type: 'command-node', name: 'Register with Echo network' });
      const form = await execute(dave, 'jabber:iq:register');
      const command = form.getChild('command')!;
      expect(command.attrs.status).toBe('executing');
      expect(command.getChild('x', 'jabber:x:data')!.getChildren('field').map((f) => f.attrs.var)).toEqual(['username', 'password', 'greeting']);
      const again = await execute(dave, 'jabber:iq:register', { username: 'dave', password: 'nope' }, command.attrs.sessionid);
      const retry = again.getChild('command')!;
      expect(retry.attrs.status).toBe('executing');
      expect(retry.getChild('note')!.attrs.type).toBe('error');
      expect(retry.getChildText('note')).toBe('The echo network refused the password.');
      const fields = retry.getChild('x', 'jabber:x:data')!.getChildren('field');
      expect(fields.find((f) => f.attrs.var === 'username')!.getChildText('value')).toBe('dave');
      expect(fields.find((f) => f.attrs.var === 'password')!.getChild('value')).toBeUndefined();
      const done = await execute(dave, 'jabber:iq:register', { username: 'dave', password: 'secret' }, retry.attrs.sessionid);
      expect(done.getChild('command')!.attrs.status).toBe('completed');
      expect(done.getChild('command')!.getChildText('note')).toMatch(/^You are registered with Echo network/);
      expect(await commandNodes(dave)).toContain('unregister');
    } finally {
      await dave.stop();
    }
  });

  test('admin commands: hidden from and refused to others (forbidden), listed and working for admins', async () => {
    expect((await commandNodes(alice)).some((n) => n.startsWith(ADMIN) || n.startsWith('gateway-'))).toBe(false);
    const refused = await execute(alice, `${ADMIN}#get-registered-users-list`);
    expect(errorCondition(refused)).toBe('forbidden');
    expect(errorText(refused)).toBe('Only the administrators of this gateway may run "List registered users and their connections".');
    expect(await toAlice.say('users')).toBe('Only the administrators of this gateway may run "List registered users and their connections".');

    const nodes = await commandNodes(admin);
    expect(nodes).toEqual(expect.arrayContaining([`${ADMIN}#get-registered-users-list`, `${ADMIN}#end-user-session`, `${ADMIN}#delete-user`, `${ADMIN}#announce`, 'gateway-stats', 'gateway-log-level']));
    expect(nodes).not.toContain('unregister');
    expect(await toAdmin.say('help')).toMatch(/For administrators:\nusers — [^\n]+\ndisconnect-user <jid> — /);
    expect(await toAdmin.say('users')).toBe(`2 user(s) registered with ${DOMAIN}:\nalice@localhost: online (Logged in as alice)\ndave@localhost: online (Logged in as dave)`);
    const stats = await toAdmin.say('stats');
    expect(stats).toContain('Users: 2 registered, 2 session(s), 2 connected to Echo network');
    expect(stats).toContain('XMPP link: up, 0 stanza(s) queued');

    const announced = alice.waitFor((el) => el.name === 'message' && el.attrs.from === DOMAIN && el.getChildText('body') === 'Maintenance at noon.\nBack soon.', 10000, 'announcement');
    const sent = await execute(admin, `${ADMIN}#announce`);
    const form = sent.getChild('command')!;
    const note = await execute(admin, `${ADMIN}#announce`, { body: 'Maintenance at noon.\nBack soon.' }, form.attrs.sessionid);
    expect(note.getChild('command')!.getChildText('note')).toBe(`Sent to 2 user(s) of ${DOMAIN}.`);
    await announced;

    expect(await toAdmin.say('loglevel verbose')).toBe('Log level: Answer with a number from 1 to 6.');
    expect(await toAdmin.say('loglevel fatal')).toMatch(/^The log level is now fatal \(was \w+\) until the gateway restarts\.$/);
    expect(await toAdmin.say('stats')).toMatch(/log level fatal$/);
  });

  test('an admin disconnects a user (who reconnects by chat), then unregisters them: the connection really closes', async () => {
    const offline = alice.waitFor((el) => el.name === 'presence' && el.attrs.from === DOMAIN && el.attrs.type === 'unavailable'
      && /administrator/.test(el.getChildText('status') ?? ''), 10000, 'transport offline');
    expect(await toAdmin.say('disconnect-user alice@localhost')).toMatch(/^alice@localhost is disconnected from Echo network/);
    await offline;
    expect(echoNetwork.logouts).toContain('alice@localhost');
    expect(await toAdmin.say('users')).toMatch(/^alice@localhost: not connected \(Disconnected by an administrator/m);
    expect(await toAlice.say('reconnect')).toBe('Reconnected to Echo network.');
    expect(echoNetwork.logins.at(-1)).toMatchObject({ user: 'alice@localhost', credentials: { password: 'secret' } });

    const logouts = echoNetwork.logouts.length;
    const told = alice.waitFor((el) => el.name === 'message' && el.attrs.from === DOMAIN && /administrator removed your registration/.test(el.getChildText('body') ?? ''), 10000, 'notice');
    const form = (await execute(admin, `${ADMIN}#delete-user`)).getChild('command')!;
    const done = await execute(admin, `${ADMIN}#delete-user`, { accountjid: 'alice@localhost' }, form.attrs.sessionid);
    expect(done.getChild('command')!.getChildText('note')).toBe(`alice@localhost is unregistered from ${DOMAIN}: logged out, everything stored for them deleted.`);
    await told;
    expect(echoNetwork.logouts.slice(logouts)).toEqual(['alice@localhost']);
    expect(await gateway.transports.get(DOMAIN)!.sessions.registrations.get('alice@localhost')).toBeUndefined();
    expect(await toAdmin.say('users')).toBe(`1 user(s) registered with ${DOMAIN}:\ndave@localhost: online (Logged in as dave)`);
    expect(await toAdmin.say('unregister-user alice@localhost')).toBe(`alice@localhost is not registered with ${DOMAIN}.`);
    expect(await toAdmin.say('unregister-user alice')).toBe('Give the user as a bare JID, e.g. alice@example.org.');
  });
});
