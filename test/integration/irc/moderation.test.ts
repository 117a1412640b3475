/**
 * XEP-0045 moderation and room configuration from a real XMPP client, as IRC commands on ngircd
 * (client -> Prosody -> gateway -> ngircd -> plain IRC clients): kick, roles and affiliations as
 * KICK and +o/+v/+b, the ban list, the muc#owner form as TOPIC and channel modes, and the
 * server's own refusal (482) as the iq error.
 */
import type { Element } from '@xmpp/xml';
import { Prosody } from '../../harness/prosody';
import { TestClient, xml, registerForm, errorCondition, errorText } from '../../harness/xmpp-client';
import { startGateway, testConfig } from '../../harness/gateway';
import { Ngircd, ngircdAvailable } from '../../harness/ngircd';
import type { Gateway } from '../../../src/gateway';
import { RawIrcClient, type RawLine } from './raw-client';
import { fixedServerOptions } from './helpers';
import { ScriptedIrcServer } from './scripted-server';

const DOMAIN = 'irc.localhost';
const SCRIPTED = 'ircv3.localhost';
const MUC = 'http://jabber.org/protocol/muc';
const MUC_USER = 'http://jabber.org/protocol/muc#user';
const ADMIN = 'http://jabber.org/protocol/muc#admin';
const OWNER = 'http://jabber.org/protocol/muc#owner';
const DATA = 'jabber:x:data';
const run = Prosody.available() && ngircdAvailable() ? describe : describe.skip;

function adminSet(...items: Record<string, string>[]): Element {
  return xml('query', { xmlns: ADMIN }, ...items.map(({ reason, ...attrs }) => xml('item', attrs, reason ? xml('reason', {}, reason) : undefined)));
}

function configForm(values: Record<string, string>): Element {
  return xml('query', { xmlns: OWNER }, xml('x', { xmlns: DATA, type: 'submit' },
    xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, 'http://jabber.org/protocol/muc#roomconfig')),
    ...Object.entries(values).map(([k, v]) => xml('field', { var: k }, xml('value', {}, v)))));
}

function formValues(answer: Element): Record<string, string> {
  const form = answer.getChild('query', OWNER)?.getChild('x', DATA);
  return Object.fromEntries((form?.getChildren('field') ?? []).map((f) => [String(f.attrs.var), f.getChildText('value') ?? '']));
}

