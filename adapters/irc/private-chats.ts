/**
 * Where a private conversation with an IRC nick shows on XMPP, by biboumi's rule: if the user
 * last wrote to that nick through a room (room/nick, from the occupant list), answers come from
 * room/nick while both are still in that channel; otherwise from the nick's own address.
 */
import type { Contact, PrivateChat } from '../../src/core/adapter';
import type { Rooms } from './rooms';

export type Conversation = Pick<Contact, 'sendText' | 'chatState' | 'delivered' | 'failed'> | PrivateChat;

export interface PrivateChatsHost {
  lower(name: string): string;
  rooms: Rooms;
  /** The nick's own address. */
  contact(nick: string): Contact;
}

/** Nicks remembered at most; the oldest route is forgotten first (it then falls back to the nick's address). */
const MAX_ROUTES = 500;

export class PrivateChats {
  /** Folded nick -> folded channel the user last wrote to it through. */
  private readonly via = new Map<string, string>();

  constructor(private readonly host: PrivateChatsHost) {}

  /**
   * The user wrote to `nick` through `channel`'s room, or (no channel) to the nick's own address.
   * Returns where that message's receipt or error goes: where it was written.
   */
  wrote(nick: string, channel?: string): Conversation {
    const key = this.host.lower(nick);
    this.via.delete(key);
    const state = channel ? this.host.rooms.get(channel) : undefined;
    if (!channel || !state) return this.host.contact(nick);
    this.via.set(key, this.host.lower(channel));
    if (this.via.size > MAX_ROUTES) this.via.delete(this.via.keys().next().value as string);
    return state.room.privateChat(nick);
  }

  /** Where the user sees what `nick` says privately. */
  chatWith(nick: string): Conversation {
    const channel = this.via.get(this.host.lower(nick));
    const state = channel ? this.host.rooms.get(channel) : undefined;
    if (state?.phase === 'joined' && state.room.occupant(nick)) return state.room.privateChat(nick);
    return this.host.contact(nick);
  }

  /** The nick changed: the conversation stays where it was. */
  renamed(oldNick: string, newNick: string): void {
    const channel = this.via.get(this.host.lower(oldNick));
    if (channel === undefined) return;
    this.via.delete(this.host.lower(oldNick));
    this.via.set(this.host.lower(newNick), channel);
  }
}
