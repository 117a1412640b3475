/**
 * `npm run demo`: the gateway with all three transports against private servers on loopback,
 * and an XMPP account to try it from a desktop client. Ctrl-C stops everything it started.
 *
 * The servers are the integration tests' own harness (test/harness), as `npm run bench` uses it:
 * Prosody, ngircd and Dovecot from Debian's packages, an SMTP server and the Twilio-compatible
 * endpoint in this process. The gateway is the built CLI in a child process, as deployed.
 * Needs root: Dovecot hands the demo mailbox to the system user `mail`, and missing servers are
 * installed with apt-get (the packages tagged "demo" in .ci/packages.txt).
 */
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { registerEverywhere } from './demo-account';
import { answerSms, DemoBot } from './demo-peers';
import { GatewayChild, repoRoot } from './gateway-child';
import { ensureInstalled } from './packages';
import { DOVECOT_BINARY, DovecotServer } from '../test/harness/dovecot';
import { FakeTwilio } from '../test/harness/fake-twilio';
import { NGIRCD_BINARY, Ngircd } from '../test/harness/ngircd';
import { freePort, tempDir } from '../test/harness/ports';
import { PROSODY_BIN, Prosody } from '../test/harness/prosody';
import { TestSmtpServer } from '../test/harness/smtp-server';

const IRC = 'irc.localhost';
const SMS = 'sms.localhost';
const EMAIL = 'email.localhost';
const USER = 'demo';
const MAILBOX = 'demo@mail.localhost';
const NUMBER = '+15550100001';
const CHANNEL = '#demo';

const secret = () => randomBytes(12).toString('hex');
const log = (line: string) => process.stderr.write(`[demo] ${line}\n`);

/** What was started, stopped in reverse order. */
const cleanups: { what: string; run: () => Promise<unknown> | unknown }[] = [];
let stopping: Promise<void> | undefined;

function stopAll(): Promise<void> {
  stopping ??= (async () => {
    for (const { what, run } of cleanups.splice(0).reverse()) {
      try {
        await run();
      } catch (err) {
        log(`stopping ${what} failed: ${(err as Error).message}`);
      }
    }
  })();
  return stopping;
}

function onSignal(signal: NodeJS.Signals): void {
  if (stopping) {
    log(`${signal}: already stopping`);
    return;
  }
  log(`${signal}: stopping the gateway and the servers`);
  void stopAll().then(() => {
    log('stopped');
    process.exit(0);
  });
}

