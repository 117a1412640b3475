import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';

/**
 * A Twilio-compatible REST endpoint on loopback, for the subset the SMS adapter uses:
 * Accounts fetch, IncomingPhoneNumbers list/update, Messages create. It checks Basic auth like
 * Twilio (Account SID + Auth Token, or API key + secret), validates like Twilio for the common
 * errors, records every call, can inject errors, and sends webhooks and status callbacks signed
 * with twilio's own getExpectedTwilioSignature.
 */

export type Operation = 'accounts.fetch' | 'numbers.list' | 'numbers.update' | 'messages.create';

export interface FakeNumber {
  sid: string;
  phoneNumber: string;
  smsUrl: string;
  smsMethod: string;
}

export interface FakeAccount {
  sid: string;
  authToken: string;
  status: 'active' | 'suspended' | 'closed';
  numbers: FakeNumber[];
  apiKeys: Map<string, string>;
}

export interface RecordedCall {
  operation: Operation;
  accountSid: string;
  /** The Basic auth user name: the Account SID or an API key SID. */
  authUser: string;
  params: URLSearchParams;
}

export interface SentMessage {
  sid: string;
  accountSid: string;
  from: string;
  to: string;
  body: string;
  statusCallback?: string;
  mediaUrls: string[];
}

export interface InjectedError {
  status: number;
  code?: number;
  message?: string;
}

interface Hold {
  arrived: Promise<void>;
  released: Promise<void>;
  arrive(): void;
}

export interface WebhookAnswer {
  status: number;
  body: string;
  contentType?: string;
  retryAfter?: string;
}

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const sid = (prefix: string) => prefix + hex(16);

