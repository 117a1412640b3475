import type { RecordedMessage } from '../../harness/recording-events';
import { GatewayError } from '../../../src/core/errors';
import type { FakeAccount } from '../../harness/fake-twilio';
import { postForm } from '../../harness/fake-twilio';
import { settle, startSmsRig, type SmsRig, type UserRig } from './setup';

const NUMBER = '+15551230001';
const PEER = '+447911123456';

describe('SMS webhooks: inbound messages and status callbacks', () => {
  let rig: SmsRig;
  let account: FakeAccount;
  let alice: UserRig;
  beforeEach(async () => {
    rig = await startSmsRig();
    account = rig.fake.addAccount([NUMBER, '+15551230009']);
    alice = await rig.login('alice@example.org', account, NUMBER);
    await settle();
  });
  afterEach(async () => {
    await rig.close();
  });

  const messages = (user: UserRig) => user.recorder.log.filter((e) => e.kind === 'message').map((e) => e.args[0] as RecordedMessage);

  it('delivers a validly signed SMS to the owner and answers with empty TwiML', async () => {
    const answer = await rig.fake.deliverSms({ from: PEER, to: NUMBER, body: 'Hi Alice' });
    expect(answer.status).toBe(200);
    expect(answer.contentType).toMatch(/^text\/xml/);
    expect(answer.body).toMatch(/<Response\/>$/);
    expect(messages(alice)).toEqual([expect.objectContaining({ from: PEER, body: 'Hi Alice', id: answer.messageSid })]);
  });

  it('refuses a forged signature with 403, delivers nothing and does not log the body', async () => {
    const forged = await rig.fake.deliverSms({ from: PEER, to: NUMBER, body: 'secret forged text', signWith: 'a'.repeat(32) });
    expect(forged.status).toBe(403);
    const unsigned = await postForm(`${rig.publicUrl}/sms/inbound`, { From: PEER, To: NUMBER, Body: 'secret forged text', MessageSid: 'SM1' });
    expect(unsigned.status).toBe(403);
    await settle();
    expect(messages(alice)).toEqual([]);
    expect(rig.logs.join('')).toMatch(/invalid signature/);
    expect(rig.logs.join('')).not.toContain('secret forged text');
  });

  it('refuses a signature made for another URL (the signed URL is the configured public one)', async () => {
    const answer = await rig.fake.deliverSms({ from: PEER, to: NUMBER, body: 'x', signUrl: 'https://elsewhere.example.net/sms/inbound' });
    expect(answer.status).toBe(403);
    expect(messages(alice)).toEqual([]);
  });

  it('delivers a MessageSid retried by Twilio only once', async () => {
    const first = await rig.fake.deliverSms({ from: PEER, to: NUMBER, body: 'once' });
    const again = await rig.fake.deliverSms({ from: PEER, to: NUMBER, body: 'once', messageSid: first.messageSid });
    expect(again.status).toBe(200);
    expect(messages(alice)).toHaveLength(1);
  });

  it('turns MMS media into OOB links and appends the URLs to the body', async () => {
    const media = [{ url: 'https://media.example.net/img1.jpg', contentType: 'image/jpeg' }, { url: 'https://media.example.net/v.mp4', contentType: 'video/mp4' }];
    await rig.fake.deliverSms({ from: PEER, to: NUMBER, body: 'look', media });
    const [msg] = messages(alice);
    expect(msg.oob).toEqual([{ url: media[0].url, desc: 'image/jpeg' }, { url: media[1].url, desc: 'video/mp4' }]);
    expect(msg.body).toBe(`look\n${media[0].url}\n${media[1].url}`);
  });

  it('strips control characters from inbound text', async () => {
    await rig.fake.deliverSms({ from: PEER, to: NUMBER, body: 'a\u0000b\u0007c\nd' });
    expect(messages(alice)[0].body).toBe('abc\nd');
  });

  it('drops an SMS for a number nobody registered with 200 and one log line', async () => {
    rig.fake.numberOf('+15551230009')!.number.smsUrl = `${rig.publicUrl}/sms/inbound`;
    const answer = await rig.fake.deliverSms({ from: PEER, to: '+15551230009', body: 'nobody' });
    expect(answer.status).toBe(200);
    expect(messages(alice)).toEqual([]);
    expect(rig.logs.filter((l) => l.includes('no user registered'))).toHaveLength(1);
  });

  it('keeps SMS that arrive while the owner is logged out and delivers them at the next login', async () => {
    await alice.session.logout();
    const kept = await rig.fake.deliverSms({ from: PEER, to: NUMBER, body: 'while you were away' });
    expect(kept.status).toBe(200);
    // Checked at once against the stored registration: nothing forged is kept.
    const forged = await rig.fake.deliverSms({ from: PEER, to: NUMBER, body: 'forged while away', signWith: 'b'.repeat(32) });
    expect(forged.status).toBe(403);
    const back = await rig.login('alice@example.org', account, NUMBER, 'restore');
    const [msg] = (await back.recorder.waitFor('message')) as [RecordedMessage];
    expect(msg).toMatchObject({ from: PEER, body: 'while you were away', id: kept.messageSid });
    expect(msg.delay).toBeInstanceOf(Date);
    await settle();
    expect(messages(back)).toHaveLength(1);
    expect(messages(alice)).toHaveLength(0);
  });

  it('turns a delivered status callback into a receipt when one was requested', async () => {
    await alice.session.sendMessage({ to: PEER, body: 'ping', id: 'm1', receiptRequested: true, fromResource: 'alice@example.org/phone' });
    await alice.session.sendMessage({ to: PEER, body: 'no receipt', id: 'm2', receiptRequested: false, fromResource: 'alice@example.org/phone' });
    const [first, second] = rig.fake.messages;
    expect((await rig.fake.reportStatus(first.sid, 'sent')).status).toBe(200);
    expect((await rig.fake.reportStatus(first.sid, 'delivered')).status).toBe(200);
    expect((await rig.fake.reportStatus(second.sid, 'delivered')).status).toBe(200);
    await settle();
    const receipts = alice.recorder.log.filter((e) => e.kind === 'receipt').map((e) => e.args[0]);
    expect(receipts).toEqual([{ peer: PEER, id: 'm1', fromResource: 'alice@example.org/phone' }]);
  });

  it('waits for every part of a split message before the receipt', async () => {
    const body = Array.from({ length: 400 }, (_, i) => `word${i}`).join(' ');
    await alice.session.sendMessage({ to: PEER, body, id: 'long', receiptRequested: true, fromResource: 'alice@example.org/phone' });
    expect(rig.fake.messages.length).toBeGreaterThan(1);
    for (const part of rig.fake.messages.slice(0, -1)) await rig.fake.reportStatus(part.sid, 'delivered');
    await settle();
    expect(alice.recorder.log.filter((e) => e.kind === 'receipt')).toHaveLength(0);
    await rig.fake.reportStatus(rig.fake.messages[rig.fake.messages.length - 1].sid, 'delivered');
    await alice.recorder.waitFor('receipt', (r) => r.id === 'long');
  });

  it('turns a failed status callback into a messageError with the code explained', async () => {
    await alice.session.sendMessage({ to: PEER, body: 'to a landline', id: 'm3', receiptRequested: true, fromResource: 'alice@example.org/phone' });
    await rig.fake.reportStatus(rig.fake.messages[0].sid, 'undelivered', { errorCode: '30006' });
    const [ref, error] = (await alice.recorder.waitFor('messageError')) as [{ peer: string; id: string }, GatewayError];
    expect(ref).toEqual({ peer: PEER, id: 'm3', fromResource: 'alice@example.org/phone' });
    expect(error.condition).toBe('not-acceptable');
    expect(error.message).toMatch(/landline/);
    expect(error.message).toMatch(/30006/);
    expect(alice.recorder.log.filter((e) => e.kind === 'receipt')).toHaveLength(0);
  });

  it('refuses a status callback with a forged signature', async () => {
    await alice.session.sendMessage({ to: PEER, body: 'x', id: 'm4', receiptRequested: true, fromResource: 'alice@example.org/phone' });
    const answer = await rig.fake.reportStatus(rig.fake.messages[0].sid, 'delivered', { signWith: 'c'.repeat(32) });
    expect(answer.status).toBe(403);
    await settle();
    expect(alice.recorder.log.filter((e) => e.kind === 'receipt')).toHaveLength(0);
  });
});