async function main(): Promise<void> {
  const root = repoRoot();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  if (process.getuid?.() !== 0) {
    throw new Error('the demo runs as root (sudo npm run demo): its Dovecot gives the demo mailbox to the system user "mail", and missing servers are installed with apt-get');
  }
  ensureInstalled(root, [PROSODY_BIN, NGIRCD_BINARY, DOVECOT_BINARY], log);

  const password = randomBytes(9).toString('base64url');
  const mailPassword = secret();
  const secrets = { [IRC]: secret(), [SMS]: secret(), [EMAIL]: secret() };
  const dir = tempDir('demo');
  cleanups.push({ what: 'the demo folder', run: () => rmSync(dir, { recursive: true, force: true }) });

  log('starting Prosody, ngircd, Dovecot, an SMTP server and a Twilio-compatible endpoint on 127.0.0.1');
  const prosody = await Prosody.start(Object.entries(secrets).map(([domain, s]) => ({ domain, secret: s })));
  cleanups.push({ what: 'Prosody', run: () => prosody.destroy() });
  const ircd = await Ngircd.start({ name: 'irc.demo.localhost', motd: 'The gateway demo\'s private IRC server. Try #demo.' });
  cleanups.push({ what: 'ngircd', run: () => ircd.stop() });
  const dovecot = await DovecotServer.start([{ username: MAILBOX, password: mailPassword }]);
  cleanups.push({ what: 'Dovecot', run: () => dovecot.stop() });
  const smtp = await TestSmtpServer.start({ users: { [MAILBOX]: mailPassword }, dovecot: { server: dovecot, mailboxes: { [MAILBOX]: MAILBOX } } });
  cleanups.push({ what: 'the SMTP server', run: () => smtp.stop() });
  const twilio = await FakeTwilio.start();
  cleanups.push({ what: 'the Twilio-compatible endpoint', run: () => twilio.close() });
  const account = twilio.addAccount([NUMBER]);
  const bot = await DemoBot.start(ircd.port, 'demobot', CHANNEL);
  cleanups.push({ what: 'the IRC bot', run: () => bot.stop() });

  const httpPort = await freePort();
  const config = {
    xmpp: { host: '127.0.0.1', port: prosody.componentPort },
    // A throwaway store: its key lives only in this config (no key file to warn about).
    storage: { url: `sqlite://${join(dir, 'gateway.sqlite')}`, encryptionKey: randomBytes(32).toString('base64') },
    http: { enabled: true, host: '127.0.0.1', port: httpPort, publicUrl: `http://127.0.0.1:${httpPort}` },
    logging: { level: 'warn', format: 'pretty' },
    access: { allow: [prosody.domain] },
    transports: [
      // A fixed server is the administrator's choice: the outbound policy does not vet it.
      { domain: IRC, secret: secrets[IRC], adapter: 'irc', options: { server: { host: '127.0.0.1', port: ircd.port, tls: false } } },
      { domain: SMS, secret: secrets[SMS], adapter: 'sms', options: { apiBaseUrl: twilio.baseUrl, defaultCountry: 'US' } },
      // Mail servers are the user's choice; loopback is refused unless allowed.
      { domain: EMAIL, secret: secrets[EMAIL], adapter: 'email', outbound: { allow: ['127.0.0.1'] }, options: {} },
    ],
  };
  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, JSON.stringify(config, null, 2), { mode: 0o600 });
  log('starting the gateway (dist/src/cli.js)');
  const gateway = await GatewayChild.start(configFile, httpPort, (text) => process.stderr.write(text.replace(/^(?=.)/gm, 'gateway | ')));
  cleanups.push({ what: 'the gateway', run: () => gateway.stop() });
  void gateway.exited.then((code) => {
    if (!stopping) {
      log(`the gateway exited (${code}); stopping`);
      void stopAll().then(() => process.exit(1));
    }
  });

  prosody.createUser(USER, password);
  const jid = `${USER}@${prosody.domain}`;
  log(`registering ${jid} on ${IRC}, ${SMS} and ${EMAIL}`);
  await registerEverywhere(prosody.c2sPort, prosody.domain, USER, password, [
    { domain: IRC, form: { nick: USER } },
    { domain: SMS, form: { accountSid: account.sid, authToken: account.authToken, phoneNumber: NUMBER } },
    {
      domain: EMAIL,
      form: {
        email: MAILBOX, imap_host: '127.0.0.1', imap_port: String(dovecot.port), imap_tls: 'false', imap_username: MAILBOX,
        imap_password: mailPassword, smtp_host: '127.0.0.1', smtp_port: String(smtp.port), smtp_security: 'none',
      },
    },
  ]);
  const stopAnswering = answerSms(twilio, (line) => log(line));
  cleanups.push({ what: 'the SMS answers', run: stopAnswering });

  process.stdout.write(instructions(jid, password, prosody.c2sPort));
  process.stdout.write('ready\n');
}

function instructions(jid: string, password: string, port: number): string {
  return `
The gateway demo is running. Log in from a desktop XMPP client:

  account   ${jid}
  password  ${password}
  server    127.0.0.1, port ${port}, plain connection (this private server has no TLS)

  Gajim: Add account > Sign in, tick "Advanced", then set Hostname 127.0.0.1, Port ${port} and
    Connection type "Plain" (Gajim warns that it is unencrypted: fine on loopback).
  Profanity: /connect ${jid} server 127.0.0.1 port ${port} tls disable
  (Clients that always require TLS, such as Dino, cannot log in to this demo server.)

Accept the subscription requests of ${IRC}, ${SMS} and ${EMAIL}: ${jid} is already registered
on all three. Then:

  IRC    join the group chat ${CHANNEL}@${IRC} (Gajim: Join Group Chat; Profanity:
         /join ${CHANNEL}@${IRC}). demobot is there; say "demobot: hello".
         A private chat with an IRC user: demobot@${IRC}
  SMS    write to +15550100002@${SMS}: the demo's Twilio-compatible endpoint prints the SMS
         below and that phone answers. Your number is ${NUMBER}.
  email  write to demo\\40mail.localhost@${EMAIL} (that is ${MAILBOX}, your own mailbox here):
         the mail goes through the local SMTP server into Dovecot and comes back as a message.

Ctrl-C stops the gateway and every server the demo started.

`;
}

main().catch(async (err: Error) => {
  log(`failed: ${err.message}`);
  await stopAll();
  process.exit(1);
});
