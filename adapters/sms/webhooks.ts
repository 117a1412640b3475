import { validateRequest } from 'twilio/lib/webhooks/webhooks';
import type { Logger } from 'pino';
import type { CountryCode } from 'libphonenumber-js/max';
import type { IncomingMeta, OobLink, XmppUser } from '../../src/core/adapter';
import { LogLimiter } from '../../src/http/log-limit';
import type { HttpRequest, HttpResponse, HttpRoutes } from '../../src/http/types';
import type { PendingRequest, QueueBounds } from './offline-queue';
import { senderLocalpart, toE164 } from './phone';
import type { SmsStore } from './sms-store';
import { deliveryError } from './twilio-errors';

/** A number whose owner's session is logged in: what a webhook for it needs. */
export interface LiveOwner {
  user: string;
  authToken: string;
  xmpp: XmppUser;
}

export interface WebhookContext {
  logger: Logger;
  store: SmsStore;
  defaultCountry: CountryCode;
  dedupeTtlMs: number;
  inboundUrl: string;
  statusUrl: string;
  liveOwner(number: string): LiveOwner | undefined;
  /**
   * The auth token of a registered user who is not logged in, read from the registration.
   * undefined: the owner has no registration, and the webhook is dropped.
   */
  offlineToken(user: string): Promise<string | undefined>;
  offlineBounds: QueueBounds;
}

const EMPTY_TWIML: HttpResponse = {
  status: 200,
  headers: { 'content-type': 'text/xml; charset=utf-8' },
  body: '<?xml version="1.0" encoding="UTF-8"?><Response/>',
};
const OK_EMPTY: HttpResponse = { status: 200, headers: { 'content-type': 'text/plain' }, body: '' };
const FORBIDDEN: HttpResponse = { status: 403, headers: { 'content-type': 'text/plain' }, body: 'invalid signature\n' };
const BAD_REQUEST: HttpResponse = { status: 400, headers: { 'content-type': 'text/plain' }, body: 'bad request\n' };
/** Twilio's answer when the request cannot be taken now but must not be lost: try again later. */
const RETRY_LATER: HttpResponse = { status: 503, headers: { 'content-type': 'text/plain', 'retry-after': '60' }, body: 'try again later\n' };

/** Twilio's "taken" answer: empty TwiML for an inbound SMS (no auto-reply), an empty 200 for a status callback. */
function accepted(kind: PendingRequest['kind']): HttpResponse {
  return kind === 'inbound' ? EMPTY_TWIML : OK_EMPTY;
}

/** Control characters are not allowed in XML and could fake line breaks in logs; keep \t \n \r. */
export function cleanText(text: string): string {
  return text.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]/g, '');
}

function formParams(req: HttpRequest): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(req.body.toString('utf8'))) params[key] = value;
  return params;
}

function signatureOf(req: HttpRequest): string | undefined {
  const header = req.headers['x-twilio-signature'];
  return typeof header === 'string' && header.length > 0 ? header : undefined;
}

/** Numbers in params come from the network: only a normalised E.164 form is used as a key or logged. */
function numberParam(value: string | undefined, country: CountryCode): string | undefined {
  if (!value) return undefined;
  try {
    return toE164(value, country);
  } catch {
    return undefined;
  }
}

/** MMS media -> XEP-0066 links; the URLs are also appended to the body for clients without OOB. */
function mediaOf(params: Record<string, string>): OobLink[] {
  const count = Math.min(Number.parseInt(params.NumMedia ?? '0', 10) || 0, 10);
  const links: OobLink[] = [];
  for (let i = 0; i < count; i++) {
    const url = params[`MediaUrl${i}`];
    if (!url || !/^https?:\/\/[^\s]+$/.test(url)) continue;
    const type = params[`MediaContentType${i}`];
    links.push({ url, ...(type && /^[\w.+-]+\/[\w.+-]+$/.test(type) ? { desc: type } : {}) });
  }
  return links;
}

/** An inbound SMS: who sent it (localpart, '' for the transport itself), its text and the rest. */
export interface InboundSms {
  from: string;
  body: string;
  meta: IncomingMeta;
}

