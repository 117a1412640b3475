/**
 * Legacy contacts appear in the user's roster through the whole gateway: pushed with XEP-0356
 * where Prosody's mod_privilege grants it, asked for with a subscription request where not.
 */
import type { Element } from '@xmpp/xml';
import { Prosody } from '../../harness/prosody';
import { TestClient, xml, registerForm } from '../../harness/xmpp-client';
import { startGateway, testConfig } from '../../harness/gateway';
import { FakeTwilio, type FakeAccount } from '../../harness/fake-twilio';
import { Ngircd, ngircdAvailable } from '../../harness/ngircd';
import { freePort } from '../../harness/ports';
import type { Gateway } from '../../../src/gateway';
import { RawIrcClient } from '../irc/raw-client';
import { fixedServerOptions } from '../irc/helpers';

const SMS = 'sms.localhost';
const IRC = 'irc.localhost';
const NUMBER = '+15551230099';
const PEER = '+447911123499';
const run = Prosody.available() && ngircdAvailable() ? describe : describe.skip;

async function rosterItem(client: TestClient, jid: string): Promise<Element | undefined> {
  const roster = await client.iq('get', client.bareJid, xml('query', { xmlns: 'jabber:iq:roster' }));
  return roster.getChild('query')?.getChildren('item').find((i) => i.attrs.jid === jid);
}

run('roster: new legacy contacts reach the user\'s roster', () => {
  let prosody: Prosody;
  let fake: FakeTwilio;
  let ircd: Ngircd;
  let gateway: Gateway;
  let alice: TestClient;
  let account: FakeAccount;
  let bob: RawIrcClient;

  beforeAll(async () => {
    fake = await FakeTwilio.start();
    account = fake.addAccount([NUMBER]);
    ircd = await Ngircd.start();
    prosody = await Prosody.start([{ domain: SMS, secret: 's3cret' }, { domain: IRC, secret: 's3cret' }], {
      privileged: { [SMS]: { roster: 'both', message: 'outgoing' }, [IRC]: { roster: 'both', message: 'outgoing' } },
    });
    const httpPort = await freePort();
    gateway = await startGateway(testConfig(prosody, [
      { domain: SMS, secret: 's3cret', adapter: 'sms', options: { apiBaseUrl: fake.baseUrl, retryBaseDelayMs: 5 } },
      { domain: IRC, secret: 's3cret', adapter: 'irc', options: fixedServerOptions(ircd.port) },
    ], { http: { enabled: true, host: '127.0.0.1', port: httpPort, publicUrl: `http://127.0.0.1:${httpPort}` } }));
    alice = await TestClient.connect(prosody, 'alice');
    // Roster pushes go to the resources that asked for the roster (RFC 6121 2.1.6).
    await alice.iq('get', alice.bareJid, xml('query', { xmlns: 'jabber:iq:roster' }));
    await alice.send(xml('presence'));
    expect((await alice.iq('set', SMS, registerForm({ accountSid: account.sid, authToken: account.authToken, phoneNumber: NUMBER }))).attrs.type).toBe('result');
    expect((await alice.iq('set', IRC, registerForm({ nick: 'alice' }))).attrs.type).toBe('result');
    bob = await RawIrcClient.connect(ircd.port, 'bob');
  });

  afterAll(async () => {
    bob?.close();
    await alice?.stop();
    await gateway?.stop();
    await prosody?.destroy();
    await ircd?.stop();
    await fake?.close();
  });

  test('an SMS from a new number pushes the number into the roster, named and grouped', async () => {
    const contact = `${PEER}@${SMS}`;
    const push = alice.waitFor((el) => el.name === 'iq' && el.attrs.type === 'set' && Boolean(el.getChild('query', 'jabber:iq:roster')?.getChildren('item').some((i) => i.attrs.jid === contact)), 10000, 'roster push');
    await fake.deliverSms({ from: PEER, to: NUMBER, body: 'hello from a phone' });
    await push;
    const item = await rosterItem(alice, contact);
    expect(item?.attrs).toMatchObject({ jid: contact, subscription: 'both' });
    expect(item?.attrs.name).toMatch(/7911/);
    expect(item?.getChildText('group')).toBeTruthy();
    // Pushed, so no subscription request was needed.
    expect(alice.received.some((el) => el.name === 'presence' && el.attrs.type === 'subscribe' && el.attrs.from === contact)).toBe(false);
  });

  test('an IRC nick that writes to the user is pushed into the roster', async () => {
    const contact = `bob@${IRC}`;
    const push = alice.waitFor((el) => el.name === 'iq' && el.attrs.type === 'set' && Boolean(el.getChild('query', 'jabber:iq:roster')?.getChildren('item').some((i) => i.attrs.jid === contact)), 10000, 'roster push');
    bob.send('PRIVMSG alice :hi there');
    await alice.waitFor((el) => el.name === 'message' && el.getChildText('body') === 'hi there', 10000, 'message from bob');
    await push;
    const item = await rosterItem(alice, contact);
    expect(item?.attrs).toMatchObject({ jid: contact, subscription: 'both' });
    expect(item?.attrs.name).toMatch(/^bob\b/);
  });

  test('a contact the user writes to first is pushed too', async () => {
    const contact = `carol@${IRC}`;
    const carol = await RawIrcClient.connect(ircd.port, 'carol');
    try {
      const push = alice.waitFor((el) => el.name === 'iq' && el.attrs.type === 'set' && Boolean(el.getChild('query', 'jabber:iq:roster')?.getChildren('item').some((i) => i.attrs.jid === contact)), 10000, 'roster push');
      await alice.send(xml('message', { to: contact, type: 'chat', id: 'r1' }, xml('body', {}, 'hello carol')));
      await carol.waitFor((l) => l.command === 'PRIVMSG' && l.params[1] === 'hello carol');
      await push;
      expect((await rosterItem(alice, contact))?.attrs.name).toMatch(/^carol\b/);
    } finally {
      carol.close();
    }
  });
});
