/**
 * Asking the network things, end to end through Prosody: disco#items on the IRC server's JID
 * (LIST, paged with RSM, bounded and cached, on ngircd and on the scripted server),
 * jabber:iq:version to IRC users (CTCP VERSION) and the CTCP requests the gateway answers.
 */
import type { Element } from '@xmpp/xml';
import { Prosody } from '../../harness/prosody';
import { TestClient, xml, registerForm, errorCondition, errorText } from '../../harness/xmpp-client';
import { startGateway, testConfig } from '../../harness/gateway';
import { Ngircd, ngircdAvailable } from '../../harness/ngircd';
import type { Gateway } from '../../../src/gateway';
import { RawIrcClient } from './raw-client';
import { fixedServerOptions } from './helpers';
import { ScriptedIrcServer } from './scripted-server';

const PLAIN = 'irc.localhost';
const SCRIPTED = 'ircv3.localhost';
const ITEMS = 'http://jabber.org/protocol/disco#items';
const RSM = 'http://jabber.org/protocol/rsm';
const VERSION = 'jabber:iq:version';
/** More than the gateway keeps (1000): the list must be cut to the biggest channels. */
const SCRIPTED_CHANNELS = 1200;
const run = Prosody.available() && ngircdAvailable() ? describe : describe.skip;

function itemsQuery(rsm?: Record<string, string>): Element {
  return xml('query', { xmlns: ITEMS }, rsm ? xml('set', { xmlns: RSM }, ...Object.entries(rsm).map(([k, v]) => xml(k, {}, v))) : undefined);
}

const jids = (answer: Element) => answer.getChild('query', ITEMS)!.getChildren('item').map((i) => String(i.attrs.jid));

