import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { CountryCode } from 'libphonenumber-js/max';
import type { AdapterEvents, LegacySession, OutboundMessage } from '../../src/core/adapter';
import { GatewayError } from '../../src/core/errors';
import { toE164 } from './phone';
import type { SmsStore } from './sms-store';
import { splitBody } from './split';
import type { TwilioAccount } from './twilio-api';
import { apiError, isAuthFailure, type ApiFailure } from './twilio-errors';

export interface SessionContext {
  logger: Logger;
  store: SmsStore;
  defaultCountry: CountryCode;
  maxSegmentLength: number;
  statusUrl?: string;
  /** Called by logout: the adapter stops routing webhooks of this number to this session. */
  detach(session: SmsSession): void;
}

/** Twilio accepts at most 10 media URLs per message. */
const MAX_MEDIA = 10;

function composeText(message: OutboundMessage, mediaUrls: string[]): string {
  let body = message.body;
  // A body that only repeats the attachment URL (XEP-0066 convention) would arrive twice.
  if (mediaUrls.length > 0 && mediaUrls.includes(body.trim())) body = '';
  if (message.action) body = `/me ${body}`;
  if (message.subject) body = body ? `${message.subject}\n${body}` : message.subject;
  return body;
}

/** One user's Twilio number, logged in: sends SMS, and is where webhooks for the number go. */
export class SmsSession implements LegacySession {
  private online = true;

  constructor(
    private readonly ctx: SessionContext,
    readonly user: string,
    readonly number: string,
    readonly account: TwilioAccount,
    readonly events: AdapterEvents,
  ) {}

  /** Mirrors the API's verdict on the credentials as the transport's presence. */
  setOnline(online: boolean, text?: string, force = false): void {
    if (this.online === online && !force) return;
    this.online = online;
    this.events.status(online ? { online: true } : { online: false, ...(text ? { text } : {}) });
  }

  async sendMessage(message: OutboundMessage): Promise<void> {
    const to = toE164(message.to, this.ctx.defaultCountry);
    const mediaUrls = (message.oob ?? []).map((link) => link.url).filter((url) => /^https?:\/\/\S+$/.test(url));
    if (mediaUrls.length > MAX_MEDIA) {
      throw new GatewayError('not-acceptable', `An MMS can carry at most ${MAX_MEDIA} attachments; this message has ${mediaUrls.length}.`);
    }
    const text = composeText(message, mediaUrls);
    if (!text && mediaUrls.length === 0) throw new GatewayError('bad-request', 'The message is empty; there is nothing to send as SMS.');
    const parts = text ? splitBody(text, this.ctx.maxSegmentLength) : [''];
    const group = randomUUID();
    for (const [index, part] of parts.entries()) {
      let sid: string;
      try {
        ({ sid } = await this.account.sendMessage({
          from: this.number,
          to,
          body: part,
          ...(this.ctx.statusUrl ? { statusCallback: this.ctx.statusUrl } : {}),
          ...(index === 0 && mediaUrls.length > 0 ? { mediaUrl: mediaUrls } : {}),
        }));
      } catch (err) {
        throw this.sendFailure(err as ApiFailure, index, parts.length);
      }
      this.setOnline(true);
      await this.ctx.store.rememberOutbound(sid, {
        user: this.user,
        peer: message.to,
        ...(message.id !== undefined ? { id: message.id } : {}),
        receiptRequested: message.receiptRequested,
        fromResource: message.fromResource,
        group,
        parts: parts.length,
      });
    }
  }

  private sendFailure(err: ApiFailure, index: number, total: number): GatewayError {
    const mapped = apiError(err, 'send the SMS');
    this.ctx.logger.warn({ user: this.user, status: err.status, code: err.code, part: index + 1, parts: total }, 'twilio refused an SMS');
    if (isAuthFailure(err)) this.setOnline(false, 'Twilio rejects your credentials; update your registration.');
    if (index === 0) return mapped;
    // Earlier parts are already on their way: say so, so the user resends only the rest.
    return new GatewayError(mapped.condition, `${mapped.message} Parts 1-${index} of ${total} were sent; part ${index + 1} and later were not.`, mapped.type);
  }

  async logout(): Promise<void> {
    this.ctx.detach(this);
  }
}
