/**
 * IRC end to end: XMPP client -> Prosody -> gateway core -> IRC adapter -> ngircd -> plain IRC client.
 */
import type { Element } from '@xmpp/xml';
import { Prosody } from '../../harness/prosody';
import { TestClient, xml, registerForm, errorCondition } from '../../harness/xmpp-client';
import { startGateway, testConfig } from '../../harness/gateway';
import { Ngircd, ngircdAvailable } from '../../harness/ngircd';
import type { Gateway } from '../../../src/gateway';
import { RawIrcClient } from './raw-client';
import { fixedServerOptions } from './helpers';

const DOMAIN = 'irc.localhost';
const MUC_USER = 'http://jabber.org/protocol/muc#user';
const run = Prosody.available() && ngircdAvailable() ? describe : describe.skip;


const conditionOf = errorCondition;

run('IRC end to end through Prosody and the gateway', () => {
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
    }));
    alice = await TestClient.connect(prosody, 'alice');
    await alice.send(xml('presence'));
    bob = await RawIrcClient.connect(ircd.port, 'bob');
  });

  afterAll(async () => {
    bob?.close();
    await alice?.stop();
    await gateway?.stop();
    await prosody?.destroy();
    await ircd?.stop();
  });

  test('registration with a nick that is taken on IRC fails; a free nick registers for real', async () => {
    const taken = await alice.iq('set', DOMAIN, registerForm({ nick: 'bob' }));
    expect(taken.attrs.type).toBe('error');
    expect(conditionOf(taken)).toBe('conflict');
    const answer = await alice.iq('set', DOMAIN, registerForm({ nick: 'alice' }));
    expect(answer.attrs.type).toBe('result');
    bob.send('WHOIS alice');
    await bob.waitFor((l) => l.command === '311' && l.params[1] === 'alice');
  });

  test('chat messages both ways between the XMPP user and an IRC user', async () => {
    await alice.send(xml('message', { to: `bob@${DOMAIN}`, type: 'chat', id: 'c1' }, xml('body', {}, 'hi bob\nsecond line')));
    await bob.waitFor((l) => l.command === 'PRIVMSG' && l.nick === 'alice' && l.params[1] === 'second line');
    bob.send('PRIVMSG alice :hi \x02alice\x02');
    const inbound = await alice.waitFor((el) => el.name === 'message' && String(el.attrs.from ?? '').startsWith(`bob@${DOMAIN}`) && Boolean(el.getChild('body')), 10000, 'message from bob');
    expect(inbound.getChildText('body')).toBe('hi *alice*');
  });

  test('an IRC channel is a MUC room: occupants, self-presence, subject, groupchat both ways', async () => {
    bob.send('JOIN #e2e');
    await bob.waitFor((l) => l.command === '366' && l.params[1] === '#e2e');
    bob.send('TOPIC #e2e :End to end');
    const room = `#e2e@${DOMAIN}`;
    await alice.send(xml('presence', { to: `${room}/alice` }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' })));
    const bobPresence = await alice.waitFor((el) => el.name === 'presence' && el.attrs.from === `${room}/bob`, 10000, 'bob in room');
    // IRC rooms are not anonymous: each occupant carries its own contact address as real JID.
    expect(bobPresence.getChild('x', MUC_USER)!.getChild('item')!.attrs).toMatchObject({ role: 'moderator', affiliation: 'admin', jid: `bob@${DOMAIN}` });
    const self = await alice.waitFor((el) => el.name === 'presence' && el.attrs.from === `${room}/alice`, 10000, 'self presence');
    expect(self.getChild('x', MUC_USER)!.getChildren('status').map((s) => s.attrs.code)).toContain('110');
    const subject = await alice.waitFor((el) => el.name === 'message' && el.attrs.type === 'groupchat' && Boolean(el.getChild('subject')), 10000, 'subject');
    expect(subject.getChildText('subject')).toBe('End to end');

    await alice.send(xml('message', { to: room, type: 'groupchat', id: 'g1' }, xml('body', {}, 'hello channel')));
    await bob.waitFor((l) => l.command === 'PRIVMSG' && l.params[0] === '#e2e' && l.params[1] === 'hello channel');
    const reflected = await alice.waitFor((el) => el.name === 'message' && el.attrs.type === 'groupchat' && el.attrs.id === 'g1', 10000, 'reflection');
    expect(reflected.attrs.from).toBe(`${room}/alice`);

    bob.send('PRIVMSG #e2e :welcome alice');
    const fromBob = await alice.waitFor((el) => el.name === 'message' && el.attrs.type === 'groupchat' && el.attrs.from === `${room}/bob`, 10000, 'groupchat from bob');
    expect(fromBob.getChildText('body')).toBe('welcome alice');

    const left = alice.waitFor((el) => el.name === 'presence' && el.attrs.type === 'unavailable' && el.attrs.from === `${room}/alice`, 10000, 'leave');
    await alice.send(xml('presence', { to: `${room}/alice`, type: 'unavailable' }));
    await left;
    await bob.waitFor((l) => l.command === 'PART' && l.nick === 'alice');
  });

  test('a keyed channel with a wrong password gives a not-authorized presence error', async () => {
    bob.send('JOIN #locked');
    await bob.waitFor((l) => l.command === '366' && l.params[1] === '#locked');
    bob.send('MODE #locked +k opensesame');
    await bob.sync();
    await alice.send(xml('presence', { to: `#locked@${DOMAIN}/alice` },
      xml('x', { xmlns: 'http://jabber.org/protocol/muc' }, xml('password', {}, 'wrong'))));
    const error = await alice.waitFor((el) => el.name === 'presence' && el.attrs.type === 'error' && String(el.attrs.from ?? '').startsWith(`#locked@${DOMAIN}`), 10000, 'join error');
    expect(conditionOf(error)).toBe('not-authorized');
  });

  test('the vCard of an IRC user comes from WHOIS: real name, nick, user@host', async () => {
    const answer = await alice.iq('get', `bob@${DOMAIN}`, xml('vCard', { xmlns: 'vcard-temp' }));
    const card = answer.getChild('vCard', 'vcard-temp');
    expect(card?.getChildText('FN')).toBe('raw test client');
    expect(card?.getChildText('NICKNAME')).toBe('bob');
    expect(card?.getChildText('NOTE')).toMatch(/^bob!~?bob@/);
  });

  test('after ngircd restarts, the XMPP user is back in the room without doing anything', async () => {
    const room = `#persist@${DOMAIN}`;
    const isSelf = (el: Element) => el.name === 'presence' && el.attrs.from === `${room}/alice`;
    await alice.send(xml('presence', { to: `${room}/alice` }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' })));
    await alice.waitFor((el) => isSelf(el) && !el.attrs.type, 10000, 'joined');
    bob.close();
    await ircd.restart();
    await alice.waitFor((el) => isSelf(el) && el.attrs.type === 'unavailable', 10000, 'left on disconnect');
    const back = await alice.waitFor((el) => isSelf(el) && !el.attrs.type, 20000, 'back in the room');
    expect(back.getChild('x', MUC_USER)!.getChildren('status').map((s) => s.attrs.code)).toContain('110');
    bob = await RawIrcClient.connect(ircd.port, 'bob');
    bob.send('NAMES #persist');
    const names = await bob.waitFor((l) => l.command === '353' && l.params[2] === '#persist');
    expect(names.params[3]).toContain('alice');
  });

  test('unregistering logs out of IRC: the IRC side sees QUIT', async () => {
    bob.send('JOIN #persist');
    await bob.waitFor((l) => l.command === '366' && l.params[1] === '#persist');
    const answer = await alice.iq('set', DOMAIN, xml('query', { xmlns: 'jabber:iq:register' }, xml('remove')));
    expect(answer.attrs.type).toBe('result');
    await bob.waitFor((l) => l.command === 'QUIT' && l.nick === 'alice');
  });
});