run('disco#items on the IRC server, software versions and CTCP', () => {
  let ircd: Ngircd;
  let scripted: ScriptedIrcServer;
  let prosody: Prosody;
  let gateway: Gateway;
  let alice: TestClient;
  let bob: RawIrcClient;

  beforeAll(async () => {
    ircd = await Ngircd.start();
    scripted = await ScriptedIrcServer.start({
      caps: ['server-time', 'message-tags'],
      onLine: (line, send, nick) => {
        if (line !== 'LIST') return false;
        send(`:scripted.test 321 ${nick} Channel :Users Name`);
        // Listed smallest first: the gateway keeps the biggest, whatever the order.
        for (let i = 1; i <= SCRIPTED_CHANNELS; i++) send(`:scripted.test 322 ${nick} #c${i} ${i} :\x02topic\x02 ${i}`);
        send(`:scripted.test 323 ${nick} :End of LIST`);
        return true;
      },
    });
    prosody = await Prosody.start([{ domain: PLAIN, secret: 's3cret' }, { domain: SCRIPTED, secret: 's3cret' }]);
    gateway = await startGateway(testConfig(prosody, [
      { domain: PLAIN, secret: 's3cret', adapter: 'irc', options: fixedServerOptions(ircd.port) },
      { domain: SCRIPTED, secret: 's3cret', adapter: 'irc', options: fixedServerOptions(scripted.port) },
    ], { access: { allow: ['localhost'] } }));
    alice = await TestClient.connect(prosody, 'alice');
    await alice.send(xml('presence'));
    for (const domain of [PLAIN, SCRIPTED]) expect((await alice.iq('set', domain, registerForm({ nick: 'alice' }))).attrs.type).toBe('result');
    bob = await RawIrcClient.connect(ircd.port, 'bob');
  });

  afterAll(async () => {
    bob?.close();
    await alice?.stop();
    await gateway?.stop();
    await prosody?.destroy();
    await scripted?.close();
    await ircd?.stop();
  });

  test('ngircd: the server JID lists its channels (LIST), biggest first, and pages them with RSM', async () => {
    for (const channel of ['#list-big', '#list-small']) {
      bob.send(`JOIN ${channel}`);
      await bob.waitFor((l) => l.command === '366' && l.params[1] === channel);
    }
    const carol = await RawIrcClient.connect(ircd.port, 'carol');
    carol.send('JOIN #list-big');
    await carol.waitFor((l) => l.command === '366' && l.params[1] === '#list-big');
    bob.send('TOPIC #list-big :The big one');
    await bob.sync();

    const server = `127.0.0.1@${PLAIN}`;
    // Clients browse it like a MUC service.
    const info = (await alice.iq('get', server, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }))).getChild('query')!;
    expect(info.getChild('identity')!.attrs).toMatchObject({ category: 'conference', type: 'irc' });
    expect(info.getChildren('feature').map((f) => f.attrs.var)).toEqual(expect.arrayContaining([ITEMS, RSM]));
    const all = await alice.iq('get', server, itemsQuery());
    // ngircd also lists its own &SERVER channel, with nobody in it: last.
    const items = all.getChild('query', ITEMS)!.getChildren('item');
    expect(items.map((i) => i.attrs)).toEqual([
      { jid: `#list-big@${PLAIN}`, name: '#list-big (2 users): The big one' },
      { jid: `#list-small@${PLAIN}`, name: '#list-small (1 user)' },
      { jid: `\\26SERVER@${PLAIN}`, name: expect.stringMatching(/^&SERVER \(0 users\)/) },
    ]);
    expect(all.getChild('query', ITEMS)!.getChild('set', RSM)).toBeUndefined();

    const first = await alice.iq('get', server, itemsQuery({ max: '1' }));
    expect(jids(first)).toEqual([`#list-big@${PLAIN}`]);
    const set = first.getChild('query', ITEMS)!.getChild('set', RSM)!;
    expect(set.getChildText('count')).toBe('3');
    expect(set.getChild('first')?.attrs.index).toBe('0');
    const second = await alice.iq('get', server, itemsQuery({ max: '1', after: set.getChildText('last')! }));
    expect(jids(second)).toEqual([`#list-small@${PLAIN}`]);
    carol.close();
  });

  test('scripted server: the list is cut to the 1000 biggest channels, cached (one LIST), and paged', async () => {
    const server = `127.0.0.1@${SCRIPTED}`;
    const page = await alice.iq('get', server, itemsQuery({ max: '100' }));
    expect(jids(page)).toHaveLength(100);
    expect(jids(page)[0]).toBe(`#c${SCRIPTED_CHANNELS}@${SCRIPTED}`);
    expect(page.getChild('query', ITEMS)!.getChildren('item')[0].attrs.name).toBe(`#c${SCRIPTED_CHANNELS} (${SCRIPTED_CHANNELS} users): topic ${SCRIPTED_CHANNELS}`);
    expect(page.getChild('query', ITEMS)!.getChild('set', RSM)!.getChildText('count')).toBe('1000');

    const last = await alice.iq('get', server, itemsQuery({ max: '10', before: '' }));
    // The 1000 kept are #c1200 down to #c201: the last page ends with the smallest of them.
    expect(jids(last)).toEqual(Array.from({ length: 10 }, (_, i) => `#c${210 - i}@${SCRIPTED}`));
    // Without RSM the answer is still bounded, and says there is more.
    const unpaged = await alice.iq('get', server, itemsQuery());
    expect(jids(unpaged)).toHaveLength(500);
    expect(unpaged.getChild('query', ITEMS)!.getChild('set', RSM)!.getChildText('count')).toBe('1000');
    expect(scripted.received.filter((l) => l === 'LIST')).toHaveLength(1);

    const stale = await alice.iq('get', server, itemsQuery({ after: `#gone@${SCRIPTED}` }));
    expect(errorCondition(stale)).toBe('item-not-found');
  });

  test('jabber:iq:version to an IRC user is a CTCP VERSION; the answer is the iq result', async () => {
    const asked = alice.iq('get', `bob@${PLAIN}`, xml('query', { xmlns: VERSION }));
    const request = await bob.waitFor((l) => l.command === 'PRIVMSG' && l.nick === 'alice' && l.params[1] === '\x01VERSION\x01');
    expect(request.params[0]).toBe('bob');
    bob.send('NOTICE alice :\x01VERSION irssi v1.4.5 - running on Linux x86_64\x01');
    const answer = await asked;
    const query = answer.getChild('query', VERSION)!;
    expect([query.getChildText('name'), query.getChildText('version'), query.getChildText('os')]).toEqual(['irssi', '1.4.5', 'Linux x86_64']);
  });

  test('jabber:iq:version to a room occupant asks that nick', async () => {
    await alice.send(xml('presence', { to: `#list-big@${PLAIN}/alice` }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' })));
    await alice.waitFor((el) => el.name === 'presence' && el.attrs.from === `#list-big@${PLAIN}/alice` && !el.attrs.type, 10000, 'joined');
    const seen = bob.lines.length;
    const asked = alice.iq('get', `#list-big@${PLAIN}/bob`, xml('query', { xmlns: VERSION }));
    await bob.waitFor((l) => l.command === 'PRIVMSG' && l.nick === 'alice' && l.params[1] === '\x01VERSION\x01' && bob.lines.indexOf(l) >= seen);
    bob.send('NOTICE alice :\x01VERSION HexChat\x01');
    expect((await asked).getChild('query', VERSION)!.getChildText('name')).toBe('HexChat');
    // disco#items on the transport itself: the rooms the user is in.
    expect(jids(await alice.iq('get', PLAIN, itemsQuery()))).toEqual([`#list-big@${PLAIN}`]);
  });

  test('a version request to a nick that is not on IRC is item-not-found; no answer at all is remote-server-timeout', async () => {
    const missing = await alice.iq('get', `nobody@${PLAIN}`, xml('query', { xmlns: VERSION }));
    expect(errorCondition(missing)).toBe('item-not-found');
    // The scripted server relays nothing: nobody ever answers.
    const silent = await alice.iq('get', `quiet@${SCRIPTED}`, xml('query', { xmlns: VERSION }), 30000);
    expect(errorCondition(silent)).toBe('remote-server-timeout');
    expect(errorText(silent)).toMatch(/quiet did not say which IRC client they use/);
    await scripted.waitForLine((l) => l === 'PRIVMSG quiet :\x01VERSION\x01');
  });

  test('CTCP PING, TIME, VERSION and CLIENTINFO from an IRC user are answered for the user, privately', async () => {
    bob.send('PRIVMSG alice :\x01PING 1234567\x01');
    await bob.waitFor((l) => l.command === 'NOTICE' && l.nick === 'alice' && l.params[1] === '\x01PING 1234567\x01');
    bob.send('PRIVMSG alice :\x01TIME\x01');
    const time = await bob.waitFor((l) => l.command === 'NOTICE' && l.nick === 'alice' && (l.params[1] ?? '').startsWith('\x01TIME '));
    expect(time.params[1]).toMatch(/^\x01TIME \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT\x01$/);
    bob.send('PRIVMSG alice :\x01VERSION\x01');
    const version = await bob.waitFor((l) => l.command === 'NOTICE' && l.nick === 'alice' && (l.params[1] ?? '').startsWith('\x01VERSION'));
    expect(version.params[1]).toMatch(/^\x01VERSION xmpp-transport-gateway \d[^\x01]*\x01$/);
    // A CTCP to a channel gets no answer from the gateway (every gateway user in it would answer).
    bob.send('PRIVMSG #list-big :\x01PING 999\x01');
    bob.send('PRIVMSG alice :\x01CLIENTINFO\x01');
    await bob.waitFor((l) => l.command === 'NOTICE' && l.nick === 'alice' && (l.params[1] ?? '').startsWith('\x01CLIENTINFO'));
    expect(bob.lines.some((l) => l.command === 'NOTICE' && l.params[1] === '\x01PING 999\x01')).toBe(false);
  });
});
