/**
 * What a LegacySession may offer besides messaging, rooms and presence (adapter.ts): private
 * messages through a room, XEP-0045 moderation and room settings, the software version of a
 * legacy user, and listings of legacy addresses. Every method is optional; the core answers
 * feature-not-implemented (or an empty list) where one is missing.
 */
import type { RoomConfig } from '../component/muc-admin';
import type { Affiliation, Role } from '../component/types';

/** XEP-0092: what software a legacy user runs, as their client told (IRC CTCP VERSION). */
export interface SoftwareVersion {
  name: string;
  version?: string;
  os?: string;
}

/** Someone on a room's lists (XEP-0045 muc#admin), as the network names them. */
export interface AffiliationEntry {
  affiliation: Affiliation;
  nick?: string;
  /** A localpart on the transport's domain (a contact, or another address the network uses, e.g. a ban mask). */
  localpart?: string;
  reason?: string;
}

/** Whom an affiliation change is about: an occupant's nick, or an address on the transport's domain. */
export interface AffiliationTarget {
  nick?: string;
  localpart?: string;
}

/** An address on the network listed under another (a legacy server's rooms), for disco#items. */
export interface LegacyItem {
  localpart: string;
  name?: string;
}

export interface OptionalCapabilities {
  /**
   * XEP-0045 moderation, asked by a resource that is in the room. Each resolves once the network
   * accepted the change and rejects with the network's refusal (as a GatewayError) otherwise.
   * Role 'none' is a kick.
   */
  setRole?(room: string, nick: string, role: Role, reason?: string): Promise<void>;
  setAffiliation?(room: string, target: AffiliationTarget, affiliation: Affiliation, reason?: string): Promise<void>;
  /** A room's list for an affiliation; undefined: the core answers from the occupant table. */
  affiliations?(room: string, affiliation: Affiliation): Promise<AffiliationEntry[] | undefined>;
  /** The room's settings for the muc#owner form; fields the network lacks stay undefined. */
  roomConfig?(room: string): Promise<RoomConfig>;
  /** Only the settings that changed (the core compares the submitted form with roomConfig). */
  configureRoom?(room: string, changes: RoomConfig): Promise<void>;
  /** XEP-0092 of a contact, or (with `nick`) of an occupant of room `to`. */
  softwareVersion?(to: string, nick?: string): Promise<SoftwareVersion>;
  /**
   * disco#items of an address on the network (an IRC server: its channels). The whole list, bounded
   * by the adapter; the core pages it (XEP-0059). Undefined: nothing listed there.
   */
  discoItems?(localpart: string): Promise<LegacyItem[] | undefined>;
  /**
   * Invites the contact `invitee` (a localpart) to `room` on the network (IRC INVITE), from a
   * mediated invitation to the room or a direct one to the contact. Resolves once the network
   * accepted it and rejects with its refusal (a GatewayError, in the network's words) otherwise.
   * `reason` is the user's text, for networks that carry one. Without it, inviting a legacy
   * contact is feature-not-implemented; invitations to XMPP users are the core's either way.
   */
  invite?(room: string, invitee: string, reason?: string): Promise<void>;
}
