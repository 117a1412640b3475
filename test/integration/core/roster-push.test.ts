/**
 * Legacy contacts in the XMPP user's roster, against a real Prosody: with Debian's mod_privilege
 * (XEP-0356) the gateway adds them by roster push; without it, they ask for a subscription.
 */
import pino from 'pino';
import type { Element } from '@xmpp/xml';
import { ComponentConnection } from '../../../src/component/connection';
import { parsePrivilegeAdvertisement, parseRosterItems, type PrivilegeAdvertisement } from '../../../src/component/privilege';
import { RosterSync } from '../../../src/core/roster';
import { GatewayStore } from '../../../src/store';
import { Prosody } from '../../harness/prosody';
import { TestClient, xml } from '../../harness/xmpp-client';

const DOMAIN = 'irc.localhost';
const SECRET = 'roster-push-secret';
const logger = pino({ level: 'silent' });

/** A raw component link that records what it receives (what the gateway's router would get). */
class Component {
  readonly received: Element[] = [];
  readonly requests: Element[] = [];
  private listeners: (() => void)[] = [];
  readonly link: ComponentConnection;
  onStanza: (el: Element) => void = () => undefined;

  constructor(prosody: Prosody) {
    this.link = new ComponentConnection({
      service: `xmpp://127.0.0.1:${prosody.componentPort}`, domain: DOMAIN, password: SECRET,
      initialDelayMs: 100, maxDelayMs: 1000, queueLimit: 1000, backlogHighWaterBytes: 1 << 20, logger,
    }, (el) => {
      this.received.push(el);
      this.onStanza(el);
      for (const listener of [...this.listeners]) listener();
    });
  }

  /** The link's request(), counted. */
  request = (iq: Element): Promise<Element> => {
    this.requests.push(iq);
    return this.link.request(iq, 10000);
  };

  async waitFor(match: (el: Element) => boolean, what: string, timeoutMs = 10000): Promise<Element> {
    const found = () => this.received.find(match);
    if (found()) return found()!;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((l) => l !== check);
        reject(new Error(`component: timed out waiting for ${what}; got:\n${this.received.join('\n')}`));
      }, timeoutMs);
      const check = () => {
        const el = found();
        if (!el) return;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== check);
        resolve(el);
      };
      this.listeners.push(check);
    });
  }
}

const isRosterPushFor = (jid: string) => (el: Element) =>
  el.name === 'iq' && el.attrs.type === 'set' && parseRosterItems(el).some((item) => item.jid === jid);

const isSubscribeFrom = (jid: string) => (el: Element) => el.name === 'presence' && el.attrs.type === 'subscribe' && el.attrs.from === jid;

async function clientRoster(client: TestClient): Promise<ReturnType<typeof parseRosterItems>> {
  const answer = await client.iq('get', client.bareJid, xml('query', { xmlns: 'jabber:iq:roster' }));
  expect(answer.attrs.type).toBe('result');
  return parseRosterItems(answer);
}

/** Everything the component sent before this arrives first: the server keeps one link's order. */
async function barrier(component: Component, client: TestClient, tag: string): Promise<void> {
  component.link.send(xml('message', { from: `barrier@${DOMAIN}`, to: client.jid, type: 'chat' }, xml('body', {}, tag)));
  await client.waitFor((el) => el.name === 'message' && el.getChildText('body') === tag, 10000, `barrier ${tag}`);
}

const run = Prosody.privilegeAvailable() ? describe : describe.skip;

