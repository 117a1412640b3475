import type {
  Adapter, AdapterServices, AdhocCommand, Credentials, FormField, LegacyAddressInfo, LegacySession, LoginRequest, MessagingSupport,
} from '../../src/core/adapter';
import { GatewayError } from '../../src/core/errors';
import type { SmsOptions } from './options';
import { displayNumber, toE164 } from './phone';
import { SmsSession } from './session';
import { SmsStore } from './sms-store';
import type { BaseUrlRequestClient, IncomingNumber, TwilioCredentials } from './twilio-api';
import { apiError, isAuthFailure, type ApiFailure } from './twilio-errors';
import { Webhooks, type LiveOwner } from './webhooks';

/** twilio's REST client (axios and the API classes): loaded at the first login. */
function twilioApi(): typeof import('./twilio-api') {
  return require('./twilio-api');
}

/** Stops a replay of kept webhooks: the session it was for has logged out or been replaced. */
class SessionReplaced extends Error {}

/** What the adapter keeps per user (LoginRequest.state). */
interface UserState {
  number: string;
  numberSid?: string;
  /** The SmsUrl we last set, to re-point the number when the gateway's public URL changes. */
  smsUrl?: string;
}

const FIELDS: FormField[] = [
  { var: 'accountSid', label: 'Twilio Account SID (AC...)', type: 'text-single', required: true, legacyName: 'username' },
  { var: 'authToken', label: 'Twilio Auth Token', type: 'text-private', required: true, secret: true, legacyName: 'password',
    desc: 'Needed even with an API key: Twilio signs incoming SMS webhooks with it.' },
  { var: 'phoneNumber', label: 'Your Twilio phone number (+E.164)', type: 'text-single', required: true, legacyName: 'phone' },
  { var: 'apiKeySid', label: 'API key SID (SK..., optional: used for API calls instead of the Auth Token)', type: 'text-single' },
  { var: 'apiKeySecret', label: 'API key secret (optional)', type: 'text-private', secret: true },
];

function readCredentials(raw: Record<string, string>): TwilioCredentials & { phoneNumber: string } {
  const accountSid = (raw.accountSid ?? '').trim();
  const authToken = (raw.authToken ?? '').trim();
  const apiKeySid = (raw.apiKeySid ?? '').trim();
  const apiKeySecret = (raw.apiKeySecret ?? '').trim();
  if (!/^AC[0-9a-fA-F]{32}$/.test(accountSid)) {
    throw new GatewayError('not-acceptable', 'The Account SID must be "AC" followed by 32 hexadecimal characters (see the Twilio console).');
  }
  if (!/^[0-9a-fA-F]{32}$/.test(authToken)) throw new GatewayError('not-acceptable', 'The Auth Token must be 32 hexadecimal characters (see the Twilio console).');
  if (apiKeySid && !/^SK[0-9a-fA-F]{32}$/.test(apiKeySid)) throw new GatewayError('not-acceptable', 'The API key SID must be "SK" followed by 32 hexadecimal characters.');
  if (Boolean(apiKeySid) !== Boolean(apiKeySecret)) throw new GatewayError('not-acceptable', 'Give both the API key SID and its secret, or neither.');
  return { accountSid, authToken, ...(apiKeySid ? { apiKeySid, apiKeySecret } : {}), phoneNumber: raw.phoneNumber ?? '' };
}

export class SmsAdapter implements Adapter {
  readonly identity = { type: 'sms', name: 'SMS gateway (Twilio)' };
  readonly features: string[] = [];
  /** SMS has no references between messages: what XMPP adds to a message arrives as text. */
  readonly messaging: MessagingSupport = { corrections: 'text', replies: 'text', reactions: 'text' };
  readonly registration = {
    instructions: 'Enter your Twilio Account SID, Auth Token and the Twilio phone number to send and receive SMS with. '
      + 'The number must belong to the account; the gateway points its incoming-message webhook here.',
    fields: FIELDS,
  };
  readonly gatewayPrompt = { desc: 'Enter the phone number of the contact (with country code, e.g. +15551234567).', prompt: 'Phone number' };
  readonly commands: AdhocCommand[];

  private readonly store: SmsStore;
  private client?: BaseUrlRequestClient;
  private readonly webhooks: Webhooks;
  private readonly live = new Map<string, SmsSession>();
  private readonly timers = new Set<NodeJS.Immediate>();
  private readonly inboundUrl?: string;
  private readonly statusUrl?: string;

