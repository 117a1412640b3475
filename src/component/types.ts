/**
 * The XMPP-side vocabulary shared by every layer: what a form field, an occupant or a presence
 * is. It lives here, at the bottom, so the component needs nothing from the layers above it.
 */
export type Credentials = Record<string, string>;

export type FieldType = 'text-single' | 'text-private' | 'boolean' | 'list-single' | 'text-multi' | 'fixed';

/** One field of an XEP-0004 form; registration and ad-hoc forms are built from these. */
export interface FormField {
  var: string;
  label: string;
  type: FieldType;
  required?: boolean;
  /** Default shown on a first registration. Booleans use 'true' / 'false'. */
  default?: string;
  desc?: string;
  options?: { label: string; value: string }[];
  /** Encrypted at rest, masked when shown back. */
  secret?: boolean;
  /** XEP-0077 legacy element name (username, password, email, nick, ...) if one fits. */
  legacyName?: string;
}

export type ChatState = 'active' | 'composing' | 'paused' | 'inactive' | 'gone';
export type PresenceShow = 'away' | 'chat' | 'dnd' | 'xa';

export type Role = 'moderator' | 'participant' | 'visitor' | 'none';
export type Affiliation = 'owner' | 'admin' | 'member' | 'none' | 'outcast';

export interface Occupant {
  nick: string;
  role: Role;
  affiliation: Affiliation;
  /** Localpart of the occupant's own address (shown as the real JID in non-anonymous rooms). */
  jid?: string;
  show?: PresenceShow;
  status?: string;
  /** Eight bits of the network's own per-member flags (IRC: channel prefix modes), kept in the occupant table. */
  marks?: number;
}

export interface DiscoIdentity {
  category: string;
  type: string;
  name?: string;
}
