/**
 * Read markers both ways through the whole gateway, with real Prosody (mod_privilege granting
 * message "outgoing"), the scripted IRCv3 server (draft/read-marker) and Dovecot:
 * - a <displayed/> from the XMPP client becomes MARKREAD with the message's server-time;
 * - a MARKREAD from another IRC client of the account, or \Seen set by another mail client,
 *   reaches the user's XMPP clients as a "sent" carbon of their own <displayed/>.
 */
import type { Element } from '@xmpp/xml';
import { ImapFlow } from 'imapflow';
import type { Gateway } from '../../../src/gateway';
import { DOVECOT_BINARY, DovecotServer } from '../../harness/dovecot';
import { startGateway, testConfig } from '../../harness/gateway';
import { requireBinary } from '../../harness/ports';
import { Prosody } from '../../harness/prosody';
import { TestSmtpServer } from '../../harness/smtp-server';
import { registerForm, TestClient, xml } from '../../harness/xmpp-client';
import { fixedServerOptions } from '../irc/helpers';
import { IRCV3_CAPS, ScriptedIrcServer } from '../irc/scripted-server';
import { plainMail } from '../email/mail-fixtures';

const IRC = 'irc.localhost';
const EMAIL = 'email.localhost';
const MARKERS = 'urn:xmpp:chat-markers:0';
const CARBONS = 'urn:xmpp:carbons:2';
const ADDRESS = 'alice@example.net';
const run = Prosody.privilegeAvailable() && requireBinary(DOVECOT_BINARY, 'Dovecot') ? describe : describe.skip;

const displayedOf = (el: Element | undefined) => el?.getChild('displayed', MARKERS)?.attrs.id;
const sentCarbon = (el: Element) => (el.name === 'message' ? el.getChild('sent', CARBONS)?.getChild('forwarded', 'urn:xmpp:forward:0')?.getChild('message') : undefined);

