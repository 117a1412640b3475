/**
 * What a user's several IRC connections look like from XMPP as one transport: one presence for
 * all of them, and contacts whose messages count as use of their server (user-servers.ts).
 */
import type { Contact } from '../../src/core/adapter';

export type ServerStatus = { online: boolean; text?: string };

/**
 * The transport's presence over every server that reported: one server's own status as it is
 * (a single-server user sees exactly what the session says), several as one line, online while
 * any server is.
 */
export function combinedStatus(reported: { server: string; status: ServerStatus }[]): ServerStatus | undefined {
  if (!reported.length) return undefined;
  if (reported.length === 1) return reported[0].status;
  return {
    online: reported.some((r) => r.status.online),
    text: reported.map((r) => r.status.text ?? `${r.server}: ${r.status.online ? 'connected' : 'offline'}`).join('; '),
  };
}

/** The core's contact, with what it says counted as use (`touch`) of the server it is on. */
export function touchingContact(contact: Contact, touch: () => void): Contact {
  return {
    get localpart() { return contact.localpart; },
    sendText: (body, meta) => { touch(); contact.sendText(body, meta); },
    chatState: (state) => contact.chatState(state),
    presence: (p) => contact.presence(p),
    delivered: (ref) => contact.delivered(ref),
    failed: (ref, error) => contact.failed(ref, error),
    reacted: (change) => contact.reacted(change),
    readByUser: (ref) => contact.readByUser?.(ref),
  };
}
