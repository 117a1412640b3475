/**
 * What MUC clients do with a room's occupants, end to end (XMPP client -> Prosody -> gateway ->
 * ngircd -> plain IRC clients): private messages through room/nick both ways (biboumi's rule for
 * where answers come from), joining with another nick (the server nick stays: 110 + 210),
 * legacy error codes on room errors, and what a room's disco#info says.
 */
import type { Element } from '@xmpp/xml';
import { Prosody } from '../../harness/prosody';
import { TestClient, xml, registerForm, errorCondition, errorText } from '../../harness/xmpp-client';
import { startGateway, testConfig } from '../../harness/gateway';
import { Ngircd, ngircdAvailable } from '../../harness/ngircd';
import type { Gateway } from '../../../src/gateway';
import { RawIrcClient } from './raw-client';
import { fixedServerOptions } from './helpers';
import { IRCV3_CAPS, ScriptedIrcServer } from './scripted-server';

const DOMAIN = 'irc.localhost';
const IRCV3 = 'ircv3.localhost';
const MUC = 'http://jabber.org/protocol/muc';
const MUC_USER = 'http://jabber.org/protocol/muc#user';
const run = Prosody.available() && ngircdAvailable() ? describe : describe.skip;

const codes = (el: Element) => el.getChild('x', MUC_USER)?.getChildren('status').map((s) => String(s.attrs.code)) ?? [];

