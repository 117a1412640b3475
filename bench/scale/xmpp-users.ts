/**
 * Every XMPP user of the scale benchmark behind one XEP-0114 component connection to Prosody
 * ("users.localhost"), the way a remote server with that many accounts looks: each user is its
 * own JID (u00001@users.localhost/bench), each stanza the gateway sends one of them is routed by
 * Prosody to that JID, and each user's registration, room join, presence answer and message is
 * its own stanza. What it does not have is 10,000 c2s sessions: those would cost Prosody and this
 * process far more than the gateway under test, on the same two cores.
 */
import { component, xml } from '@xmpp/component';
import type { Element } from '@xmpp/xml';
import { registerForm } from '../bench-user';
import { sleep } from '../proc-stats';
import type { Prosody } from '../../test/harness/prosody';

export const USERS_DOMAIN = 'users.localhost';
export const USERS_SECRET = 'bench-users-secret';
export const RESOURCE = 'bench';
const MUC_USER = 'http://jabber.org/protocol/muc#user';

/** Body prefixes the bench writes: IRC->XMPP lines carry `t<line id> `, XMPP->IRC messages `o<message id> `. */
export const INBOUND_PREFIX = 't';
export const OUTBOUND_PREFIX = 'o';

export class XmppUsers {
  /** Every stanza received (for "has the stream gone quiet"). */
  received = 0;
  /** Groupchat deliveries of IRC->XMPP lines: line id and arrival time, in arrival order. */
  readonly inbound: { line: number; at: number }[] = [];
  /** Groupchat deliveries of XMPP->IRC messages (reflections and other members' copies). */
  outboundDeliveries = 0;
  /** Chat messages with a body from each transport domain (mail, SMS). */
  readonly direct = new Map<string, number>();
  /** (user, room) pairs with a self-presence (status 110) since the last clear(): rooms joined or re-joined. */
  readonly inRooms = new Set<string>();
  /** Bare JIDs that answer presence probes as available (their client is "online"). */
  readonly online = new Set<string>();
  private readonly pending = new Map<string, { resolve: (el: Element) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private readonly joins = new Map<string, (error?: Error) => void>();
  private counter = 0;

  private constructor(private readonly xmpp: ReturnType<typeof component>) {}

  static async connect(prosody: Prosody): Promise<XmppUsers> {
    const xmpp = component({ service: `xmpp://127.0.0.1:${prosody.componentPort}`, domain: USERS_DOMAIN, password: USERS_SECRET });
    xmpp.reconnect.stop();
    xmpp.on('error', () => undefined);
    const users = new XmppUsers(xmpp);
    xmpp.on('stanza', (el: Element) => users.onStanza(el));
    await xmpp.start();
    return users;
  }

  static jid(local: string): string {
    return `${local}@${USERS_DOMAIN}`;
  }

  private onStanza(el: Element): void {
    this.received++;
    const from = el.attrs.from ?? '';
    const to = el.attrs.to ?? '';
    if (el.name === 'message') {
      const body = el.getChildText('body');
      if (body === null) return;
      if (el.attrs.type === 'groupchat') {
        if (body.startsWith(INBOUND_PREFIX)) this.inbound.push({ line: parseInt(body.slice(1), 10), at: Date.now() });
        else if (body.startsWith(OUTBOUND_PREFIX)) this.outboundDeliveries++;
        return;
      }
      const domain = from.split('@').pop()!.split('/')[0];
      this.direct.set(domain, (this.direct.get(domain) ?? 0) + 1);
      return;
    }
    if (el.name === 'iq') {
      const type = el.attrs.type;
      if (type === 'result' || type === 'error') {
        const waiting = this.pending.get(el.attrs.id ?? '');
        if (!waiting) return;
        this.pending.delete(el.attrs.id ?? '');
        clearTimeout(waiting.timer);
        if (type === 'error') waiting.reject(new Error(`iq to ${from} failed: ${el.toString().slice(0, 600)}`));
        else waiting.resolve(el);
        return;
      }
      // Nothing else is implemented by these users; a real client would say so too.
      void this.xmpp.send(xml('iq', { type: 'error', from: to, to: from, id: el.attrs.id },
        xml('error', { type: 'cancel' }, xml('service-unavailable', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }))));
      return;
    }
    if (el.name === 'presence') this.onPresence(el, from, to);
  }

