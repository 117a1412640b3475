import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { GatewayError } from '../../src/core/errors';
import type { OutboundPolicy, VettedTarget } from '../../src/core/outbound-policy';
import { safeContentType, safeFilename } from './attachments';
import { humanSize } from './text';

/*
 * Files an XMPP user sends (XEP-0066 links, XEP-0363 uploads) fetched over HTTP(S) so they can be
 * attached to the mail. The URL comes from the user, so every hop is vetted by the outbound policy
 * and the socket goes to the address the policy checked (a second DNS answer cannot sneak in).
 */

export const MAX_REDIRECTS = 3;

export interface DownloadLimits {
  /** Largest single file. */
  maxBytes: number;
  /** All files of one mail together. */
  totalBytes: number;
  /** What the mail's earlier files left of totalBytes. */
  budget: number;
  /** Whole download, every redirect included. */
  timeoutMs: number;
}

export type Download =
  | { ok: true; filename: string; contentType: string; content: Buffer; /** A web page, not a file. */ page: boolean }
  | { ok: false; reason: string };

type Hop =
  | { kind: 'redirect'; location: string }
  | { kind: 'body'; response: IncomingMessage; content: Buffer }
  | { kind: 'failed'; reason: string };

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export async function download(rawUrl: string, policy: OutboundPolicy, limits: DownloadLimits): Promise<Download> {
  const deadline = Date.now() + limits.timeoutMs;
  const seconds = Math.max(1, Math.round(limits.timeoutMs / 1000));
  const tooSlow = `the download took longer than ${seconds} second${seconds === 1 ? '' : 's'}`;
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return { ok: false, reason: 'the link is not a valid URL' };
  }
  for (let hop = 0; ; hop++) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, reason: 'only http and https links can be attached' };
    const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
    let target: VettedTarget;
    try {
      target = await withDeadline(policy.vet(url.hostname, port), deadline);
    } catch (err) {
      if (err === TIMEOUT) return { ok: false, reason: tooSlow };
      return { ok: false, reason: err instanceof GatewayError ? lowerFirst(err.message) : 'the server name could not be looked up' };
    }
    const result = await fetchOnce(url, target, limits, deadline, tooSlow);
    if (result.kind === 'failed') return { ok: false, reason: result.reason };
    if (result.kind === 'redirect') {
      if (hop >= MAX_REDIRECTS) return { ok: false, reason: `the server redirected more than ${MAX_REDIRECTS} times` };
      try {
        url = new URL(result.location, url);
      } catch {
        return { ok: false, reason: 'the server redirected to an invalid address' };
      }
      continue;
    }
    const type = mediaType(result.response.headers['content-type']);
    return {
      ok: true,
      content: result.content,
      contentType: safeContentType(type),
      filename: safeFilename(dispositionName(result.response.headers['content-disposition']) ?? lastSegment(url)),
      page: type === 'text/html' || type === 'application/xhtml+xml',
    };
  }
}

function fetchOnce(url: URL, target: VettedTarget, limits: DownloadLimits, deadline: number, tooSlow: string): Promise<Hop> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (hop: Hop) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      resolve(hop);
    };
    const secure = url.protocol === 'https:';
    const request = (secure ? https : http).request({
      host: target.address,
      family: target.family,
      port: target.port,
      // TLS checks the certificate against the name the user gave, not the address connected to.
      ...(secure && target.servername ? { servername: target.servername } : {}),
      path: `${url.pathname}${url.search}`,
      method: 'GET',
      headers: { host: url.host, 'user-agent': 'xmpp-email-gateway', accept: '*/*' },
      // No pooled sockets: each connection is one this function vetted.
      agent: false,
    });
    const timer = setTimeout(() => finish({ kind: 'failed', reason: tooSlow }), Math.max(0, deadline - Date.now()));
    request.on('error', (err: NodeJS.ErrnoException) => finish({ kind: 'failed', reason: networkReason(err) }));
    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      if (REDIRECTS.has(status) && response.headers.location) {
        finish({ kind: 'redirect', location: response.headers.location });
        return;
      }
      if (status !== 200) {
        finish({ kind: 'failed', reason: `the server answered HTTP ${status}` });
        return;
      }
      const limit = Math.min(limits.maxBytes, limits.budget);
      // Over the file limit, or only over what the mail's earlier files left of the total.
      const tooLarge = (size: number, known: boolean) => (size > limits.maxBytes
        ? `the file${known ? ` (${humanSize(size)})` : ''} is larger than the gateway's ${humanSize(limits.maxBytes)} limit`
        : `the files of this message together are larger than the gateway's ${humanSize(limits.totalBytes)} limit per mail`);
      const announced = Number(response.headers['content-length']);
      if (Number.isFinite(announced) && announced > limit) {
        finish({ kind: 'failed', reason: tooLarge(announced, true) });
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) finish({ kind: 'failed', reason: tooLarge(size, false) });
        else chunks.push(chunk);
      });
      response.on('error', () => finish({ kind: 'failed', reason: 'the connection broke during the download' }));
      response.on('aborted', () => finish({ kind: 'failed', reason: 'the connection broke during the download' }));
      response.on('end', () => finish({ kind: 'body', response, content: Buffer.concat(chunks) }));
    });
    request.end();
  });
}

/** Fixed sentences: an OS or TLS message would show addresses and ports to the mail's recipient. */
function networkReason(err: NodeJS.ErrnoException): string {
  const code = err.code ?? '';
  if (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ECONNRESET') return 'the server could not be reached';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)) return 'the server\'s certificate could not be verified';
  return 'the download failed';
}

const TIMEOUT = Symbol('timeout');

function withDeadline<T>(promise: Promise<T>, deadline: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(TIMEOUT), Math.max(0, deadline - Date.now())); });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/** A policy sentence as a clause: "not attached: this gateway does not connect to ..." */
function lowerFirst(sentence: string): string {
  return sentence.charAt(0).toLowerCase() + sentence.slice(1).replace(/\.$/, '');
}

function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0].trim().toLowerCase();
}

/** RFC 6266: filename* (RFC 8187, UTF-8) wins over filename. */
export function dispositionName(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)'[^']*'([^;\s]+)/.exec(header)?.[1];
  if (extended) {
    try {
      return decodeURIComponent(extended);
    } catch {
      // Falls through to the plain parameter.
    }
  }
  const plain = /(?:^|;)\s*filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/i.exec(header);
  if (!plain) return undefined;
  return plain[1] !== undefined ? plain[1].replace(/\\(.)/g, '$1') : plain[2];
}

function lastSegment(url: URL): string | undefined {
  const segment = url.pathname.split('/').filter(Boolean).at(-1);
  if (!segment) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
