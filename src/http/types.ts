import type { IncomingMessage, ServerResponse } from 'node:http';

export interface HttpRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** Raw body (bounded by the server's body limit). */
  body: Buffer;
  /** Path parameters from `:name` segments of the route. */
  params: Record<string, string>;
}

export interface HttpResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export type HttpHandler = (req: HttpRequest, raw: { req: IncomingMessage; res: ServerResponse }) => Promise<HttpResponse>;

export interface HttpRoutes {
  /** Register a route: path segments starting with ':' are parameters, e.g. '/sms/:number'. */
  route(method: 'GET' | 'POST', path: string, handler: HttpHandler): void;
}
