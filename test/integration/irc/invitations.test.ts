/**
 * Room invitations both ways through real Prosody and ngircd, with a real XMPP client: a
 * mediated invitation (XEP-0045) or a direct one (XEP-0249) becomes INVITE, an INVITE from IRC
 * reaches the user as a mediated invitation from the room, the server's refusals (401, 442, 443,
 * 482) come back from the room in its words, and an XMPP user elsewhere gets the invitation from
 * the room with the channel key.
 */
import type { Element } from '@xmpp/xml';
import { Prosody } from '../../harness/prosody';
import { TestClient, xml, registerForm, errorCondition, errorText } from '../../harness/xmpp-client';
import { startGateway, testConfig } from '../../harness/gateway';
import { Ngircd, ngircdAvailable } from '../../harness/ngircd';
import type { Gateway } from '../../../src/gateway';
import { RawIrcClient, type RawLine } from './raw-client';
import { fixedServerOptions } from './helpers';

const DOMAIN = 'irc.localhost';
const MUC = 'http://jabber.org/protocol/muc';
const MUC_USER = 'http://jabber.org/protocol/muc#user';
const OWNER = 'http://jabber.org/protocol/muc#owner';
const DATA = 'jabber:x:data';
const run = Prosody.available() && ngircdAvailable() ? describe : describe.skip;

function invite(room: string, id: string, ...invitees: { to: string; reason?: string }[]): Element {
  return xml('message', { to: `${room}@${DOMAIN}`, id }, xml('x', { xmlns: MUC_USER },
    ...invitees.map((i) => xml('invite', { to: i.to }, i.reason ? xml('reason', {}, i.reason) : undefined))));
}