run('read markers both ways through the gateway', () => {
  let prosody: Prosody;
  let irc: ScriptedIrcServer;
  let dovecot: DovecotServer;
  let smtp: TestSmtpServer;
  let gateway: Gateway;
  let alice: TestClient;
  let other: ImapFlow;

  beforeAll(async () => {
    irc = await ScriptedIrcServer.start({
      caps: [...IRCV3_CAPS, 'draft/read-marker'],
      onLine: (line, send) => {
        const words = line.split(' ');
        if (words[0] !== 'MARKREAD' || !words[2]) return false;
        send(`:scripted.test MARKREAD ${words[1]} ${words[2]}`);
        return true;
      },
    });
    dovecot = await DovecotServer.start([{ username: ADDRESS, password: 'imap-pw' }]);
    smtp = await TestSmtpServer.start({ users: { [ADDRESS]: 'imap-pw' } });
    const grant = { roster: 'both', message: 'outgoing' } as const;
    prosody = await Prosody.start([{ domain: IRC, secret: 's3cret' }, { domain: EMAIL, secret: 's3cret' }], { privileged: { [IRC]: grant, [EMAIL]: grant } });
    gateway = await startGateway(testConfig(prosody, [
      { domain: IRC, secret: 's3cret', adapter: 'irc', options: fixedServerOptions(irc.port) },
      { domain: EMAIL, secret: 's3cret', adapter: 'email', options: { markSeen: false, saveToSent: false } },
    ], { access: { allow: ['localhost'] } }));
    alice = await TestClient.connect(prosody, 'alice');
    expect((await alice.iq('set', alice.bareJid, xml('enable', { xmlns: CARBONS }))).attrs.type).toBe('result');
    await alice.send(xml('presence'));
    expect((await alice.iq('set', IRC, registerForm({ nick: 'alice' }))).attrs.type).toBe('result');
    expect((await alice.iq('set', EMAIL, registerForm({
      email: ADDRESS, imap_host: '127.0.0.1', imap_port: String(dovecot.port), imap_tls: 'false', imap_username: ADDRESS,
      imap_password: 'imap-pw', smtp_host: '127.0.0.1', smtp_port: String(smtp.port), smtp_security: 'none',
    }))).attrs.type).toBe('result');
    other = new ImapFlow({ host: '127.0.0.1', port: dovecot.port, secure: false, auth: { user: ADDRESS, pass: 'imap-pw' }, logger: false });
    other.on('error', () => undefined);
    await other.connect();
  }, 60000);

  afterAll(async () => {
    await other?.logout().catch(() => undefined);
    await alice?.stop();
    await gateway?.stop();
    await prosody?.destroy();
    await irc?.close();
    await smtp?.stop();
    await dovecot?.stop();
  });

  test('IRC: <displayed/> becomes MARKREAD; another client\'s MARKREAD comes back as the user\'s own carbon', async () => {
    const bob = `bob@${IRC}`;
    irc.inject('@time=2026-02-01T08:00:00.250Z;msgid=irc-1 :bob!u@h PRIVMSG alice :good morning');
    const message = await alice.waitFor((el) => el.name === 'message' && el.attrs.from === bob && el.getChildText('body') === 'good morning', 10000, 'bob\'s message');
    // Markable, so clients send markers for it; its id is the IRC msgid.
    expect(message.getChild('markable', MARKERS)).toBeDefined();
    expect(message.attrs.id).toBe('irc-1');
    await alice.send(xml('message', { to: bob, type: 'chat', id: 'mark-1' }, xml('displayed', { xmlns: MARKERS, id: 'irc-1' })));
    await irc.waitForLine((l) => l === 'MARKREAD bob timestamp=2026-02-01T08:00:00.250Z');

    irc.inject('@time=2026-02-01T08:05:00.000Z;msgid=irc-2 :bob!u@h PRIVMSG alice :still there?');
    await alice.waitFor((el) => el.name === 'message' && el.attrs.id === 'irc-2', 10000, 'the second message');
    irc.inject(':scripted.test MARKREAD bob timestamp=2026-02-01T08:06:00.000Z');
    const carbon = await alice.waitFor((el) => displayedOf(sentCarbon(el)) === 'irc-2', 10000, 'the carbon of the user\'s own <displayed/>');
    expect(sentCarbon(carbon)!.attrs).toMatchObject({ from: 'alice@localhost', to: bob });
    // The user's server also hands that marker to the gateway: it must not become a new MARKREAD.
    const before = irc.received.filter((l) => l.startsWith('MARKREAD')).length;
    irc.inject('@time=2026-02-01T08:07:00.000Z;msgid=irc-3 :bob!u@h PRIVMSG alice :ping');
    await alice.waitFor((el) => el.name === 'message' && el.attrs.id === 'irc-3', 10000, 'the third message');
    await alice.send(xml('message', { to: bob, type: 'chat', id: 'mark-3' }, xml('displayed', { xmlns: MARKERS, id: 'irc-3' })));
    await irc.waitForLine((l) => l === 'MARKREAD bob timestamp=2026-02-01T08:07:00.000Z');
    expect(irc.received.filter((l) => l.startsWith('MARKREAD')).slice(before)).toEqual(['MARKREAD bob timestamp=2026-02-01T08:07:00.000Z']);
  });

  test('IRC room: another client\'s MARKREAD reaches the user\'s resources in the room from their own occupant', async () => {
    const room = `#news@${IRC}`;
    await alice.send(xml('presence', { to: `${room}/alice` }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' })));
    await alice.waitFor((el) => el.name === 'presence' && el.attrs.from === `${room}/alice` && !el.attrs.type, 10000, 'self-presence');
    irc.inject('@time=2026-02-01T09:00:00.000Z;msgid=ch-1 :op!u@h PRIVMSG #news :headline');
    const line = await alice.waitFor((el) => el.name === 'message' && el.attrs.type === 'groupchat' && el.getChildText('body') === 'headline', 10000, 'the channel line');
    expect(line.getChild('markable', MARKERS)).toBeDefined();
    // A groupchat marker names the room's stanza-id: the msgid.
    await alice.send(xml('message', { to: room, type: 'groupchat', id: 'mark-room' }, xml('displayed', { xmlns: MARKERS, id: 'ch-1' })));
    await irc.waitForLine((l) => l === 'MARKREAD #news timestamp=2026-02-01T09:00:00.000Z');
    irc.inject('@time=2026-02-01T09:01:00.000Z;msgid=ch-2 :op!u@h PRIVMSG #news :more');
    await alice.waitFor((el) => el.name === 'message' && el.getChildText('body') === 'more', 10000, 'the second line');
    irc.inject(':scripted.test MARKREAD #news timestamp=2026-02-01T09:01:00.000Z');
    const marker = await alice.waitFor((el) => el.name === 'message' && displayedOf(el) === 'ch-2', 10000, 'the room marker');
    expect(marker.attrs).toMatchObject({ from: `${room}/alice`, type: 'groupchat' });
  });

  test('email: \\Seen set by another mail client comes back as the user\'s own carbon', async () => {
    const dan = `dan\\40example.org@${EMAIL}`;
    const incoming = alice.waitFor((el) => el.name === 'message' && el.attrs.from === dan && el.attrs.id === 'seen-1@example.org', 15000, 'Dan\'s mail');
    const appended = await other.append('INBOX', plainMail({ from: 'dan@example.org', to: ADDRESS, subject: 'Lunch', body: 'Noon?', messageId: '<seen-1@example.org>' }));
    if (!appended || !appended.uid) throw new Error('could not append the test mail');
    const { uid } = appended;
    expect((await incoming).getChild('markable', MARKERS)).toBeDefined();
    const lock = await other.getMailboxLock('INBOX');
    try {
      await other.messageFlagsAdd(String(uid), ['\\Seen'], { uid: true });
    } finally {
      lock.release();
    }
    const carbon = await alice.waitFor((el) => displayedOf(sentCarbon(el)) === 'seen-1@example.org', 15000, 'the carbon of <displayed/> for the mail');
    expect(sentCarbon(carbon)!.attrs).toMatchObject({ from: 'alice@localhost', to: dan });
  });
});
