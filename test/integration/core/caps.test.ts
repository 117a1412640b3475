/**
 * XEP-0115: the transport's presence carries the hash of its disco#info, and the gateway answers
 * disco#info for node#ver with exactly the features that hash stands for (clients check).
 */
import type { Element } from '@xmpp/xml';
import { createHash } from 'node:crypto';
import { Prosody } from '../../harness/prosody';
import { TestClient, xml, registerForm } from '../../harness/xmpp-client';
import { startGateway, testConfig } from '../../harness/gateway';
import echoAdapter from '../../support/echo-adapter';
import type { Gateway } from '../../../src/gateway';

const DOMAIN = 'echo.localhost';
const CAPS = 'http://jabber.org/protocol/caps';
const run = Prosody.available() ? describe : describe.skip;

/** The client's side of XEP-0115 5.1, written from the spec, not from the gateway's code. */
function verOf(info: Element): string {
  const query = info.getChild('query')!;
  const ids = query.getChildren('identity').map((i) => `${i.attrs.category}/${i.attrs.type}/${i.attrs['xml:lang'] ?? ''}/${i.attrs.name ?? ''}`).sort();
  const features = query.getChildren('feature').map((f) => f.attrs.var as string).sort();
  return createHash('sha1').update([...ids, ...features].map((s) => `${s}<`).join('')).digest('base64');
}

run('entity capabilities (XEP-0115)', () => {
  let prosody: Prosody;
  let gateway: Gateway;
  let alice: TestClient;

  beforeAll(async () => {
    prosody = await Prosody.start([{ domain: DOMAIN, secret: 's3cret' }]);
    gateway = await startGateway(testConfig(prosody, [{ domain: DOMAIN, secret: 's3cret', adapter: 'echo' }]), { echo: echoAdapter });
    alice = await TestClient.connect(prosody, 'alice');
    await alice.send(xml('presence'));
  });

  afterAll(async () => {
    await alice?.stop();
    await gateway?.stop();
    await prosody?.destroy();
  });

  test('the transport presence carries caps whose node#ver answers the same features as its disco#info', async () => {
    expect((await alice.iq('set', DOMAIN, registerForm({ username: 'alice', password: 'secret' }))).attrs.type).toBe('result');
    await alice.send(xml('presence', { to: DOMAIN }));
    const presence = await alice.waitFor((el) => el.name === 'presence' && el.attrs.from === DOMAIN && !el.attrs.type && Boolean(el.getChild('c', CAPS)), 10000, 'transport presence with caps');
    const c = presence.getChild('c', CAPS)!;
    expect(c.attrs.hash).toBe('sha-1');
    const plain = await alice.iq('get', DOMAIN, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }));
    expect(verOf(plain)).toBe(c.attrs.ver);
    const byNode = await alice.iq('get', DOMAIN, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info', node: `${c.attrs.node}#${c.attrs.ver}` }));
    expect(byNode.attrs.type).toBe('result');
    expect(byNode.getChild('query')!.attrs.node).toBe(`${c.attrs.node}#${c.attrs.ver}`);
    expect(verOf(byNode)).toBe(c.attrs.ver);
    const wrong = await alice.iq('get', DOMAIN, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info', node: `${c.attrs.node}#nope` }));
    expect(wrong.attrs.type).toBe('error');
  });

  test('every contact answers one and the same caps node', async () => {
    const a = await alice.iq('get', `echo@${DOMAIN}`, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }));
    const b = await alice.iq('get', `someone@${DOMAIN}`, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }));
    expect(verOf(a)).toBe(verOf(b));
    const byNode = await alice.iq('get', `someone@${DOMAIN}`, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info', node: `urn:xmpp-transport-gateway:caps#${verOf(a)}` }));
    expect(byNode.attrs.type).toBe('result');
  });
});
