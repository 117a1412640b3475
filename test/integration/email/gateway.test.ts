import type { Element } from '@xmpp/xml';
import { simpleParser } from 'mailparser';
import { ImapFlow } from 'imapflow';
import { Prosody } from '../../harness/prosody';
import { TestClient, xml, registerForm, errorCondition } from '../../harness/xmpp-client';
import { startGateway, testConfig } from '../../harness/gateway';
import { DOVECOT_BINARY, DovecotServer } from '../../harness/dovecot';
import { TestSmtpServer } from '../../harness/smtp-server';
import { freePort, requireBinary, tempDir } from '../../harness/ports';
import type { GatewayConfig } from '../../../src/config';
import { rmSync } from 'node:fs';
import type { Gateway } from '../../../src/gateway';
import { mailWithAttachment, plainMail } from './mail-fixtures';

const DOMAIN = 'email.localhost';
const ADDRESS = 'alice@example.net';
const run = Prosody.available() && requireBinary(DOVECOT_BINARY, 'Dovecot') ? describe : describe.skip;


const conditionOf = errorCondition;
const textOf = (el: Element) => el.getChild('error')?.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas') ?? '';

run('email transport end to end: XMPP client -> Prosody -> gateway -> Dovecot / SMTP', () => {
  let prosody: Prosody;
  let dovecot: DovecotServer;
  let smtp: TestSmtpServer;
  let gateway: Gateway;
  let alice: TestClient;
  let other: ImapFlow;
  let form: Record<string, string>;
  let config: GatewayConfig;
  const storeDir = tempDir('email-e2e-store');

  beforeAll(async () => {
    dovecot = await DovecotServer.start([{ username: ADDRESS, password: 'imap-pw' }]);
    smtp = await TestSmtpServer.start({
      users: { [ADDRESS]: 'imap-pw' },
      rejectRecipients: { 'gone@example.org': { code: 550, message: '5.1.1 no such user here' } },
    });
    prosody = await Prosody.start([{ domain: DOMAIN, secret: 's3cret' }]);
    const httpPort = await freePort();
    config = testConfig(prosody, [{ domain: DOMAIN, secret: 's3cret', adapter: 'email', options: { pollIntervalSeconds: 30 } }], {
      access: { allow: ['localhost'] },
      http: { enabled: true, host: '127.0.0.1', port: httpPort, publicUrl: `http://127.0.0.1:${httpPort}` },
      // A file store, so the restart test restores from what the first gateway wrote.
      storage: { url: `sqlite://${storeDir}/gateway.sqlite`, encryptionKey: 'test-encryption-key' },
    });
    gateway = await startGateway(config);
    alice = await TestClient.connect(prosody, 'alice');
    await alice.send(xml('presence'));
    other = new ImapFlow({ host: '127.0.0.1', port: dovecot.port, secure: false, auth: { user: ADDRESS, pass: 'imap-pw' }, logger: false });
    other.on('error', () => undefined);
    await other.connect();
    form = {
      email: ADDRESS, imap_host: '127.0.0.1', imap_port: String(dovecot.port), imap_tls: 'false', imap_username: ADDRESS,
      imap_password: 'imap-pw', smtp_host: '127.0.0.1', smtp_port: String(smtp.port), smtp_security: 'none',
    };
  });

  afterAll(async () => {
    await other?.logout().catch(() => undefined);
    await alice?.stop();
    await gateway?.stop();
    await prosody?.destroy();
    await smtp?.stop();
    await dovecot?.stop();
    rmSync(storeDir, { recursive: true, force: true });
  });

  test('disco names an smtp gateway; registration refuses a wrong IMAP password with a readable text, then succeeds', async () => {
    const info = await alice.iq('get', DOMAIN, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }));
    expect(info.getChild('query')!.getChild('identity')!.attrs).toMatchObject({ category: 'gateway', type: 'smtp' });

    const wrong = await alice.iq('set', DOMAIN, registerForm({ ...form, imap_password: 'nope' }));
    expect(wrong.attrs.type).toBe('error');
    expect(conditionOf(wrong)).toBe('not-authorized');
    expect(textOf(wrong)).toMatch(/^IMAP server 127\.0\.0\.1 refused the login/);

    const ok = await alice.iq('set', DOMAIN, registerForm(form));
    expect(ok.attrs.type).toBe('result');
  });

  test('a chat message becomes a mail and the receipt comes back', async () => {
    const receipt = alice.waitFor((el) => el.name === 'message' && Boolean(el.getChild('received', 'urn:xmpp:receipts')), 15000, 'receipt');
    await alice.send(xml('message', { to: `bob\\40example.org@${DOMAIN}`, type: 'chat', id: 'e2e-1' },
      xml('body', {}, 'Hello from XMPP'), xml('request', { xmlns: 'urn:xmpp:receipts' })));
    const [mail] = await smtp.waitForCount(1);
    expect(mail.to).toEqual(['bob@example.org']);
    const parsed = await simpleParser(mail.raw);
    expect(parsed.from?.text).toBe(ADDRESS);
    expect(parsed.subject).toBe('Hello from XMPP');
    expect(parsed.messageId).toMatch(/^<xmpp-e2e-1-/);
    expect((await receipt).getChild('received', 'urn:xmpp:receipts')!.attrs.id).toBe('e2e-1');
  });

  test('a new mail in the inbox reaches the XMPP client from the sender\'s escaped JID, attachment as OOB', async () => {
    const incoming = alice.waitFor((el) => el.name === 'message' && el.attrs.from === `carol\\40example.org@${DOMAIN}` && Boolean(el.getChild('body')), 15000, 'mail as message');
    await other.append('INBOX', mailWithAttachment({ from: 'Carol <carol@example.org>', to: ADDRESS, subject: 'Photos', body: 'Here they are', filename: 'a.txt', content: Buffer.from('photo bytes') }));
    const el = await incoming;
    expect(el.getChildText('subject')).toBe('Photos');
    expect(el.getChildText('body')).toMatch(/^Here they are\n\nAttachments:\n- a\.txt \(11 B\): http:\/\/127\.0\.0\.1:\d+\/email\/attachment\//);
    const url = el.getChild('x', 'jabber:x:oob')!.getChildText('url')!;
    expect(Buffer.from(await (await fetch(url)).arrayBuffer()).toString()).toBe('photo bytes');
  });

  test('a reply from XMPP with the received thread is threaded in the mail', async () => {
    const incoming = alice.waitFor((el) => el.name === 'message' && el.getChildText('subject') === 'Question', 15000, 'question');
    await other.append('INBOX', plainMail({ from: 'dan@example.org', to: ADDRESS, subject: 'Question', body: 'Ready?', messageId: '<q-1@example.org>' }));
    const question = await incoming;
    const thread = question.getChildText('thread');
    expect(thread).toBe('q-1@example.org');
    const before = smtp.received.length;
    await alice.send(xml('message', { to: `dan\\40example.org@${DOMAIN}`, type: 'chat', id: 'e2e-2' }, xml('body', {}, 'Yes'), xml('thread', {}, thread!)));
    const [answer] = (await smtp.waitForCount(before + 1)).slice(before);
    const parsed = await simpleParser(answer.raw);
    expect(parsed.inReplyTo).toBe('<q-1@example.org>');
    expect(parsed.subject).toBe('Re: Question');
  });

  test('an SMTP refusal comes back as an error stanza with the server\'s text', async () => {
    const error = alice.waitFor((el) => el.name === 'message' && el.attrs.type === 'error' && el.attrs.id === 'e2e-3', 15000, 'error');
    await alice.send(xml('message', { to: `gone\\40example.org@${DOMAIN}`, type: 'chat', id: 'e2e-3' }, xml('body', {}, 'hello?')));
    const el = await error;
    expect(conditionOf(el)).toBe('not-acceptable');
    expect(textOf(el)).toBe('SMTP server refused: 550 5.1.1 no such user here');
  });

  test('a JID that is not an email address is jid-malformed', async () => {
    const error = alice.waitFor((el) => el.name === 'message' && el.attrs.type === 'error' && el.attrs.id === 'e2e-4', 15000, 'error');
    await alice.send(xml('message', { to: `no-at-sign@${DOMAIN}`, type: 'chat', id: 'e2e-4' }, xml('body', {}, 'x')));
    const el = await error;
    expect(conditionOf(el)).toBe('jid-malformed');
    expect(textOf(el)).toMatch(/is not an email address/);
  });

  test('a gateway restart neither repeats delivered mail nor skips mail that arrived meanwhile', async () => {
    await gateway.stop();
    await other.append('INBOX', plainMail({ from: 'erin@example.org', to: ADDRESS, subject: 'While the gateway was down', body: 'still here' }));
    gateway = await startGateway(config);
    await gateway.restored();
    const el = await alice.waitFor((m) => m.name === 'message' && m.getChildText('subject') === 'While the gateway was down', 20000, 'mail from the downtime');
    expect(el.attrs.from).toBe(`erin\\40example.org@${DOMAIN}`);
    await new Promise((r) => setTimeout(r, 1500));
    const repeated = alice.received.filter((m) => m.name === 'message' && ['Photos', 'Question'].includes(m.getChildText('subject') ?? ''));
    expect(repeated).toHaveLength(0);
  });
});
