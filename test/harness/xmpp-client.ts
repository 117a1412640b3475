import { client, xml } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import type { Prosody } from './prosody';

/** A real XMPP client (xmpp.js) logged into the test Prosody, recording every stanza it gets. */
export class TestClient {
  readonly received: Element[] = [];
  private waiters: { match: (el: Element) => boolean; resolve: (el: Element) => void; timer?: NodeJS.Timeout }[] = [];
  private counter = 0;

  private constructor(readonly xmpp: ReturnType<typeof client>, readonly jid: string) {}

  static async connect(prosody: Prosody, username: string, resource = 'test'): Promise<TestClient> {
    const password = `pw-${username}`;
    prosody.createUser(username, password);
    const xmpp = client({ service: `xmpp://127.0.0.1:${prosody.c2sPort}`, domain: prosody.domain, username, password, resource });
    xmpp.reconnect.stop();
    xmpp.on('error', () => undefined);
    const c = new TestClient(xmpp, `${username}@${prosody.domain}/${resource}`);
    xmpp.on('stanza', (el: Element) => {
      c.received.push(el);
      for (const w of [...c.waiters]) {
        if (w.match(el)) {
          c.waiters.splice(c.waiters.indexOf(w), 1);
          w.resolve(el);
        }
      }
    });
    await xmpp.start();
    return c;
  }

  get bareJid(): string {
    return this.jid.split('/')[0];
  }

  send(el: Element): Promise<void> {
    return this.xmpp.send(el);
  }

  id(): string {
    return `t${++this.counter}-${Date.now()}`;
  }

  /** Sends an iq and resolves with the answer, whether result or error. */
  async iq(type: 'get' | 'set', to: string, payload: Element, timeoutMs = 20000): Promise<Element> {
    const id = this.id();
    const answer = this.waitFor((el) => el.name === 'iq' && el.attrs.id === id && (el.attrs.type === 'result' || el.attrs.type === 'error'), timeoutMs);
    await this.send(xml('iq', { type, to, id }, payload));
    return answer;
  }

  /** The first stanza matching, already received (and not yet consumed) or arriving within the timeout. */
  waitFor(match: (el: Element) => boolean, timeoutMs = 10000, description = 'stanza'): Promise<Element> {
    const seen = this.received.findIndex(match);
    if (seen >= 0) return Promise.resolve(this.received.splice(seen, 1)[0]);
    return new Promise((resolve, reject) => {
      const waiter: { match: (el: Element) => boolean; resolve: (el: Element) => void; timer?: NodeJS.Timeout } = {
        match,
        resolve: (el: Element) => {
          clearTimeout(timer);
          this.received.splice(this.received.indexOf(el), 1);
          resolve(el);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`${this.jid}: timed out waiting for ${description}; got:\n${this.received.map((e) => e.toString()).join('\n')}`));
      }, timeoutMs);
      waiter.timer = timer;
      this.waiters.push(waiter);
    });
  }

  async stop(): Promise<void> {
    for (const w of this.waiters) clearTimeout(w.timer);
    this.waiters = [];
    await this.xmpp.stop().catch(() => undefined);
  }
}

export { xml };

/** An XEP-0077 registration submitted as a data form. */
export function registerForm(values: Record<string, string>): Element {
  return xml('query', { xmlns: 'jabber:iq:register' },
    xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
      xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, 'jabber:iq:register')),
      ...Object.entries(values).map(([k, v]) => xml('field', { var: k }, xml('value', {}, v)))));
}

/** The RFC 6120 condition of an error stanza. */
export function errorCondition(el: Element): string | undefined {
  return el.getChild('error')?.getChildElements().find((c) => c.attrs.xmlns === 'urn:ietf:params:xml:ns:xmpp-stanzas' && c.name !== 'text')?.name;
}

export function errorText(el: Element): string {
  return el.getChild('error')?.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas') ?? '';
}

/**
 * An XEP-0313 query: the forwarded messages (in the order they arrived) and the <fin/>. Results
 * arrive before the final iq, so they are all in `received` once it is answered.
 */
export async function mamQuery(client: TestClient, to: string, filter: { with?: string; max?: number; before?: string | true; after?: string } = {}): Promise<{ messages: Element[]; fin: Element }> {
  const queryid = client.id();
  const fields = [xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, 'urn:xmpp:mam:2'))];
  if (filter.with) fields.push(xml('field', { var: 'with' }, xml('value', {}, filter.with)));
  const rsm = xml('set', { xmlns: 'http://jabber.org/protocol/rsm' }, xml('max', {}, String(filter.max ?? 100)));
  if (filter.before !== undefined) rsm.append(xml('before', {}, filter.before === true ? '' : filter.before));
  if (filter.after !== undefined) rsm.append(xml('after', {}, filter.after));
  const fin = await client.iq('set', to, xml('query', { xmlns: 'urn:xmpp:mam:2', queryid }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, ...fields), rsm));
  const messages: Element[] = [];
  for (const el of [...client.received]) {
    const result = el.getChild('result', 'urn:xmpp:mam:2');
    if (el.name !== 'message' || result?.attrs.queryid !== queryid) continue;
    client.received.splice(client.received.indexOf(el), 1);
    messages.push(result.getChild('forwarded', 'urn:xmpp:forward:0')!.getChild('message')!);
  }
  return { messages, fin };
}
