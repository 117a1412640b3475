import { attachFiles, attribution, MAX_FILES_PER_MAIL, quoteLines, withQuote, type Fetcher } from '../../../../adapters/email/compose';
import { dispositionName, type Download } from '../../../../adapters/email/downloads';
import { emailOptionsSchema } from '../../../../adapters/email/options';
import { createOutboundPolicy } from '../../../../src/core/outbound-policy';

const settings = { maxBytes: 100, totalBytes: 200, timeoutMs: 1000, outbound: createOutboundPolicy({ allow: [], deny: [] }) };

/** Answers by URL, recording what was asked (the real fetching is tested against an HTTP server). */
function fetcher(answers: Record<string, Download>): Fetcher & { asked: { url: string; budget: number }[] } {
  const asked: { url: string; budget: number }[] = [];
  const fetch = async (url: string, _policy: unknown, limits: { budget: number }) => {
    asked.push({ url, budget: limits.budget });
    return answers[url] ?? { ok: false, reason: 'the server answered HTTP 404' };
  };
  return Object.assign(fetch, { asked });
}
const file = (name: string, size: number): Download => ({ ok: true, filename: name, contentType: 'image/png', content: Buffer.alloc(size), page: false });

describe('files sent from XMPP', () => {
  test('an upload whose URL is the whole body and its OOB link is fetched once and leaves no text', async () => {
    const url = 'https://up.example/a/cat.png';
    const fetch = fetcher({ [url]: file('cat.png', 10) });
    const out = await attachFiles(url, [{ url }], settings, fetch);
    expect(fetch.asked.map((a) => a.url)).toEqual([url]);
    expect(out.text).toBe('');
    expect(out.attachments.map((a) => a.filename)).toEqual(['cat.png']);
  });

  test('a bare https URL is tried as a file; a web page behind it stays a plain link', async () => {
    const url = 'https://news.example/story';
    const fetch = fetcher({ [url]: { ok: true, filename: 'story', contentType: 'text/html', content: Buffer.alloc(10), page: true } });
    expect(await attachFiles(` ${url} `, undefined, settings, fetch)).toEqual({ text: ` ${url}`, attachments: [] });
    expect(fetch.asked).toHaveLength(1);
  });

  test('text with a URL in it, or an http URL, is not fetched unless it comes as OOB', async () => {
    const fetch = fetcher({});
    expect((await attachFiles('see https://x.example/f.png', undefined, settings, fetch)).text).toBe('see https://x.example/f.png');
    expect((await attachFiles('http://x.example/f.png', undefined, settings, fetch)).text).toBe('http://x.example/f.png');
    expect(fetch.asked).toEqual([]);
  });

  test('every file not attached keeps its link with the reason, where it was written or below the text', async () => {
    const inline = 'https://a.example/in.png';
    const below = 'https://a.example/below.png';
    const out = await attachFiles(`look: ${inline}`, [{ url: inline }, { url: below }], settings, fetcher({}));
    expect(out.text).toBe(`look: ${inline}\n(${inline} not attached: the server answered HTTP 404.)\n${below}\n(Not attached: the server answered HTTP 404.)`);
  });

  test('each download gets what the earlier files left of the total; beyond the file count only links remain', async () => {
    const links = Array.from({ length: MAX_FILES_PER_MAIL + 1 }, (_, i) => ({ url: `https://f.example/${i}` }));
    const fetch = fetcher(Object.fromEntries(links.map((l) => [l.url, file('f', 15)])));
    const out = await attachFiles('many', links, settings, fetch);
    expect(fetch.asked.map((a) => a.budget)).toEqual(Array.from({ length: MAX_FILES_PER_MAIL }, (_, i) => 200 - 15 * i));
    expect(out.attachments).toHaveLength(MAX_FILES_PER_MAIL);
    expect(out.text).toBe(`many\n${links[MAX_FILES_PER_MAIL].url}\n(Not attached: only the first ${MAX_FILES_PER_MAIL} files of a message are attached.)`);
  });
});

describe('reply quotes', () => {
  test('lines are quoted with "> ", quoted lines get one more ">", empty lines a bare ">"', () => {
    expect(quoteLines('a\r\n\r\n> b\n>> c')).toEqual(['> a', '>', '>> b', '>>> c']);
  });

  test('the attribution comes from the remembered mail, else from the reply\'s author, else there is none', () => {
    const ref = { id: 'x', author: 'dan\\40example.org', text: 't' };
    expect(attribution(ref, { thread: 't', references: [], from: 'Dan <dan@example.org>', date: '2026-11-25T10:00:00.000Z' }, 'me@example.net'))
      .toBe('On Wed, 25 Nov 2026 10:00:00 GMT, Dan <dan@example.org> wrote:');
    expect(attribution(ref, undefined, 'me@example.net')).toBe('dan@example.org wrote:');
    expect(attribution({ ...ref, author: '' }, undefined, 'me@example.net')).toBe('me@example.net wrote:');
    expect(attribution({ ...ref, author: 'not an address' }, undefined, 'me@example.net')).toBeUndefined();
    expect(attribution({ id: 'x' }, undefined, 'me@example.net')).toBeUndefined();
  });

  test('the quote goes below the answer; without the replied text the answer is alone', () => {
    expect(withQuote('Yes', { id: 'x', text: 'Coming?' }, undefined, 'me@example.net')).toBe('Yes\n\n> Coming?');
    expect(withQuote('Yes', { id: 'x' }, undefined, 'me@example.net')).toBe('Yes');
    expect(withQuote('', { id: 'x', text: 'Coming?', author: '' }, undefined, 'me@example.net')).toBe('me@example.net wrote:\n> Coming?');
  });
});

describe('download details and options', () => {
  test('Content-Disposition: filename* (RFC 8187) wins, quoted and bare filename= work, nothing gives undefined', () => {
    expect(dispositionName('attachment; filename="a.txt"; filename*=UTF-8\'\'%E2%82%AC.txt')).toBe('€.txt');
    expect(dispositionName('inline; filename="say \\"hi\\".txt"')).toBe('say "hi".txt');
    expect(dispositionName('attachment; filename=plain.bin')).toBe('plain.bin');
    expect(dispositionName('attachment')).toBeUndefined();
    expect(dispositionName(undefined)).toBeUndefined();
  });

  test('the per-mail total may not be below the per-file limit, and the error names the key', () => {
    expect(emailOptionsSchema.parse({})).toMatchObject({ maxAttachmentBytes: 10485760, maxAttachmentsPerMailBytes: 26214400, attachmentDownloadTimeoutSeconds: 60 });
    const result = emailOptionsSchema.safeParse({ maxAttachmentBytes: 2000, maxAttachmentsPerMailBytes: 1000 });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]).toMatchObject({ path: ['maxAttachmentsPerMailBytes'], message: 'must be at least maxAttachmentBytes (2000)' });
    expect(emailOptionsSchema.safeParse({ attachmentDownloadTimeoutSeconds: 0 }).success).toBe(false);
  });
});