run('room occupants: private messages, nicks, error codes', () => {
  let ircd: Ngircd;
  let prosody: Prosody;
  let gateway: Gateway;
  let alice: TestClient;
  let bob: RawIrcClient;
  let carol: RawIrcClient;
  let scripted: ScriptedIrcServer;

  async function join(room: string, nick = 'alice'): Promise<Element> {
    await alice.send(xml('presence', { to: `${room}@${DOMAIN}/${nick}` }, xml('x', { xmlns: MUC })));
    return alice.waitFor((el) => el.name === 'presence' && !el.attrs.type && String(el.attrs.from).startsWith(`${room}@${DOMAIN}/`) && codes(el).includes('110'), 10000, `self-presence in ${room}`);
  }

  async function ircJoin(client: RawIrcClient, channel: string): Promise<void> {
    client.send(`JOIN ${channel}`);
    await client.waitFor((l) => l.command === '366' && l.params[1] === channel);
  }

  const chatFrom = (from: string, body: string) => (el: Element) => el.name === 'message' && el.attrs.from === from && el.getChildText('body') === body;

  beforeAll(async () => {
    ircd = await Ngircd.start();
    scripted = await ScriptedIrcServer.start({ caps: IRCV3_CAPS });
    prosody = await Prosody.start([{ domain: DOMAIN, secret: 's3cret' }, { domain: IRCV3, secret: 's3cret' }]);
    gateway = await startGateway(testConfig(prosody, [
      { domain: DOMAIN, secret: 's3cret', adapter: 'irc', options: fixedServerOptions(ircd.port) },
      { domain: IRCV3, secret: 's3cret', adapter: 'irc', options: fixedServerOptions(scripted.port, { chathistoryLines: 0 }) },
    ], { access: { allow: ['localhost'] } }));
    alice = await TestClient.connect(prosody, 'alice');
    await alice.send(xml('presence'));
    for (const domain of [DOMAIN, IRCV3]) expect((await alice.iq('set', domain, registerForm({ nick: 'alice' }))).attrs.type).toBe('result');
    bob = await RawIrcClient.connect(ircd.port, 'bob');
    carol = await RawIrcClient.connect(ircd.port, 'carol');
  });

  afterAll(async () => {
    bob?.close();
    carol?.close();
    await alice?.stop();
    await gateway?.stop();
    await prosody?.destroy();
    await scripted?.close();
    await ircd?.stop();
  });

  test('a private message to room/nick is a PRIVMSG; the answer comes back from room/nick, marked as a MUC private message', async () => {
    await ircJoin(bob, '#pm');
    await ircJoin(carol, '#pm');
    await join('#pm');
    await alice.send(xml('message', { to: `#pm@${DOMAIN}/bob`, type: 'chat', id: 'pm1' }, xml('body', {}, 'psst, bob')));
    const line = await bob.waitFor((l) => l.command === 'PRIVMSG' && l.nick === 'alice' && l.params[1] === 'psst, bob');
    expect(line.params[0]).toBe('bob');

    bob.send('PRIVMSG alice :what is it?');
    const answer = await alice.waitFor(chatFrom(`#pm@${DOMAIN}/bob`, 'what is it?'), 10000, 'answer through the room');
    expect(answer.attrs.type).toBe('chat');
    expect(answer.getChild('x', MUC_USER)).toBeDefined();

    // carol shares the room, but the user never wrote to her through it: her own address.
    carol.send('PRIVMSG alice :hello from carol');
    await alice.waitFor(chatFrom(`carol@${DOMAIN}`, 'hello from carol'), 10000, 'carol from her address');
  });

  test('writing to the nick\'s own address moves the conversation back there', async () => {
    await alice.send(xml('message', { to: `bob@${DOMAIN}`, type: 'chat', id: 'pm2' }, xml('body', {}, 'directly now')));
    await bob.waitFor((l) => l.command === 'PRIVMSG' && l.nick === 'alice' && l.params[1] === 'directly now');
    bob.send('PRIVMSG alice :got it');
    await alice.waitFor(chatFrom(`bob@${DOMAIN}`, 'got it'), 10000, 'answer from bob\'s address');
  });

  test('a private message to an occupant of a room the user is not in is refused', async () => {
    await alice.send(xml('message', { to: `#elsewhere@${DOMAIN}/bob`, type: 'chat', id: 'pm3' }, xml('body', {}, 'hi')));
    const error = await alice.waitFor((el) => el.name === 'message' && el.attrs.type === 'error' && el.attrs.id === 'pm3', 10000, 'refusal');
    expect(errorCondition(error)).toBe('not-acceptable');
    expect(errorText(error)).toMatch(/Join the room/);
  });

  test('a private message to a nick that is not on IRC comes back as an error from room/nick', async () => {
    await alice.send(xml('message', { to: `#pm@${DOMAIN}/ghost`, type: 'chat', id: 'pm4' }, xml('body', {}, 'anyone?')));
    const error = await alice.waitFor((el) => el.name === 'message' && el.attrs.type === 'error' && el.attrs.id === 'pm4', 10000, 'no such nick');
    expect(error.attrs.from).toBe(`#pm@${DOMAIN}/ghost`);
    expect(errorCondition(error)).toBe('recipient-unavailable');
  });

  test('IRCv3 (echo-message, msgids): the echo of a private message is not shown; the answer keeps its msgid', async () => {
    await alice.send(xml('presence', { to: `#v3@${IRCV3}/alice` }, xml('x', { xmlns: MUC })));
    await alice.waitFor((el) => el.name === 'presence' && el.attrs.from === `#v3@${IRCV3}/alice` && !el.attrs.type, 10000, 'joined #v3');
    await alice.send(xml('message', { to: `#v3@${IRCV3}/op`, type: 'chat', id: 'v3pm' }, xml('body', {}, 'hello op')));
    await scripted.waitForLine((l) => l === 'PRIVMSG op :hello op');
    scripted.inject(`@msgid=pm-1;time=${new Date().toISOString()} :op!u@h PRIVMSG alice :hello yourself`);
    const answer = await alice.waitFor(chatFrom(`#v3@${IRCV3}/op`, 'hello yourself'), 10000, 'answer from #v3/op');
    expect(answer.attrs.id).toBe('pm-1');
    // The server echoed alice's own line back (echo-message): it must not come back to her.
    expect(alice.received.some((el) => el.name === 'message' && el.getChildText('body') === 'hello op')).toBe(false);
  });

  test('joining with another nick keeps the IRC nick: self-presence from room/alice with 110 and 210', async () => {
    const self = await join('#nicks', 'somebody-else');
    expect(self.attrs.from).toBe(`#nicks@${DOMAIN}/alice`);
    expect(codes(self)).toEqual(expect.arrayContaining(['110', '210']));
    bob.send('NAMES #nicks');
    const names = await bob.waitFor((l) => l.command === '353' && l.params[2] === '#nicks');
    expect(names.params[3].split(' ').map((n) => n.replace(/^[@+]/, ''))).toContain('alice');
    expect(bob.lines.some((l) => l.command === 'NICK' && l.nick === 'alice')).toBe(false);
    // A second join with the room nick itself has no 210.
    const again = await join('#pm2');
    expect(codes(again)).not.toContain('210');
  });

  test('a nick change to a taken nick is refused from room/newnick with conflict and legacy code 409', async () => {
    await alice.send(xml('presence', { to: `#nicks@${DOMAIN}/carol` }));
    const error = await alice.waitFor((el) => el.name === 'presence' && el.attrs.type === 'error' && el.attrs.from === `#nicks@${DOMAIN}/carol`, 15000, 'nick refusal');
    expect(errorCondition(error)).toBe('conflict');
    expect(error.getChild('error')?.attrs.code).toBe('409');
  });

  test('a wrong channel key is not-authorized with legacy code 401', async () => {
    await ircJoin(bob, '#keyed');
    bob.send('MODE #keyed +k opensesame');
    await bob.sync();
    await alice.send(xml('presence', { to: `#keyed@${DOMAIN}/alice` }, xml('x', { xmlns: MUC }, xml('password', {}, 'wrong'))));
    const error = await alice.waitFor((el) => el.name === 'presence' && el.attrs.type === 'error' && String(el.attrs.from).startsWith(`#keyed@${DOMAIN}`), 10000, 'join error');
    expect(errorCondition(error)).toBe('not-authorized');
    expect(error.getChild('error')?.attrs.code).toBe('401');
    expect(error.getChild('x', MUC)).toBeDefined();
  });

  test('room disco#info shows the configuration form and the channel\'s type to a user in it', async () => {
    bob.send('MODE #keyed -k opensesame');
    bob.send('MODE #keyed +m');
    await bob.sync();
    await join('#keyed');
    const info = await alice.iq('get', `#keyed@${DOMAIN}`, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }));
    const features = info.getChild('query')!.getChildren('feature').map((f) => String(f.attrs.var));
    expect(features).toEqual(expect.arrayContaining([
      MUC, 'http://jabber.org/protocol/muc#roomconfig', 'muc_moderated', 'muc_open', 'muc_unsecured', 'muc_public',
      'urn:xmpp:ping', 'http://jabber.org/protocol/muc#self-ping-optimization',
    ]));
  });
});