/** Loopback POST with a form body, no connection reuse (tests must leave no sockets behind). */
export function postForm(url: string, params: Record<string, string>, headers: Record<string, string> = {}): Promise<WebhookAnswer> {
  const body = new URLSearchParams(params).toString();
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: 'POST', agent: false,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), connection: 'close', ...headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({
        status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), contentType: res.headers['content-type'],
        ...(res.headers['retry-after'] ? { retryAfter: res.headers['retry-after'] } : {}),
      }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export class FakeTwilio {
  readonly accounts = new Map<string, FakeAccount>();
  readonly calls: RecordedCall[] = [];
  readonly messages: SentMessage[] = [];
  /** Per operation, what the next calls do: an error, or null to run normally. */
  private readonly injected = new Map<Operation, (InjectedError | null)[]>();
  private readonly holds = new Map<Operation, Hold[]>();
  private server?: Server;
  baseUrl = '';

  static async start(): Promise<FakeTwilio> {
    const fake = new FakeTwilio();
    fake.server = createServer((req, res) => void fake.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      fake.server!.once('error', reject);
      fake.server!.listen(0, '127.0.0.1', () => resolve());
    });
    fake.baseUrl = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  addAccount(numbers: string[], status: FakeAccount['status'] = 'active'): FakeAccount {
    const account: FakeAccount = {
      sid: sid('AC'), authToken: hex(16), status, apiKeys: new Map(),
      numbers: numbers.map((phoneNumber) => ({ sid: sid('PN'), phoneNumber, smsUrl: '', smsMethod: 'POST' })),
    };
    this.accounts.set(account.sid, account);
    return account;
  }

  addApiKey(account: FakeAccount): { sid: string; secret: string } {
    const key = { sid: sid('SK'), secret: hex(16) };
    account.apiKeys.set(key.sid, key.secret);
    return key;
  }

  /** The next `times` calls of `operation` fail with this error instead of running. */
  failNext(operation: Operation, error: InjectedError, times = 1): void {
    const queue = this.injected.get(operation) ?? [];
    for (let i = 0; i < times; i++) queue.push(error);
    this.injected.set(operation, queue);
  }

  /** The call after `successes` normal ones fails with `error` (e.g. the second part of a split SMS). */
  failAfter(operation: Operation, successes: number, error: InjectedError): void {
    const queue = this.injected.get(operation) ?? [];
    for (let i = 0; i < successes; i++) queue.push(null);
    queue.push(error);
    this.injected.set(operation, queue);
  }

  /**
   * The next call of `operation` is recorded, then waits without an answer until `release()`
   * (a slow Twilio). `arrived` resolves when that call has reached the endpoint.
   */
  holdNext(operation: Operation): { arrived: Promise<void>; release(): void } {
    let arrive!: () => void;
    let release!: () => void;
    const hold: Hold = {
      arrived: new Promise<void>((resolve) => (arrive = resolve)),
      released: new Promise<void>((resolve) => (release = resolve)),
      arrive: () => arrive(),
    };
    const queue = this.holds.get(operation) ?? [];
    queue.push(hold);
    this.holds.set(operation, queue);
    return { arrived: hold.arrived, release };
  }

  callsOf(operation: Operation): RecordedCall[] {
    return this.calls.filter((c) => c.operation === operation);
  }

  numberOf(phoneNumber: string): { account: FakeAccount; number: FakeNumber } | undefined {
    for (const account of this.accounts.values()) {
      const number = account.numbers.find((n) => n.phoneNumber === phoneNumber);
      if (number) return { account, number };
    }
    return undefined;
  }

  /**
   * An SMS arriving at one of the accounts' numbers: POSTed to the number's SmsUrl (or `url`)
   * with Twilio's parameters, signed with the account's token (or `signWith`, or `signature` as is)
   * over that URL (or `signUrl`).
   */
  async deliverSms(opts: { from: string; to: string; body: string; media?: { url: string; contentType: string }[]; messageSid?: string; url?: string; signUrl?: string; signWith?: string; signature?: string }): Promise<WebhookAnswer & { messageSid: string }> {
    const owner = this.numberOf(opts.to);
    const url = opts.url ?? owner?.number.smsUrl;
    if (!url) throw new Error(`no SmsUrl configured for ${opts.to}`);
    const messageSid = opts.messageSid ?? sid(opts.media?.length ? 'MM' : 'SM');
    const params: Record<string, string> = {
      ToCountry: 'US', ToState: 'CA', SmsMessageSid: messageSid, NumMedia: String(opts.media?.length ?? 0), ToCity: '',
      FromZip: '', SmsSid: messageSid, FromState: '', SmsStatus: 'received', FromCity: '', Body: opts.body, FromCountry: 'US',
      To: opts.to, ToZip: '', NumSegments: '1', MessageSid: messageSid, AccountSid: owner?.account.sid ?? sid('AC'), From: opts.from,
      ApiVersion: '2010-04-01',
    };
    opts.media?.forEach((m, i) => {
      params[`MediaUrl${i}`] = m.url;
      params[`MediaContentType${i}`] = m.contentType;
    });
    const token = opts.signWith ?? owner?.account.authToken ?? hex(16);
    const signature = opts.signature ?? twilio.getExpectedTwilioSignature(token, opts.signUrl ?? url, params);
    return { ...(await postForm(url, params, { 'x-twilio-signature': signature, 'i-twilio-idempotency-token': hex(8) })), messageSid };
  }

  /** A status callback for a sent message, to its StatusCallback URL, signed like Twilio does. */
  async reportStatus(messageSid: string, status: 'queued' | 'sent' | 'delivered' | 'undelivered' | 'failed', opts: { errorCode?: string; signWith?: string } = {}): Promise<WebhookAnswer> {
    const message = this.messages.find((m) => m.sid === messageSid);
    if (!message?.statusCallback) throw new Error(`message ${messageSid} has no StatusCallback`);
    const account = this.accounts.get(message.accountSid)!;
    const params: Record<string, string> = {
      SmsSid: messageSid, SmsStatus: status, MessageStatus: status, To: message.to, MessageSid: messageSid,
      AccountSid: account.sid, From: message.from, ApiVersion: '2010-04-01',
      ...(opts.errorCode ? { ErrorCode: opts.errorCode } : {}),
    };
    const signature = twilio.getExpectedTwilioSignature(opts.signWith ?? account.authToken, message.statusCallback, params);
    return postForm(message.statusCallback, params, { 'x-twilio-signature': signature });
  }

  /** The authenticated user name, or undefined when the credentials do not open this account. */
  private authenticate(req: IncomingMessage, account: FakeAccount): string | undefined {
    const header = req.headers.authorization ?? '';
    if (!header.startsWith('Basic ')) return undefined;
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    const [user, pass] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
    const ok = (user === account.sid && pass === account.authToken) || account.apiKeys.get(user) === pass;
    return ok ? user : undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', this.baseUrl);
    const params = req.method === 'POST' ? new URLSearchParams(Buffer.concat(chunks).toString('utf8')) : url.searchParams;
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const fail = (status: number, code: number, message: string) =>
      send(status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });

    const route = this.route(req.method ?? 'GET', url.pathname);
    if (!route) return fail(404, 20404, 'The requested resource was not found');
    const account = this.accounts.get(route.accountSid);
    // Twilio answers 401 for unknown accounts too: it does not reveal which SIDs exist.
    const authUser = account && this.authenticate(req, account);
    if (!account || !authUser) return fail(401, 20003, 'Authenticate');
    this.calls.push({ operation: route.operation, accountSid: account.sid, authUser, params });
    const hold = this.holds.get(route.operation)?.shift();
    if (hold) {
      hold.arrive();
      await hold.released;
    }
    const injected = this.injected.get(route.operation)?.shift();
    if (injected) return fail(injected.status, injected.code ?? injected.status, injected.message ?? 'Injected failure');

    switch (route.operation) {
      case 'accounts.fetch':
        return send(200, { sid: account.sid, friendly_name: 'Test account', status: account.status, type: 'Full', date_created: new Date().toUTCString() });
      case 'numbers.list': {
        const filter = params.get('PhoneNumber');
        const numbers = account.numbers.filter((n) => !filter || n.phoneNumber === filter).map((n) => this.numberJson(account, n));
        return send(200, {
          incoming_phone_numbers: numbers, start: 0, end: numbers.length - 1, page: 0, page_size: Number(params.get('PageSize') ?? 50),
          first_page_uri: url.pathname, next_page_uri: null, previous_page_uri: null, uri: url.pathname + url.search,
        });
      }
      case 'numbers.update': {
        const number = account.numbers.find((n) => n.sid === route.numberSid);
        if (!number) return fail(404, 20404, 'The requested resource was not found');
        if (params.has('SmsUrl')) number.smsUrl = params.get('SmsUrl')!;
        if (params.has('SmsMethod')) number.smsMethod = params.get('SmsMethod')!;
        return send(200, this.numberJson(account, number));
      }
      case 'messages.create':
        return this.createMessage(account, params, send, fail);
    }
  }

  private createMessage(account: FakeAccount, params: URLSearchParams, send: (s: number, b: unknown) => void, fail: (s: number, c: number, m: string) => void): void {
    const to = params.get('To') ?? '';
    const from = params.get('From') ?? '';
    const body = params.get('Body') ?? '';
    const mediaUrls = params.getAll('MediaUrl');
    if (!/^\+[1-9][0-9]{6,14}$/.test(to)) return fail(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    if (!account.numbers.some((n) => n.phoneNumber === from)) return fail(400, 21606, `The From phone number ${from} is not a valid, SMS-capable inbound phone number or short code for your account.`);
    if (!body && mediaUrls.length === 0) return fail(400, 21602, 'Message body is required.');
    if (body.length > 1600) return fail(400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
    const message: SentMessage = {
      sid: sid(mediaUrls.length ? 'MM' : 'SM'), accountSid: account.sid, from, to, body, mediaUrls,
      ...(params.get('StatusCallback') ? { statusCallback: params.get('StatusCallback')! } : {}),
    };
    this.messages.push(message);
    send(201, {
      sid: message.sid, account_sid: account.sid, from, to, body, status: 'queued', num_media: String(mediaUrls.length),
      num_segments: '1', direction: 'outbound-api', api_version: '2010-04-01', date_created: new Date().toUTCString(),
      uri: `/2010-04-01/Accounts/${account.sid}/Messages/${message.sid}.json`,
    });
  }

  private numberJson(account: FakeAccount, n: FakeNumber) {
    return {
      sid: n.sid, account_sid: account.sid, phone_number: n.phoneNumber, friendly_name: n.phoneNumber,
      sms_url: n.smsUrl, sms_method: n.smsMethod, capabilities: { sms: true, mms: true, voice: true },
      uri: `/2010-04-01/Accounts/${account.sid}/IncomingPhoneNumbers/${n.sid}.json`,
    };
  }

  private route(method: string, path: string): { operation: Operation; accountSid: string; numberSid?: string } | undefined {
    let m = /^\/2010-04-01\/Accounts\/(AC\w+)\.json$/.exec(path);
    if (m && method === 'GET') return { operation: 'accounts.fetch', accountSid: m[1] };
    m = /^\/2010-04-01\/Accounts\/(AC\w+)\/IncomingPhoneNumbers\.json$/.exec(path);
    if (m && method === 'GET') return { operation: 'numbers.list', accountSid: m[1] };
    m = /^\/2010-04-01\/Accounts\/(AC\w+)\/IncomingPhoneNumbers\/(PN\w+)\.json$/.exec(path);
    if (m && method === 'POST') return { operation: 'numbers.update', accountSid: m[1], numberSid: m[2] };
    m = /^\/2010-04-01\/Accounts\/(AC\w+)\/Messages\.json$/.exec(path);
    if (m && method === 'POST') return { operation: 'messages.create', accountSid: m[1] };
    return undefined;
  }
}
