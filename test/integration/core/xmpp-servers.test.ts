/**
 * The gateway's main flows through each XMPP server it supports (Prosody and Debian's ejabberd
 * 23.01), with all three transports on one component port: XMPP client -> server -> gateway ->
 * ngircd / Twilio-compatible endpoint / SMTP server and Dovecot. In CI both servers are required.
 */
import { component } from '@xmpp/component';
import type { Element } from '@xmpp/xml';
import { ImapFlow } from 'imapflow';
import { simpleParser } from 'mailparser';
import { Ejabberd } from '../../harness/ejabberd';
import { FakeTwilio, type FakeAccount } from '../../harness/fake-twilio';
import { startGateway, testConfig, type TestTransport } from '../../harness/gateway';
import { DOVECOT_BINARY, DovecotServer } from '../../harness/dovecot';
import { Ngircd, ngircdAvailable } from '../../harness/ngircd';
import { freePort, requireBinary } from '../../harness/ports';
import type { Prosody } from '../../harness/prosody';
import { TestSmtpServer } from '../../harness/smtp-server';
import { TestClient, registerForm, xml } from '../../harness/xmpp-client';
import { startXmppServer, xmppServerKinds, type XmppServer, type XmppServerKind } from '../../harness/xmpp-server';
import type { Gateway } from '../../../src/gateway';
import { plainMail } from '../email/mail-fixtures';
import { fixedServerOptions } from '../irc/helpers';
import { RawIrcClient } from '../irc/raw-client';

const IRC = 'irc.localhost';
const SMS = 'sms.localhost';
const EMAIL = 'email.localhost';
const SECRET: Record<string, string> = { [IRC]: 'irc-s3cret', [SMS]: 'sms-s3cret', [EMAIL]: 'email-s3cret' };
const COMPONENTS = [IRC, SMS, EMAIL].map((domain) => ({ domain, secret: SECRET[domain] }));
const NUMBER = '+15551230001';
const PHONE = '+447911123456';
const MAILBOX = 'alice@example.net';
const MUC = 'http://jabber.org/protocol/muc';

const kinds = ngircdAvailable() && requireBinary(DOVECOT_BINARY, 'Dovecot (Debian package dovecot-imapd)') ? xmppServerKinds() : [];

/**
 * testConfig() and TestClient.connect() are typed with Prosody but use only what XmppServer has
 * (componentPort; domain, c2sPort, createUser); Prosody's private members make the class nominal.
 */
const asHarnessServer = (server: XmppServer) => server as unknown as Prosody;

