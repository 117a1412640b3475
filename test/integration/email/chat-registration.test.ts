/**
 * An email account registered purely by chatting with email.localhost (no XEP-0077 form, no
 * ad-hoc commands), against Dovecot and the test SMTP server; then `contact` gives the address.
 */
import { Prosody } from '../../harness/prosody';
import { TestClient, xml } from '../../harness/xmpp-client';
import { startGateway, testConfig } from '../../harness/gateway';
import { DOVECOT_BINARY, DovecotServer } from '../../harness/dovecot';
import { TestSmtpServer } from '../../harness/smtp-server';
import { requireBinary } from '../../harness/ports';
import { TransportChat } from '../../support/transport-chat';
import type { Gateway } from '../../../src/gateway';

const DOMAIN = 'email.localhost';
const ADDRESS = 'alice@example.net';
const run = Prosody.available() && requireBinary(DOVECOT_BINARY, 'Dovecot') ? describe : describe.skip;

run('email registration by chat messages only', () => {
  let prosody: Prosody;
  let dovecot: DovecotServer;
  let smtp: TestSmtpServer;
  let gateway: Gateway;
  let alice: TestClient;

  beforeAll(async () => {
    dovecot = await DovecotServer.start([{ username: ADDRESS, password: 'imap-pw' }]);
    smtp = await TestSmtpServer.start({ users: { [ADDRESS]: 'imap-pw' } });
    prosody = await Prosody.start([{ domain: DOMAIN, secret: 's3cret' }]);
    gateway = await startGateway(testConfig(prosody, [{ domain: DOMAIN, secret: 's3cret', adapter: 'email', options: { pollIntervalSeconds: 30 } }], {
      access: { allow: ['localhost'] },
    }));
    alice = await TestClient.connect(prosody, 'alice');
    await alice.send(xml('presence'));
  });

  afterAll(async () => {
    await alice?.stop();
    await gateway?.stop();
    await prosody?.destroy();
    await smtp?.stop();
    await dovecot?.stop();
  });

  test('eleven questions, passwords last; a wrong password gets the server\'s reason, the right one registers', async () => {
    const chat = new TransportChat(alice, DOMAIN);
    expect(await chat.say('register', /questions/)).toMatch(/11 questions[^\n]*\n\n\(1\/11\) Your email address$/);
    const answers: [string, RegExp][] = [
      [ADDRESS, /^\(2\/11\) IMAP server/],
      ['127.0.0.1', /^\(3\/11\) IMAP port \(optional\)\nSend - for 993\.$/],
      [String(dovecot.port), /^\(4\/11\) IMAP over TLS/],
      ['no', /^\(5\/11\) IMAP user name/],
      [ADDRESS, /^\(6\/11\) SMTP server/],
      ['127.0.0.1', /^\(7\/11\) SMTP port/],
      [String(smtp.port), /^\(8\/11\) SMTP security \(optional\)\n {2}1\. TLS from the start[^\n]*\n {2}2\. STARTTLS[^\n]*\n {2}3\. None[^\n]*\nAnswer with a number\.\nSend - for TLS from the start/],
      ['3', /^\(9\/11\) SMTP user name \(empty: same as IMAP\)/],
      ['-', /^\(10\/11\) IMAP password\nSecret:/],
      ['wrong-pw', /^Got it \(not shown\)\.\n\n\(11\/11\) SMTP password \(empty: same as IMAP\)/],
    ];
    for (const [answer, next] of answers) expect(await chat.say(answer)).toMatch(next);
    const refused = await chat.say('-', /^Refused/);
    expect(refused).toMatch(/^Refused: IMAP server 127\.0\.0\.1 refused the login/);
    expect(refused).toContain('8. SMTP security: None (only for a server on a trusted network)');
    expect(refused).toContain('10. IMAP password: ********');
    expect(await chat.say('10')).toMatch(/^IMAP password\n/);
    expect(await chat.say('imap-pw', /Your answers/)).toMatch(/^Got it \(not shown\)\./);
    expect(await chat.say('retry', /registered/)).toMatch(/^You are registered with Email and logged in\./);
    const stored = await gateway.transports.get(DOMAIN)!.sessions.registrations.get('alice@localhost');
    expect(stored?.credentials).toMatchObject({ email: ADDRESS, imap_password: 'imap-pw', smtp_security: 'none', imap_tls: 'false' });
    const said = chat.bodies().join('\n');
    expect(said).not.toContain('imap-pw');
    expect(said).not.toContain('wrong-pw');

    expect(await chat.say('contact Bob@Example.org')).toBe(`bob@example.org: bob\\40example.org@${DOMAIN}\n`
      + `xmpp:bob%5C40example.org@${DOMAIN}?message\nOpen the link, or add bob\\40example.org@${DOMAIN} as a contact in your client.`);
  });
});
