import twilio from 'twilio';
import type { Logger } from 'pino';
import type { CountryCode } from 'libphonenumber-js/max';
import type { AdapterEvents, InboundMessage, OobLink } from '../../src/core/adapter';
import type { HttpRequest, HttpResponse, HttpRoutes } from '../../src/http/types';
import { senderLocalpart, toE164 } from './phone';
import type { PendingRequest, SmsStore } from './sms-store';
import { deliveryError } from './twilio-errors';

/** A number whose owner's session is logged in: what a webhook for it needs. */
export interface LiveOwner {
  user: string;
  authToken: string;
  events: AdapterEvents;
}

export interface WebhookContext {
  logger: Logger;
  store: SmsStore;
  defaultCountry: CountryCode;
  dedupeTtlMs: number;
  inboundUrl: string;
  statusUrl: string;
  liveOwner(number: string): LiveOwner | undefined;
}

const EMPTY_TWIML: HttpResponse = {
  status: 200,
  headers: { 'content-type': 'text/xml; charset=utf-8' },
  body: '<?xml version="1.0" encoding="UTF-8"?><Response/>',
};
const OK_EMPTY: HttpResponse = { status: 200, headers: { 'content-type': 'text/plain' }, body: '' };
const FORBIDDEN: HttpResponse = { status: 403, headers: { 'content-type': 'text/plain' }, body: 'invalid signature\n' };
const BAD_REQUEST: HttpResponse = { status: 400, headers: { 'content-type': 'text/plain' }, body: 'bad request\n' };

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

export function inboundMessage(params: Record<string, string>, country: CountryCode): InboundMessage {
  const oob = mediaOf(params);
  let body = cleanText(params.Body ?? '');
  if (oob.length > 0) body = [body, ...oob.map((l) => l.url)].filter(Boolean).join('\n');
  const from = senderLocalpart(params.From ?? '', country);
  const message: InboundMessage = { from: from ?? '', body, type: 'chat', ...(oob.length > 0 ? { oob } : {}) };
  if (params.MessageSid && /^[A-Za-z0-9]{1,64}$/.test(params.MessageSid)) message.id = params.MessageSid;
  // A sender that is no address at all still reaches the user, from the transport itself.
  if (from === undefined) message.body = `SMS from ${cleanText(params.From ?? 'an unknown sender').replace(/\s+/g, ' ').slice(0, 40)}:\n${body}`;
  return message;
}

/** Inbound SMS and status callbacks: signed by Twilio with the number owner's auth token. */
export class Webhooks {
  constructor(private readonly ctx: WebhookContext) {}

  mount(http: HttpRoutes, inboundPath: string, statusPath: string): void {
    http.route('POST', inboundPath, (req) => this.receive('inbound', req));
    http.route('POST', statusPath, (req) => this.receive('status', req));
  }

  private async receive(kind: PendingRequest['kind'], req: HttpRequest): Promise<HttpResponse> {
    const { logger, store, defaultCountry } = this.ctx;
    const answer = kind === 'inbound' ? EMPTY_TWIML : OK_EMPTY;
    const signature = signatureOf(req);
    if (!signature) {
      logger.warn({ kind }, 'sms webhook without X-Twilio-Signature refused');
      return FORBIDDEN;
    }
    const params = formParams(req);
    // Inbound SMS are addressed To the user's number; status callbacks report From it.
    const number = numberParam(kind === 'inbound' ? params.To : params.From, defaultCountry);
    if (!number) {
      logger.warn({ kind }, 'sms webhook without a usable phone number refused');
      return BAD_REQUEST;
    }
    const owner = await store.ownerOf(number);
    if (!owner) {
      logger.info({ kind, number }, 'sms webhook for a number no user registered: dropped');
      return answer;
    }
    const url = kind === 'inbound' ? this.ctx.inboundUrl : this.ctx.statusUrl;
    const live = this.ctx.liveOwner(number);
    if (!live || live.user !== owner) {
      // Without the owner's session there is no token to check the signature with (tokens are
      // not kept at rest outside the encrypted registration): keep the request, check it at login.
      const kept = await store.addPending(number, { kind, url, signature, params, receivedAt: Date.now() });
      logger.info({ kind, number, kept }, 'sms webhook for a user who is not logged in: kept for the next login');
      return answer;
    }
    if (!twilio.validateRequest(live.authToken, signature, url, params)) {
      logger.warn({ kind, number }, 'sms webhook with an invalid signature refused');
      return FORBIDDEN;
    }
    await this.process(kind, params, live);
    return answer;
  }

  /** A request kept while its owner was away: delivered only if the signature checks out now. */
  async replay(request: PendingRequest, live: LiveOwner): Promise<void> {
    if (!twilio.validateRequest(live.authToken, request.signature, request.url, request.params)) {
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
    if (sid && !(await this.ctx.store.firstSighting(sid, this.ctx.dedupeTtlMs))) {
      this.ctx.logger.debug({ user: live.user }, 'repeated inbound MessageSid ignored');
      return;
    }
    const message = inboundMessage(params, this.ctx.defaultCountry);
    if (receivedAt) message.delay = receivedAt;
    live.events.message(message);
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
    const target = { peer: ref.peer, ...(ref.id !== undefined ? { id: ref.id } : {}), ...(ref.fromResource ? { fromResource: ref.fromResource } : {}) };
    if (outcome === 'complete' && ref.receiptRequested && ref.id !== undefined) {
      live.events.receipt({ peer: ref.peer, id: ref.id, ...(ref.fromResource ? { fromResource: ref.fromResource } : {}) });
    } else if (outcome === 'failed') {
      live.events.messageError(target, deliveryError(status, params.ErrorCode));
    }
  }
}