run('roster push with mod_privilege (XEP-0356)', () => {
  let prosody: Prosody;
  let component: Component;
  let store: GatewayStore;
  let grant: PrivilegeAdvertisement;
  const sync = () => new RosterSync({
    domain: DOMAIN, send: (el) => component.link.send(el), request: component.request,
    userState: (user) => store.userState(DOMAIN, user), logger, group: 'IRC',
  });

  beforeAll(async () => {
    prosody = await Prosody.start([{ domain: DOMAIN, secret: SECRET }], {
      privileged: { [DOMAIN]: { roster: 'both', message: 'outgoing' } },
    });
    store = await GatewayStore.open({ url: 'sqlite://:memory:', encryptionKey: Buffer.alloc(32, 7) });
    component = new Component(prosody);
    component.link.start();
    const advertisement = await component.waitFor((el) => parsePrivilegeAdvertisement(el) !== undefined, 'the privilege advertisement');
    grant = parsePrivilegeAdvertisement(advertisement)!;
  });

  afterAll(async () => {
    await component?.link.stop();
    await store?.close();
    await prosody?.destroy();
  });

  test('Prosody advertises the grant for its users, in urn:xmpp:privilege:2', () => {
    expect(grant).toMatchObject({ serverDomain: 'localhost', namespace: 'urn:xmpp:privilege:2', roster: 'both', message: 'outgoing', presence: 'none', ignored: [] });
  });

  test('the contact lands in the roster with its name and group, pushed to the client once', async () => {
    const client = await TestClient.connect(prosody, 'alice');
    try {
      const roster = sync();
      roster.onPrivilege(grant);
      expect(await clientRoster(client)).toEqual([]); // also makes the client a roster-push recipient
      const bob = `bob@${DOMAIN}`;

      expect(await roster.ensureContact(client.bareJid, { localpart: 'bob', name: 'Bob the Builder' })).toBe('pushed');
      const push = await client.waitFor(isRosterPushFor(bob), 10000, 'roster push for bob');
      expect(parseRosterItems(push)).toEqual([{ jid: bob, name: 'Bob the Builder', subscription: 'both', groups: ['IRC'] }]);
      expect(await clientRoster(client)).toEqual([{ jid: bob, name: 'Bob the Builder', subscription: 'both', groups: ['IRC'] }]);

      // Again, twice at once, and after a restart (a new RosterSync over the same store): nothing more.
      const before = component.requests.length;
      expect(await Promise.all([
        roster.ensureContact(client.bareJid, { localpart: 'bob', name: 'Bob' }),
        roster.ensureContact(client.bareJid, { localpart: 'Bob', name: 'Bob' }),
      ])).toEqual(['pushed', 'pushed']);
      const restarted = sync();
      restarted.onPrivilege(grant);
      expect(await restarted.ensureContact(client.bareJid, { localpart: 'bob' })).toBe('pushed');
      expect(component.requests.length).toBe(before);

      // Two concurrent calls for a new contact: one roster get and one push between them.
      const carol = `carol@${DOMAIN}`;
      expect(await Promise.all([
        roster.ensureContact(client.bareJid, { localpart: 'carol', name: 'Carol' }),
        roster.ensureContact(client.bareJid, { localpart: 'carol', name: 'Carol' }),
      ])).toEqual(['pushed', 'pushed']);
      await client.waitFor(isRosterPushFor(carol), 10000, 'roster push for carol');
      await barrier(component, client, 'after-carol');
      expect(component.requests.slice(before).map((iq) => iq.attrs.type)).toEqual(['get', 'set']);
      expect(client.received.filter((el) => isRosterPushFor(bob)(el) || isRosterPushFor(carol)(el))).toEqual([]);
      expect(client.received.filter(isSubscribeFrom(bob))).toEqual([]);
    } finally {
      await client.stop();
    }
  });

  test('a contact the user already has keeps the name and groups the user gave it', async () => {
    const client = await TestClient.connect(prosody, 'dora');
    try {
      const dave = `dave@${DOMAIN}`;
      await client.iq('set', client.bareJid, xml('query', { xmlns: 'jabber:iq:roster' },
        xml('item', { jid: dave, name: 'My Dave' }, xml('group', {}, 'Friends'))));
      const roster = sync();
      roster.onPrivilege(grant);
      expect(await roster.ensureContact(client.bareJid, { localpart: 'dave', name: 'dave' })).toBe('pushed');
      expect(await clientRoster(client)).toEqual([{ jid: dave, name: 'My Dave', subscription: 'both', groups: ['Friends'] }]);
    } finally {
      await client.stop();
    }
  });
});

