/**
 * A private conversation with a room occupant as one XMPP user sees it: from room/nick, to the
 * user's resources in the room (where the client opened it), else to the bare JID.
 */
import type { Element } from '@xmpp/xml';
import type { ChatState, IncomingMeta, PrivateChat } from './adapter';
import type { GatewayError } from './errors';
import { errorMessage, receiptMessage } from '../component/messages';
import { occupantChatMessage } from '../component/muc';
import { countLegacyMessage } from '../metrics';

export interface PrivateChatHost {
  /** The user's bare JID. */
  readonly jid: string;
  /** room/nick */
  jidOf(nick: string): string;
  /** Resources of the user in the room now. */
  resources(): Iterable<string>;
  send(el: Element): void;
  /** The transport domain, for metrics. */
  readonly domain: string;
}

export class PrivateChatHandle implements PrivateChat {
  constructor(readonly nick: string, private readonly host: PrivateChatHost) {}

  private targets(): string[] {
    const inRoom = [...this.host.resources()];
    return inRoom.length ? inRoom : [this.host.jid];
  }

  sendText(body: string, meta: IncomingMeta = {}): void {
    const text = meta.action ? `/me ${body}` : body;
    for (const to of this.targets()) {
      this.host.send(occupantChatMessage({ from: this.host.jidOf(this.nick), to, id: meta.legacyId, body: text, delay: meta.delay }));
    }
    countLegacyMessage(this.host.domain, 'received');
  }

  chatState(state: ChatState): void {
    for (const to of this.targets()) this.host.send(occupantChatMessage({ from: this.host.jidOf(this.nick), to, chatState: state }));
  }

  delivered(ref: { id: string; fromResource?: string }): void {
    this.host.send(receiptMessage(this.host.jidOf(this.nick), ref.fromResource ?? this.host.jid, ref.id));
  }

  failed(ref: { id?: string; fromResource?: string }, error: GatewayError): void {
    this.host.send(errorMessage(this.host.jidOf(this.nick), ref.fromResource ?? this.host.jid, ref.id, error));
  }
}
