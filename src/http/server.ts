import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { countHttpRequest } from '../metrics';
import { LogLimiter } from './log-limit';
import type { HttpHandler, HttpRequest, HttpRoutes } from './types';

interface Route {
  method: string;
  /** "POST /sms/:number": the metrics label, as registered (bounded, unlike the paths requested). */
  label: string;
  segments: string[];
  handler: HttpHandler;
}

export interface HttpServerOptions {
  /** Largest request body handed to a handler (default 1 MB); larger ones are answered 413. */
  maxBodyBytes?: number;
  /**
   * How much of an oversized body is read and thrown away before the 413 (default 8 MB). Closing a
   * socket with unread input makes the kernel send a reset that can destroy the answer before the
   * client reads it; past this bound the gateway answers and closes anyway.
   */
  discardBytes?: number;
  /** At most one warning per kind of client misbehaviour per window (default 60 s). */
  logWindowMs?: number;
}

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
const DEFAULT_DISCARD_BYTES = 8 * 1024 * 1024;

/** A connection the client reset or closed in the middle of a request: nothing to answer or warn about. */
const CLIENT_GONE_CODES = new Set(['ECONNRESET', 'EPIPE', 'HPE_INVALID_EOF_STATE']);

/** The client closed or reset the connection while its request was being read: its business, not ours. */
class ClientGone extends Error {}

type BodyResult = { body: Buffer } | { tooLarge: true; received: number };

/** The gateway's one HTTP server: webhooks, attachment downloads, /health, /metrics. */
export class HttpServer implements HttpRoutes {
  private readonly routes: Route[] = [];
  private server?: Server;
  private readonly maxBodyBytes: number;
  private readonly discardBytes: number;
  private readonly limiter: LogLimiter;

  constructor(private readonly logger: Logger, options: HttpServerOptions = {}) {
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.discardBytes = options.discardBytes ?? DEFAULT_DISCARD_BYTES;
    this.limiter = new LogLimiter(options.logWindowMs);
  }

  route(method: 'GET' | 'POST', path: string, handler: HttpHandler): void {
    this.routes.push({ method, label: `${method} ${path}`, segments: path.split('/').filter(Boolean), handler });
  }

  async listen(port: number, host: string): Promise<number> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => this.clientError(err, socket));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections?.();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private match(method: string, path: string): { route: Route; params: Record<string, string> } | undefined {
    const parts = path.split('/').filter(Boolean);
    for (const route of this.routes) {
      if (route.method !== method || route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      const ok = route.segments.every((seg, i) => {
        if (seg.startsWith(':')) {
          try {
            params[seg.slice(1)] = decodeURIComponent(parts[i]);
          } catch {
            return false;
          }
          return true;
        }
        return seg === parts[i];
      });
      if (ok) return { route, params };
    }
    return undefined;
  }

  /** Warnings and errors that a client can trigger at will go through the limiter. */
  private limited(level: 'warn' | 'error', kind: string, fields: Record<string, unknown>, message: string): void {
    const take = this.limiter.take(kind);
    if (!take) return;
    this.logger[level]({ ...fields, ...(take.suppressed > 0 ? { suppressed: take.suppressed } : {}) }, message);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    const found = this.match(req.method ?? 'GET', url.pathname);
    if (!found) {
      countHttpRequest('unmatched', 404);
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    let read: BodyResult;
    try {
      read = await this.readBody(req);
    } catch (err) {
      this.logger.debug({ path: url.pathname, err: (err as Error).message }, 'http client went away before its request was read');
      res.destroy();
      return;
    }
    const route = found.route.label;
    if ('tooLarge' in read) {
      countHttpRequest(route, 413);
      this.limited('warn', `413 ${url.pathname}`, { path: url.pathname, received: read.received, limit: this.maxBodyBytes }, 'http request body over the limit: answered 413');
      res.writeHead(413, { 'content-type': 'text/plain', connection: 'close' }).end(`request body larger than ${this.maxBodyBytes} bytes\n`);
      return;
    }
    try {
      const request: HttpRequest = {
        method: req.method ?? 'GET', path: url.pathname, query: url.searchParams,
        headers: req.headers, body: read.body, params: found.params,
      };
      const answer = await found.route.handler(request, { req, res });
      if (res.headersSent || res.destroyed) {
        countHttpRequest(route, res.statusCode);
        return;
      }
      countHttpRequest(route, answer.status);
      res.writeHead(answer.status, answer.headers ?? {}).end(answer.body ?? '');
    } catch (err) {
      // Log the path only: bodies can carry message text and tokens.
      this.limited('error', `500 ${url.pathname}`, { err: (err as Error).message, path: url.pathname }, 'http handler failed');
      const status = (err as { status?: number }).status ?? 500;
      countHttpRequest(route, status);
      if (!res.headersSent && !res.destroyed) res.writeHead(status, { 'content-type': 'text/plain' }).end('error\n');
    }
  }

  /**
   * The body, or the verdict that it is too large once it has been read to its end (or to the
   * discard bound), so that the 413 can be read by the client before the connection closes.
   */
  private readBody(req: IncomingMessage): Promise<BodyResult> {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > this.maxBodyBytes + this.discardBytes) {
      return Promise.resolve({ tooLarge: true, received: 0 });
    }
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let received = 0;
      let settled = false;
      const settle = (result: BodyResult | Error) => {
        if (settled) return;
        settled = true;
        if (result instanceof Error) reject(result);
        else resolve(result);
      };
      req.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received <= this.maxBodyBytes) chunks.push(chunk);
        else if (chunks.length > 0) chunks.length = 0;
        if (received > this.maxBodyBytes + this.discardBytes) settle({ tooLarge: true, received });
      });
      req.on('end', () => settle(received > this.maxBodyBytes ? { tooLarge: true, received } : { body: Buffer.concat(chunks) }));
      req.on('error', (err) => settle(new ClientGone(err.message)));
      req.on('close', () => {
        if (!req.complete) settle(new ClientGone('connection closed before the request was complete'));
      });
    });
  }

  /** Malformed requests and connections reset mid-request (Node's default answers, quieter logs). */
  private clientError(err: NodeJS.ErrnoException, socket: Duplex): void {
    if (CLIENT_GONE_CODES.has(err.code ?? '') || !socket.writable) {
      this.logger.debug({ code: err.code }, 'http client reset its connection');
      socket.destroy();
      return;
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    this.limited('warn', `client-error ${err.code ?? ''}`, { code: err.code, status }, 'malformed http request refused');
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }
}
