/**
 * One XMPP user of the load: an xmpp.js client that counts the groupchat messages relayed
 * from one IRC nick instead of keeping every stanza (N² presences at N = 1000 would not fit).
 */
import { client, xml } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import type { Prosody } from '../test/harness/prosody';

export const LATENCY_PREFIX = 'lat ';

export class BenchUser {
  /** Groupchat messages from the watched occupant, per room JID. */
  readonly counts = new Map<string, number>();
  readonly latenciesMs: number[] = [];
  private watched = new Set<string>();
  private pending = new Map<string, (el: Element) => void>();
  private selfJoin = new Map<string, (error?: Error) => void>();
  private counter = 0;

  private constructor(readonly xmpp: ReturnType<typeof client>, readonly username: string) {}

  static async connect(prosody: Prosody, username: string): Promise<BenchUser> {
    const password = `pw-${username}`;
    prosody.createUser(username, password);
    const xmpp = client({ service: `xmpp://127.0.0.1:${prosody.c2sPort}`, domain: prosody.domain, username, password, resource: 'bench' });
    xmpp.reconnect.stop();
    xmpp.on('error', () => undefined);
    const user = new BenchUser(xmpp, username);
    xmpp.on('stanza', (el: Element) => user.onStanza(el));
    await xmpp.start();
    await xmpp.send(xml('presence'));
    return user;
  }

  /** Count groupchat messages from `occupantJid` (room@domain/nick). */
  watch(occupantJid: string): void {
    this.watched.add(occupantJid);
  }

  count(roomJid: string): number {
    return this.counts.get(roomJid) ?? 0;
  }

  private onStanza(el: Element): void {
    const from = String(el.attrs.from ?? '');
    if (el.name === 'message' && el.attrs.type === 'groupchat' && this.watched.has(from)) {
      const room = from.split('/')[0];
      this.counts.set(room, this.count(room) + 1);
      const body = el.getChildText('body') ?? '';
      if (body.startsWith(LATENCY_PREFIX)) this.latenciesMs.push(Date.now() - Number(body.slice(LATENCY_PREFIX.length)));
      return;
    }
    if (el.name === 'iq' && (el.attrs.type === 'result' || el.attrs.type === 'error')) {
      this.pending.get(String(el.attrs.id))?.(el);
      this.pending.delete(String(el.attrs.id));
      return;
    }
    if (el.name === 'presence') {
      const self = el.getChild('x', 'http://jabber.org/protocol/muc#user')?.getChildren('status').some((s) => s.attrs.code === '110');
      const waiting = this.selfJoin.get(from);
      if (waiting && (self || el.attrs.type === 'error')) {
        this.selfJoin.delete(from);
        waiting(el.attrs.type === 'error' ? new Error(`${this.username}: joining ${from} failed: ${el.toString()}`) : undefined);
      }
    }
  }

  /** Sends an iq and resolves with the result; an error answer rejects. */
  async iq(type: 'get' | 'set', to: string, payload: Element, timeoutMs = 60000): Promise<Element> {
    const id = `b${++this.counter}`;
    const answer = new Promise<Element>((resolve, reject) => {
      const timer = setTimeout(() => { this.pending.delete(id); reject(new Error(`${this.username}: no answer to iq to ${to}`)); }, timeoutMs);
      this.pending.set(id, (el) => {
        clearTimeout(timer);
        if (el.attrs.type === 'error') reject(new Error(`${this.username}: iq to ${to} failed: ${el.toString()}`));
        else resolve(el);
      });
    });
    await this.xmpp.send(xml('iq', { type, to, id }, payload));
    return answer;
  }

  /** Joins a MUC room and resolves on the self-presence (status 110). */
  async join(occupantJid: string, timeoutMs = 60000): Promise<void> {
    const joined = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.username}: no self-presence from ${occupantJid}`)), timeoutMs);
      this.selfJoin.set(occupantJid, (error) => {
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      });
    });
    await this.xmpp.send(xml('presence', { to: occupantJid }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' })));
    await joined;
  }

  sendGroupchat(roomJid: string, body: string): Promise<void> {
    return this.xmpp.send(xml('message', { to: roomJid, type: 'groupchat' }, xml('body', {}, body)));
  }

  async stop(): Promise<void> {
    await this.xmpp.stop().catch(() => undefined);
  }
}

export function registerForm(values: Record<string, string>): Element {
  return xml('query', { xmlns: 'jabber:iq:register' },
    xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
      xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, 'jabber:iq:register')),
      ...Object.entries(values).map(([k, v]) => xml('field', { var: k }, xml('value', {}, v)))));
}

/** Runs `work` over the items with at most `batch` at a time. */
export async function inBatches<T, R>(items: T[], batch: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += batch) {
    results.push(...(await Promise.all(items.slice(start, start + batch).map((item, i) => work(item, start + i)))));
  }
  return results;
}
