/**
 * Puts legacy contacts into their XMPP users' rosters, once each. Where the user's server granted
 * the gateway roster access (XEP-0356), the contact is added directly and shows up with its name
 * and group; elsewhere the contact asks for a presence subscription, which the user accepts or
 * declines in their client.
 */
import type { Element } from '@xmpp/xml';
import type { Logger } from 'pino';
import {
  canGetRoster, canSetRoster, parseRosterItems, rosterGet, rosterPush, subscribeRequest,
  type PrivilegeAdvertisement, type RosterItem,
} from '../component/privilege';
import { bare, splitJid } from '../component/stanzas';
import { KeyedMutex } from '../keyed-mutex';
import type { KeyValue } from '../store/types';

export interface RosterSyncOptions {
  /** The transport domain the contacts live on. */
  domain: string;
  send(el: Element): void;
  /** An iq round trip (ComponentConnection.request): resolves with the result, rejects otherwise. */
  request(iq: Element): Promise<Element>;
  /** The per-user state (GatewayStore.userState), so unregistering forgets what was done. */
  userState(user: string): KeyValue;
  logger: Logger;
  /** Roster group for contacts added by roster push (e.g. the network's name). */
  group?: string;
}

/**
 * pushed: added by roster push; present: the roster already had it; asked: subscription request
 * sent; declined: the user refused it; failed: nothing could be done now (logged), a later call
 * tries again.
 */
export type RosterOutcome = 'pushed' | 'present' | 'asked' | 'declined' | 'failed';

interface ContactRecord {
  state: 'pushed' | 'present' | 'asked' | 'declined';
  at: string;
}

const KEY_PREFIX = 'roster-contact:';

export class RosterSync {
  private readonly grants = new Map<string, PrivilegeAdvertisement>();
  /** Servers whose grant did not work in practice (ejabberd 23.01 fails every privileged roster set). */
  private readonly pushFailed = new Set<string>();
  private readonly locks = new KeyedMutex();

  constructor(private readonly options: RosterSyncOptions) {}

  /** A server's (re-)advertisement replaces what it granted before. */
  onPrivilege(grant: PrivilegeAdvertisement): void {
    this.grants.set(grant.serverDomain, grant);
    this.pushFailed.delete(grant.serverDomain);
    const { logger } = this.options;
    logger.info({ server: grant.serverDomain, roster: grant.roster, namespace: grant.namespace }, 'XMPP server granted privileges (XEP-0356)');
    if (grant.ignored.length > 0) logger.warn({ server: grant.serverDomain, ignored: grant.ignored }, 'privilege advertisement had values the gateway does not know; read as none');
  }

  /** Grants belong to one component stream; a new stream brings its own advertisements. */
  forgetPrivileges(): void {
    this.grants.clear();
    this.pushFailed.clear();
  }

  privilegesOf(serverDomain: string): PrivilegeAdvertisement | undefined {
    return this.grants.get(serverDomain.toLowerCase());
  }

  /** Puts `contact` in `user`'s roster unless that was done (or refused) before. Never throws. */
  ensureContact(user: string, contact: { localpart: string; name?: string }): Promise<RosterOutcome> {
    const userJid = bare(user);
    const key = KEY_PREFIX + contact.localpart.toLowerCase();
    return this.locks.run(`${userJid}\n${key}`, async () => {
      try {
        return await this.addOnce(userJid, key, contact);
      } catch (err) {
        this.options.logger.warn({ user: userJid, contact: contact.localpart, err: (err as Error).message }, 'could not add a contact to the roster');
        return 'failed';
      }
    });
  }

  /** The user refused the contact's subscription request: it is never asked again. */
  async onUnsubscribed(user: string, localpart: string): Promise<void> {
    const userJid = bare(user);
    const key = KEY_PREFIX + localpart.toLowerCase();
    await this.locks.run(`${userJid}\n${key}`, async () => {
      try {
        await this.remember(userJid, key, 'declined');
      } catch (err) {
        this.options.logger.warn({ user: userJid, contact: localpart, err: (err as Error).message }, 'could not record a declined subscription');
      }
    });
  }

  private async addOnce(user: string, key: string, contact: { localpart: string; name?: string }): Promise<RosterOutcome> {
    const done = await this.options.userState(user).get<ContactRecord>(key);
    if (done) return done.state;
    const contactJid = `${contact.localpart}@${this.options.domain}`;
    const server = splitJid(user).domain.toLowerCase();
    const grant = this.grants.get(server);
    if (canSetRoster(grant) && !this.pushFailed.has(server)) {
      let outcome: 'pushed' | 'present' | undefined;
      try {
        outcome = await this.push(user, contactJid, contact.name, canGetRoster(grant));
      } catch (err) {
        // Asking the server again for every contact would only repeat the error (and its log).
        this.pushFailed.add(server);
        this.options.logger.warn({ user, contact: contactJid, server, err: (err as Error).message },
          'privileged roster push failed: contacts of this server ask for a presence subscription instead until it grants privileges again');
      }
      if (outcome) {
        await this.remember(user, key, outcome);
        return outcome;
      }
    }
    this.options.send(subscribeRequest(contactJid, user, contact.name));
    await this.remember(user, key, 'asked');
    return 'asked';
  }

  /** With roster read access, what the user already set (name, groups) is kept. */
  private async push(user: string, contactJid: string, name: string | undefined, canRead: boolean): Promise<'pushed' | 'present'> {
    const { domain, request, group } = this.options;
    let existing: RosterItem | undefined;
    if (canRead) {
      const roster = parseRosterItems(await request(rosterGet(domain, user)));
      existing = roster.find((item) => bare(item.jid) === contactJid.toLowerCase());
      if (existing?.subscription === 'both') return 'present';
    }
    const groups = existing?.groups?.length ? existing.groups : group ? [group] : [];
    await request(rosterPush(domain, user, [{ jid: contactJid, name: existing?.name ?? name, subscription: 'both', groups }]));
    return 'pushed';
  }

  private async remember(user: string, key: string, state: ContactRecord['state']): Promise<void> {
    await this.options.userState(user).set<ContactRecord>(key, { state, at: new Date().toISOString() });
  }
}
