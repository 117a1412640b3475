import { GatewayError } from '../../../src/core/errors';
import { startSmsRig, settle, type SmsRig } from './setup';

const NUMBER = '+15551230001';

async function loginError(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    return err as GatewayError;
  }
  throw new Error('login succeeded but should have failed');
}

describe('SMS registration against a Twilio-compatible endpoint', () => {
  let rig: SmsRig;
  beforeEach(async () => {
    rig = await startSmsRig();
  });
  afterEach(async () => {
    await rig.close();
  });

  it('accepts good credentials, points the number at the gateway webhook and goes online', async () => {
    const account = rig.fake.addAccount([NUMBER, '+15551230002']);
    const { recorder } = await rig.login('alice@example.org', account, '(555) 123-0001');
    expect(rig.fake.numberOf(NUMBER)!.number.smsUrl).toBe(`${rig.publicUrl}/sms/inbound`);
    expect(rig.fake.numberOf(NUMBER)!.number.smsMethod).toBe('POST');
    expect(rig.fake.numberOf('+15551230002')!.number.smsUrl).toBe('');
    expect(rig.fake.callsOf('numbers.list')[0].params.get('PhoneNumber')).toBe(NUMBER);
    await recorder.waitFor('status', (s) => s.online === true);
    expect(await rig.store.get('owner:+15551230001')).toEqual({ user: 'alice@example.org' });
  });

  it('refuses a wrong auth token with not-authorized', async () => {
    const account = rig.fake.addAccount([NUMBER]);
    const error = await loginError(rig.login('alice@example.org', { ...account, authToken: 'f'.repeat(32) }, NUMBER));
    expect(error.condition).toBe('not-authorized');
    expect(error.message).toMatch(/rejected the account credentials/);
    expect(await rig.store.get('owner:+15551230001')).toBeUndefined();
  });

  it('refuses a number that is not on the account with not-acceptable', async () => {
    const account = rig.fake.addAccount([NUMBER]);
    const error = await loginError(rig.login('alice@example.org', account, '+15559990000'));
    expect(error.condition).toBe('not-acceptable');
    expect(error.message).toContain('+1 555 999 0000');
    expect(error.message).toContain(account.sid);
  });

  it('refuses malformed credentials before calling the API', async () => {
    const account = rig.fake.addAccount([NUMBER]);
    const badSid = await loginError(rig.login('alice@example.org', { ...account, sid: 'nonsense' }, NUMBER));
    expect(badSid.condition).toBe('not-acceptable');
    const badNumber = await loginError(rig.login('alice@example.org', account, 'my phone'));
    expect(badNumber.condition).toBe('not-acceptable');
    expect(badNumber.message).toMatch(/Your Twilio phone number/);
    expect(rig.fake.calls).toHaveLength(0);
  });

  it('refuses a suspended account', async () => {
    const account = rig.fake.addAccount([NUMBER], 'suspended');
    expect((await loginError(rig.login('alice@example.org', account, NUMBER))).message).toMatch(/suspended/);
  });

  it('gives a number to one user only: a second claim is a conflict, the owner may log in again', async () => {
    const account = rig.fake.addAccount([NUMBER]);
    const first = await rig.login('alice@example.org', account, NUMBER);
    const error = await loginError(rig.login('mallory@example.org', account, NUMBER));
    expect(error.condition).toBe('conflict');
    expect(error.message).toMatch(/already registered/);
    // Gateway restart: logout for shutdown, restore afterwards, same owner.
    await first.session.logout();
    await rig.login('alice@example.org', account, NUMBER, 'restore');
    expect(await rig.store.get('owner:+15551230001')).toEqual({ user: 'alice@example.org' });
  });

  it('restores a verified registration without asking Twilio, and verifies again when the webhook URL is not ours', async () => {
    const account = rig.fake.addAccount([NUMBER]);
    const first = await rig.login('alice@example.org', account, NUMBER);
    await first.session.logout();
    const callsBefore = rig.fake.calls.length;
    const back = await rig.login('alice@example.org', account, NUMBER, 'restore');
    const [status] = (await back.recorder.waitFor('status')) as [{ online: boolean }];
    expect(status.online).toBe(true);
    expect(rig.fake.calls.length).toBe(callsBefore);
    await back.session.logout();
    // The stored URL no longer matches this gateway's (as after a change of http.publicUrl): the
    // restore asks the API again and re-points the number.
    const state = await back.state.get<{ smsUrl?: string }>('account');
    await back.state.set('account', { ...state, smsUrl: 'http://127.0.0.1:1/old' });
    rig.fake.numberOf(NUMBER)!.number.smsUrl = 'http://127.0.0.1:1/old';
    await rig.login('alice@example.org', account, NUMBER, 'restore');
    expect(rig.fake.numberOf(NUMBER)!.number.smsUrl).toBe(`${rig.publicUrl}/sms/inbound`);
    expect(rig.fake.calls.slice(callsBefore).map((c) => c.operation)).toEqual(['accounts.fetch', 'numbers.list', 'numbers.update']);
  });

  it('releases the number on unregistration so another user can claim it', async () => {
    const account = rig.fake.addAccount([NUMBER]);
    const { session } = await rig.login('alice@example.org', account, NUMBER);
    await session.logout();
    expect(await rig.adapter.unregister('alice@example.org')).toBe(NUMBER);
    await rig.login('bob@example.org', account, NUMBER);
    expect(await rig.store.get('owner:+15551230001')).toEqual({ user: 'bob@example.org' });
  });

  it('releases the old number when a user updates the registration to another number', async () => {
    const account = rig.fake.addAccount([NUMBER, '+15551230002']);
    await rig.login('alice@example.org', account, NUMBER);
    await rig.login('alice@example.org', account, '+15551230002', 'update');
    expect(await rig.store.get('owner:+15551230001')).toBeUndefined();
    expect(await rig.store.get('owner:+15551230002')).toEqual({ user: 'alice@example.org' });
  });

  it('works with an API key instead of the auth token for API calls', async () => {
    const account = rig.fake.addAccount([NUMBER]);
    const key = rig.fake.addApiKey(account);
    await rig.login('alice@example.org', account, NUMBER, 'register', { apiKeySid: key.sid, apiKeySecret: key.secret });
    expect(rig.fake.calls.map((c) => c.authUser)).toEqual(['fetch', 'list', 'update'].map(() => key.sid));
    expect(rig.fake.numberOf(NUMBER)!.number.smsUrl).toBe(`${rig.publicUrl}/sms/inbound`);
  });

  it('comes up offline at restore when the API is down, and refuses at registration', async () => {
    const account = rig.fake.addAccount([NUMBER]);
    rig.fake.failNext('accounts.fetch', { status: 503, code: 20500 }, 4);
    const error = await loginError(rig.login('alice@example.org', account, NUMBER));
    expect(error.condition).toBe('service-unavailable');
    rig.fake.failNext('accounts.fetch', { status: 503, code: 20500 }, 4);
    const { recorder } = await rig.login('alice@example.org', account, NUMBER, 'restore');
    const [status] = (await recorder.waitFor('status')) as [{ online: boolean; text?: string }];
    expect(status.online).toBe(false);
    expect(status.text).toMatch(/server error/);
  });

  it('never logs the auth token', async () => {
    const account = rig.fake.addAccount([NUMBER]);
    await rig.login('alice@example.org', account, NUMBER);
    await loginError(rig.login('mallory@example.org', account, NUMBER));
    expect(rig.logs.join('')).not.toContain(account.authToken);
  });
});

describe('SMS registration with configureWebhook: false', () => {
  let rig: SmsRig;
  beforeEach(async () => {
    rig = await startSmsRig({ configureWebhook: false, webhookPath: '/hooks/twilio' });
  });
  afterEach(async () => {
    await rig.close();
  });

  it('leaves the number alone and tells the user the exact URL', async () => {
    const account = rig.fake.addAccount([NUMBER]);
    const { recorder } = await rig.login('alice@example.org', account, NUMBER);
    await settle();
    expect(rig.fake.callsOf('numbers.update')).toHaveLength(0);
    const [notice] = (await recorder.waitFor('message')) as [{ from: string; body: string }];
    expect(notice.from).toBe('');
    expect(notice.body).toContain(`${rig.publicUrl}/hooks/twilio/inbound`);
  });
});
