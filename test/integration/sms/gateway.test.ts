import type { Element } from '@xmpp/xml';
import { Prosody } from '../../harness/prosody';
import { TestClient, xml, registerForm, errorCondition } from '../../harness/xmpp-client';
import { startGateway, testConfig } from '../../harness/gateway';
import { FakeTwilio, type FakeAccount } from '../../harness/fake-twilio';
import { freePort } from '../../harness/ports';
import type { Gateway } from '../../../src/gateway';

const DOMAIN = 'sms.localhost';
const NUMBER = '+15551230001';
const PEER = '+447911123456';
const run = Prosody.available() ? describe : describe.skip;


const conditionOf = errorCondition;

run('SMS transport end to end: XMPP client -> Prosody -> gateway -> Twilio-compatible endpoint', () => {
  let prosody: Prosody;
  let fake: FakeTwilio;
  let gateway: Gateway;
  let alice: TestClient;
  let bob: TestClient;
  let account: FakeAccount;

  beforeAll(async () => {
    fake = await FakeTwilio.start();
    account = fake.addAccount([NUMBER]);
    prosody = await Prosody.start([{ domain: DOMAIN, secret: 's3cret' }]);
    const httpPort = await freePort();
    gateway = await startGateway(testConfig(prosody, [{ domain: DOMAIN, secret: 's3cret', adapter: 'sms', options: { apiBaseUrl: fake.baseUrl, retryBaseDelayMs: 5 } }], {
      access: { allow: ['localhost'] },
      http: { enabled: true, host: '127.0.0.1', port: httpPort, publicUrl: `http://127.0.0.1:${httpPort}` },
    }));
    alice = await TestClient.connect(prosody, 'alice');
    bob = await TestClient.connect(prosody, 'bob');
    await alice.send(xml('presence'));
    await bob.send(xml('presence'));
  });

  afterAll(async () => {
    await alice?.stop();
    await bob?.stop();
    await gateway?.stop();
    await prosody?.destroy();
    await fake?.close();
  });

  test('registration checks the credentials with Twilio and points the number at the gateway', async () => {
    const wrong = await alice.iq('set', DOMAIN, registerForm({ accountSid: account.sid, authToken: '0'.repeat(32), phoneNumber: NUMBER }));
    expect(wrong.attrs.type).toBe('error');
    expect(conditionOf(wrong)).toBe('not-authorized');

    const answer = await alice.iq('set', DOMAIN, registerForm({ accountSid: account.sid, authToken: account.authToken, phoneNumber: NUMBER }));
    expect(answer.attrs.type).toBe('result');
    expect(fake.numberOf(NUMBER)!.number.smsUrl).toMatch(/\/sms\/inbound$/);

    const conflict = await bob.iq('set', DOMAIN, registerForm({ accountSid: account.sid, authToken: account.authToken, phoneNumber: NUMBER }));
    expect(conditionOf(conflict)).toBe('conflict');
  });

  test('a chat message becomes an SMS, and its delivery report a receipt', async () => {
    const receipt = alice.waitFor((el) => el.name === 'message' && el.getChild('received', 'urn:xmpp:receipts')?.attrs.id === 'e1', 10000, 'receipt');
    await alice.send(xml('message', { to: `${PEER}@${DOMAIN}`, type: 'chat', id: 'e1' }, xml('body', {}, 'hello by SMS'), xml('request', { xmlns: 'urn:xmpp:receipts' })));
    const deadline = Date.now() + 10000;
    while (fake.messages.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(fake.messages[0]).toMatchObject({ from: NUMBER, to: PEER, body: 'hello by SMS' });
    expect((await fake.reportStatus(fake.messages[0].sid, 'delivered')).status).toBe(200);
    await receipt;
  });

  test('an SMS to the number reaches the user from +E164@domain', async () => {
    const incoming = alice.waitFor((el) => el.name === 'message' && el.attrs.from === `${PEER}@${DOMAIN}` && Boolean(el.getChild('body')), 10000, 'inbound sms');
    const answer = await fake.deliverSms({ from: PEER, to: NUMBER, body: 'reply from a phone' });
    expect(answer.status).toBe(200);
    expect((await incoming).getChildText('body')).toBe('reply from a phone');
  });

  test('a number that is not a phone number is refused with jid-malformed', async () => {
    const error = alice.waitFor((el) => el.name === 'message' && el.attrs.type === 'error' && el.attrs.id === 'e2', 10000, 'error');
    await alice.send(xml('message', { to: `bob@${DOMAIN}`, type: 'chat', id: 'e2' }, xml('body', {}, 'hi')));
    expect(conditionOf(await error)).toBe('jid-malformed');
  });
});
