import { simpleParser } from 'mailparser';
import { DOVECOT_BINARY } from '../../harness/dovecot';
import { requireBinary } from '../../harness/ports';
import { EmailContext } from './email-context';
import { FileServer, OPENSSL, selfSignedCert } from './file-server';

const run = requireBinary(DOVECOT_BINARY, 'Dovecot') ? describe : describe.skip;
const bytes = (n: number, seed = 0) => Buffer.from(Array.from({ length: n }, (_, i) => (i + seed) % 251));

function outbound(body: string, extra: Record<string, unknown> = {}) {
  return { to: 'bob\\40example.org', body, receiptRequested: false, fromResource: 'alice@xmpp.example.org/phone', ...extra };
}

run('email adapter: files sent from XMPP become attachments', () => {
  const ctx = new EmailContext();
  let files: FileServer;

  beforeAll(async () => {
    files = await FileServer.start({
      '/upload/k1/photo.jpg': { body: bytes(1000), headers: { 'content-type': 'image/jpeg' } },
      '/upload/k2/notes.txt': { body: bytes(800, 7), headers: { 'content-type': 'text/plain' } },
      '/upload/k3/big.bin': { body: bytes(2048) },
    });
    await ctx.start({ maxAttachmentBytes: 1024, maxAttachmentsPerMailBytes: 1536, saveToSent: false });
  });

  afterAll(async () => {
    await ctx.stop();
    await files?.stop();
  });

  async function sendAndReceive(message: ReturnType<typeof outbound>) {
    const { session } = await ctx.login();
    const before = ctx.smtp.received.length;
    const result = await session.sendMessage(message);
    const [received] = (await ctx.smtp.waitForCount(before + 1)).slice(before);
    await ctx.logout(session);
    return { result, mail: await simpleParser(received.raw) };
  }

  test('an upload sent as its URL with the same URL as OOB is attached, named after the file, and the URL is not in the text', async () => {
    const url = files.url('/upload/k1/photo.jpg');
    const { result, mail } = await sendAndReceive(outbound(url, { oob: [{ url }], id: 'f-1' }));
    expect(mail.attachments).toHaveLength(1);
    expect(mail.attachments[0]).toMatchObject({ filename: 'photo.jpg', contentType: 'image/jpeg' });
    expect(mail.attachments[0].content.equals(bytes(1000))).toBe(true);
    expect(mail.text ?? '').not.toContain(url);
    expect(mail.subject).toBe('photo.jpg');
    // The core records the mail under the XMPP ids: what it gets is the Message-ID that went out.
    expect(result).toEqual({ legacyId: mail.messageId!.replace(/^<|>$/g, '') });
  });

  test('a file over the size limit: the mail still goes out, with the link and why it is not attached', async () => {
    const url = files.url('/upload/k3/big.bin');
    const { mail } = await sendAndReceive(outbound('The log you asked for', { oob: [{ url }] }));
    expect(mail.attachments).toHaveLength(0);
    expect(mail.text?.trim()).toBe(`The log you asked for\n${url}\n(Not attached: the file (2.0 KB) is larger than the gateway's 1.0 KB limit.)`);
    expect(mail.subject).toBe('The log you asked for');
  });

  test('files beyond the total per mail stay links; the others are attached', async () => {
    const first = files.url('/upload/k1/photo.jpg');
    const second = files.url('/upload/k2/notes.txt');
    const { mail } = await sendAndReceive(outbound('Two files', { oob: [{ url: first }, { url: second }] }));
    expect(mail.attachments.map((a) => a.filename)).toEqual(['photo.jpg']);
    expect(mail.text?.trim()).toBe(`Two files\n${second}\n(Not attached: the files of this message together are larger than the gateway's 1.5 KB limit per mail.)`);
  });

  test('a link that cannot be fetched is sent as text with the reason', async () => {
    const url = files.url('/upload/gone/file.pdf');
    const { mail } = await sendAndReceive(outbound(url, { oob: [{ url }] }));
    expect(mail.attachments).toHaveLength(0);
    expect(mail.text?.trim()).toBe(`${url}\n(Not attached: the server answered HTTP 404.)`);
  });

  const withOpenssl = requireBinary(OPENSSL, 'openssl') ? test : test.skip;
  withOpenssl('a body that is only an https URL is fetched as a file too (here it fails on the certificate, so it stays a link)', async () => {
    const secure = await FileServer.start({ '/upload/x/a.png': { body: 'png' } }, { tls: selfSignedCert() });
    try {
      const url = secure.url('/upload/x/a.png');
      const { mail } = await sendAndReceive(outbound(url));
      expect(secure.requests).toEqual([]); // TLS failed before any request was made
      expect(mail.text?.trim()).toBe(`${url}\n(Not attached: the server's certificate could not be verified.)`);
    } finally {
      await secure.stop();
    }
  });

  test('an http URL as the whole body is an ordinary link, not fetched', async () => {
    const url = files.url('/upload/k1/photo.jpg');
    const before = files.requests.length;
    const { mail } = await sendAndReceive(outbound(url));
    expect(files.requests.length).toBe(before);
    expect(mail.attachments).toHaveLength(0);
    expect(mail.text?.trim()).toBe(url);
  });
});
