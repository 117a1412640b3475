/** Joining and leaving channels for XMPP room joins and leaves (the channel state itself: rooms.ts). */
import type { RoomJoinRequest } from '../../src/core/adapter';
import { GatewayError } from '../../src/core/errors';
import { CHANNEL_KEY_MAX, checkLength } from './limits';
import type { IrcSession } from './session';
import { singleLine } from './text';

export function joinChannel(session: IrcSession, request: RoomJoinRequest): void {
  const address = session.resolve(request.room);
  if (address.kind !== 'room') throw new GatewayError('bad-request', `${request.room} is not an IRC channel.`);
  const existing = session.rooms.get(address.channel);
  if (existing && !existing.parting) {
    // Another resource: the core sends it the room as the table has it.
    if (existing.phase === 'joined') session.rooms.announce(existing);
    return; // otherwise the pending join answers every resource
  }
  const max = session.options.maxChannels;
  if (!existing && session.rooms.held() >= max) {
    throw new GatewayError('resource-constraint', `You are in ${max} IRC channels, the most this gateway allows per user; leave one before joining ${address.channel}.`);
  }
  if (request.password) checkLength('room password (channel key)', request.password, CHANNEL_KEY_MAX);
  // Nicks are per server, not per room: another nick asked for here is answered with 210 (the core).
  const key = request.password ? singleLine(request.password).replace(/ /g, '') : undefined;
  const parting = session.rooms.get(address.channel);
  if (parting?.parting) {
    // Our PART is still out: JOIN after its answer, or the echo would take the user out again.
    session.rooms.wantAgain(parting, request.room, request.nick || session.nick, key);
    return;
  }
  const state = session.rooms.want(address.channel, request.room, request.nick || session.nick, key);
  if (session.connection.online) session.sendJoin(state.name, key);
}

export function leaveChannel(session: IrcSession, room: string, status?: string): void {
  const address = session.resolve(room);
  if (address.kind !== 'room') return;
  const state = session.rooms.get(address.channel);
  if (!state) return;
  if (!session.connection.online) {
    // Not in the channel on IRC: the core already showed the user out of the room.
    session.rooms.forget(address.channel);
    return;
  }
  if (!session.rooms.leaving(state)) return; // a PART is already out
  const reason = status ? singleLine(status).slice(0, 300) : '';
  session.connection.send(reason ? `PART ${state.name} :${reason}` : `PART ${state.name}`, 'control', session.lower(state.name));
}
