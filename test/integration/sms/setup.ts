import pino from 'pino';
import smsModule, { type SmsAdapter } from '../../../adapters/sms';
import type { LegacySession, LoginRequest } from '../../../src/core/adapter';
import { HttpServer } from '../../../src/http/server';
import { FakeTwilio, type FakeAccount } from '../../harness/fake-twilio';
import { MemoryKeyValue } from '../../harness/memory-kv';
import { freePort } from '../../harness/ports';
import { recordingEvents } from '../../harness/recording-events';

/** One SMS adapter wired to a real HTTP server on loopback and a fake Twilio endpoint. */
export interface SmsRig {
  fake: FakeTwilio;
  adapter: SmsAdapter;
  http: HttpServer;
  store: MemoryKeyValue;
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

export async function startSmsRig(options: Record<string, unknown> = {}, fake?: FakeTwilio): Promise<SmsRig> {
  const twilioFake = fake ?? (await FakeTwilio.start());
  const logs: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
  const http = new HttpServer(logger);
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const store = new MemoryKeyValue();
  const adapter = smsModule.create(
    { domain: 'sms.example.org', logger, store, http, publicUrl },
    smsModule.optionsSchema.parse({ apiBaseUrl: twilioFake.baseUrl, retryBaseDelayMs: 5, requestTimeoutMs: 5000, ...options }),
  ) as SmsAdapter;
  await http.listen(port, '127.0.0.1');
  const states = new Map<string, MemoryKeyValue>();
  return {
    fake: twilioFake, adapter, http, store, publicUrl, logs,
    async login(user, account, number, reason = 'register', extra = {}) {
      const recorder = recordingEvents();
      const state = states.get(user) ?? new MemoryKeyValue();
      states.set(user, state);
      const session = await adapter.login({
        user, state, events: recorder.events, reason,
        credentials: { accountSid: account.sid, authToken: account.authToken, phoneNumber: number, ...extra },
      });
      return { session, recorder, state };
    },
    async close() {
      await adapter.close?.();
      await http.close();
      if (!fake) await twilioFake.close();
    },
  };
}

/** Lets the adapter's post-login work (status, notices, kept webhooks) run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 20));
}
