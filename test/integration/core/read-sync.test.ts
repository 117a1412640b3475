/**
 * Read elsewhere -> shown read in XMPP, against a real Prosody with Debian's mod_privilege: the
 * gateway's <displayed/> on the user's behalf (XEP-0356 message "outgoing") reaches the user's
 * clients as a XEP-0280 "sent" carbon; without the grant nothing is sent.
 */
import pino from 'pino';
import type { Element } from '@xmpp/xml';
import { ComponentConnection } from '../../../src/component/connection';
import { parsePrivilegeAdvertisement, type PrivilegeAdvertisement } from '../../../src/component/privilege';
import { ReadSync } from '../../../src/core/read-sync';
import { Prosody } from '../../harness/prosody';
import { TestClient, xml } from '../../harness/xmpp-client';

const GRANTED = 'irc.localhost';
const NOT_GRANTED = 'sms.localhost';
const SECRET = 'read-sync-secret';
const logger = pino({ level: 'silent' });
const CARBONS = 'urn:xmpp:carbons:2';
const MARKERS = 'urn:xmpp:chat-markers:0';

/** A component link that records what it receives and waits for it. */
class Link {
  readonly received: Element[] = [];
  private waiters: (() => void)[] = [];
  readonly connection: ComponentConnection;

  constructor(prosody: Prosody, readonly domain: string) {
    this.connection = new ComponentConnection({
      service: `xmpp://127.0.0.1:${prosody.componentPort}`, domain, password: SECRET,
      initialDelayMs: 100, maxDelayMs: 1000, queueLimit: 1000, backlogHighWaterBytes: 1 << 20, logger,
    }, (el) => {
      this.received.push(el);
      for (const waiter of [...this.waiters]) waiter();
    });
  }

  waitFor(match: (el: Element) => boolean, what: string, timeoutMs = 10000): Promise<Element> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.received.find(match);
        if (!found) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve(found);
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`${this.domain}: timed out waiting for ${what}; got:\n${this.received.join('\n')}`));
      }, timeoutMs);
      this.waiters.push(check);
      check();
    });
  }

  async grant(): Promise<PrivilegeAdvertisement> {
    return parsePrivilegeAdvertisement(await this.waitFor((el) => parsePrivilegeAdvertisement(el) !== undefined, 'the privilege advertisement'))!;
  }
}

const displayedIn = (el: Element | undefined) => el?.getChild('displayed', MARKERS)?.attrs.id;

/** The carbon of a message the user "sent": its forwarded message. */
function sentCarbon(el: Element): Element | undefined {
  return el.name === 'message' ? el.getChild('sent', CARBONS)?.getChild('forwarded', 'urn:xmpp:forward:0')?.getChild('message') : undefined;
}

(Prosody.privilegeAvailable() ? describe : describe.skip)('read elsewhere, shown as read through XEP-0356 (Prosody mod_privilege)', () => {
  let prosody: Prosody;
  let granted: Link;
  let notGranted: Link;
  let grants: Map<string, PrivilegeAdvertisement>;

  beforeAll(async () => {
    prosody = await Prosody.start([{ domain: GRANTED, secret: SECRET }, { domain: NOT_GRANTED, secret: SECRET }], {
      privileged: { [GRANTED]: { roster: 'both', message: 'outgoing' }, [NOT_GRANTED]: { roster: 'both', message: 'none' } },
    });
    granted = new Link(prosody, GRANTED);
    notGranted = new Link(prosody, NOT_GRANTED);
    granted.connection.start();
    notGranted.connection.start();
    grants = new Map([[GRANTED, await granted.grant()], [NOT_GRANTED, await notGranted.grant()]]);
  });

  afterAll(async () => {
    await granted?.connection.stop();
    await notGranted?.connection.stop();
    await prosody?.destroy();
  });

  const syncFor = (link: Link) => new ReadSync({
    domain: link.domain,
    send: (el) => link.connection.send(el),
    privilegesOf: (server) => (grants.get(link.domain)?.serverDomain === server ? grants.get(link.domain) : undefined),
    logger,
  });

  async function clientWithCarbons(user: string, resource: string): Promise<TestClient> {
    const client = await TestClient.connect(prosody, user, resource);
    const answer = await client.iq('set', client.bareJid, xml('enable', { xmlns: CARBONS }));
    expect(answer.attrs.type).toBe('result');
    return client;
  }

  test('every resource of the user gets the <displayed/> as a carbon sent from their bare JID', async () => {
    const phone = await clientWithCarbons('alice', 'phone');
    const laptop = await clientWithCarbons('alice', 'laptop');
    try {
      const bob = `bob%irc.example.net@${GRANTED}`;
      expect(syncFor(granted).chat(phone.bareJid, bob, 'msgid-42')).toBe('sent');
      for (const client of [phone, laptop]) {
        const carbon = await client.waitFor((el) => displayedIn(sentCarbon(el)) === 'msgid-42', 10000, 'the sent carbon of <displayed/>');
        expect(carbon.attrs.from).toBe('alice@localhost');
        expect(sentCarbon(carbon)!.attrs).toMatchObject({ from: 'alice@localhost', to: bob, type: 'chat' });
      }
      // The server also delivers it to the contact, i.e. back to the gateway, from the user's bare JID:
      // what the core's router must not take for a new read by the user (see ReadSync's repeat check).
      const echo = await granted.waitFor((el) => el.name === 'message' && displayedIn(el) === 'msgid-42', 'the marker delivered to the contact');
      expect(echo.attrs).toMatchObject({ from: 'alice@localhost', to: bob });
    } finally {
      await phone.stop();
      await laptop.stop();
    }
  });

  test('without message "outgoing" nothing is sent', async () => {
    expect(grants.get(NOT_GRANTED)).toMatchObject({ serverDomain: 'localhost', roster: 'both', message: 'none' });
    const client = await clientWithCarbons('carol', 'phone');
    try {
      expect(syncFor(notGranted).chat(client.bareJid, `dan@${NOT_GRANTED}`, 'sm-1')).toBe('not-granted');
      // Anything sent before this marker arrives first (one link, one order).
      notGranted.connection.send(xml('message', { from: `barrier@${NOT_GRANTED}`, to: client.jid, type: 'chat' }, xml('body', {}, 'barrier')));
      await client.waitFor((el) => el.getChildText('body') === 'barrier', 10000, 'barrier');
      expect(client.received.filter((el) => el.name === 'message')).toEqual([]);
      expect(notGranted.received.filter((el) => el.name === 'message' && el.attrs.type === 'error')).toEqual([]);
    } finally {
      await client.stop();
    }
  });
});
