import { connect, type Socket } from 'node:net';
import pino from 'pino';
import { HttpServer, type HttpServerOptions } from '../../../src/http/server';

interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** pino lines as objects; `until` resolves once a predicate over all lines so far holds. */
function captureLogs() {
  const lines: LogLine[] = [];
  const waiters: { check: () => boolean; resolve: () => void }[] = [];
  const logger = pino({ level: 'debug' }, {
    write(line: string) {
      lines.push(JSON.parse(line) as LogLine);
      for (const w of [...waiters]) if (w.check()) waiters.splice(waiters.indexOf(w), 1) && w.resolve();
    },
  });
  const until = (check: () => boolean) => (check() ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ check, resolve })));
  return { logger, lines, until };
}

interface RawAnswer {
  /** Everything the server sent before the connection ended. */
  text: string;
  status?: number;
  /** Set when the connection ended in an error (e.g. ECONNRESET) instead of a clean close. */
  error?: string;
}

/** Writes the whole request the way a simple client does (and only then reads), then waits for the close. */
function rawRequest(port: number, head: string, body: Buffer | Buffer[] = []): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let error: string | undefined;
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => (error = err.code ?? err.message));
    socket.on('close', () => {
      const text = Buffer.concat(received).toString('latin1');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
      resolve({ text, ...(status ? { status: Number(status) } : {}), ...(error ? { error } : {}) });
    });
    socket.write(head);
    const parts = Array.isArray(body) ? body : [body];
    (function writeNext(i: number): void {
      while (i < parts.length) {
        if (!socket.write(parts[i++])) {
          socket.once('drain', () => writeNext(i));
          return;
        }
      }
    })(0);
  });
}

const post = (path: string, length: number, extra = '') =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${length}\r\n${extra}\r\n`;

describe('HTTP server limits and logging (raw requests on loopback)', () => {
  let server: HttpServer;
  let port: number;
  let logs: ReturnType<typeof captureLogs>;
  let handled: number;

  async function start(options: HttpServerOptions = {}): Promise<void> {
    logs = captureLogs();
    server = new HttpServer(logs.logger, options);
    handled = 0;
    server.route('POST', '/hook', async (req) => {
      handled++;
      return { status: 200, headers: { 'content-type': 'text/plain' }, body: `got ${req.body.length}\n` };
    });
    server.route('POST', '/broken', async () => {
      throw new Error('handler bug');
    });
    port = await server.listen(0, '127.0.0.1');
  }

  afterEach(async () => {
    await server.close();
  });

  const atLeast = (level: number) => logs.lines.filter((l) => l.level >= level);
  const WARN = 40;

  it('answers a body over 1 MB with 413 and Connection: close, read to its end, without a reset', async () => {
    await start();
    const size = 1024 * 1024 + 200_000;
    const answer = await rawRequest(port, post('/hook', size), Buffer.alloc(size, 'a'));
    expect(answer.error).toBeUndefined();
    expect(answer.status).toBe(413);
    expect(answer.text).toMatch(/\r\nconnection: close\r\n/i);
    expect(handled).toBe(0);
  });

  it('does the same for a chunked body without Content-Length', async () => {
    await start();
    const chunk = Buffer.alloc(64 * 1024, 'b');
    const chunks = Array.from({ length: 20 }, () => Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]));
    const head = 'POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n';
    const answer = await rawRequest(port, head, [...chunks, Buffer.from('0\r\n\r\n')]);
    expect(answer.error).toBeUndefined();
    expect(answer.status).toBe(413);
    expect(handled).toBe(0);
  });

  it('past the discard bound it still writes the 413 before closing', async () => {
    await start({ maxBodyBytes: 1024, discardBytes: 16 * 1024 });
    const size = 4 * 1024 * 1024;
    const answer = await rawRequest(port, post('/hook', size, 'X-Streamed: yes\r\n').replace(/Content-Length: \d+\r\n/, 'Transfer-Encoding: chunked\r\n'),
      [...Array.from({ length: 64 }, () => Buffer.concat([Buffer.from('10000\r\n'), Buffer.alloc(0x10000, 'c'), Buffer.from('\r\n')]))]);
    expect(answer.status).toBe(413);
    expect(handled).toBe(0);
  });

  it('answers a declared Content-Length far over the bound at once with 413', async () => {
    await start({ maxBodyBytes: 1024, discardBytes: 1024 });
    const answer = await rawRequest(port, post('/hook', 500 * 1024 * 1024));
    expect(answer.status).toBe(413);
    expect(answer.text).toMatch(/\r\nconnection: close\r\n/i);
  });

  it('still hands bodies up to the limit to the handler', async () => {
    await start();
    const size = 1024 * 1024;
    const answer = await rawRequest(port, post('/hook', size, 'Connection: close\r\n'), Buffer.alloc(size, 'd'));
    expect(answer.status).toBe(200);
    expect(answer.text).toContain(`got ${size}`);
    expect(handled).toBe(1);
  });

  it('logs one warning for many oversized requests, with the count it left out', async () => {
    await start({ maxBodyBytes: 1024 });
    for (let i = 0; i < 20; i++) expect((await rawRequest(port, post('/hook', 2048), Buffer.alloc(2048, 'e'))).status).toBe(413);
    const warnings = atLeast(WARN);
    expect(warnings).toHaveLength(1);
    expect(warnings[0].msg).toMatch(/over the limit/);
  });

  it('logs client aborts at debug level only, one line each', async () => {
    await start();
    const aborts = 30;
    // Expect: 100-continue makes the server say when it has taken the request, so each reset
    // below lands while the handler's body read is under way.
    await Promise.all(Array.from({ length: aborts }, () => new Promise<void>((done) => {
      const socket: Socket = connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.once('data', () => {
        socket.write('x'.repeat(100), () => {
          socket.resetAndDestroy();
          done();
        });
      });
      socket.write(post('/hook', 10_000, 'Expect: 100-continue\r\n'));
    })));
    await logs.until(() => logs.lines.filter((l) => /went away|reset/.test(l.msg)).length >= aborts);
    expect(atLeast(WARN)).toEqual([]);
    expect(handled).toBe(0);
  });

  it('answers garbage with 400 and warns once; a failing handler gets 500 and one error line', async () => {
    await start();
    for (let i = 0; i < 10; i++) expect((await rawRequest(port, 'NOT HTTP AT ALL\r\n\r\n')).status).toBe(400);
    for (let i = 0; i < 10; i++) expect((await rawRequest(port, post('/broken', 3, 'Connection: close\r\n'), Buffer.from('a=b'))).status).toBe(500);
    const loud = atLeast(WARN).map((l) => l.msg);
    expect(loud).toEqual(['malformed http request refused', 'http handler failed']);
  });
});