async function until(check: () => boolean, what: string, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function gatewayFor(server: XmppServer, options: Record<string, unknown>): Promise<Gateway> {
  const httpPort = await freePort();
  const transports: TestTransport[] = [
    { domain: IRC, secret: SECRET[IRC], adapter: 'irc', options: options[IRC] },
    { domain: SMS, secret: SECRET[SMS], adapter: 'sms', options: options[SMS] },
    { domain: EMAIL, secret: SECRET[EMAIL], adapter: 'email', options: options[EMAIL] },
  ];
  return startGateway(testConfig(asHarnessServer(server), transports, {
    access: { allow: ['localhost'] },
    http: { enabled: true, host: '127.0.0.1', port: httpPort, publicUrl: `http://127.0.0.1:${httpPort}` },
  }));
}

(kinds.length ? describe.each(kinds) : describe.skip.each(['prosody', 'ejabberd']))('end to end through %s', (kind) => {
  let server: XmppServer;
  let ircd: Ngircd;
  let twilio: FakeTwilio;
  let account: FakeAccount;
  let dovecot: DovecotServer;
  let smtp: TestSmtpServer;
  let gateway: Gateway;
  let alice: TestClient;
  let bob: RawIrcClient;
  let inbox: ImapFlow;

  beforeAll(async () => {
    [ircd, twilio, dovecot, smtp, server] = await Promise.all([
      Ngircd.start(),
      FakeTwilio.start(),
      DovecotServer.start([{ username: MAILBOX, password: 'imap-pw' }]),
      TestSmtpServer.start({ users: { [MAILBOX]: 'imap-pw' } }),
      startXmppServer(kind as XmppServerKind, COMPONENTS),
    ]);
    account = twilio.addAccount([NUMBER]);
    gateway = await gatewayFor(server, {
      [IRC]: fixedServerOptions(ircd.port),
      [SMS]: { apiBaseUrl: twilio.baseUrl, retryBaseDelayMs: 5 },
      // New mail arrives by IMAP IDLE; the poll is only the fallback.
      [EMAIL]: { pollIntervalSeconds: 30 },
    });
    alice = await TestClient.connect(asHarnessServer(server), 'alice');
    await alice.send(xml('presence'));
    bob = await RawIrcClient.connect(ircd.port, 'bob');
    inbox = new ImapFlow({ host: '127.0.0.1', port: dovecot.port, secure: false, auth: { user: MAILBOX, pass: 'imap-pw' }, logger: false });
    inbox.on('error', () => undefined);
    await inbox.connect();
  });

  afterAll(async () => {
    bob?.close();
    await inbox?.logout().catch(() => undefined);
    await alice?.stop();
    await gateway?.stop();
    await server?.destroy();
    await Promise.all([ircd?.stop(), twilio?.close(), smtp?.stop(), dovecot?.stop()]);
  });

  const forms: [string, () => Record<string, string>][] = [
    [IRC, () => ({ nick: 'alice' })],
    [SMS, () => ({ accountSid: account.sid, authToken: account.authToken, phoneNumber: NUMBER })],
    [EMAIL, () => ({
      email: MAILBOX, imap_host: '127.0.0.1', imap_port: String(dovecot.port), imap_tls: 'false', imap_username: MAILBOX,
      imap_password: 'imap-pw', smtp_host: '127.0.0.1', smtp_port: String(smtp.port), smtp_security: 'none',
    })],
  ];

  test.each(forms)('XEP-0077 registration on %s logs in and asks for a subscription (XEP-0100)', async (domain, form) => {
    const offered = await alice.iq('get', domain, xml('query', { xmlns: 'jabber:iq:register' }));
    expect(offered.attrs.type).toBe('result');
    expect(offered.getChild('query')!.getChild('x', 'jabber:x:data')).toBeDefined();
    const subscribe = alice.waitFor((el) => el.name === 'presence' && el.attrs.type === 'subscribe' && el.attrs.from === domain, 15000, `subscribe from ${domain}`);
    const answer = await alice.iq('set', domain, registerForm(form()));
    expect(answer.attrs).toMatchObject({ type: 'result', from: domain });
    await subscribe;
    const shown = await alice.iq('get', domain, xml('query', { xmlns: 'jabber:iq:register' }));
    expect(shown.getChild('query')!.getChild('registered')).toBeDefined();
  });

  test('IRC: a channel is a room; groupchat goes both ways through ngircd', async () => {
    bob.send('WHOIS alice');
    await bob.waitFor((l) => l.command === '311' && l.params[1] === 'alice');
    bob.send('JOIN #servers');
    await bob.waitFor((l) => l.command === '366' && l.params[1] === '#servers');
    const room = `#servers@${IRC}`;
    await alice.send(xml('presence', { to: `${room}/alice` }, xml('x', { xmlns: MUC })));
    await alice.waitFor((el) => el.name === 'presence' && el.attrs.from === `${room}/bob`, 10000, 'bob in the room');
    const self = await alice.waitFor((el) => el.name === 'presence' && el.attrs.from === `${room}/alice`, 10000, 'self presence');
    expect(self.getChild('x', `${MUC}#user`)!.getChildren('status').map((s) => s.attrs.code)).toContain('110');

    await alice.send(xml('message', { to: room, type: 'groupchat', id: 'g1' }, xml('body', {}, `hello from ${kind}`)));
    await bob.waitFor((l) => l.command === 'PRIVMSG' && l.nick === 'alice' && l.params[0] === '#servers' && l.params[1] === `hello from ${kind}`);
    const reflected = await alice.waitFor((el) => el.name === 'message' && el.attrs.type === 'groupchat' && el.attrs.id === 'g1', 10000, 'reflection');
    expect(reflected.attrs.from).toBe(`${room}/alice`);

    bob.send('PRIVMSG #servers :hello back');
    const fromBob = await alice.waitFor((el) => el.name === 'message' && el.attrs.type === 'groupchat' && el.attrs.from === `${room}/bob`, 10000, 'groupchat from bob');
    expect(fromBob.getChildText('body')).toBe('hello back');
  });

  test('SMS: a chat message is sent through the Twilio-compatible endpoint; an inbound SMS arrives', async () => {
    expect(twilio.numberOf(NUMBER)!.number.smsUrl).toMatch(/\/sms\/inbound$/);
    const receipt = alice.waitFor((el) => el.getChild('received', 'urn:xmpp:receipts')?.attrs.id === 's1', 10000, 'delivery receipt');
    await alice.send(xml('message', { to: `${PHONE}@${SMS}`, type: 'chat', id: 's1' }, xml('body', {}, `SMS via ${kind}`), xml('request', { xmlns: 'urn:xmpp:receipts' })));
    await until(() => twilio.messages.length > 0, 'the SMS at the endpoint');
    expect(twilio.messages[0]).toMatchObject({ from: NUMBER, to: PHONE, body: `SMS via ${kind}` });
    expect((await twilio.reportStatus(twilio.messages[0].sid, 'delivered')).status).toBe(200);
    await receipt;

    const incoming = alice.waitFor((el) => el.name === 'message' && el.attrs.from === `${PHONE}@${SMS}` && Boolean(el.getChild('body')), 10000, 'inbound SMS');
    expect((await twilio.deliverSms({ from: PHONE, to: NUMBER, body: 'reply from a phone' })).status).toBe(200);
    expect((await incoming).getChildText('body')).toBe('reply from a phone');
  });

  test('email: a chat message is sent over SMTP; a mail in the IMAP inbox arrives', async () => {
    await alice.send(xml('message', { to: `bob\\40example.org@${EMAIL}`, type: 'chat', id: 'm1' }, xml('body', {}, `Mail via ${kind}`)));
    const [mail] = await smtp.waitForCount(1);
    expect(mail.to).toEqual(['bob@example.org']);
    const parsed = await simpleParser(mail.raw);
    expect(parsed.from?.text).toBe(MAILBOX);
    expect(parsed.text?.trim()).toBe(`Mail via ${kind}`);

    const incoming = alice.waitFor((el: Element) => el.name === 'message' && el.attrs.from === `carol\\40example.org@${EMAIL}` && Boolean(el.getChild('body')), 15000, 'mail as message');
    await inbox.append('INBOX', plainMail({ from: 'carol@example.org', to: MAILBOX, subject: 'Hi', body: 'a mail for alice' }));
    const el = await incoming;
    expect(el.getChildText('subject')).toBe('Hi');
    expect(el.getChildText('body')).toBe('a mail for alice');
  });
});

const withEjabberd = kinds.includes('ejabberd') ? describe : describe.skip;

/**
 * ejabberd's default `global_routes: true` with three hosts on one `ejabberd_service` listener:
 * every component connection registers all three hosts and each stanza goes to one at random.
 */
withEjabberd('ejabberd with three hosts on one listener and global_routes', () => {
  let ejabberd: Ejabberd;
  let gateway: Gateway | undefined;
  let alice: TestClient;

  beforeAll(async () => {
    ejabberd = await Ejabberd.start(COMPONENTS, { globalRoutes: true });
    alice = await TestClient.connect(asHarnessServer(ejabberd), 'alice');
    await alice.send(xml('presence'));
  });

  afterAll(async () => {
    await alice?.stop();
    await gateway?.stop();
    await ejabberd?.destroy();
  });

  // Without this the next test could pass merely because ejabberd happened to route correctly.
  test('ejabberd really hands stanzas for one host to the connections of the others', async () => {
    const seen = new Map<string, number>();
    const links = [IRC, SMS].map((domain) => {
      const link = component({ service: `xmpp://127.0.0.1:${ejabberd.componentPort}`, domain, password: SECRET[domain] });
      link.reconnect.stop();
      link.on('error', () => undefined);
      link.on('stanza', (el: Element) => {
        if (el.attrs.to === IRC) seen.set(domain, (seen.get(domain) ?? 0) + 1);
      });
      return link;
    });
    try {
      await Promise.all(links.map((l) => l.start()));
      for (let i = 0; i < 20; i++) await alice.send(xml('message', { to: IRC, id: `probe${i}` }, xml('body', {}, `probe ${i}`)));
      await until(() => (seen.get(IRC) ?? 0) + (seen.get(SMS) ?? 0) === 20, '20 probes on the two links');
      // Each lands on one of two links at random: all 20 on one side has odds of 2 in 2^20.
      expect(seen.get(SMS) ?? 0).toBeGreaterThan(0);
      expect(seen.get(IRC) ?? 0).toBeGreaterThan(0);
    } finally {
      await Promise.all(links.map((l) => l.stop().catch(() => undefined)));
    }
  });

  test('disco#info to each of the three domains, 20 times each, always gets that domain\'s identity', async () => {
    gateway = await gatewayFor(ejabberd, {
      // Nothing logs in here: no legacy server is contacted.
      [IRC]: fixedServerOptions(await freePort()),
      [SMS]: { apiBaseUrl: 'http://127.0.0.1:9' },
      [EMAIL]: {},
    });
    const expected: Record<string, string> = { [IRC]: 'irc', [SMS]: 'sms', [EMAIL]: 'smtp' };
    for (let round = 0; round < 20; round++) {
      const answers = await Promise.all([IRC, SMS, EMAIL].map((domain) => alice.iq('get', domain, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }))));
      for (const [i, domain] of [IRC, SMS, EMAIL].entries()) {
        expect(answers[i].attrs).toMatchObject({ type: 'result', from: domain });
        expect(answers[i].getChild('query')!.getChild('identity')!.attrs).toMatchObject({ category: 'gateway', type: expected[domain] });
      }
    }
  });
});