run('room invitations between XMPP and IRC', () => {
  let ircd: Ngircd;
  let prosody: Prosody;
  let gateway: Gateway;
  let alice: TestClient;
  let carol: TestClient;
  let bob: RawIrcClient;
  let dave: RawIrcClient;

  const inviteLine = (to: RawIrcClient, channel: string) => (l: RawLine) => l.command === 'INVITE' && l.nick === 'alice' && l.params[0] === to.nick && l.params[1] === channel;
  const roomError = (room: string, id: string) => (el: Element) => el.name === 'message' && el.attrs.type === 'error' && el.attrs.from === `${room}@${DOMAIN}` && el.attrs.id === id;

  async function join(client: RawIrcClient, channel: string): Promise<void> {
    client.send(`JOIN ${channel}`);
    await client.waitFor((l) => l.command === '366' && l.params[1] === channel);
  }

  beforeAll(async () => {
    ircd = await Ngircd.start();
    prosody = await Prosody.start([{ domain: DOMAIN, secret: 's3cret' }]);
    gateway = await startGateway(testConfig(prosody, [
      { domain: DOMAIN, secret: 's3cret', adapter: 'irc', options: fixedServerOptions(ircd.port) },
    ], { access: { allow: ['localhost'] } }));
    alice = await TestClient.connect(prosody, 'alice');
    await alice.send(xml('presence'));
    carol = await TestClient.connect(prosody, 'carol');
    await carol.send(xml('presence'));
    expect((await alice.iq('set', DOMAIN, registerForm({ nick: 'alice' }))).attrs.type).toBe('result');
    bob = await RawIrcClient.connect(ircd.port, 'bob');
    dave = await RawIrcClient.connect(ircd.port, 'dave');
    // alice opens #inv, so ngircd makes her its operator.
    await alice.send(xml('presence', { to: `#inv@${DOMAIN}/alice` }, xml('x', { xmlns: MUC })));
    await alice.waitFor((el) => el.name === 'presence' && el.attrs.from === `#inv@${DOMAIN}/alice` && !el.attrs.type, 10000, 'alice in #inv');
  });

  afterAll(async () => {
    bob?.close();
    dave?.close();
    await alice?.stop();
    await carol?.stop();
    await gateway?.stop();
    await prosody?.destroy();
    await ircd?.stop();
  });

  test('a mediated invitation to the room is INVITE to the IRC user', async () => {
    await alice.send(invite('#inv', 'm1', { to: `bob@${DOMAIN}`, reason: 'come along' }));
    await bob.waitFor(inviteLine(bob, '#inv'));
  });

  test('a direct invitation (XEP-0249) to the IRC user naming the room is INVITE too, without the text as a message', async () => {
    await alice.send(xml('message', { to: `dave@${DOMAIN}`, id: 'd1', type: 'chat' },
      xml('body', {}, `Join #inv@${DOMAIN}`), xml('x', { xmlns: 'jabber:x:conference', jid: `#inv@${DOMAIN}` })));
    await dave.waitFor(inviteLine(dave, '#inv'));
    await dave.sync();
    expect(dave.lines.some((l) => l.command === 'PRIVMSG' && l.nick === 'alice')).toBe(false);
  });

  test('refusals come back from the room in the server\'s words: no such nick, already on the channel', async () => {
    await alice.send(invite('#inv', 'm2', { to: `ghost@${DOMAIN}` }));
    const noSuchNick = await alice.waitFor(roomError('#inv', 'm2'), 10000, 'no such nick');
    expect(errorCondition(noSuchNick)).toBe('item-not-found');
    expect(errorText(noSuchNick)).toMatch(/^ghost: /);
    expect(noSuchNick.getChild('error')!.attrs.code).toBe('404');

    await join(bob, '#inv');
    await alice.send(invite('#inv', 'm3', { to: `bob@${DOMAIN}` }));
    const already = await alice.waitFor(roomError('#inv', 'm3'), 10000, 'already on channel');
    expect(errorCondition(already)).toBe('conflict');
    expect(errorText(already)).toBe('bob is already on #inv.');
    bob.send('PART #inv');
  });

  test('an INVITE from IRC reaches the user as a mediated invitation from the room; a channel she is not on refuses her own (442)', async () => {
    await join(bob, '#bobs');
    bob.send('MODE #bobs +i');
    await bob.waitFor((l) => l.command === 'MODE' && l.params[0] === '#bobs' && l.params[1] === '+i');
    await alice.send(invite('#bobs', 'm4', { to: `dave@${DOMAIN}` }));
    const notOn = await alice.waitFor(roomError('#bobs', 'm4'), 10000, 'not on channel');
    expect(errorCondition(notOn)).toBe('not-acceptable');
    expect(errorText(notOn)).toMatch(/^#bobs: /);

    bob.send('INVITE alice #bobs');
    const invitation = await alice.waitFor((el) => el.name === 'message' && el.attrs.from === `#bobs@${DOMAIN}` && Boolean(el.getChild('x', MUC_USER)?.getChild('invite')), 10000, 'invitation');
    expect(invitation.attrs.type).toBeUndefined();
    expect(invitation.getChild('x', MUC_USER)!.getChild('invite')!.attrs.from).toBe(`bob@${DOMAIN}`);
    expect(invitation.getChildText('body')).toBe(`bob@${DOMAIN} invites you to the room #bobs@${DOMAIN}.`);

    // The invitation lets her into the +i channel, where she is no operator: her own invitation is refused (482).
    await alice.send(xml('presence', { to: `#bobs@${DOMAIN}/alice` }, xml('x', { xmlns: MUC })));
    await alice.waitFor((el) => el.name === 'presence' && el.attrs.from === `#bobs@${DOMAIN}/alice` && !el.attrs.type, 10000, 'alice in #bobs');
    await alice.send(invite('#bobs', 'm5', { to: `dave@${DOMAIN}` }));
    const notOp = await alice.waitFor(roomError('#bobs', 'm5'), 10000, 'not operator');
    expect(errorCondition(notOp)).toBe('forbidden');
    expect(errorText(notOp)).toMatch(/^#bobs: /);
    expect(notOp.getChild('error')!.attrs.code).toBe('403');
    await dave.sync();
    expect(dave.lines.some((l) => l.command === 'INVITE' && l.params[1] === '#bobs')).toBe(false);
  });

  test('an XMPP user elsewhere gets the invitation from the room, with the channel key', async () => {
    const config = xml('query', { xmlns: OWNER }, xml('x', { xmlns: DATA, type: 'submit' },
      xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, 'http://jabber.org/protocol/muc#roomconfig')),
      xml('field', { var: 'muc#roomconfig_passwordprotectedroom' }, xml('value', {}, '1')),
      xml('field', { var: 'muc#roomconfig_roomsecret' }, xml('value', {}, 'k3y'))));
    expect((await alice.iq('set', `#inv@${DOMAIN}`, config)).attrs.type).toBe('result');
    await alice.send(invite('#inv', 'm6', { to: carol.bareJid, reason: 'tea' }));
    const got = await carol.waitFor((el) => el.name === 'message' && el.attrs.from === `#inv@${DOMAIN}`, 10000, 'forwarded invitation');
    const x = got.getChild('x', MUC_USER)!;
    expect(x.getChild('invite')!.attrs.from).toBe(alice.bareJid);
    expect(x.getChild('invite')!.getChildText('reason')).toBe('tea');
    expect(x.getChildText('password')).toBe('k3y');
    expect(alice.received.filter(roomError('#inv', 'm6'))).toEqual([]);
  });
});
