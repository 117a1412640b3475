import { AttachmentLinks } from '../../../../adapters/email/attachments';
import type { HttpHandler, HttpRequest, HttpRoutes } from '../../../../src/http/types';
import { MemoryKeyValue } from '../../../harness/memory-kv';

describe('attachment links', () => {
  test('without a public URL attachments are only listed', async () => {
    const store = new MemoryKeyValue();
    const links = new AttachmentLinks(store, undefined, 60000, 1000);
    const out = await links.publish([{ filename: 'a.pdf', content: Buffer.alloc(2048), size: 2048 }]);
    expect(out).toEqual({ lines: ['- a.pdf (2.0 KB)'], oob: [], unstored: 0 });
    expect(store.data.size).toBe(0);
  });

  test('stored with a TTL, too large ones are not stored, names and types are cleaned', async () => {
    const store = new MemoryKeyValue();
    const links = new AttachmentLinks(store, 'https://gw.example.org', 60000, 10);
    const out = await links.publish([
      { filename: 'big.bin', content: Buffer.alloc(11) },
      { filename: '../"evil"\r\nX: y.html', contentType: 'text/html\r\nX-Bad: 1', content: Buffer.from('<b>hi</b>') },
    ]);
    expect(out.lines[0]).toBe('- big.bin (11 B): too large to relay, open it in your mail client');
    expect(out.oob).toHaveLength(1);
    expect(store.data.size).toBe(1);
    const [entry] = [...store.data.values()];
    expect(entry.expires! - Date.now()).toBeGreaterThan(50000);

    const token = out.oob[0].url.split('/').pop()!;
    const answer = await links.serve(token);
    expect(answer.status).toBe(200);
    expect(answer.headers).toMatchObject({ 'content-type': 'application/octet-stream', 'x-content-type-options': 'nosniff' });
    expect(answer.headers!['content-disposition']).toBe('attachment; filename="..__evil_ X: y.html"; filename*=UTF-8\'\'.._%22evil%22%20X%3A%20y.html');
    expect(answer.body).toEqual(Buffer.from('<b>hi</b>'));
  });

  test('unknown or malformed tokens are 404', async () => {
    const links = new AttachmentLinks(new MemoryKeyValue(), 'https://gw.example.org', 60000, 10);
    expect((await links.serve('A'.repeat(43))).status).toBe(404);
    expect((await links.serve('../../etc/passwd')).status).toBe(404);
    expect((await links.serve('')).status).toBe(404);
  });
});

describe('the attachment route', () => {
  test('one route serves the links of every email transport on the HTTP server', async () => {
    const routes: { path: string; handler: HttpHandler }[] = [];
    const http: HttpRoutes = { route: (_method, path, handler) => { routes.push({ path, handler }); } };
    const request = (token: string) => ({ params: { token } }) as unknown as HttpRequest;
    const raw = {} as Parameters<HttpHandler>[1];
    const first = new AttachmentLinks(new MemoryKeyValue(), 'https://gw', 60000, 100);
    const second = new AttachmentLinks(new MemoryKeyValue(), 'https://gw', 60000, 100);
    first.registerRoute(http);
    second.registerRoute(http);
    expect(routes.map((r) => r.path)).toEqual(['/email/attachment/:token']);
    const { oob } = await second.publish([{ filename: 'x', content: Buffer.from('2nd') }]);
    const token = oob[0].url.split('/').pop()!;
    expect((await routes[0].handler(request(token), raw)).body).toEqual(Buffer.from('2nd'));
    expect((await routes[0].handler(request('B'.repeat(43)), raw)).status).toBe(404);
  });
});
