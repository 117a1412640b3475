import type { RecordedMessage } from '../../harness/recording-events';
import type { FakeAccount } from '../../harness/fake-twilio';
import { FaultyKeyValue } from './kv-wrappers';
import { settle, startSmsRig, type SmsRig, type UserRig } from './setup';

const NUMBER = '+15551230001';
const PEER = '+447911123456';
const ALICE = 'alice@example.org';

const messages = (user: UserRig) => user.recorder.log.filter((e) => e.kind === 'message').map((e) => e.args[0] as RecordedMessage);

describe('SMS webhooks while the store fails: delivered, or 503 for Twilio to retry; never a 500', () => {
  let rig: SmsRig;
  let account: FakeAccount;
  let kv: FaultyKeyValue;
  let alice: UserRig;

  beforeEach(async () => {
    rig = await startSmsRig({}, undefined, { kv: (store) => (kv = new FaultyKeyValue(store)) });
    account = rig.fake.addAccount([NUMBER]);
    alice = await rig.login(ALICE, account, NUMBER);
    await settle();
  });
  afterEach(async () => {
    await rig.close();
  });

  it.each(['down', 'read-only'] as const)('delivers a signed SMS to a logged-in owner while the store is %s', async (mode) => {
    kv.mode = mode;
    const answer = await rig.fake.deliverSms({ from: PEER, to: NUMBER, body: 'through a broken store' });
    expect(answer.status).toBe(200);
    expect(messages(alice)).toEqual([expect.objectContaining({ body: 'through a broken store', id: answer.messageSid })]);
    const forged = await rig.fake.deliverSms({ from: PEER, to: NUMBER, body: 'forged', signWith: 'e'.repeat(32) });
    expect(forged.status).toBe(403);
    expect(messages(alice)).toHaveLength(1);
  });

  it.each(['down', 'read-only'] as const)('answers 503 with Retry-After for an offline owner while the store is %s; Twilio\'s retry is kept', async (mode) => {
    await alice.session.logout();
    kv.mode = mode;
    const refused = await rig.fake.deliverSms({ from: PEER, to: NUMBER, body: 'retry me' });
    expect(refused.status).toBe(503);
    expect(refused.retryAfter).toMatch(/^\d+$/);
    expect(rig.logs.some((l) => /store failed .*answered 503/.test(l))).toBe(true);
    kv.mode = 'ok';
    const retried = await rig.fake.deliverSms({ from: PEER, to: NUMBER, body: 'retry me', messageSid: refused.messageSid });
    expect(retried.status).toBe(200);
    const back = await rig.login(ALICE, account, NUMBER, 'restore');
    const [msg] = (await back.recorder.waitFor('message')) as [RecordedMessage];
    expect(msg).toMatchObject({ body: 'retry me', id: refused.messageSid });
  });

  it('answers a status callback it cannot look up with 503, and applies Twilio\'s retry', async () => {
    await alice.session.sendMessage({ to: PEER, body: 'ping', id: 'm1', receiptRequested: true, fromResource: `${ALICE}/phone` });
    kv.mode = 'down';
    const sid = rig.fake.messages[0].sid;
    const refused = await rig.fake.reportStatus(sid, 'delivered');
    expect(refused.status).toBe(503);
    kv.mode = 'ok';
    expect((await rig.fake.reportStatus(sid, 'delivered')).status).toBe(200);
    await alice.recorder.waitFor('receipt', (r) => r.id === 'm1');
  });

  it('sends an SMS whose delivery record cannot be written, and says so in the log only', async () => {
    kv.mode = 'read-only';
    await alice.session.sendMessage({ to: PEER, body: 'sent anyway', id: 'm2', receiptRequested: false, fromResource: `${ALICE}/phone` });
    expect(rig.fake.messages.map((m) => m.body)).toEqual(['sent anyway']);
    expect(rig.logs.some((l) => /sent, but the store failed/.test(l))).toBe(true);
  });
});