export function inboundMessage(params: Record<string, string>, country: CountryCode): InboundSms {
  const oob = mediaOf(params);
  let body = cleanText(params.Body ?? '');
  if (oob.length > 0) body = [body, ...oob.map((l) => l.url)].filter(Boolean).join('\n');
  const from = senderLocalpart(params.From ?? '', country);
  const message: InboundSms = { from: from ?? '', body, meta: { type: 'chat', ...(oob.length > 0 ? { oob } : {}) } };
  if (params.MessageSid && /^[A-Za-z0-9]{1,64}$/.test(params.MessageSid)) message.meta.legacyId = params.MessageSid;
  // A sender that is no address at all still reaches the user, from the transport itself.
  if (from === undefined) message.body = `SMS from ${cleanText(params.From ?? 'an unknown sender').replace(/\s+/g, ' ').slice(0, 40)}:\n${body}`;
  return message;
}

/** Inbound SMS and status callbacks: signed by Twilio with the number owner's auth token. */
export class Webhooks {
  /** Anyone can post here: the warnings they can cause are rate-limited. */
  private readonly limiter = new LogLimiter();

  constructor(private readonly ctx: WebhookContext) {}

  mount(http: HttpRoutes, inboundPath: string, statusPath: string): void {
    http.route('POST', inboundPath, (req) => this.receive('inbound', req));
    http.route('POST', statusPath, (req) => this.receive('status', req));
  }

  private warn(kind: string, fields: Record<string, unknown>, message: string): void {
    const take = this.limiter.take(kind);
    if (take) this.ctx.logger.warn({ ...fields, ...(take.suppressed > 0 ? { suppressed: take.suppressed } : {}) }, message);
  }

  private async receive(kind: PendingRequest['kind'], req: HttpRequest): Promise<HttpResponse> {
    const { logger, store, defaultCountry } = this.ctx;
    const answer = accepted(kind);
    const signature = signatureOf(req);
    if (!signature) {
      this.warn(`unsigned ${kind}`, { kind }, 'sms webhook without X-Twilio-Signature refused');
      return FORBIDDEN;
    }
    const params = formParams(req);
    // Inbound SMS are addressed To the user's number; status callbacks report From it.
    const number = numberParam(kind === 'inbound' ? params.To : params.From, defaultCountry);
    if (!number) {
      this.warn(`numberless ${kind}`, { kind }, 'sms webhook without a usable phone number refused');
      return BAD_REQUEST;
    }
    const url = kind === 'inbound' ? this.ctx.inboundUrl : this.ctx.statusUrl;
    const live = this.ctx.liveOwner(number);
    let owner: string | undefined;
    try {
      owner = await store.ownerOf(number);
    } catch (err) {
      // A logged-in session holds the number's claim, so it can take the SMS without the store.
      if (!live) return this.storeFailed(kind, number, err, 'reading who owns the number');
      owner = live.user;
    }
    if (!owner) {
      logger.info({ kind, number }, 'sms webhook for a number no user registered: dropped');
      return answer;
    }
    if (live && live.user === owner) {
      if (!validateRequest(live.authToken, signature, url, params)) return this.forged(kind, number);
      try {
        await this.process(kind, params, live);
      } catch (err) {
        return this.storeFailed(kind, number, err, 'handling it for a logged-in user');
      }
      return answer;
    }
    return this.keepForLater(kind, number, owner, { signature, url, params });
  }

  /** The owner is not logged in: check the signature with the stored token now, keep only what passes. */
  private async keepForLater(kind: PendingRequest['kind'], number: string, owner: string, signed: { signature: string; url: string; params: Record<string, string> }): Promise<HttpResponse> {
    const { logger, store } = this.ctx;
    let token: string | undefined;
    try {
      token = await this.ctx.offlineToken(owner);
    } catch (err) {
      return this.storeFailed(kind, number, err, 'reading the owner\'s registration');
    }
    if (token === undefined) {
      logger.info({ kind, number }, 'sms webhook for a number whose owner has no registration: dropped');
      return accepted(kind);
    }
    if (!validateRequest(token, signed.signature, signed.url, signed.params)) return this.forged(kind, number);
    const request: PendingRequest = { kind, params: signed.params, receivedAt: Date.now(), verified: true };
    let outcome;
    try {
      outcome = await store.offline.add(number, request, this.ctx.offlineBounds, this.ctx.dedupeTtlMs);
    } catch (err) {
      return this.storeFailed(kind, number, err, 'keeping it for a user who is not logged in');
    }
    if (outcome === 'full') {
      const { maxMessages, maxBytes } = this.ctx.offlineBounds;
      this.warn(`full ${number}`, { kind, number, maxMessages, maxBytes },
        `sms: the offline store of ${number} is full (at most ${maxMessages} webhooks / ${maxBytes} bytes until its owner logs in): answered 503 for Twilio to retry`);
      return RETRY_LATER;
    }
    logger.info({ kind, number, outcome }, 'sms webhook for a user who is not logged in: kept for the next login');
    return accepted(kind);
  }