  constructor(private readonly services: AdapterServices, private readonly options: SmsOptions) {
    this.store = new SmsStore(services.store);
    const inboundPath = `${options.webhookPath}/inbound`;
    const statusPath = `${options.webhookPath}/status`;
    if (services.publicUrl) {
      this.inboundUrl = services.publicUrl + inboundPath;
      this.statusUrl = services.publicUrl + statusPath;
    } else {
      services.logger.warn('sms: no public URL configured; SMS can be sent but not received, and no delivery receipts arrive');
    }
    this.webhooks = new Webhooks({
      logger: services.logger,
      store: this.store,
      defaultCountry: options.defaultCountry,
      dedupeTtlMs: options.dedupeTtlMs,
      inboundUrl: this.inboundUrl ?? '',
      statusUrl: this.statusUrl ?? '',
      liveOwner: (number) => this.liveOwner(number),
      offlineBounds: { maxMessages: options.offlineMaxMessages, maxBytes: options.offlineMaxBytes },
      offlineToken: (user: string) => this.storedAuthToken(user),
    });
    this.webhooks.mount(services.http, inboundPath, statusPath);
    this.commands = [{
      node: 'sms-release-number',
      name: 'Release my phone number',
      run: async (ctx) => {
        const number = await this.unregister(ctx.user);
        return number
          ? `${displayNumber(number)} is no longer linked to you on this gateway; incoming SMS to it are dropped until someone registers it again.`
          : 'No phone number is linked to you on this gateway.';
      },
    }];
  }

  private get httpClient(): BaseUrlRequestClient {
    this.client ??= new (twilioApi().BaseUrlRequestClient)(this.options.apiBaseUrl, this.options.requestTimeoutMs);
    return this.client;
  }

  /** The webhook URL to set as the number's "A message comes in" URL (undefined without a public URL). */
  get webhookUrl(): string | undefined {
    return this.inboundUrl;
  }

  private liveOwner(number: string): LiveOwner | undefined {
    const session = this.live.get(number);
    return session && { user: session.user, authToken: session.account.creds.authToken, xmpp: session.xmpp };
  }

  private async storedAuthToken(user: string): Promise<string | undefined> {
    const token = (await this.services.credentials(user))?.authToken?.trim();
    return token ? token : undefined;
  }

  parseAddress(localpart: string): LegacyAddressInfo {
    const number = toE164(localpart, this.options.defaultCountry);
    return { kind: 'contact', display: displayNumber(number) };
  }

  toLocalpart(legacyAddress: string): string {
    return toE164(legacyAddress, this.options.defaultCountry);
  }

