/**
 * IRC from a client with ad-hoc commands but no registration UI: registration through the
 * jabber:iq:register command node, the network's own commands discoverable once logged in, and
 * the chat helpers (join, query, nick) of the transport's command line. ngircd is the IRC server.
 */
import type { Element } from '@xmpp/xml';
import { Prosody } from '../../harness/prosody';
import { TestClient, xml } from '../../harness/xmpp-client';
import { startGateway, testConfig } from '../../harness/gateway';
import { Ngircd, ngircdAvailable } from '../../harness/ngircd';
import { TransportChat } from '../../support/transport-chat';
import type { Gateway } from '../../../src/gateway';
import { RawIrcClient } from './raw-client';
import { fixedServerOptions } from './helpers';

const DOMAIN = 'irc.localhost';
const COMMANDS = 'http://jabber.org/protocol/commands';
const run = Prosody.available() && ngircdAvailable() ? describe : describe.skip;

function execute(client: TestClient, node: string, values?: Record<string, string>, sessionid?: string): Promise<Element> {
  const form = values && xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
    ...Object.entries(values).map(([k, v]) => xml('field', { var: k }, xml('value', {}, v))));
  return client.iq('set', DOMAIN, xml('command', { xmlns: COMMANDS, node, sessionid, action: values ? 'complete' : 'execute' }, form));
}

