/**
 * Room state when the XMPP side misbehaves: the XMPP server restarts under joined users, and a
 * client leaves and rejoins at once. Real Prosody, real ngircd, the gateway in-process.
 */
import type { Element } from '@xmpp/xml';
import { startGateway, testConfig } from '../../harness/gateway';
import { Ngircd, ngircdAvailable } from '../../harness/ngircd';
import { Prosody } from '../../harness/prosody';
import { errorCondition, registerForm, TestClient, xml } from '../../harness/xmpp-client';
import type { Gateway } from '../../../src/gateway';
import { RawIrcClient } from '../irc/raw-client';
import { fixedServerOptions } from '../irc/helpers';

const DOMAIN = 'irc.localhost';
const MUC = 'http://jabber.org/protocol/muc';
const MUC_USER = 'http://jabber.org/protocol/muc#user';
const run = Prosody.available() && ngircdAvailable() ? describe : describe.skip;

const selfPresence = (room: string, nick: string) => (el: Element) =>
  el.name === 'presence' && el.attrs.from === `${room}/${nick}`
  && Boolean(el.getChild('x', MUC_USER)?.getChildren('status').some((s) => s.attrs.code === '110'));

run('room state through XMPP-side trouble', () => {
  let ircd: Ngircd;
  let prosody: Prosody;
  let gateway: Gateway;
  let gina: TestClient;
  let hank: RawIrcClient;

  beforeAll(async () => {
    ircd = await Ngircd.start();
    prosody = await Prosody.start([{ domain: DOMAIN, secret: 'rr-secret' }]);
    gateway = await startGateway(testConfig(prosody, [{ domain: DOMAIN, secret: 'rr-secret', adapter: 'irc', options: fixedServerOptions(ircd.port) }]));
    gina = await TestClient.connect(prosody, 'gina', 'laptop');
    await gina.send(xml('presence'));
    expect((await gina.iq('set', DOMAIN, registerForm({ nick: 'gina' }))).attrs.type).toBe('result');
    hank = await RawIrcClient.connect(ircd.port, 'hank');
  });

  afterAll(async () => {
    hank?.close();
    await gina?.stop();
    await gateway?.stop();
    await prosody?.destroy();
    await ircd?.stop();
  });

  test('after the XMPP server restarts, a join from the same full JID gets the full room state', async () => {
    const room = `#flap@${DOMAIN}`;
    hank.send('JOIN #flap');
    await hank.waitFor((l) => l.command === '366' && l.params[1] === '#flap');
    await gina.send(xml('presence', { to: `${room}/gina` }, xml('x', { xmlns: MUC })));
    await gina.waitFor(selfPresence(room, 'gina'), 10000, 'joined');

    await gina.stop();
    await prosody.restart();
    await gateway.waitOnline(20000);
    gina = await TestClient.connect(prosody, 'gina', 'laptop');
    await gina.send(xml('presence'));
    await gina.send(xml('presence', { to: `${room}/gina` }, xml('x', { xmlns: MUC })));
    const occupant = await gina.waitFor((el) => el.name === 'presence' && el.attrs.from === `${room}/hank`, 10000, 'occupant list');
    expect(occupant.attrs.type).toBeUndefined();
    const self = await gina.waitFor(selfPresence(room, 'gina'), 10000, 'self-presence');
    expect(self.attrs.type).toBeUndefined();
    await gina.waitFor((el) => el.name === 'message' && el.attrs.from === room && Boolean(el.getChild('subject')), 10000, 'subject');
    hank.send('PRIVMSG #flap :still there?');
    await gina.waitFor((el) => el.name === 'message' && el.attrs.from === `${room}/hank` && el.getChildText('body') === 'still there?', 10000, 'next line');
  });

  test('leave and rejoin at once ends joined, on XMPP and on IRC', async () => {
    const room = `#quick@${DOMAIN}`;
    hank.send('JOIN #quick');
    await hank.waitFor((l) => l.command === '366' && l.params[1] === '#quick');
    await gina.send(xml('presence', { to: `${room}/gina` }, xml('x', { xmlns: MUC })));
    await gina.waitFor(selfPresence(room, 'gina'), 10000, 'joined');
    gina.received.length = 0;

    await gina.send(xml('presence', { to: `${room}/gina`, type: 'unavailable' }));
    await gina.send(xml('presence', { to: `${room}/gina` }, xml('x', { xmlns: MUC })));
    // The rejoin's answer is the full state: the subject comes last.
    await gina.waitFor((el) => el.name === 'message' && el.attrs.from === room && Boolean(el.getChild('subject')), 10000, 'rejoin answered');
    await hank.sync();
    const selfPresences = gina.received.filter(selfPresence(room, 'gina')).map((el) => el.attrs.type ?? 'available');
    expect(selfPresences[selfPresences.length - 1]).toBe('available');

    hank.lines.length = 0;
    hank.send('NAMES #quick');
    const names = await hank.waitFor((l) => l.command === '353' && l.params[2] === '#quick');
    expect(names.params[3].split(' ')).toContain('gina');
    const ping = await gina.iq('get', `${room}/gina`, xml('ping', { xmlns: 'urn:xmpp:ping' }));
    expect(ping.attrs.type === 'result' ? 'result' : errorCondition(ping)).toBe('result');
    // Nothing later takes the user out again.
    hank.send('PRIVMSG #quick :are you in?');
    await gina.waitFor((el) => el.name === 'message' && el.attrs.from === `${room}/hank` && el.getChildText('body') === 'are you in?', 10000, 'line after rejoin');
    expect(gina.received.filter(selfPresence(room, 'gina')).map((el) => el.attrs.type ?? 'available').pop()).toBe('available');
  });
});