(Prosody.available() ? describe : describe.skip)('roster without privileges: subscription requests', () => {
  let prosody: Prosody;
  let component: Component;
  let store: GatewayStore;
  let roster: RosterSync;
  let handled: Promise<unknown> = Promise.resolve();
  const sync = () => new RosterSync({
    domain: DOMAIN, send: (el) => component.link.send(el), request: component.request,
    userState: (user) => store.userState(DOMAIN, user), logger,
  });

  beforeAll(async () => {
    prosody = await Prosody.start([{ domain: DOMAIN, secret: SECRET }]);
    store = await GatewayStore.open({ url: 'sqlite://:memory:', encryptionKey: Buffer.alloc(32, 7) });
    component = new Component(prosody);
    // What the gateway's router does with a refusal from the user.
    component.onStanza = (el) => {
      if (el.name === 'presence' && el.attrs.type === 'unsubscribed') {
        handled = roster.onUnsubscribed(el.attrs.from ?? '', (el.attrs.to ?? '').split('@')[0]);
      }
    };
    component.link.start();
    await component.link.waitOnline(10000);
    roster = sync();
  });

  afterAll(async () => {
    await component?.link.stop();
    await store?.close();
    await prosody?.destroy();
  });

  test('the contact asks once, with its name as nick; a restart does not ask again', async () => {
    const client = await TestClient.connect(prosody, 'erin');
    try {
      await client.send(xml('presence'));
      const frank = `frank@${DOMAIN}`;
      expect(await roster.ensureContact(client.bareJid, { localpart: 'frank', name: 'Frank Zappa' })).toBe('asked');
      const ask = await client.waitFor(isSubscribeFrom(frank), 10000, 'subscribe from frank');
      expect(ask.getChildText('nick', 'http://jabber.org/protocol/nick')).toBe('Frank Zappa');

      expect(await Promise.all([
        roster.ensureContact(client.bareJid, { localpart: 'frank', name: 'Frank' }),
        sync().ensureContact(client.bareJid, { localpart: 'frank', name: 'Frank' }),
      ])).toEqual(['asked', 'asked']);
      await barrier(component, client, 'after-frank');
      expect(client.received.filter(isSubscribeFrom(frank))).toEqual([]);
      expect(component.requests).toEqual([]);
    } finally {
      await client.stop();
    }
  });

  test('a user who declined is not asked again', async () => {
    const client = await TestClient.connect(prosody, 'gina');
    try {
      await client.send(xml('presence'));
      const hank = `hank@${DOMAIN}`;
      expect(await roster.ensureContact(client.bareJid, { localpart: 'hank' })).toBe('asked');
      const ask = await client.waitFor(isSubscribeFrom(hank), 10000, 'subscribe from hank');
      expect(ask.getChild('nick')).toBeUndefined();
      await client.send(xml('presence', { to: hank, type: 'unsubscribed' }));
      await component.waitFor((el) => el.attrs.type === 'unsubscribed' && el.attrs.to === hank, 'the refusal');
      await handled;
      expect(await sync().ensureContact(client.bareJid, { localpart: 'hank', name: 'Hank' })).toBe('declined');
      await barrier(component, client, 'after-hank');
      expect(client.received.filter(isSubscribeFrom(hank))).toEqual([]);
    } finally {
      await client.stop();
    }
  });

  test('a grant the server does not honour: the push is refused and the contact asks instead', async () => {
    const client = await TestClient.connect(prosody, 'ivan');
    try {
      await client.send(xml('presence'));
      const forged = sync();
      forged.onPrivilege(parsePrivilegeAdvertisement(xml('message', { from: 'localhost', to: DOMAIN },
        xml('privilege', { xmlns: 'urn:xmpp:privilege:1' }, xml('perm', { access: 'roster', type: 'set' }))))!);
      const requestsBefore = component.requests.length;
      expect(await forged.ensureContact(client.bareJid, { localpart: 'judy', name: 'Judy' })).toBe('asked');
      expect(component.requests.slice(requestsBefore).map((iq) => iq.attrs.type)).toEqual(['set']);
      const ask = await client.waitFor(isSubscribeFrom(`judy@${DOMAIN}`), 10000, 'subscribe from judy');
      expect(ask.getChildText('nick', 'http://jabber.org/protocol/nick')).toBe('Judy');
      // The server is not asked again for the next contact, until it advertises anew.
      expect(await forged.ensureContact(client.bareJid, { localpart: 'kim' })).toBe('asked');
      await client.waitFor(isSubscribeFrom(`kim@${DOMAIN}`), 10000, 'subscribe from kim');
      expect(component.requests.length).toBe(requestsBefore + 1);
    } finally {
      await client.stop();
    }
  });

  test('request(): an error reply and a missing answer reject readably; answers never reach the stanza handler', async () => {
    await expect(component.link.request(xml('iq', { type: 'get', from: DOMAIN, to: 'nobody@localhost' }, xml('query', { xmlns: 'jabber:iq:roster' }))))
      .rejects.toThrow(/get jabber:iq:roster to nobody@localhost failed: service-unavailable/);
    // The component's own domain: the iq comes back to this link as a request nobody answers.
    const ping = xml('iq', { type: 'get', from: DOMAIN, to: DOMAIN, id: 'self-ping' }, xml('ping', { xmlns: 'urn:xmpp:ping' }));
    const delivered = component.waitFor((el) => el.attrs.id === 'self-ping', 'the iq to itself');
    await expect(component.link.request(ping, 500)).rejects.toThrow('no answer to get urn:xmpp:ping to irc.localhost within 500 ms');
    expect((await delivered).attrs.type).toBe('get');
    const answered = component.link.request(xml('iq', { type: 'get', from: DOMAIN, to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    await expect(answered).resolves.toMatchObject({ attrs: { type: 'result', from: 'localhost' } });
    expect(component.received.filter((el) => el.name === 'iq' && el.attrs.type !== 'get')).toEqual([]);
  });
});
