import { Prosody } from '../../harness/prosody';
import { TestClient, xml, registerForm, mamQuery, errorText } from '../../harness/xmpp-client';
import { startGateway, testConfig } from '../../harness/gateway';
import { FakeTwilio, type FakeAccount } from '../../harness/fake-twilio';
import { freePort } from '../../harness/ports';
import type { Gateway } from '../../../src/gateway';

const DOMAIN = 'sms.localhost';
const NUMBER = '+15551230077';
const PEER = '+447911123457';
const run = Prosody.available() ? describe : describe.skip;

/** SMS carries nothing but text: corrections, replies and reactions from XMPP arrive as text a phone user understands. */
run('SMS: corrections, replies and reactions become text', () => {
  let prosody: Prosody;
  let fake: FakeTwilio;
  let gateway: Gateway;
  let alice: TestClient;
  let account: FakeAccount;

  const nextSms = async (count: number): Promise<string> => {
    const deadline = Date.now() + 10000;
    while (fake.messages.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(fake.messages.length).toBe(count);
    return fake.messages[count - 1].body;
  };

  beforeAll(async () => {
    fake = await FakeTwilio.start();
    account = fake.addAccount([NUMBER]);
    prosody = await Prosody.start([{ domain: DOMAIN, secret: 's3cret' }]);
    const httpPort = await freePort();
    gateway = await startGateway(testConfig(prosody, [{ domain: DOMAIN, secret: 's3cret', adapter: 'sms', options: { apiBaseUrl: fake.baseUrl, retryBaseDelayMs: 5 } }], {
      http: { enabled: true, host: '127.0.0.1', port: httpPort, publicUrl: `http://127.0.0.1:${httpPort}` },
    }));
    alice = await TestClient.connect(prosody, 'alice');
    await alice.send(xml('presence'));
    const answer = await alice.iq('set', DOMAIN, registerForm({ accountSid: account.sid, authToken: account.authToken, phoneNumber: NUMBER }));
    expect(answer.attrs.type).toBe('result');
  });

  afterAll(async () => {
    await alice?.stop();
    await gateway?.stop();
    await prosody?.destroy();
    await fake?.close();
  });

  test('disco#info of a number lists corrections, replies and reactions', async () => {
    const info = await alice.iq('get', `${PEER}@${DOMAIN}`, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }));
    const features = info.getChild('query')!.getChildren('feature').map((f) => f.attrs.var);
    expect(features).toEqual(expect.arrayContaining(['urn:xmpp:message-correct:0', 'urn:xmpp:reply:0', 'urn:xmpp:reactions:0']));
    expect(features).not.toContain('urn:xmpp:chat-markers:0');
  });

  test('the vCard of a number carries it formatted for reading', async () => {
    const answer = await alice.iq('get', `${PEER}@${DOMAIN}`, xml('vCard', { xmlns: 'vcard-temp' }));
    expect(answer.attrs.type).toBe('result');
    expect(answer.getChild('vCard', 'vcard-temp')?.getChildText('FN')).toBe('+44 7911 123457');
  });

  test('a correction arrives as "* corrected text"', async () => {
    const before = fake.messages.length;
    await alice.send(xml('message', { to: `${PEER}@${DOMAIN}`, type: 'chat', id: 'c1' }, xml('body', {}, 'see you at 6')));
    await nextSms(before + 1);
    await alice.send(xml('message', { to: `${PEER}@${DOMAIN}`, type: 'chat', id: 'c2' }, xml('body', {}, 'see you at 7'), xml('replace', { xmlns: 'urn:xmpp:message-correct:0', id: 'c1' })));
    expect(await nextSms(before + 2)).toBe('* see you at 7');
  });

  test('a reply keeps the quote the client wrote as its fallback', async () => {
    const incoming = alice.waitFor((el) => el.name === 'message' && el.attrs.from === `${PEER}@${DOMAIN}` && el.getChildText('body') === 'are you coming?', 10000, 'inbound sms');
    await fake.deliverSms({ from: PEER, to: NUMBER, body: 'are you coming?' });
    const question = await incoming;
    const quote = '> are you coming?\n';
    const before = fake.messages.length;
    await alice.send(xml('message', { to: `${PEER}@${DOMAIN}`, type: 'chat', id: 'r1' },
      xml('body', {}, `${quote}yes`),
      xml('reply', { xmlns: 'urn:xmpp:reply:0', to: `${PEER}@${DOMAIN}`, id: question.attrs.id }),
      xml('fallback', { xmlns: 'urn:xmpp:fallback:0', for: 'urn:xmpp:reply:0' }, xml('body', { start: '0', end: String(Array.from(quote).length) }))));
    expect(await nextSms(before + 1)).toBe(`${quote}yes`);
  });

  test('a reaction to a message the gateway delivered quotes it', async () => {
    const incoming = alice.waitFor((el) => el.name === 'message' && el.getChildText('body') === 'dinner at 8?', 10000, 'inbound sms');
    await fake.deliverSms({ from: PEER, to: NUMBER, body: 'dinner at 8?' });
    const question = await incoming;
    const stanzaId = question.getChild('stanza-id', 'urn:xmpp:sid:0')?.attrs.id;
    expect(stanzaId).toBeTruthy();
    const before = fake.messages.length;
    await alice.send(xml('message', { to: `${PEER}@${DOMAIN}`, type: 'chat', id: 'x0' },
      xml('reactions', { xmlns: 'urn:xmpp:reactions:0', id: stanzaId }, xml('reaction', {}, '👍'))));
    expect(await nextSms(before + 1)).toBe('Reacted 👍 to "dinner at 8?"');
  });

  test('the transport answers MAM for the conversation with a number, both directions', async () => {
    const { messages, fin } = await mamQuery(alice, DOMAIN, { with: `${PEER}@${DOMAIN}` });
    expect(fin.attrs.type).toBe('result');
    expect(fin.getChild('fin', 'urn:xmpp:mam:2')?.attrs.complete).toBe('true');
    const bodies = messages.map((m) => m.getChildText('body'));
    expect(bodies).toEqual(expect.arrayContaining(['see you at 6', '* see you at 7', 'are you coming?', 'dinner at 8?']));
    expect(bodies.indexOf('see you at 6')).toBeLessThan(bodies.indexOf('are you coming?'));
  });

  test('a MAM query without a contact is refused with a sentence', async () => {
    const answer = await alice.iq('set', DOMAIN, xml('query', { xmlns: 'urn:xmpp:mam:2' }));
    expect(answer.attrs.type).toBe('error');
    expect(errorText(answer)).toMatch(/with/);
  });

  test('a reaction arrives as a short text, and withdrawing it too', async () => {
    const before = fake.messages.length;
    await alice.send(xml('message', { to: `${PEER}@${DOMAIN}`, type: 'chat', id: 'x1' },
      xml('reactions', { xmlns: 'urn:xmpp:reactions:0', id: 'some-sms' }, xml('reaction', {}, '👍'))));
    expect(await nextSms(before + 1)).toBe('Reacted 👍');
    await alice.send(xml('message', { to: `${PEER}@${DOMAIN}`, type: 'chat', id: 'x2' }, xml('reactions', { xmlns: 'urn:xmpp:reactions:0', id: 'some-sms' })));
    expect(await nextSms(before + 2)).toBe('Withdrew the reaction');
  });
});
