/**
 * Names of conversations in the store, shared by the message-id map and the archive: a room is
 * one conversation for all of the gateway's users in it, a chat is one user's with one contact.
 */
export function chatScope(user: string, localpart: string): string {
  return `${user} ${localpart}`;
}

export function roomScope(room: string): string {
  return `room ${room}`;
}
