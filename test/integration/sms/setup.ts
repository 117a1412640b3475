import pino from 'pino';
import smsModule, { type SmsAdapter } from '../../../adapters/sms';
import type { AdapterServices } from '../../../src/core/adapter';
import type { LegacySession, LoginRequest } from '../../../src/core/adapter';
import { HttpServer } from '../../../src/http/server';
import { GatewayStore, deriveKey, type KeyValue, type RegistrationStore } from '../../../src/store';
import { FakeTwilio, type FakeAccount } from '../../harness/fake-twilio';
import { MemoryKeyValue } from '../../harness/memory-kv';
import { freePort } from '../../harness/ports';
import { recordingEvents } from '../../harness/recording-events';
import { allowLoopback } from '../../support/outbound';

/** One SMS adapter wired to a real HTTP server on loopback and a fake Twilio endpoint. */
export interface SmsRig {
  fake: FakeTwilio;
  adapter: SmsAdapter;
  http: HttpServer;
  /** The adapter's store (underneath `kv` when a test wraps it). */
  store: MemoryKeyValue;
  /** Registrations as the core keeps them (real store, secrets encrypted): the adapter reads offline owners' tokens here. */
  registrations: RegistrationStore;
  publicUrl: string;
  logs: string[];
  login(user: string, account: FakeAccount, number: string, reason?: LoginRequest['reason'], extra?: Record<string, string>): Promise<UserRig>;
  close(): Promise<void>;
}

export interface UserRig {
  session: LegacySession;
  recorder: ReturnType<typeof recordingEvents>;
  state: MemoryKeyValue;
}

export interface RigOptions {
  /** What the adapter stores into, e.g. a wrapper around `store` that fails on demand. */
  kv?: (store: MemoryKeyValue) => KeyValue;
  /** false: the gateway does not let the adapter read registrations (an older core). */
  credentials?: boolean;
}

export async function startSmsRig(options: Record<string, unknown> = {}, fake?: FakeTwilio, rigOptions: RigOptions = {}): Promise<SmsRig> {
  const twilioFake = fake ?? (await FakeTwilio.start());
  const logs: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
  const http = new HttpServer(logger);
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const store = new MemoryKeyValue();
  const gatewayStore = await GatewayStore.open({ url: 'sqlite://:memory:', encryptionKey: deriveKey('sms rig') });
  const registrations = gatewayStore.registrations('sms.example.org');
  const services: AdapterServices = {
    domain: 'sms.example.org', logger, store: rigOptions.kv ? rigOptions.kv(store) : store, http, publicUrl, outbound: allowLoopback(),
    credentials: async (user: string) => (await registrations.get(user))?.credentials,
  };
  const adapter = smsModule.create(
    services,
    smsModule.optionsSchema.parse({ apiBaseUrl: twilioFake.baseUrl, retryBaseDelayMs: 5, requestTimeoutMs: 5000, ...options }),
  ) as SmsAdapter;
  await http.listen(port, '127.0.0.1');
  const states = new Map<string, MemoryKeyValue>();
  return {
    fake: twilioFake, adapter, http, store, registrations, publicUrl, logs,
    async login(user, account, number, reason = 'register', extra = {}) {
      const recorder = recordingEvents();
      const state = states.get(user) ?? new MemoryKeyValue();
      states.set(user, state);
      const credentials = { accountSid: account.sid, authToken: account.authToken, phoneNumber: number, ...extra };
      const session = await adapter.login({ user, state, xmpp: recorder.xmpp, reason, credentials });
      // As the core does: the registration is stored once the login accepted it.
      if (reason === 'register' || reason === 'update') await registrations.put(user, credentials, ['authToken', 'apiKeySecret']);
      return { session, recorder, state };
    },
    async close() {
      await adapter.close?.();
      await http.close();
      await gatewayStore.close();
      if (!fake) await twilioFake.close();
    },
  };
}

/** Lets the adapter's post-login work (status, notices, kept webhooks) run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 20));
}
