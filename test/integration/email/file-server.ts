import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../harness/ports';

export const OPENSSL = '/usr/bin/openssl';

/** A self-signed certificate for CN=localhost: a TLS server no client trusts. */
export function selfSignedCert(): { key: string; cert: string } {
  const dir = tempDir('email-tls');
  try {
    execFileSync(OPENSSL, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What one path answers. */
export interface FileRoute {
  status?: number;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Send the body without Content-Length (chunked), so only counting the bytes finds its size. */
  chunked?: boolean;
  /** Answer the headers and then nothing: a download that never ends. */
  stall?: boolean;
}

/**
 * A real HTTP(S) server on loopback standing for an XEP-0363 upload service (or any web server a
 * link points to). It records every request, so a test can tell that a refused host was never asked.
 */
export class FileServer {
  readonly requests: { path: string; host?: string }[] = [];
  port = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server, readonly host: string, private readonly scheme: 'http' | 'https') {}

  static async start(routes: Record<string, FileRoute>, options: { host?: string; tls?: { key: string; cert: string } } = {}): Promise<FileServer> {
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      files.requests.push({ path: req.url ?? '', host: req.headers.host });
      const route = routes[(req.url ?? '').split('?')[0]];
      if (!route) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not here');
        return;
      }
      const body = typeof route.body === 'string' ? Buffer.from(route.body) : route.body ?? Buffer.alloc(0);
      const headers = { ...(route.chunked || route.stall ? {} : { 'content-length': String(body.length) }), ...route.headers };
      res.writeHead(route.status ?? 200, headers);
      if (route.stall) {
        res.flushHeaders();
        return;
      }
      if (route.chunked) {
        // Several writes, so the client sees a stream and not one buffer.
        for (let at = 0; at < body.length; at += 512) res.write(body.subarray(at, at + 512));
        res.end();
        return;
      }
      res.end(body);
    };
    const server = options.tls ? createHttpsServer(options.tls, handler) : createHttpServer(handler);
    const files = new FileServer(server, options.host ?? '127.0.0.1', options.tls ? 'https' : 'http');
    server.on('connection', (socket: Socket) => {
      files.sockets.add(socket);
      socket.on('close', () => files.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, files.host, () => resolve());
    });
    files.port = (server.address() as { port: number }).port;
    return files;
  }

  url(path: string, host = this.host): string {
    return `${this.scheme}://${host}:${this.port}${path}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
