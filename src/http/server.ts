import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { HttpHandler, HttpRequest, HttpRoutes } from './types';

interface Route {
  method: string;
  segments: string[];
  handler: HttpHandler;
}

const MAX_BODY_BYTES = 1024 * 1024;

/** The gateway's one HTTP server: webhooks, attachment downloads, /health, /metrics. */
export class HttpServer implements HttpRoutes {
  private readonly routes: Route[] = [];
  private server?: Server;

  constructor(private readonly logger: Logger) {}

  route(method: 'GET' | 'POST', path: string, handler: HttpHandler): void {
    this.routes.push({ method, segments: path.split('/').filter(Boolean), handler });
  }

  async listen(port: number, host: string): Promise<number> {
    this.server = createServer((req, res) => void this.handle(req, res));
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

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    const found = this.match(req.method ?? 'GET', url.pathname);
    if (!found) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    try {
      const body = await readBody(req);
      const request: HttpRequest = {
        method: req.method ?? 'GET', path: url.pathname, query: url.searchParams,
        headers: req.headers, body, params: found.params,
      };
      const answer = await found.route.handler(request, { req, res });
      if (res.headersSent) return;
      res.writeHead(answer.status, answer.headers ?? {}).end(answer.body ?? '');
    } catch (err) {
      // Log the path only: bodies can carry message text and tokens.
      this.logger.error({ err: (err as Error).message, path: url.pathname }, 'http handler failed');
      if (!res.headersSent) res.writeHead((err as { status?: number }).status ?? 500, { 'content-type': 'text/plain' }).end('error\n');
    }
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(Object.assign(new Error('request body too large'), { status: 413 }));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