  private forged(kind: PendingRequest['kind'], number: string): HttpResponse {
    this.warn(`forged ${kind} ${number}`, { kind, number }, 'sms webhook with an invalid signature refused');
    return FORBIDDEN;
  }

  /** A signed request the store cannot take: Twilio is asked to retry rather than told it failed for good. */
  private storeFailed(kind: PendingRequest['kind'], number: string, err: unknown, doing: string): HttpResponse {
    this.warn(`store ${kind}`, { kind, number, err: (err as Error).message }, `sms webhook: the store failed while ${doing}; answered 503 for Twilio to retry`);
    return RETRY_LATER;
  }

  /** A request kept while its owner was away: delivered only if the signature checks out now. */
  async replay(request: PendingRequest, live: LiveOwner): Promise<void> {
    const checked = request.verified === true
      || (request.signature !== undefined && request.url !== undefined && validateRequest(live.authToken, request.signature, request.url, request.params));
    if (!checked) {
      this.ctx.logger.warn({ kind: request.kind }, 'kept sms webhook has an invalid signature: dropped');
      return;
    }
    await this.process(request.kind, request.params, live, new Date(request.receivedAt));
  }

  private async process(kind: PendingRequest['kind'], params: Record<string, string>, live: LiveOwner, receivedAt?: Date): Promise<void> {
    if (kind === 'inbound') await this.deliverInbound(params, live, receivedAt);
    else await this.applyStatus(params, live);
  }

  private async deliverInbound(params: Record<string, string>, live: LiveOwner, receivedAt?: Date): Promise<void> {
    const sid = params.MessageSid ?? params.SmsSid;
    let first = true;
    try {
      if (sid) first = await this.ctx.store.firstSighting(sid, this.ctx.dedupeTtlMs);
    } catch (err) {
      // Twice is better than never: without the store a retry of this SMS may be delivered again.
      this.warn('dedupe store', { user: live.user, err: (err as Error).message }, 'sms: the store failed while checking for a repeated MessageSid; delivered anyway');
    }
    if (!first) {
      this.ctx.logger.debug({ user: live.user }, 'repeated inbound MessageSid ignored');
      return;
    }
    const message = inboundMessage(params, this.ctx.defaultCountry);
    if (receivedAt) message.meta.delay = receivedAt;
    live.xmpp.contact(message.from).sendText(message.body, message.meta);
  }

  private async applyStatus(params: Record<string, string>, live: LiveOwner): Promise<void> {
    const sid = params.MessageSid ?? params.SmsSid;
    const status = params.MessageStatus ?? params.SmsStatus;
    if (!sid || !status) return;
    const delivered = status === 'delivered';
    if (!delivered && status !== 'undelivered' && status !== 'failed') return;
    const ref = await this.ctx.store.outbound(sid);
    if (!ref || ref.user !== live.user) {
      this.ctx.logger.debug({ user: live.user, status }, 'status callback for an unknown message ignored');
      return;
    }
    const outcome = await this.ctx.store.partFinished(ref, sid, delivered);
    const contact = live.xmpp.contact(ref.peer);
    const resource = ref.fromResource ? { fromResource: ref.fromResource } : {};
    if (outcome === 'complete' && ref.receiptRequested && ref.id !== undefined) {
      contact.delivered({ id: ref.id, ...resource });
    } else if (outcome === 'failed') {
      contact.failed({ ...(ref.id !== undefined ? { id: ref.id } : {}), ...resource }, deliveryError(status, params.ErrorCode));
    }
  }
}
