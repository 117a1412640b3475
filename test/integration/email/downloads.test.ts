import { download, type Download } from '../../../adapters/email/downloads';
import { createOutboundPolicy } from '../../../src/core/outbound-policy';
import { freePort, requireBinary } from '../../harness/ports';
import { allowLoopback } from '../../support/outbound';
import { FileServer, OPENSSL, selfSignedCert } from './file-server';

const limits = { maxBytes: 1024, totalBytes: 4096, budget: 4096, timeoutMs: 10000 };
const bytes = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => i % 251));

function failure(result: Download): string {
  if (result.ok) throw new Error(`expected a failed download, got ${result.filename}`);
  return result.reason;
}

describe('downloading the files an XMPP user links to', () => {
  let files: FileServer;
  /** Another loopback address, which the narrower policy below refuses. */
  let elsewhere: FileServer;
  const onlyFirstAddress = createOutboundPolicy({ allow: ['127.0.0.1'], deny: [] });

  beforeAll(async () => {
    const redirect = (to: string) => ({ status: 302, headers: { location: to } });
    elsewhere = await FileServer.start({ '/file': { body: 'secret' } }, { host: '127.0.0.2' });
    files = await FileServer.start({
      '/named': { body: bytes(300), headers: { 'content-type': 'image/png; charset=binary', 'content-disposition': 'attachment; filename="fallback.png"; filename*=UTF-8\'\'f%C3%BCr%20dich.png' } },
      '/upload/abc/my%20photo.jpg': { body: bytes(10) },
      '/page': { body: '<html><body>hi</body></html>', headers: { 'content-type': 'text/html; charset=utf-8' } },
      '/big': { body: bytes(2048) },
      '/big-chunked': { body: bytes(2048), chunked: true },
      '/medium': { body: bytes(800), chunked: true },
      '/r1': redirect('/r2'), '/r2': redirect('r3'), '/r3': redirect('/named'),
      '/r0': redirect('/r1'),
      '/away': redirect(elsewhere.url('/file')),
      '/stall': { stall: true },
    });
  });

  afterAll(async () => {
    await files?.stop();
    await elsewhere?.stop();
  });

  test('a file arrives with its bytes, the RFC 8187 file name and the media type without parameters', async () => {
    const result = await download(files.url('/named'), allowLoopback(), limits);
    expect(result).toEqual({ ok: true, filename: 'für dich.png', contentType: 'image/png', content: bytes(300), page: false });
    expect(files.requests.at(-1)).toEqual({ path: '/named', host: `127.0.0.1:${files.port}` });
  });

  test('the connection goes to the address the policy checked; the request still names the host of the link', async () => {
    const policy = createOutboundPolicy({ allow: ['127.0.0.1'], deny: [] }, { resolve: async () => [{ address: '127.0.0.1', family: 4 }] });
    const result = await download(`http://files.upload.test:${files.port}/named`, policy, limits);
    expect(result).toMatchObject({ ok: true, filename: 'für dich.png' });
    expect(files.requests.at(-1)).toEqual({ path: '/named', host: `files.upload.test:${files.port}` });
  });

  test('without Content-Disposition the name comes from the URL, without a type it is octet-stream', async () => {
    const result = await download(files.url('/upload/abc/my%20photo.jpg'), allowLoopback(), limits);
    expect(result).toMatchObject({ ok: true, filename: 'my photo.jpg', contentType: 'application/octet-stream', page: false });
  });

  test('an HTML answer is flagged as a web page', async () => {
    expect(await download(files.url('/page'), allowLoopback(), limits)).toMatchObject({ ok: true, page: true });
  });

  test('a file over the limit is refused by its Content-Length, or by counting when it has none', async () => {
    expect(failure(await download(files.url('/big'), allowLoopback(), limits))).toBe('the file (2.0 KB) is larger than the gateway\'s 1.0 KB limit');
    expect(failure(await download(files.url('/big-chunked'), allowLoopback(), limits))).toBe('the file is larger than the gateway\'s 1.0 KB limit');
  });

  test('a file within its own limit but over what the mail has left is refused as over the total', async () => {
    const reason = failure(await download(files.url('/medium'), allowLoopback(), { ...limits, budget: 500 }));
    expect(reason).toBe('the files of this message together are larger than the gateway\'s 4.0 KB limit per mail');
  });

  test('three redirects (relative ones too) are followed, a fourth is not', async () => {
    expect(await download(files.url('/r1'), allowLoopback(), limits)).toMatchObject({ ok: true, filename: 'für dich.png' });
    const before = files.requests.length;
    expect(failure(await download(files.url('/r0'), allowLoopback(), limits))).toBe('the server redirected more than 3 times');
    expect(files.requests.slice(before).map((r) => r.path)).toEqual(['/r0', '/r1', '/r2', '/r3']);
  });

  test('every hop is vetted: a redirect to a refused address is not followed, and that server is never asked', async () => {
    const reason = failure(await download(files.url('/away'), onlyFirstAddress, limits));
    expect(reason).toBe(`this gateway does not connect to private or local addresses (127.0.0.2:${elsewhere.port})`);
    expect(elsewhere.requests).toEqual([]);
  });

  test('the default policy refuses a loopback link before connecting', async () => {
    const before = files.requests.length;
    const reason = failure(await download(files.url('/named'), createOutboundPolicy({ allow: [], deny: [] }), limits));
    expect(reason).toBe(`this gateway does not connect to private or local addresses (127.0.0.1:${files.port})`);
    expect(files.requests.length).toBe(before);
  });

  test('a download that does not finish in time is given up', async () => {
    expect(failure(await download(files.url('/stall'), allowLoopback(), { ...limits, timeoutMs: 1000 }))).toBe('the download took longer than 1 second');
  });

  test('an error status, a closed port, another scheme and a broken URL each get their sentence', async () => {
    expect(failure(await download(files.url('/missing'), allowLoopback(), limits))).toBe('the server answered HTTP 404');
    expect(failure(await download(`http://127.0.0.1:${await freePort()}/x`, allowLoopback(), limits))).toBe('the server could not be reached');
    expect(failure(await download('ftp://127.0.0.1/file', allowLoopback(), limits))).toBe('only http and https links can be attached');
    expect(failure(await download('http://[oops/', allowLoopback(), limits))).toBe('the link is not a valid URL');
  });

  const withOpenssl = requireBinary(OPENSSL, 'openssl') ? test : test.skip;
  withOpenssl('https: a certificate nobody vouches for fails the download with a fixed sentence', async () => {
    const secure = await FileServer.start({ '/f': { body: 'x' } }, { tls: selfSignedCert() });
    try {
      // The name is pinned to the server's address: localhost may resolve to ::1 first elsewhere.
      const policy = allowLoopback({ resolve: async () => [{ address: '127.0.0.1', family: 4 }] });
      expect(failure(await download(secure.url('/f', 'localhost'), policy, limits))).toBe('the server\'s certificate could not be verified');
    } finally {
      await secure.stop();
    }
  });
});
