/**
 * Legacy -> XMPP read state: the user read a conversation on the legacy side (another IRC client
 * of their account sent MARKREAD, another mail client set \Seen), so their XMPP clients should
 * show it read too. XMPP has one way to say that for a 1:1 chat, the one Slidge uses: a
 * XEP-0333 <displayed/> from the user's own bare JID to the contact, which the user's server
 * sends on the gateway's behalf (XEP-0356 message "outgoing") and copies to the user's
 * resources as XEP-0280 "sent" carbons. Without that grant there is no other way, and nothing is
 * sent. In a room, the user's own occupant JID says it, which needs no grant.
 */
import type { Element } from '@xmpp/xml';
import type { Logger } from 'pino';
import { canSendAsUser, displayedMarker, ownDisplayedCarbon, type PrivilegeAdvertisement } from '../component/privilege';
import { bare, splitJid } from '../component/stanzas';

/** A message the user read elsewhere, by the network's id (the XMPP id the core gave it, see IncomingMeta.legacyId). */
export interface ReadRef {
  legacyId: string;
}

/** What contact and room handles offer adapters: "the user read up to this message on the network". */
export interface UserReads {
  readByUser(ref: ReadRef): void;
}

/**
 * Adapters report through this, so that they work with handles that do not offer it (yet): a
 * handle without readByUser (a test recorder, an older core) ignores the report. Returns whether
 * the handle took it.
 */
export function reportRead(handle: object | undefined, ref: ReadRef): boolean {
  const reads = handle as Partial<UserReads> | undefined;
  if (typeof reads?.readByUser !== 'function' || !ref.legacyId) return false;
  reads.readByUser(ref);
  return true;
}

export interface ReadSyncOptions {
  /** The transport domain (the privileged message's sender). */
  domain: string;
  send(el: Element): void;
  /** What each user server granted (RosterSync.privilegesOf). */
  privilegesOf(serverDomain: string): PrivilegeAdvertisement | undefined;
  logger: Logger;
}

/** sent: the marker left; not-granted: the user's server gave no message privilege (logged at debug). */
export type ReadOutcome = 'sent' | 'not-granted';

export class ReadSync {
  /** The last id reported per user and conversation, so a repeated report (a reconnect replaying MARKREAD) sends nothing. */
  private readonly last = new Map<string, string>();
  private static readonly MAX_REMEMBERED = 5000;

  constructor(private readonly options: ReadSyncOptions) {}

  /** 1:1: `user` read their chat with `contactJid` up to message `id` on the legacy side. */
  chat(user: string, contactJid: string, id: string): ReadOutcome | 'repeated' {
    const userJid = bare(user);
    const server = splitJid(userJid).domain.toLowerCase();
    const grant = this.options.privilegesOf(server);
    if (!canSendAsUser(grant)) {
      this.options.logger.debug({ user: userJid, contact: contactJid, server }, 'read elsewhere, but the user\'s server granted no message privilege (XEP-0356): not shown');
      return 'not-granted';
    }
    if (!this.fresh(`${userJid}\n${bare(contactJid)}`, id)) return 'repeated';
    this.options.send(ownDisplayedCarbon(this.options.domain, grant!, userJid, contactJid, id));
    return 'sent';
  }

  /** Room: the user (occupant `selfOccupantJid`) read it up to `id`; told to each of their resources in the room. */
  room(selfOccupantJid: string, resources: Iterable<string>, id: string): number {
    let sent = 0;
    for (const to of resources) {
      if (sent === 0 && !this.fresh(`${bare(to)}\n${selfOccupantJid}`, id)) return 0;
      this.options.send(displayedMarker({ from: selfOccupantJid, to, id, type: 'groupchat' }));
      sent++;
    }
    return sent;
  }

  private fresh(key: string, id: string): boolean {
    if (this.last.get(key) === id) return false;
    this.last.delete(key);
    this.last.set(key, id);
    if (this.last.size > ReadSync.MAX_REMEMBERED) this.last.delete(this.last.keys().next().value!);
    return true;
  }
}
