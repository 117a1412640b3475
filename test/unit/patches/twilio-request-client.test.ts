/**
 * adapters/sms/twilio-api.ts subclasses twilio's RequestClient (BaseUrlRequestClient): it
 * overrides request(opts) to rewrite `opts.uri` to the configured base URL, and sets and destroys
 * the agents on the client's axios instance (`this.axios.defaults.httpAgent` / `httpsAgent`).
 * That works while the SDK sends every REST call through `httpClient.request()` with an absolute
 * URI and reads `{ statusCode, body }` back.
 */
import https from 'node:https';
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';
import Response from 'twilio/lib/http/response';
import { assertInternal, assertMethod } from './internals';

const PKG = 'twilio';
const API = 'adapters/sms/twilio-api.ts';
const ACCOUNT = `AC${'0'.repeat(32)}`;

test('RequestClient keeps its request(opts) method and an axios instance with an https agent', () => {
  assertInternal(typeof twilio.RequestClient === 'function', PKG, 'the RequestClient export', API);
  assertMethod(twilio.RequestClient.prototype, 'request', 1, PKG, 'RequestClient', API);
  const client = new twilio.RequestClient({ timeout: 1000, keepAlive: true }) as unknown as { axios?: { defaults?: Record<string, unknown> } };
  const defaults = client.axios?.defaults;
  assertInternal(defaults && typeof defaults === 'object', PKG, 'RequestClient#axios.defaults', API);
  assertInternal(defaults!.httpsAgent instanceof https.Agent, PKG, 'RequestClient#axios.defaults.httpsAgent (expected an https.Agent)', API);
  (defaults!.httpsAgent as https.Agent).destroy();
});

test('every REST call goes through httpClient.request() with an absolute URI', async () => {
  const seen: RequestClient.RequestOptions[] = [];
  class Recording extends twilio.RequestClient {
    override request<TData>(opts: RequestClient.RequestOptions<TData>): Promise<Response<TData>> {
      seen.push(opts);
      const body = { sid: ACCOUNT, friendly_name: 'Test', status: 'active' };
      return Promise.resolve(new Response(200, body as TData, {}));
    }
  }
  const httpClient = new Recording({ keepAlive: false });
  const client = twilio(ACCOUNT, 'f'.repeat(32), { httpClient });
  const account = await client.api.v2010.accounts(ACCOUNT).fetch();
  assertInternal(seen.length === 1, PKG, `the SDK's use of opts.httpClient (request() called ${seen.length} times for one fetch)`, API);
  const uri = seen[0].uri ?? '';
  assertInternal(/^https:\/\/[^/]+\/2010-04-01\/Accounts\/AC0{32}\.json$/.test(uri), PKG, `the URI given to httpClient.request() (${uri})`, API);
  assertInternal(seen[0].method?.toUpperCase() === 'GET' && seen[0].username === ACCOUNT, PKG, 'the method and credentials given to httpClient.request()', API);
  assertInternal(account.status === 'active' && account.friendlyName === 'Test', PKG, "the SDK's reading of request()'s { statusCode, body }", API);
});

test("twilio: the webhook signature check is imported from the SDK's webhooks module alone", () => {
  // adapters/sms/webhooks.ts imports it from there so the REST client is not loaded at start-up.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const direct = require('twilio/lib/webhooks/webhooks').validateRequest;
  assertInternal(typeof direct === 'function' && direct === twilio.validateRequest, PKG, "twilio/lib/webhooks/webhooks's validateRequest (the same function as twilio.validateRequest)", 'adapters/sms/webhooks.ts');
});
