import type { Element } from '@xmpp/xml';
import { xml, type TestClient } from '../harness/xmpp-client';

/**
 * A user typing into the chat with a transport domain, as a client without registration UI or
 * ad-hoc commands does. Every answer of the transport is kept, for checks that secrets never return.
 */
export class TransportChat {
  private readonly setAside: string[] = [];

  constructor(readonly client: TestClient, readonly domain: string) {}

  private fromTransport = (el: Element): boolean => el.name === 'message' && el.attrs.from === this.domain;

  /** Sends a line and resolves with the transport's next answer (the first matching `expected`, if given). */
  async say(text: string, expected?: RegExp): Promise<string> {
    // Only what answers this line counts: older messages of the transport are set aside.
    const old = this.client.received.filter(this.fromTransport);
    for (const el of old) {
      this.setAside.push(el.getChildText('body') ?? '');
      this.client.received.splice(this.client.received.indexOf(el), 1);
    }
    const answer = this.client.waitFor((el) => this.fromTransport(el) && el.attrs.type === 'chat' && Boolean(el.getChild('body'))
      && (!expected || expected.test(el.getChildText('body') ?? '')), 15000, `answer to "${text}"`);
    await this.client.send(xml('message', { to: this.domain, type: 'chat', id: this.client.id() }, xml('body', {}, text)));
    return (await answer).getChildText('body')!;
  }

  /** Everything the transport said in this chat that the test has not consumed, set-aside messages included. */
  bodies(): string[] {
    return [...this.setAside, ...this.client.received.filter(this.fromTransport).map((el) => el.getChildText('body') ?? '')];
  }
}
