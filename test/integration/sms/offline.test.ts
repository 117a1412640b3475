import { randomBytes } from 'node:crypto';
import twilio from 'twilio';
import { OfflineQueue } from '../../../adapters/sms/offline-queue';
import type { RecordedMessage } from '../../harness/recording-events';
import type { FakeAccount } from '../../harness/fake-twilio';
import { FaultyKeyValue, storedBytes } from './kv-wrappers';
import { settle, startSmsRig, type RigOptions, type SmsRig, type UserRig } from './setup';

const NUMBER = '+15551230001';
const PEER = '+447911123456';
const ALICE = 'alice@example.org';

const messages = (user: UserRig) => user.recorder.log.filter((e) => e.kind === 'message').map((e) => e.args[0] as RecordedMessage);
const pendingKeys = (rig: SmsRig) => [...rig.store.data.keys()].filter((k) => /^pending(-meta)?:/.test(k));
const logLines = (rig: SmsRig, pattern: RegExp) => rig.logs.filter((l) => pattern.test(l));

describe('SMS webhooks for a number whose owner is logged out', () => {
  let rig: SmsRig;
  let account: FakeAccount;
  let faulty: FaultyKeyValue | undefined;

  async function setUp(options: Record<string, unknown> = {}, rigOptions: RigOptions = {}): Promise<UserRig> {
    rig = await startSmsRig(options, undefined, {
      kv: (store) => (faulty = new FaultyKeyValue(store)),
      ...rigOptions,
    });
    account = rig.fake.addAccount([NUMBER]);
    const alice = await rig.login(ALICE, account, NUMBER);
    await settle();
    await alice.session.logout();
    return alice;
  }

  /** Waits until the post-login replay has delivered `count` messages. */
  async function loginAndCollect(count: number): Promise<{ back: UserRig; got: RecordedMessage[] }> {
    const back = await rig.login(ALICE, account, NUMBER, 'restore');
    await back.recorder.waitFor('message', () => messages(back).length >= count);
    await settle();
    return { back, got: messages(back) };
  }

  afterEach(async () => {
    await rig?.close();
    faulty = undefined;
  });

  it('refuses 30 forged 900 KB posts with 403 and stores nothing', async () => {
    await setUp();
    const before = storedBytes(rig.store.data);
    const big = 'f'.repeat(900_000);
    for (let i = 0; i < 30; i++) {
      const forged = await rig.fake.deliverSms({ from: PEER, to: NUMBER, body: big, signWith: randomBytes(16).toString('hex') });
      expect(forged.status).toBe(403);
    }
    const garbage = await rig.fake.deliverSms({ from: PEER, to: NUMBER, body: 'x', signature: 'not-a-signature' });
    expect(garbage.status).toBe(403);
    expect(storedBytes(rig.store.data)).toBe(before);
    expect(pendingKeys(rig)).toEqual([]);
    // One warning for the lot, not one per forged request.
    expect(logLines(rig, /invalid signature/)).toHaveLength(1);
    expect((await rig.fake.deliverSms({ from: PEER, to: NUMBER, body: 'genuine' })).status).toBe(200);
    expect((await new OfflineQueue(rig.store).size(NUMBER)).messages).toBe(1);
    const { got } = await loginAndCollect(1);
    expect(got.map((m) => m.body)).toEqual(['genuine']);
  });

  it('keeps validly signed SMS, checked on arrival, and delivers them in order with their time at the next login', async () => {
    await setUp();
    const sent = [];
    for (const body of ['one', 'two', 'three']) {
      const answer = await rig.fake.deliverSms({ from: PEER, to: NUMBER, body });
      expect(answer.status).toBe(200);
      sent.push(answer.messageSid);
    }
    const { got } = await loginAndCollect(3);
    expect(got.map((m) => [m.body, m.id])).toEqual([['one', sent[0]], ['two', sent[1]], ['three', sent[2]]]);
    expect(got.every((m) => m.delay instanceof Date)).toBe(true);
    expect(pendingKeys(rig)).toEqual([]);
  });

  it('appends: each kept SMS writes about its own size, however many are already kept', async () => {
    await setUp();
    const perRequest: number[] = [];
    for (let i = 0; i < 60; i++) {
      const mark = faulty!.writes.length;
      expect((await rig.fake.deliverSms({ from: PEER, to: NUMBER, body: `message number ${i}` })).status).toBe(200);
      perRequest.push(faulty!.writes.slice(mark).reduce((sum, w) => sum + w.bytes, 0));
    }
    // A single request and its counters are well under 2 KB; a rewritten list would be ~60 times that.
    expect(Math.max(...perRequest)).toBeLessThan(2048);
    expect(Math.max(...perRequest)).toBeLessThan(perRequest[0] * 1.2);
    const { got } = await loginAndCollect(60);
    expect(got.map((m) => m.body)).toEqual(Array.from({ length: 60 }, (_, i) => `message number ${i}`));
  });

  it('keeps at most offlineMaxMessages: then 503 with Retry-After and one clear log line; the kept ones arrive', async () => {
    await setUp({ offlineMaxMessages: 3 });
    const statuses = [];
    const answers = [];
    for (let i = 0; i < 6; i++) {
      const answer = await rig.fake.deliverSms({ from: PEER, to: NUMBER, body: `sms ${i}` });
      statuses.push(answer.status);
      answers.push(answer);
    }
    expect(statuses).toEqual([200, 200, 200, 503, 503, 503]);
    expect(answers[3].retryAfter).toMatch(/^\d+$/);
    const full = logLines(rig, /offline store of \+15551230001 is full \(at most 3 webhooks/);
    expect(full).toHaveLength(1);
    expect(JSON.parse(full[0]).level).toBe(40);
    const { got } = await loginAndCollect(3);
    expect(got.map((m) => m.body)).toEqual(['sms 0', 'sms 1', 'sms 2']);
  });

  it('keeps at most offlineMaxBytes', async () => {
    await setUp({ offlineMaxBytes: 4096 });
    const statuses: number[] = [];
    for (let i = 0; i < 6 && !statuses.includes(503); i++) {
      statuses.push((await rig.fake.deliverSms({ from: PEER, to: NUMBER, body: `${i} ${'b'.repeat(1500)}` })).status);
    }
    expect(statuses[statuses.length - 1]).toBe(503);
    const kept = await new OfflineQueue(rig.store).size(NUMBER);
    expect(kept.messages).toBe(statuses.length - 1);
    expect(kept.messages).toBeGreaterThan(0);
    expect(kept.bytes).toBeLessThanOrEqual(4096);
    const { got } = await loginAndCollect(kept.messages);
    expect(got).toHaveLength(kept.messages);
  });

  it('keeps a MessageSid that Twilio retries once', async () => {
    await setUp();
    const first = await rig.fake.deliverSms({ from: PEER, to: NUMBER, body: 'retried' });
    const again = await rig.fake.deliverSms({ from: PEER, to: NUMBER, body: 'retried', messageSid: first.messageSid });
    expect([first.status, again.status]).toEqual([200, 200]);
    expect((await new OfflineQueue(rig.store).size(NUMBER)).messages).toBe(1);
    const { got } = await loginAndCollect(1);
    expect(got).toHaveLength(1);
  });

  it('checks status callbacks on arrival too and applies them at login', async () => {
    rig = await startSmsRig();
    account = rig.fake.addAccount([NUMBER]);
    const alice = await rig.login(ALICE, account, NUMBER);
    await alice.session.sendMessage({ to: PEER, body: 'ping', id: 'm1', receiptRequested: true, fromResource: `${ALICE}/phone` });
    await alice.session.logout();
    const sid = rig.fake.messages[0].sid;
    expect((await rig.fake.reportStatus(sid, 'delivered', { signWith: 'c'.repeat(32) })).status).toBe(403);
    expect((await rig.fake.reportStatus(sid, 'delivered')).status).toBe(200);
    const back = await rig.login(ALICE, account, NUMBER, 'restore');
    const [receipt] = await back.recorder.waitFor('receipt');
    expect(receipt).toEqual({ peer: PEER, id: 'm1', fromResource: `${ALICE}/phone` });
  });

  it('forgets what was kept when the number is released', async () => {
    await setUp();
    await rig.fake.deliverSms({ from: PEER, to: NUMBER, body: 'for nobody' });
    expect(pendingKeys(rig).length).toBeGreaterThan(0);
    await rig.adapter.unregister(ALICE);
    expect(pendingKeys(rig)).toEqual([]);
  });

  it('delivers a list kept by an earlier version (one key per number) at login, after checking it', async () => {
    await setUp();
    const url = `${rig.publicUrl}/sms/inbound`;
    const params = { From: PEER, To: NUMBER, Body: 'from before the upgrade', MessageSid: `SM${'1'.repeat(32)}`, NumMedia: '0' };
    const signature = twilio.getExpectedTwilioSignature(account.authToken, url, params);
    await rig.store.set(`pending:${NUMBER}`, [
      { kind: 'inbound', url, signature, params, receivedAt: Date.now() - 60_000 },
      { kind: 'inbound', url, signature: 'forged', params: { ...params, Body: 'forged', MessageSid: `SM${'2'.repeat(32)}` }, receivedAt: Date.now() },
    ]);
    const { got } = await loginAndCollect(1);
    expect(got.map((m) => m.body)).toEqual(['from before the upgrade']);
    expect(pendingKeys(rig)).toEqual([]);
  });
});
