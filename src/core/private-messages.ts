/**
 * Private messages through a room (XEP-0045 7.5): a chat message to room/nick goes to that
 * occupant on the network; answers come back through room.privateChat(nick).
 */
import type { UserMessage } from '../component/inbound';
import { countLegacyMessage } from '../metrics';
import { GatewayError } from './errors';
import { chatScope } from './scopes';
import type { TransportContext } from './transport-context';
import type { UserSession } from './user-session';

export async function routePrivateMessage(ctx: TransportContext, session: UserSession, message: UserMessage, room: string, nick: string): Promise<void> {
  const legacy = session.legacy!;
  if (!session.rooms.get(room)?.resources.size) throw new GatewayError('not-acceptable', 'Join the room to talk privately with its occupants.');
  if (message.reactions) throw new GatewayError('feature-not-implemented', 'Reactions cannot be sent through a room\'s private messages; message the user\'s own address instead.');
  if (message.body === null) {
    if (message.chatState && legacy.sendChatState) await legacy.sendChatState(room, message.chatState, nick);
    return;
  }
  if (!legacy.sendPrivateMessage) {
    throw new GatewayError('feature-not-implemented', 'Private messages through a room are not supported on this network; message the user\'s own address instead.');
  }
  // One conversation per occupant, apart from the chat with the same person's own address.
  const scope = chatScope(session.jid, `${room}/${nick}`);
  const text = await ctx.features.text(scope, { ...message, body: message.body }, false);
  const result = await legacy.sendPrivateMessage({
    room,
    nick,
    body: text.body,
    id: message.id,
    thread: message.thread,
    oob: message.oob.length ? message.oob : undefined,
    action: message.action,
    receiptRequested: message.receiptRequested,
    fromResource: message.from,
    ...text.refs,
  });
  countLegacyMessage(ctx.domain, 'sent');
  const xmppIds = [message.id, message.originId].filter((id): id is string => Boolean(id));
  if (result?.legacyId && xmppIds.length) ctx.recordId(scope, result.legacyId, xmppIds);
}
