/**
 * A client with neither a registration UI nor ad-hoc commands registers SMS purely by chatting
 * with sms.localhost, against the Twilio-compatible test endpoint.
 */
import { Prosody } from '../../harness/prosody';
import { TestClient, xml } from '../../harness/xmpp-client';
import { startGateway, testConfig } from '../../harness/gateway';
import { FakeTwilio, type FakeAccount } from '../../harness/fake-twilio';
import { freePort } from '../../harness/ports';
import { TransportChat } from '../../support/transport-chat';
import type { Gateway } from '../../../src/gateway';

const DOMAIN = 'sms.localhost';
const NUMBER = '+15551230001';
const run = Prosody.available() ? describe : describe.skip;

run('SMS registration by chat messages only', () => {
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

  test('contact turns a national number into the contact\'s JID and xmpp: link', async () => {
    const chat = new TransportChat(alice, DOMAIN);
    expect(await chat.say('help')).toMatch(/^contact <phone number> — the address of a contact, to write to them$/m);
    expect(await chat.say('contact (555) 123-4567')).toBe(`+1 555 123 4567: +15551234567@${DOMAIN}\nxmpp:+15551234567@${DOMAIN}?message\n`
      + `Open the link, or add +15551234567@${DOMAIN} as a contact in your client.`);
    expect(await chat.say('join #room')).toBe('SMS gateway (Twilio) has no rooms.');
    expect(await chat.say('contact call me')).toMatch(/phone number/i);
  });

  test('cancel in the middle leaves nothing registered', async () => {
    const chat = new TransportChat(bob, DOMAIN);
    expect(await chat.say('register', /questions/)).toMatch(/\(1\/5\) Twilio Account SID/);
    expect(await chat.say(account.sid)).toMatch(/^\(2\/5\) Your Twilio phone number/);
    expect(await chat.say('cancel')).toBe('Canceled; nothing was changed.');
    expect(await gateway.transports.get(DOMAIN)!.sessions.registrations.get('bob@localhost')).toBeUndefined();
    expect(fake.numberOf(NUMBER)!.number.smsUrl ?? '').toBe('');
  });

  test('a wrong token gets Twilio\'s reason; the corrected token registers for real; secrets never come back', async () => {
    const chat = new TransportChat(alice, DOMAIN);
    const intro = await chat.say('register', /questions/);
    expect(intro).toContain('Enter your Twilio Account SID, Auth Token and the Twilio phone number');
    expect(intro).toMatch(/5 questions, one per message; send back for the previous one, cancel to stop\.\n\n\(1\/5\) Twilio Account SID \(AC\.\.\.\)$/);
    expect(await chat.say(account.sid)).toMatch(/^\(2\/5\) Your Twilio phone number/);
    expect(await chat.say('(555) 123-0001')).toMatch(/^\(3\/5\) API key SID \(SK\.\.\., optional: [^\n]*\)\nSend - to leave it empty\.$/);
    const token = await chat.say('-');
    expect(token).toMatch(/^\(4\/5\) Twilio Auth Token\nNeeded even with an API key/);
    expect(token).toContain('your client (and your server\'s archive) may keep what you send here');
    expect(await chat.say('0'.repeat(32), /API key secret/)).toMatch(/^Got it \(not shown\)\.\n\n\(5\/5\) API key secret \(optional\)/);
    const refused = await chat.say('-', /^Refused/);
    expect(refused).toMatch(/^Refused: Twilio rejected the account credentials \(Account SID \/ Auth Token or API key\)\.\n\nYour answers:\n/);
    expect(refused).toContain('4. Twilio Auth Token: ********');
    expect(await chat.say('4')).toMatch(/^Twilio Auth Token\n/);
    expect(await chat.say(account.authToken, /Your answers/)).toMatch(/^Got it \(not shown\)\./);
    const subscribe = alice.waitFor((el) => el.name === 'presence' && el.attrs.type === 'subscribe' && el.attrs.from === DOMAIN, 10000, 'subscribe');
    expect(await chat.say('retry', /registered/)).toMatch(/^You are registered with SMS gateway \(Twilio\) and logged in\./);
    await subscribe;
    expect(fake.numberOf(NUMBER)!.number.smsUrl).toMatch(/\/sms\/inbound$/);
    const stored = await gateway.transports.get(DOMAIN)!.sessions.registrations.get('alice@localhost');
    expect(stored?.credentials).toMatchObject({ accountSid: account.sid, authToken: account.authToken });

    const status = await chat.say('status');
    expect(status).toMatch(/^Connection to SMS gateway \(Twilio\): online/);
    expect(status).toContain('Twilio Auth Token: ********');
    expect(await chat.say('help')).toMatch(/^release-number — Release my phone number$/m);
    const said = chat.bodies().join('\n');
    expect(said).not.toContain(account.authToken);
    expect(said).not.toContain('0'.repeat(32));
  });
});
