import type { Element } from '@xmpp/xml';
import { ImapFlow } from 'imapflow';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { GatewayConfig } from '../../../src/config';
import type { Gateway } from '../../../src/gateway';
import { DOVECOT_BINARY, DovecotServer } from '../../harness/dovecot';
import { startGateway, testConfig } from '../../harness/gateway';
import { requireBinary } from '../../harness/ports';
import { Prosody } from '../../harness/prosody';
import { TestSmtpServer } from '../../harness/smtp-server';
import { errorCondition, errorText, registerForm, TestClient, xml } from '../../harness/xmpp-client';
import { FileServer } from './file-server';
import { plainMail } from './mail-fixtures';

const DOMAIN = 'email.localhost';
const ADDRESS = 'alice@example.net';
const DAN = `dan\\40example.org@${DOMAIN}`;
const run = Prosody.available() && requireBinary(DOVECOT_BINARY, 'Dovecot') ? describe : describe.skip;
const bytes = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7) % 256));

run('email transport end to end: replies, files, corrections and read markers from an XMPP client', () => {
  let prosody: Prosody;
  let dovecot: DovecotServer;
  let smtp: TestSmtpServer;
  let files: FileServer;
  let gateway: Gateway;
  let alice: TestClient;
  let other: ImapFlow;
  let config: GatewayConfig;

  beforeAll(async () => {
    dovecot = await DovecotServer.start([{ username: ADDRESS, password: 'imap-pw' }]);
    smtp = await TestSmtpServer.start({ users: { [ADDRESS]: 'imap-pw' } });
    files = await FileServer.start({
      '/upload/u1/report.pdf': { body: bytes(900), headers: { 'content-type': 'application/pdf' } },
      '/upload/u2/video.mp4': { body: bytes(5000), headers: { 'content-type': 'video/mp4' } },
    });
    prosody = await Prosody.start([{ domain: DOMAIN, secret: 's3cret' }]);
    // markSeen off: in this file only a read marker flags a mail \Seen. testConfig allows loopback
    // in the outbound policy, which is what lets the gateway fetch from the file server.
    config = testConfig(prosody, [{
      domain: DOMAIN, secret: 's3cret', adapter: 'email',
      options: { pollIntervalSeconds: 30, markSeen: false, saveToSent: false, maxAttachmentBytes: 4096, maxAttachmentsPerMailBytes: 8192 },
    }], { access: { allow: ['localhost'] } });
    gateway = await startGateway(config);
    alice = await TestClient.connect(prosody, 'alice');
    await alice.send(xml('presence'));
    other = new ImapFlow({ host: '127.0.0.1', port: dovecot.port, secure: false, auth: { user: ADDRESS, pass: 'imap-pw' }, logger: false });
    other.on('error', () => undefined);
    await other.connect();
    const registered = await alice.iq('set', DOMAIN, registerForm({
      email: ADDRESS, imap_host: '127.0.0.1', imap_port: String(dovecot.port), imap_tls: 'false', imap_username: ADDRESS,
      imap_password: 'imap-pw', smtp_host: '127.0.0.1', smtp_port: String(smtp.port), smtp_security: 'none',
    }));
    expect(registered.attrs.type).toBe('result');
  });

  afterAll(async () => {
    await other?.logout().catch(() => undefined);
    await alice?.stop();
    await gateway?.stop();
    await prosody?.destroy();
    await files?.stop();
    await smtp?.stop();
    await dovecot?.stop();
  });

  /** Dan's mail lands in the inbox; resolves with the message the client received for it. */
  async function mailFromDan(messageId: string, subject: string, body: string): Promise<Element> {
    const incoming = alice.waitFor((el) => el.name === 'message' && el.attrs.from === DAN && el.getChildText('subject') === subject, 15000, subject);
    await other.append('INBOX', plainMail({ from: 'dan@example.org', to: ADDRESS, subject, body, messageId: `<${messageId}>` }));
    return incoming;
  }

  async function nextMail(send: () => Promise<void>): Promise<ParsedMail> {
    const before = smtp.received.length;
    await send();
    const [mail] = (await smtp.waitForCount(before + 1)).slice(before);
    return simpleParser(mail.raw);
  }

  async function isSeen(messageId: string): Promise<boolean> {
    const lock = await other.getMailboxLock('INBOX');
    try {
      for await (const m of other.fetch('1:*', { envelope: true, flags: true })) {
        if (m.envelope?.messageId === messageId) return m.flags?.has('\\Seen') ?? false;
      }
    } finally {
      lock.release();
    }
    throw new Error(`${messageId} is not in INBOX`);
  }

  test('contacts announce replies and read markers, not corrections or reactions', async () => {
    const info = await alice.iq('get', DAN, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }));
    const features = info.getChild('query')!.getChildren('feature').map((f) => f.attrs.var);
    expect(features).toEqual(expect.arrayContaining(['urn:xmpp:reply:0', 'urn:xmpp:chat-markers:0']));
    expect(features).not.toContain('urn:xmpp:message-correct:0');
    expect(features).not.toContain('urn:xmpp:reactions:0');
  });

  test('an XEP-0461 reply with a fallback quote becomes a threaded mail with the quote below the answer', async () => {
    const question = await mailFromDan('lunch-1@example.org', 'Lunch', 'Lunch at noon?');
    expect(question.attrs.id).toBe('lunch-1@example.org');
    const quote = '> Lunch at noon?\n';
    const mail = await nextMail(() => alice.send(xml('message', { to: DAN, type: 'chat', id: 'reply-1' },
      xml('body', {}, `${quote}Yes, see you there`),
      xml('reply', { xmlns: 'urn:xmpp:reply:0', to: DAN, id: question.attrs.id }),
      xml('fallback', { xmlns: 'urn:xmpp:fallback:0', for: 'urn:xmpp:reply:0' }, xml('body', { start: '0', end: String(Array.from(quote).length) })))));
    expect(mail.inReplyTo).toBe('<lunch-1@example.org>');
    expect(mail.references).toBe('<lunch-1@example.org>');
    expect(mail.subject).toBe('Re: Lunch');
    expect(mail.text?.trim()).toBe('Yes, see you there\n\nOn Wed, 25 Nov 2026 10:00:00 GMT, dan@example.org wrote:\n> Lunch at noon?');
  });

  test('an uploaded file (body and OOB the same URL) arrives as an attachment; one over the limit as its link and the reason', async () => {
    const url = files.url('/upload/u1/report.pdf');
    const attached = await nextMail(() => alice.send(xml('message', { to: DAN, type: 'chat', id: 'file-1' },
      xml('body', {}, url), xml('x', { xmlns: 'jabber:x:oob' }, xml('url', {}, url)))));
    expect(attached.attachments).toHaveLength(1);
    expect(attached.attachments[0]).toMatchObject({ filename: 'report.pdf', contentType: 'application/pdf' });
    expect(attached.attachments[0].content.equals(bytes(900))).toBe(true);
    expect(attached.text ?? '').not.toContain(url);

    const big = files.url('/upload/u2/video.mp4');
    const linked = await nextMail(() => alice.send(xml('message', { to: DAN, type: 'chat', id: 'file-2' },
      xml('body', {}, big), xml('x', { xmlns: 'jabber:x:oob' }, xml('url', {}, big)))));
    expect(linked.attachments).toHaveLength(0);
    expect(linked.text?.trim()).toBe(`${big}\n(Not attached: the file (4.9 KB) is larger than the gateway's 4.0 KB limit.)`);
  });

  test('a correction and a reaction are refused with feature-not-implemented and a sentence naming email; nothing is mailed', async () => {
    const before = smtp.received.length;
    const error = alice.waitFor((el) => el.name === 'message' && el.attrs.type === 'error' && el.attrs.id === 'fix-1', 15000, 'correction error');
    await alice.send(xml('message', { to: DAN, type: 'chat', id: 'fix-1' },
      xml('body', {}, 'Yes, see you at one'), xml('replace', { xmlns: 'urn:xmpp:message-correct:0', id: 'reply-1' })));
    const el = await error;
    expect(errorCondition(el)).toBe('feature-not-implemented');
    expect(errorText(el)).toBe('Email cannot change a message once it is sent; the correction was not sent. Send a new message instead.');
    const refused = alice.waitFor((el) => el.name === 'message' && el.attrs.type === 'error' && el.attrs.id === 'react-1', 15000, 'reaction error');
    await alice.send(xml('message', { to: DAN, type: 'chat', id: 'react-1' },
      xml('reactions', { xmlns: 'urn:xmpp:reactions:0', id: 'lunch-1@example.org' }, xml('reaction', {}, '👍'))));
    expect(errorCondition(await refused)).toBe('feature-not-implemented');
    expect(errorText(await refused)).toBe('Email has no reactions; yours was not sent. Reply with a message instead.');
    // Messages are handled in order: the next mail out is the one sent after the correction.
    const next = await nextMail(() => alice.send(xml('message', { to: DAN, type: 'chat', id: 'after-fix' }, xml('body', {}, 'after the correction'))));
    expect(next.text?.trim()).toBe('after the correction');
    expect(smtp.received.length).toBe(before + 1);
  });

  test('a displayed marker flags the mail \\Seen in the inbox', async () => {
    const mail = await mailFromDan('read-me@example.org', 'Read me', 'Did you see this?');
    expect(await isSeen('<read-me@example.org>')).toBe(false);
    await alice.send(xml('message', { to: DAN, type: 'chat', id: 'mark-1' }, xml('displayed', { xmlns: 'urn:xmpp:chat-markers:0', id: mail.attrs.id })));
    // Wait for the flag itself (the marker has no answer to wait for).
    const deadline = Date.now() + 15000;
    while (!(await isSeen('<read-me@example.org>'))) {
      if (Date.now() > deadline) throw new Error('the mail was not flagged \\Seen');
      await new Promise((r) => setTimeout(r, 100));
    }
  });
});
