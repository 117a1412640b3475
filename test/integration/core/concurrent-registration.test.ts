/**
 * Registration sets sent all at once by one user, through Prosody: the legacy servers must end
 * up holding exactly one connection, and none after <remove/>. Connections are counted in the
 * kernel's TCP table on the servers' ports, not by asking the gateway.
 */
import { DOVECOT_BINARY, DovecotServer } from '../../harness/dovecot';
import { startGateway, testConfig } from '../../harness/gateway';
import { Ngircd, ngircdAvailable } from '../../harness/ngircd';
import { requireBinary } from '../../harness/ports';
import { Prosody } from '../../harness/prosody';
import { establishedConnections, settleTo } from '../../harness/sockets';
import { TestSmtpServer } from '../../harness/smtp-server';
import { errorCondition, registerForm, TestClient, xml } from '../../harness/xmpp-client';
import type { Gateway } from '../../../src/gateway';
import { fixedServerOptions } from '../irc/helpers';

const IRC = 'irc.localhost';
const EMAIL = 'email.localhost';
const MAILBOX = 'zoe@example.net';
const run = Prosody.available() && ngircdAvailable() && requireBinary(DOVECOT_BINARY, 'Dovecot') ? describe : describe.skip;

function removal() {
  return xml('query', { xmlns: 'jabber:iq:register' }, xml('remove'));
}

run('concurrent registrations from one user', () => {
  let ircd: Ngircd;
  let dovecot: DovecotServer;
  let smtp: TestSmtpServer;
  let prosody: Prosody;
  let gateway: Gateway;
  let zoe: TestClient;

  beforeAll(async () => {
    ircd = await Ngircd.start();
    dovecot = await DovecotServer.start([{ username: MAILBOX, password: 'imap-pw' }]);
    smtp = await TestSmtpServer.start({ users: { [MAILBOX]: 'smtp-pw' } });
    prosody = await Prosody.start([{ domain: IRC, secret: 'irc-s' }, { domain: EMAIL, secret: 'email-s' }]);
    gateway = await startGateway(testConfig(prosody, [
      { domain: IRC, secret: 'irc-s', adapter: 'irc', options: fixedServerOptions(ircd.port) },
      { domain: EMAIL, secret: 'email-s', adapter: 'email', options: { idle: true } },
    ]));
    zoe = await TestClient.connect(prosody, 'zoe');
    await zoe.send(xml('presence'));
  });

  afterAll(async () => {
    await zoe?.stop();
    await gateway?.stop();
    await prosody?.destroy();
    await smtp?.stop();
    await dovecot?.stop();
    await ircd?.stop();
  });

  test('IRC: 20 sets at once open one connection; the others are refused with conflict; <remove/> closes it', async () => {
    expect(establishedConnections(ircd.port)).toBe(0);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => zoe.iq('set', IRC, registerForm({ nick: `zoe${i}` }), 30000)));
    const ok = answers.filter((a) => a.attrs.type === 'result');
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(answers.filter((a) => a.attrs.type === 'error').map(errorCondition).every((c) => c === 'conflict')).toBe(true);
    expect(await settleTo(() => establishedConnections(ircd.port), 1)).toBe(1);
    const removed = await zoe.iq('set', IRC, removal());
    expect(removed.attrs.type).toBe('result');
    expect(await settleTo(() => establishedConnections(ircd.port), 0)).toBe(0);
    expect(gateway.transports.get(IRC)!.sessions.all()).toHaveLength(0);
  });

  test('email: 5 sets at once hold one IMAP connection; <remove/> closes it', async () => {
    expect(establishedConnections(dovecot.port)).toBe(0);
    const form = registerForm({
      email: MAILBOX,
      imap_host: '127.0.0.1', imap_port: String(dovecot.port), imap_tls: 'false', imap_username: MAILBOX, imap_password: 'imap-pw',
      smtp_host: '127.0.0.1', smtp_port: String(smtp.port), smtp_security: 'none', smtp_username: MAILBOX, smtp_password: 'smtp-pw',
    });
    const answers = await Promise.all(Array.from({ length: 5 }, () => zoe.iq('set', EMAIL, form, 30000)));
    expect(answers.filter((a) => a.attrs.type === 'result').length).toBeGreaterThanOrEqual(1);
    expect(answers.filter((a) => a.attrs.type === 'error').map(errorCondition).every((c) => c === 'conflict')).toBe(true);
    expect(await settleTo(() => establishedConnections(dovecot.port), 1)).toBe(1);
    const removed = await zoe.iq('set', EMAIL, removal());
    expect(removed.attrs.type).toBe('result');
    expect(await settleTo(() => establishedConnections(dovecot.port), 0)).toBe(0);
  });

  test('a removal sent while a registration is still being verified waits for it and leaves nothing open', async () => {
    const registering = zoe.iq('set', IRC, registerForm({ nick: 'zoeagain' }), 30000);
    const removing = zoe.iq('set', IRC, removal(), 30000);
    const [registered, removed] = await Promise.all([registering, removing]);
    expect(registered.attrs.type).toBe('result');
    expect(removed.attrs.type).toBe('result');
    expect(await settleTo(() => establishedConnections(ircd.port), 0)).toBe(0);
  });
});
