import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { CountryCode } from 'libphonenumber-js/max';
import type { LegacySession, OutboundMessage, SendResult, XmppUser } from '../../src/core/adapter';
import { GatewayError } from '../../src/core/errors';
import { InFlight } from '../../src/core/in-flight';
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
  /** Most SMS one XMPP message may become. */
  maxParts: number;
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

/** One XMPP message being sent as SMS, for drain() to name in the error if it gives up on it. */
interface Flight {
  message: OutboundMessage;
  parts: number;
  sent: number;
  abort: AbortController;
  /** MessageSid of the first part: the message's id on the legacy side. */
  firstSid?: string;
}

/** One user's Twilio number, logged in: sends SMS, and is where webhooks for the number go. */
export class SmsSession implements LegacySession {
  private online = true;
  private readonly inFlight = new InFlight<Flight>();

  constructor(
    private readonly ctx: SessionContext,
    readonly user: string,
    readonly number: string,
    readonly account: TwilioAccount,
    readonly xmpp: XmppUser,
  ) {}

  /** Mirrors the API's verdict on the credentials as the transport's presence. */
  setOnline(online: boolean, text?: string, force = false): void {
    if (this.online === online && !force) return;
    this.online = online;
    this.xmpp.status(online ? { online: true } : { online: false, ...(text ? { text } : {}) });
  }

  /** Resolves with the first part's MessageSid: what Twilio calls this message. */
  async sendMessage(message: OutboundMessage): Promise<SendResult> {
    const to = toE164(message.to, this.ctx.defaultCountry);
    const mediaUrls = (message.oob ?? []).map((link) => link.url).filter((url) => /^https?:\/\/\S+$/.test(url));
    if (mediaUrls.length > MAX_MEDIA) {
      throw new GatewayError('not-acceptable', `An MMS can carry at most ${MAX_MEDIA} attachments; this message has ${mediaUrls.length}.`);
    }
    const text = composeText(message, mediaUrls);
    if (!text && mediaUrls.length === 0) throw new GatewayError('bad-request', 'The message is empty; there is nothing to send as SMS.');
    const parts = this.split(text);
    const flight: Flight = { message, parts: parts.length, sent: 0, abort: new AbortController() };
    let work = Promise.resolve();
    await this.inFlight.send(flight, (abandoned) => (work = this.sendParts(flight, to, parts, mediaUrls, abandoned).catch((err: unknown) => {
      // drain() has already told the sender; a second error for the same message would confuse.
      if (!abandoned()) throw err;
    })));
    // Given up on by drain(), the send still settles only once it has stopped (the abort is quick).
    await work;
    return flight.firstSid ? { legacyId: flight.firstSid } : {};
  }

  /** Parts to send, refused above maxParts before any API call: every part is billed. */
  private split(text: string): string[] {
    const { maxParts, maxSegmentLength } = this.ctx;
    const refuse = (count: string) => new GatewayError('not-acceptable',
      `This message is ${text.length} characters long and would need ${count} SMS; this gateway sends at most ${maxParts} SMS per message `
      + `(about ${maxParts * maxSegmentLength} characters). Shorten it or send it in several messages.`);
    if (!text) return [''];
    // Each part holds at most maxSegmentLength characters: no need to split a body that cannot fit.
    if (text.length > maxParts * maxSegmentLength) throw refuse(`more than ${maxParts}`);
    const parts = splitBody(text, maxSegmentLength);
    if (parts.length > maxParts) throw refuse(String(parts.length));
    return parts;
  }

  private async sendParts(flight: Flight, to: string, parts: string[], mediaUrls: string[], abandoned: () => boolean): Promise<void> {
    const { message } = flight;
    const group = randomUUID();
    for (const [index, part] of parts.entries()) {
      if (abandoned()) return;
      let sid: string;
      try {
        ({ sid } = await this.account.sendMessage({
          from: this.number,
          to,
          body: part,
          ...(this.ctx.statusUrl ? { statusCallback: this.ctx.statusUrl } : {}),
          ...(index === 0 && mediaUrls.length > 0 ? { mediaUrl: mediaUrls } : {}),
        }, flight.abort.signal));
      } catch (err) {
        if (abandoned()) return;
        throw this.sendFailure(err as ApiFailure, index, parts.length);
      }
      if (abandoned()) return;
      flight.sent++;
      flight.firstSid ??= sid;
      this.setOnline(true);
      try {
        await this.ctx.store.rememberOutbound(sid, {
          user: this.user,
          peer: message.to,
          ...(message.id !== undefined ? { id: message.id } : {}),
          receiptRequested: message.receiptRequested,
          fromResource: message.fromResource,
          group,
          parts: parts.length,
        });
      } catch (err) {
        // The SMS is on its way; failing the message now would make the user send it twice.
        this.ctx.logger.warn({ user: this.user, err: (err as Error).message }, 'sms: sent, but the store failed: no delivery report for this part');
      }
    }
  }

  /**
   * Shutdown: waits for sends in flight (retries and their backoff included) until `deadline`;
   * each message still unfinished then gets one messageError, and its late outcome is ignored.
   */
  async drain(deadline: number): Promise<void> {
    await this.inFlight.drain(deadline, (flight) => this.abandon(flight));
  }

  private abandon(flight: Flight): void {
    flight.abort.abort();
    const { message } = flight;
    const sent = flight.sent > 0 ? ` Parts 1-${flight.sent} of ${flight.parts} were sent; the rest were not.` : '';
    this.xmpp.contact(message.to).failed(
      { ...(message.id !== undefined ? { id: message.id } : {}), fromResource: message.fromResource },
      new GatewayError('service-unavailable', `The gateway shut down before Twilio confirmed this SMS, so it may not have been sent.${sent} Please send it again later.`, 'wait'),
    );
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