async function commandNodes(client: TestClient): Promise<string[]> {
  const items = await client.iq('get', DOMAIN, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items', node: COMMANDS }));
  return items.getChild('query')!.getChildren('item').map((i) => i.attrs.node as string);
}

run('IRC: registration by the ad-hoc node and by chat, per-user commands, chat helpers, admin', () => {
  let ircd: Ngircd;
  let prosody: Prosody;
  let gateway: Gateway;
  let alice: TestClient;
  let bob: RawIrcClient;

  beforeAll(async () => {
    ircd = await Ngircd.start();
    prosody = await Prosody.start([{ domain: DOMAIN, secret: 's3cret' }]);
    gateway = await startGateway(testConfig(prosody, [{ domain: DOMAIN, secret: 's3cret', adapter: 'irc', options: fixedServerOptions(ircd.port) }], {
      access: { allow: ['localhost'] },
      admins: ['boss@localhost'],
    }));
    alice = await TestClient.connect(prosody, 'alice');
    await alice.send(xml('presence'));
    bob = await RawIrcClient.connect(ircd.port, 'bob');
    bob.send('JOIN #adm');
    await bob.waitFor((l) => l.command === '366' && l.params[1] === '#adm');
  });

  afterAll(async () => {
    bob?.close();
    await alice?.stop();
    await gateway?.stop();
    await prosody?.destroy();
    await ircd?.stop();
  });

  test('before login only registration is offered; the node registers for real, a taken nick comes back on the form', async () => {
    expect(await commandNodes(alice)).toEqual(['jabber:iq:register']);
    const first = (await execute(alice, 'jabber:iq:register')).getChild('command')!;
    expect(first.attrs.status).toBe('executing');
    const fields = first.getChild('x', 'jabber:x:data')!.getChildren('field').map((f) => f.attrs.var);
    expect(fields).toEqual(expect.arrayContaining(['nick', 'password', 'channels']));

    const taken = (await execute(alice, 'jabber:iq:register', { nick: 'bob' }, first.attrs.sessionid)).getChild('command')!;
    expect(taken.attrs.status).toBe('executing');
    expect(taken.getChild('note')!.attrs.type).toBe('error');
    expect(taken.getChildText('note')).toMatch(/bob/);
    const done = (await execute(alice, 'jabber:iq:register', { nick: 'alice' }, taken.attrs.sessionid)).getChild('command')!;
    expect(done.attrs.status).toBe('completed');
    expect(done.getChildText('note')).toMatch(/^You are registered with /);
    bob.send('WHOIS alice');
    await bob.waitFor((l) => l.command === '311' && l.params[1] === 'alice');
  });

  test('once logged in, disco#items lists the IRC commands of the session, and each describes itself', async () => {
    const nodes = await commandNodes(alice);
    expect(nodes).toEqual(expect.arrayContaining(['jabber:iq:register', 'unregister', 'reconnect', 'show-registration', 'irc-channels', 'irc-nick', 'irc-disconnect']));
    const info = await alice.iq('get', DOMAIN, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info', node: 'irc-nick' }));
    const query = info.getChild('query')!;
    expect(query.getChild('identity')!.attrs).toMatchObject({ category: 'automation', type: 'command-node', name: 'Change IRC nickname' });
    expect(query.getChildren('feature').map((f) => f.attrs.var)).toEqual(expect.arrayContaining([COMMANDS, 'jabber:x:data']));
  });

  test('chat helpers: join answers the room address, query the contact address, nick renames on IRC', async () => {
    const chat = new TransportChat(alice, DOMAIN);
    expect(await chat.say('help')).toMatch(/^nick <nick> — Change IRC nickname$/m);
    expect(await chat.say('join #e2e sesame')).toMatch(new RegExp(`^#e2e on 127\\.0\\.0\\.1: #e2e@${DOMAIN}\nxmpp:%23e2e@${DOMAIN}\\?join;password=sesame\n`));
    expect(await chat.say('query bob')).toBe(`bob on 127.0.0.1: bob@${DOMAIN}\nxmpp:bob@${DOMAIN}?message\nOpen the link, or add bob@${DOMAIN} as a contact in your client.`);
    expect(await chat.say('query #e2e')).toBe('#e2e on 127.0.0.1 is a room; send join #e2e for its address.');
    expect(await chat.say('channels')).toBe('You are not in any IRC channel.');
    expect(await chat.say('nick alice2')).toBe('Your nickname is now alice2.');
    bob.send('WHOIS alice2');
    await bob.waitFor((l) => l.command === '311' && l.params[1] === 'alice2');
    // Without an argument the form becomes a question, with the current nick as the default.
    expect(await chat.say('nick')).toMatch(/Your nickname on .* is alice2[\s\S]*New nickname\nSend - for alice2\.$/);
    expect(await chat.say('-')).toBe('Your nickname is now alice2.');
  });

  test('the same registration purely by chat: a taken nick is refused with the reason, then corrected', async () => {
    const carol = await TestClient.connect(prosody, 'carol');
    await carol.send(xml('presence'));
    try {
      const chat = new TransportChat(carol, DOMAIN);
      expect(await chat.say('register', /questions/)).toMatch(/5 questions, one per message[^\n]*\n\n\(1\/5\) Nickname$/);
      expect(await chat.say('bob')).toMatch(/^\(2\/5\) User name \(ident, optional\)/);
      await chat.say('-');
      expect(await chat.say('-')).toMatch(/^\(4\/5\) Channels to join automatically/);
      expect(await chat.say('#adm')).toMatch(/^\(5\/5\) Account password \(optional\)\nSent with SASL PLAIN/);
      const refused = await chat.say('-', /^Refused/);
      expect(refused).toMatch(/^Refused: .*bob/);
      expect(refused).toContain('1. Nickname: bob');
      expect(await chat.say('1')).toBe('Nickname');
      expect(await chat.say('carol')).toContain('1. Nickname: carol');
      expect(await chat.say('retry', /registered/)).toMatch(/^You are registered with /);
      await bob.waitFor((l) => l.command === 'JOIN' && l.nick === 'carol' && l.params[0] === '#adm');
    } finally {
      await carol.stop();
    }
  });

  test('an admin sees both users, and unregistering one really closes that IRC connection', async () => {
    const boss = await TestClient.connect(prosody, 'boss');
    await boss.send(xml('presence'));
    try {
      const chat = new TransportChat(boss, DOMAIN);
      const users = await chat.say('users');
      expect(users).toMatch(/^2 user\(s\) registered with irc\.localhost:\nalice@localhost: online[^\n]*\ncarol@localhost: online/);
      expect(await chat.say('unregister-user carol@localhost')).toBe(`carol@localhost is unregistered from ${DOMAIN}: logged out, everything stored for them deleted.`);
      await bob.waitFor((l) => l.command === 'QUIT' && l.nick === 'carol');
      expect(await chat.say('users')).toMatch(/^1 user\(s\) registered with irc\.localhost:\nalice@localhost: online[^\n]*$/);
    } finally {
      await boss.stop();
    }
  });
});
