/**
 * Room invitations as XMPP carries them: XEP-0045 mediated ones (`<invite/>` in muc#user, sent
 * to the room, which passes them on from its own JID) and XEP-0249 direct ones
 * (`jabber:x:conference`, sent by the inviter straight to the invitee).
 */
import type { Element } from '@xmpp/xml';
import { element, xmlSafe } from './stanzas';
import { NS } from './namespaces';

export const CONFERENCE_NS = 'jabber:x:conference';

/** What a user's message asks about invitations, if anything. */
export type Invitation =
  /** XEP-0045 7.8.2: to a room, naming the invitees. */
  | { kind: 'mediated'; invites: { to: string; reason?: string }[] }
  /** XEP-0045 7.8.2: the invitee turns an invitation down (sent to the room, which tells the inviter). */
  | { kind: 'decline'; to?: string; reason?: string }
  /** XEP-0249: to the invitee, naming the room. */
  | { kind: 'direct'; room: string; reason?: string; password?: string };

/** At most this many invitees per stanza: each may cost a line on the legacy network. */
export const MAX_INVITEES = 10;

function text(value: string | null | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/**
 * The invitation a message carries. An empty muc#user element (what clients put on private
 * messages through a room) is none.
 */
export function readInvitation(message: Element): Invitation | undefined {
  for (const x of message.children) {
    if (typeof x !== 'object' || x.name !== 'x') continue;
    if (x.attrs.xmlns === NS.mucUser) {
      const invites = x.getChildren('invite').map((i) => ({ to: String(i.attrs.to ?? '').trim(), reason: text(i.getChildText('reason')) }));
      if (invites.length) return { kind: 'mediated', invites };
      const decline = x.getChild('decline');
      if (decline) return { kind: 'decline', to: text(decline.attrs.to), reason: text(decline.getChildText('reason')) };
    } else if (x.attrs.xmlns === CONFERENCE_NS) {
      return { kind: 'direct', room: String(x.attrs.jid ?? '').trim(), reason: text(x.attrs.reason), password: text(x.attrs.password) };
    }
  }
  return undefined;
}

const JID_FORBIDDEN = /[\s\0-\x1f"&'<>]/;

/**
 * A JID good enough to address a stanza to: a domain, at most one `@` before it, no spaces or
 * markup, parts within RFC 7622's 1023 bytes. The XMPP server checks the rest.
 */
export function plausibleJid(jid: string): boolean {
  if (!jid || jid.length > 3071 || JID_FORBIDDEN.test(jid)) return false;
  const slash = jid.indexOf('/');
  const bareJid = slash === -1 ? jid : jid.slice(0, slash);
  const at = bareJid.indexOf('@');
  const local = at === -1 ? undefined : bareJid.slice(0, at);
  const domain = at === -1 ? bareJid : bareJid.slice(at + 1);
  if (local !== undefined && (!local || local.length > 1023 || local.includes('@'))) return false;
  if (slash !== -1 && (slash === jid.length - 1 || jid.length - slash - 1 > 1023)) return false;
  return domain.length > 0 && domain.length <= 1023 && !domain.includes('@') && !domain.startsWith('.') && !domain.endsWith('.');
}

export interface MediatedInvitationOptions {
  /** The room's JID. */
  from: string;
  /** The invitee. */
  to: string;
  /** Who invites: a bare JID (an XMPP user, or a legacy user's address on the transport). */
  inviter: string;
  reason?: string;
  /** The room's password (the channel key), for a room that needs one. */
  password?: string;
  /** A sentence for clients that do not know invitations. */
  body?: string;
  id?: string;
}

/**
 * A mediated invitation as the room passes it on (XEP-0045 example 57): from the room, naming
 * the inviter in `<invite from/>`, with the password when the room has one.
 */
export function mediatedInvitation(o: MediatedInvitationOptions): Element {
  const invite = element('invite', { from: o.inviter }, o.reason ? element('reason', {}, xmlSafe(o.reason)) : undefined);
  const x = element('x', { xmlns: NS.mucUser }, invite, o.password ? element('password', {}, xmlSafe(o.password)) : undefined);
  return element('message', { from: o.from, to: o.to, id: o.id }, o.body ? element('body', {}, xmlSafe(o.body)) : undefined, x);
}

/** XEP-0045 7.8.2: the room passes on that the invitee (`decliner`, a bare JID) turned an invitation down. */
export function mediatedDecline(o: { from: string; to: string; decliner: string; reason?: string }): Element {
  const decline = element('decline', { from: o.decliner }, o.reason ? element('reason', {}, xmlSafe(o.reason)) : undefined);
  return element('message', { from: o.from, to: o.to }, element('x', { xmlns: NS.mucUser }, decline));
}

/** The body of an invitation, for clients that show only the text. */
export function invitationText(inviter: string, room: string, reason?: string): string {
  return `${inviter} invites you to the room ${room}${reason ? `: ${reason}` : '.'}`;
}