  private onPresence(el: Element, from: string, to: string): void {
    const type = el.attrs.type;
    if (type === 'probe') {
      // A server answers a subscribed contact's probe with each online resource, or unavailable.
      const bare = to.split('/')[0];
      const available = this.online.has(bare);
      void this.xmpp.send(xml('presence', { from: available ? `${bare}/${RESOURCE}` : bare, to: from, ...(available ? {} : { type: 'unavailable' }) }));
      return;
    }
    if (type === 'subscribe') {
      void this.xmpp.send(xml('presence', { from: to.split('/')[0], to: from, type: 'subscribed' }));
      return;
    }
    const x = el.getChild('x', MUC_USER);
    if (!x && type !== 'error') return;
    const self = x?.getChildren('status').some((s) => s.attrs.code === '110') ?? false;
    if (self && type !== 'unavailable') this.inRooms.add(`${to.split('/')[0]}|${from.split('/')[0]}`);
    const waiting = this.joins.get(`${to}|${from}`);
    if (waiting && (self || type === 'error')) {
      this.joins.delete(`${to}|${from}`);
      waiting(type === 'error' ? new Error(`joining ${from} failed: ${el.toString().slice(0, 600)}`) : undefined);
    }
  }

  send(el: Element): Promise<void> {
    return this.xmpp.send(el);
  }

  async iq(from: string, to: string, type: 'get' | 'set', payload: Element, timeoutMs = 120000): Promise<Element> {
    const id = `s${++this.counter}`;
    const answer = new Promise<Element>((resolve, reject) => {
      const timer = setTimeout(() => { this.pending.delete(id); reject(new Error(`${from}: no answer from ${to} in ${timeoutMs} ms`)); }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
    });
    await this.xmpp.send(xml('iq', { type, from, to, id }, payload));
    return answer;
  }

  register(local: string, domain: string, fields: Record<string, string>): Promise<Element> {
    return this.iq(`${XmppUsers.jid(local)}/${RESOURCE}`, domain, 'set', registerForm(fields));
  }

  /** The user's client enters a room (MUC join) and resolves on the self-presence. */
  async join(local: string, occupantJid: string, timeoutMs = 300000): Promise<void> {
    const from = `${XmppUsers.jid(local)}/${RESOURCE}`;
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { this.joins.delete(`${from}|${occupantJid}`); reject(new Error(`${from}: no self-presence from ${occupantJid} in ${timeoutMs} ms`)); }, timeoutMs);
      this.joins.set(`${from}|${occupantJid}`, (error) => { clearTimeout(timer); if (error) reject(error); else resolve(); });
    });
    await this.xmpp.send(xml('presence', { from, to: occupantJid }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' })));
    await done;
  }

  groupchat(local: string, roomJid: string, body: string): Promise<void> {
    return this.xmpp.send(xml('message', { from: `${XmppUsers.jid(local)}/${RESOURCE}`, to: roomJid, type: 'groupchat' }, xml('body', {}, body)));
  }

  /** Resolves once no stanza arrived for `quietMs` (Prosody's queue towards these users has drained), or after `maxMs`. */
  async quiet(quietMs = 2000, maxMs = 600000): Promise<number> {
    const started = Date.now();
    let last = this.received;
    let since = Date.now();
    while (Date.now() - since < quietMs && Date.now() - started < maxMs) {
      await sleep(200);
      if (this.received !== last) {
        last = this.received;
        since = Date.now();
      }
    }
    return (Date.now() - started) / 1000;
  }

  async stop(): Promise<void> {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    await this.xmpp.stop().catch(() => undefined);
  }
}

/** Runs `work` over the items with at most `limit` running at once. */
export async function pool<T>(items: T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await work(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
