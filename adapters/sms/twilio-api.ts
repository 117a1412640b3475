import http from 'node:http';
import https from 'node:https';
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';
import type { ApiFailure } from './twilio-errors';

type RequestOptions<T> = RequestClient.RequestOptions<T>;

/**
 * twilio's RequestClient, sending every request to a configured base URL instead of
 * api.twilio.com (Twilio-compatible providers, the test endpoint). The library builds absolute
 * URIs per product domain and then applies edge/region to the host name, so the origin is
 * rewritten here, after all of that, keeping path and query.
 */
export class BaseUrlRequestClient extends twilio.RequestClient {
  private readonly base?: URL;
  private readonly httpAgent = new http.Agent({ keepAlive: true });

  constructor(baseUrl: string | undefined, timeoutMs: number) {
    super({ timeout: timeoutMs, keepAlive: true });
    this.base = baseUrl ? new URL(baseUrl) : undefined;
    this.axios.defaults.httpAgent = this.httpAgent;
  }

  override request<TData>(opts: RequestOptions<TData>) {
    return super.request<TData>({ ...opts, uri: this.rewrite(opts.uri) });
  }

  rewrite(uri: string): string {
    if (!this.base) return uri;
    const original = new URL(uri);
    const basePath = this.base.pathname.replace(/\/+$/, '');
    return new URL(basePath + original.pathname + original.search, this.base.origin).href;
  }

  /** Close idle keep-alive sockets (gateway shutdown, test teardown). */
  destroy(): void {
    this.httpAgent.destroy();
    (this.axios.defaults.httpsAgent as https.Agent | undefined)?.destroy?.();
  }
}

export interface TwilioCredentials {
  accountSid: string;
  authToken: string;
  apiKeySid?: string;
  apiKeySecret?: string;
}

export interface IncomingNumber {
  sid: string;
  phoneNumber: string;
  smsUrl?: string;
}

export interface SentMessage {
  sid: string;
  status: string;
}

export interface RetryPolicy {
  retries: number;
  baseDelayMs: number;
}

/** Normalises whatever twilio or axios threw into the few fields the error mapping needs. */
function toApiFailure(err: unknown): ApiFailure & Error {
  const e = err as { status?: unknown; code?: unknown; message?: unknown };
  const failure = new Error(typeof e?.message === 'string' ? e.message : 'request failed') as ApiFailure & Error;
  if (typeof e?.status === 'number') failure.status = e.status;
  if (typeof e?.code === 'number' || typeof e?.code === 'string') failure.code = e.code;
  return failure;
}

/** Network failures where the request certainly never reached Twilio: safe to repeat a send. */
const UNSENT_NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

function shouldRetry(err: ApiFailure): boolean {
  if (err.status === undefined) return typeof err.code === 'string' && UNSENT_NETWORK_CODES.has(err.code);
  return err.status === 429 || err.status >= 500;
}

/** Waits `ms`, or less if `signal` aborts first. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** One user's Twilio account, with the handful of REST calls the adapter makes. */
export class TwilioAccount {
  private readonly client: twilio.Twilio;

  constructor(readonly creds: TwilioCredentials, httpClient: BaseUrlRequestClient, private readonly retry: RetryPolicy) {
    this.client = creds.apiKeySid && creds.apiKeySecret
      ? twilio(creds.apiKeySid, creds.apiKeySecret, { accountSid: creds.accountSid, httpClient })
      : twilio(creds.accountSid, creds.authToken, { httpClient });
  }

  /**
   * Throws an ApiFailure (status/code) on any error, after retrying 429/5xx with exponential
   * backoff. Once `signal` aborts no further attempt starts (a shutdown gave up on the send).
   */
  private async call<T>(op: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await op();
      } catch (err) {
        const failure = toApiFailure(err);
        if (attempt >= this.retry.retries || !shouldRetry(failure) || signal?.aborted) throw failure;
        // Full jitter keeps many sessions hitting the same 429 from retrying in lockstep.
        const ceiling = this.retry.baseDelayMs * 2 ** attempt;
        await pause(ceiling / 2 + Math.random() * (ceiling / 2), signal);
        if (signal?.aborted) throw failure;
      }
    }
  }

  async fetchAccountStatus(): Promise<{ status: string; name: string }> {
    const account = await this.call(() => this.client.api.v2010.accounts(this.creds.accountSid).fetch());
    return { status: account.status, name: account.friendlyName };
  }

  async findIncomingNumber(e164: string): Promise<IncomingNumber | undefined> {
    const numbers = await this.call(() => this.client.incomingPhoneNumbers.list({ phoneNumber: e164, limit: 20 }));
    const match = numbers.find((n) => n.phoneNumber === e164);
    return match ? { sid: match.sid, phoneNumber: match.phoneNumber, smsUrl: match.smsUrl } : undefined;
  }

  async setSmsUrl(numberSid: string, smsUrl: string): Promise<void> {
    await this.call(() => this.client.incomingPhoneNumbers(numberSid).update({ smsUrl, smsMethod: 'POST' }));
  }

  async sendMessage(params: { from: string; to: string; body: string; statusCallback?: string; mediaUrl?: string[] }, signal?: AbortSignal): Promise<SentMessage> {
    const message = await this.call(() => this.client.messages.create({
      from: params.from,
      to: params.to,
      body: params.body,
      ...(params.statusCallback ? { statusCallback: params.statusCallback } : {}),
      ...(params.mediaUrl && params.mediaUrl.length > 0 ? { mediaUrl: params.mediaUrl } : {}),
    }), signal);
    return { sid: message.sid, status: message.status };
  }
}