  async login(request: LoginRequest): Promise<LegacySession> {
    const creds = readCredentials(request.credentials);
    let number: string;
    try {
      number = toE164(creds.phoneNumber, this.options.defaultCountry);
    } catch (err) {
      throw new GatewayError('not-acceptable', `Your Twilio phone number: ${(err as Error).message}`);
    }
    const account = new (twilioApi().TwilioAccount)(creds, this.httpClient, { retries: this.options.maxRetries, baseDelayMs: this.options.retryBaseDelayMs });
    const strict = request.reason === 'register' || request.reason === 'update';
    const previous = await request.state.get<UserState>('account');

    // Restores tolerate an unreachable API (the session comes up offline, webhooks still work);
    // registrations do not: the user must learn now that something is wrong.
    let offlineText: string | undefined;
    let incoming: IncomingNumber | undefined;
    // A restart restores every user at once: thousands of account checks would queue behind
    // Twilio's API and hold the restore to its pace. What the last login verified (the number
    // belongs to the account, the webhook points here) stands; a send reports any change since.
    const verifiedBefore = request.reason === 'restore' && previous?.number === number && previous.numberSid !== undefined
      && (!this.inboundUrl || !this.options.configureWebhook || previous.smsUrl === this.inboundUrl);
    if (!verifiedBefore) {
      try {
        const status = await account.fetchAccountStatus();
        if (status.status !== 'active') {
          throw new GatewayError('not-authorized', `The Twilio account is ${status.status === 'suspended' ? 'suspended' : 'closed'}; SMS cannot be sent with it.`);
        }
        incoming = await account.findIncomingNumber(number);
        if (!incoming) {
          throw new GatewayError('not-acceptable', `The number ${displayNumber(number)} is not a phone number of Twilio account ${creds.accountSid}. Enter one of the account's own numbers.`);
        }
      } catch (err) {
        if (err instanceof GatewayError) throw err;
        const failure = err as ApiFailure;
        if (strict || isAuthFailure(failure)) throw apiError(failure, 'check your Twilio account');
        offlineText = apiError(failure, 'check your Twilio account').message;
        this.services.logger.warn({ user: request.user, status: failure.status, code: failure.code }, 'sms: Twilio unreachable at login; session starts offline');
      }
    }

    const claim = await this.store.claim(number, request.user);
    if (!claim.ok) {
      throw new GatewayError('conflict', `The number ${displayNumber(number)} is already registered on this gateway by another user.`);
    }
    if (previous?.number && previous.number !== number) await this.store.release(previous.number, request.user);

    const state: UserState = { number, ...(incoming ? { numberSid: incoming.sid } : previous?.numberSid ? { numberSid: previous.numberSid } : {}) };
    if (previous?.smsUrl && previous.number === number) state.smsUrl = previous.smsUrl;
    let notice: string | undefined;
    if (!this.inboundUrl) {
      if (strict) notice = 'This gateway has no public web address configured, so it can send your SMS but cannot receive replies or delivery reports. Please tell the gateway operator.';
    } else if (!this.options.configureWebhook) {
      if (strict) notice = `Incoming SMS: in the Twilio console, set "A message comes in" of ${displayNumber(number)} to ${this.inboundUrl} (HTTP POST).`;
    } else if (incoming && (strict || incoming.smsUrl !== this.inboundUrl)) {
      try {
        await account.setSmsUrl(incoming.sid, this.inboundUrl);
        state.smsUrl = this.inboundUrl;
      } catch (err) {
        if (strict) {
          if (claim.fresh) await this.store.release(number, request.user);
          throw apiError(err as ApiFailure, 'point your number at this gateway');
        }
        this.services.logger.warn({ user: request.user }, 'sms: could not update the SmsUrl of the number at restore');
      }
    }
    // Unchanged at most restores: not written again (5,000 users, 5,000 writes saved at start-up).
    if (!previous || previous.number !== state.number || previous.numberSid !== state.numberSid || previous.smsUrl !== state.smsUrl) {
      await request.state.set('account', state);
    }

    const session = new SmsSession({
      logger: this.services.logger,
      store: this.store,
      defaultCountry: this.options.defaultCountry,
      maxSegmentLength: this.options.maxSegmentLength,
      maxParts: this.options.maxParts,
      ...(this.statusUrl ? { statusUrl: this.statusUrl } : {}),
      detach: (s) => {
        if (this.live.get(s.number) === s) this.live.delete(s.number);
      },
    }, request.user, number, account, request.xmpp);
    this.live.set(number, session);
    // After login has returned, so the core has the session before events arrive.
    this.later(async () => {
      session.setOnline(offlineText === undefined, offlineText, true);
      if (notice) request.xmpp.contact('').sendText(notice);
      let replayed = 0;
      try {
        replayed = await this.store.offline.drain(number, async (pending) => {
          const owner = this.liveOwner(number);
          if (this.live.get(number) !== session || !owner) throw new SessionReplaced();
          await this.webhooks.replay(pending, owner);
        });
      } catch (err) {
        // What is left stays kept for the session that took over (or the next login).
        if (!(err instanceof SessionReplaced)) throw err;
      }
      if (replayed > 0) this.services.logger.info({ user: request.user, replayed }, 'sms: webhooks kept while logged out were processed');
    });
    return session;
  }

  /**
   * Forget the user's number (unregistration). The contract's logout() also runs at shutdown,
   * where the number must stay claimed, so this is separate; see the README.
   */
  async unregister(user: string): Promise<string | undefined> {
    const number = await this.store.numberOf(user);
    if (!number) return undefined;
    const session = this.live.get(number);
    if (session?.user === user) this.live.delete(number);
    return (await this.store.release(number, user)) ? number : undefined;
  }

  private later(task: () => Promise<void>): void {
    const timer = setImmediate(() => {
      this.timers.delete(timer);
      task().catch((err: Error) => this.services.logger.error({ err: err.message }, 'sms: post-login task failed'));
    });
    this.timers.add(timer);
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearImmediate(timer);
    this.timers.clear();
    this.live.clear();
    this.client?.destroy();
  }
}
