import { randomBytes } from 'node:crypto';
import type { HttpRoutes, HttpResponse } from '../../src/http/types';
import type { KeyValue } from '../../src/store/types';
import type { OobLink } from '../../src/core/adapter';
import { headerValue, humanSize } from './text';

export const ATTACHMENT_ROUTE = '/email/attachment/:token';

interface StoredAttachment {
  filename: string;
  contentType: string;
  /** base64: the store may serialise to JSON. */
  data: string;
}

export interface MailAttachment {
  filename?: string;
  contentType?: string;
  content: Buffer;
  size?: number;
}

const ROUTED = new WeakMap<HttpRoutes, AttachmentLinks[]>();
const NOT_FOUND: HttpResponse = { status: 404, headers: { 'content-type': 'text/plain' }, body: 'attachment not found or expired\n' };
const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const CONTENT_TYPE = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/i;

/**
 * Attachments of inbound mail, served by the gateway's HTTP server at unguessable, expiring URLs.
 * Bytes live in the adapter-wide store with a TTL, so they vanish on their own.
 */
export class AttachmentLinks {
  constructor(
    private readonly store: KeyValue,
    private readonly publicUrl: string | undefined,
    private readonly ttlMs: number,
    private readonly maxBytes: number,
  ) {}

  /**
   * One route per HTTP server, shared by every email transport on it (each has its own store),
   * because the first registered route would otherwise answer for all of them.
   */
  registerRoute(http: HttpRoutes): void {
    let servers = ROUTED.get(http);
    if (!servers) {
      const list: AttachmentLinks[] = [];
      servers = list;
      ROUTED.set(http, list);
      http.route('GET', ATTACHMENT_ROUTE, async (req) => {
        let answer = NOT_FOUND;
        for (const links of list) {
          answer = await links.serve(req.params.token ?? '');
          if (answer.status !== 404) break;
        }
        return answer;
      });
    }
    servers.push(this);
  }

  /**
   * Text lines for the message body plus OOB links; without a public URL only names and sizes.
   * An attachment the store refuses is listed without a link (`unstored` counts them): the mail
   * itself must not wait for, or be lost to, a store fault.
   */
  async publish(attachments: MailAttachment[]): Promise<{ lines: string[]; oob: OobLink[]; unstored: number }> {
    const lines: string[] = [];
    const oob: OobLink[] = [];
    let unstored = 0;
    for (const att of attachments) {
      const filename = safeFilename(att.filename);
      const size = att.size ?? att.content.length;
      const label = `${filename} (${humanSize(size)})`;
      if (!this.publicUrl) {
        lines.push(`- ${label}`);
      } else if (size > this.maxBytes) {
        lines.push(`- ${label}: too large to relay, open it in your mail client`);
      } else {
        const token = randomBytes(32).toString('base64url');
        const stored: StoredAttachment = { filename, contentType: safeContentType(att.contentType), data: att.content.toString('base64') };
        try {
          await this.store.set(`email-attachment:${token}`, stored, this.ttlMs);
        } catch {
          unstored += 1;
          lines.push(`- ${label}: could not be stored for download, open it in your mail client`);
          continue;
        }
        const url = `${this.publicUrl}/email/attachment/${token}`;
        lines.push(`- ${label}: ${url}`);
        oob.push({ url, desc: filename });
      }
    }
    return { lines, oob, unstored };
  }

  async serve(token: string): Promise<HttpResponse> {
    if (!TOKEN.test(token)) return NOT_FOUND;
    const stored = await this.store.get<StoredAttachment>(`email-attachment:${token}`);
    if (!stored) return NOT_FOUND;
    return {
      status: 200,
      headers: {
        'content-type': stored.contentType,
        // Served as a download so a mail's HTML can never run in the gateway's origin.
        'content-disposition': `attachment; filename="${stored.filename.replace(/[^\x20-\x7e]|["\\]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(stored.filename)}`,
        'x-content-type-options': 'nosniff',
        'cache-control': 'private, no-store',
      },
      body: Buffer.from(stored.data, 'base64'),
    };
  }
}

export function safeFilename(name: string | undefined): string {
  const cleaned = headerValue(name ?? '', 200).replace(/[/\\]/g, '_');
  return cleaned || 'attachment';
}

export function safeContentType(type: string | undefined): string {
  const t = (type ?? '').trim().toLowerCase();
  return CONTENT_TYPE.test(t) ? t : 'application/octet-stream';
}