run('moderation and room configuration as IRC commands', () => {
  let ircd: Ngircd;
  let prosody: Prosody;
  let gateway: Gateway;
  let alice: TestClient;
  let bob: RawIrcClient;
  let carol: RawIrcClient;
  let scripted: ScriptedIrcServer;

  const room = `#mod@${DOMAIN}`;
  const item = (el: Element) => el.getChild('x', MUC_USER)?.getChild('item');
  const presenceOf = (nick: string, match: (el: Element) => boolean = () => true) => (el: Element) =>
    el.name === 'presence' && el.attrs.from === `${room}/${nick}` && match(el);
  const modeLine = (args: string) => (l: RawLine) => l.command === 'MODE' && l.nick === 'alice' && l.params.slice(1).join(' ') === args;

  async function join(client: RawIrcClient, channel: string): Promise<void> {
    client.send(`JOIN ${channel}`);
    await client.waitFor((l) => l.command === '366' && l.params[1] === channel);
  }

  beforeAll(async () => {
    ircd = await Ngircd.start();
    // A server with its own answers: alice opens #s as its operator, +o is echoed, +b and +m are refused with numerics.
    scripted = await ScriptedIrcServer.start({
      onLine: (line, send, nick) => {
        const ping = /^PING :?(\S+)$/.exec(line);
        if (ping) send(`:scripted.test PONG scripted.test :${ping[1]}`);
        else if (line === 'JOIN #s') {
          send(`:${nick}!u@h JOIN #s`);
          send(`:scripted.test 353 ${nick} = #s :@${nick} bob`);
          send(`:scripted.test 366 ${nick} #s :End of NAMES list`);
        } else if (line === 'MODE #s +o bob') send(`:${nick}!u@h MODE #s +o bob`);
        else if (line === 'MODE #s +b bob!*@*') send(`:scripted.test 478 ${nick} #s bob!*@* :Channel ban list is full`);
        else if (line === 'MODE #s +m') send(`:scripted.test 472 ${nick} m :is unknown mode char to me`);
        else return false;
        return true;
      },
    });
    prosody = await Prosody.start([{ domain: DOMAIN, secret: 's3cret' }, { domain: SCRIPTED, secret: 's3cret' }]);
    gateway = await startGateway(testConfig(prosody, [
      { domain: DOMAIN, secret: 's3cret', adapter: 'irc', options: fixedServerOptions(ircd.port) },
      { domain: SCRIPTED, secret: 's3cret', adapter: 'irc', options: fixedServerOptions(scripted.port) },
    ], { access: { allow: ['localhost'] } }));
    alice = await TestClient.connect(prosody, 'alice');
    await alice.send(xml('presence'));
    for (const domain of [DOMAIN, SCRIPTED]) expect((await alice.iq('set', domain, registerForm({ nick: 'alice' }))).attrs.type).toBe('result');
    bob = await RawIrcClient.connect(ircd.port, 'bob');
    carol = await RawIrcClient.connect(ircd.port, 'carol');
    // alice opens #mod, so ngircd makes her its operator.
    await alice.send(xml('presence', { to: `${room}/alice` }, xml('x', { xmlns: MUC })));
    await alice.waitFor(presenceOf('alice', (el) => item(el)?.attrs.role === 'moderator'), 10000, 'alice as moderator');
    await join(bob, '#mod');
    await join(carol, '#mod');
    await alice.waitFor(presenceOf('carol'), 10000, 'carol in the room');
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

  test('role moderator is +o, participant takes it back; the room shows each change', async () => {
    expect((await alice.iq('set', room, adminSet({ nick: 'bob', role: 'moderator' }))).attrs.type).toBe('result');
    await bob.waitFor(modeLine('+o bob'));
    await alice.waitFor(presenceOf('bob', (el) => item(el)?.attrs.role === 'moderator'), 10000, 'bob as moderator');
    expect((await alice.iq('set', room, adminSet({ nick: 'bob', role: 'participant' }))).attrs.type).toBe('result');
    await bob.waitFor(modeLine('-o bob'));
    await alice.waitFor(presenceOf('bob', (el) => item(el)?.attrs.role === 'participant'), 10000, 'bob as participant');
  });

  test('affiliation member (by JID) is +v; the moderators list comes from the room', async () => {
    expect((await alice.iq('set', room, adminSet({ jid: `carol@${DOMAIN}`, affiliation: 'member' }))).attrs.type).toBe('result');
    await carol.waitFor(modeLine('+v carol'));
    const list = await alice.iq('get', room, adminSet({ role: 'moderator' }));
    expect(list.getChild('query', ADMIN)!.getChildren('item').map((i) => i.attrs.nick)).toEqual(['alice']);
  });

  test('role none is a KICK with the reason; the room shows status 307', async () => {
    expect((await alice.iq('set', room, adminSet({ nick: 'bob', role: 'none', reason: 'calm down' }))).attrs.type).toBe('result');
    const kick = await bob.waitFor((l) => l.command === 'KICK' && l.params[1] === 'bob');
    expect(kick.params).toEqual(['#mod', 'bob', 'calm down']);
    const gone = await alice.waitFor(presenceOf('bob', (el) => el.attrs.type === 'unavailable'), 10000, 'bob kicked');
    expect(gone.getChild('x', MUC_USER)!.getChildren('status').map((s) => s.attrs.code)).toContain('307');
  });

  test('outcast bans nick!*@* and kicks; the ban list shows the mask; affiliation none lifts it', async () => {
    // Presences of bob from before the kick may still be unread: only one sent after his new JOIN
    // says that alice's connection has him in the channel again (else there is nobody to KICK).
    for (const el of alice.received.filter(presenceOf('bob'))) alice.received.splice(alice.received.indexOf(el), 1);
    await join(bob, '#mod');
    await alice.waitFor(presenceOf('bob', (el) => !el.attrs.type), 10000, 'bob back');
    expect((await alice.iq('set', room, adminSet({ jid: `bob@${DOMAIN}`, affiliation: 'outcast', reason: 'spam' }))).attrs.type).toBe('result');
    await bob.waitFor(modeLine('+b bob!*@*'));
    await bob.waitFor((l) => l.command === 'KICK' && l.params[1] === 'bob' && l.params[2] === 'spam');

    const bans = await alice.iq('get', room, adminSet({ affiliation: 'outcast' }));
    const banned = bans.getChild('query', ADMIN)!.getChildren('item');
    expect(banned.map((i) => i.attrs)).toEqual([expect.objectContaining({ affiliation: 'outcast', jid: `bob!*\\40*@${DOMAIN}` })]);

    expect((await alice.iq('set', room, adminSet({ jid: String(banned[0].attrs.jid), affiliation: 'none' }))).attrs.type).toBe('result');
    await carol.waitFor(modeLine('-b bob!*@*'));
    await join(bob, '#mod');
  });

  test('the owner form shows the channel; a submitted form becomes TOPIC and MODE lines', async () => {
    const form = await alice.iq('get', room, xml('query', { xmlns: OWNER }));
    expect(formValues(form)).toMatchObject({
      FORM_TYPE: 'http://jabber.org/protocol/muc#roomconfig',
      'muc#roomconfig_moderatedroom': '0',
      'muc#roomconfig_membersonly': '0',
      'muc#roomconfig_passwordprotectedroom': '0',
      'muc#roomconfig_publicroom': '1',
    });
    const answer = await alice.iq('set', room, configForm({
      subject: 'Moderated now',
      'muc#roomconfig_changesubject': '0',
      'muc#roomconfig_moderatedroom': '1',
      'muc#roomconfig_membersonly': '0',
      'muc#roomconfig_passwordprotectedroom': '1',
      'muc#roomconfig_roomsecret': 'sesame',
      'muc#roomconfig_maxusers': '25',
      'muc#roomconfig_publicroom': '0',
    }));
    expect(answer.attrs.type).toBe('result');
    await carol.waitFor((l) => l.command === 'TOPIC' && l.params[1] === 'Moderated now');
    for (const mode of ['+m', '+k sesame', '+l 25', '+s']) await carol.waitFor(modeLine(mode));
    // +i was not changed, so no MODE +i or -i was sent.
    expect(carol.lines.some((l) => l.command === 'MODE' && /^[+-]i$/.test(l.params[1] ?? ''))).toBe(false);
    const subject = await alice.waitFor((el) => el.name === 'message' && el.getChildText('subject') === 'Moderated now', 10000, 'new subject');
    expect(subject.attrs.from).toBe(`${room}/alice`);

    const now = formValues(await alice.iq('get', room, xml('query', { xmlns: OWNER })));
    expect(now).toMatchObject({
      subject: 'Moderated now',
      'muc#roomconfig_moderatedroom': '1',
      'muc#roomconfig_passwordprotectedroom': '1',
      'muc#roomconfig_roomsecret': 'sesame',
      'muc#roomconfig_maxusers': '25',
      'muc#roomconfig_publicroom': '0',
    });
  });

  test('the IRC server\'s refusal is the iq error: not a channel operator (482)', async () => {
    await join(carol, '#carols');
    await alice.send(xml('presence', { to: `#carols@${DOMAIN}/alice` }, xml('x', { xmlns: MUC })));
    await alice.waitFor((el) => el.name === 'presence' && el.attrs.from === `#carols@${DOMAIN}/alice` && !el.attrs.type, 10000, 'alice in #carols');
    const kick = await alice.iq('set', `#carols@${DOMAIN}`, adminSet({ nick: 'carol', role: 'none' }));
    expect(kick.attrs.type).toBe('error');
    expect(errorCondition(kick)).toBe('forbidden');
    // ngircd's own words, with the channel they are about.
    expect(errorText(kick)).toBe('#carols: Your privileges are too low');
    const configure = await alice.iq('set', `#carols@${DOMAIN}`, configForm({ 'muc#roomconfig_moderatedroom': '1' }));
    expect(errorCondition(configure)).toBe('forbidden');
    expect(errorText(configure)).toMatch(/^#carols: \S/);
    expect(carol.lines.some((l) => l.command === 'KICK' && l.params[0] === '#carols')).toBe(false);
  });

  test('refusals the gateway gives itself: not in the room, unknown occupant, owner, both role and affiliation', async () => {
    const outside = await alice.iq('set', `#nowhere@${DOMAIN}`, adminSet({ nick: 'bob', role: 'none' }));
    expect(errorCondition(outside)).toBe('not-acceptable');
    const unknown = await alice.iq('set', room, adminSet({ nick: 'nobody', role: 'none' }));
    expect(errorCondition(unknown)).toBe('item-not-found');
    const owner = await alice.iq('set', room, adminSet({ jid: `carol@${DOMAIN}`, affiliation: 'owner' }));
    expect(errorCondition(owner)).toBe('not-allowed');
    const both = await alice.iq('set', room, adminSet({ nick: 'carol', role: 'none', affiliation: 'outcast' }));
    expect(errorCondition(both)).toBe('bad-request');
    const destroy = await alice.iq('set', room, xml('query', { xmlns: OWNER }, xml('destroy')));
    expect(errorCondition(destroy)).toBe('not-allowed');
  });

  test('scripted server: a change is done when the server\'s PONG follows it; numeric refusals (478, 472) are the iq errors', async () => {
    const s = `#s@${SCRIPTED}`;
    await alice.send(xml('presence', { to: `${s}/alice` }, xml('x', { xmlns: MUC })));
    await alice.waitFor((el) => el.name === 'presence' && el.attrs.from === `${s}/alice` && !el.attrs.type, 10000, 'alice in #s');
    expect((await alice.iq('set', s, adminSet({ nick: 'bob', role: 'moderator' }))).attrs.type).toBe('result');
    await alice.waitFor((el) => el.name === 'presence' && el.attrs.from === `${s}/bob` && item(el)?.attrs.role === 'moderator', 10000, 'bob op on #s');
    const ban = await alice.iq('set', s, adminSet({ nick: 'bob', affiliation: 'outcast' }));
    expect(errorCondition(ban)).toBe('resource-constraint');
    expect(errorText(ban)).toBe('#s bob!*@* Channel ban list is full');
    // Refused at the +b: the KICK that follows a ban was not sent.
    expect(scripted.received).toContain('MODE #s +b bob!*@*');
    expect(scripted.received.filter((l) => l.startsWith('KICK'))).toEqual([]);
    const configure = await alice.iq('set', s, configForm({ 'muc#roomconfig_moderatedroom': '1' }));
    expect(errorCondition(configure)).toBe('not-acceptable');
    expect(errorText(configure)).toBe('m is unknown mode char to me');
  });
});
