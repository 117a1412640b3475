/**
 * XEP-0045 moderation and room configuration (muc#admin, muc#owner iqs to a room), for
 * resources that are in the room. The network decides who may do what: its refusal comes back
 * as the iq's error, with its own words.
 */
import type { Element } from '@xmpp/xml';
import { adminListResult, readAdminRequest, readOwnerRequest, roomConfigResult, type AdminItem, type RoomConfig } from '../component/muc-admin';
import { NS } from '../component/namespaces';
import { bare, iqResult, splitJid } from '../component/stanzas';
import type { AffiliationTarget, LegacySession } from './adapter';
import { GatewayError } from './errors';
import type { RoomHandle } from './room';
import type { TransportContext } from './transport-context';

function unsupported(what: string): GatewayError {
  return new GatewayError('feature-not-implemented', `This network cannot ${what}.`);
}

/** The room and the session of the resource asking; refuses anyone not in the room. */
function occupantOf(ctx: TransportContext, iq: Element): { room: RoomHandle; legacy: LegacySession; local: string } {
  const { local, resource } = splitJid(iq.attrs.to ?? '');
  if (resource) throw new GatewayError('bad-request', 'Send room administration to the room itself, not to an occupant.');
  if (ctx.adapter.parseAddress(local).kind !== 'room') throw new GatewayError('service-unavailable', `${local} is not a room.`);
  const from = iq.attrs.from ?? '';
  const session = ctx.sessions.get(bare(from));
  const room = session?.rooms.get(local);
  if (!session?.legacy || !room?.resources.has(from)) throw new GatewayError('not-acceptable', 'Join the room before administering it.');
  return { room, legacy: session.legacy, local };
}

export async function roomAdminIq(ctx: TransportContext, iq: Element, query: Element): Promise<Element> {
  const type = iq.attrs.type as 'get' | 'set';
  const { room, legacy, local } = occupantOf(ctx, iq);
  return query.attrs.xmlns === NS.mucOwner ? owner(ctx, iq, query, type, legacy, local) : admin(ctx, iq, query, type, legacy, room, local);
}

/** A JID a client named in an affiliation change, as the network knows it. */
function targetOf(ctx: TransportContext, item: AdminItem): AffiliationTarget {
  if (!item.jid) return { nick: item.nick };
  const { local, domain } = splitJid(item.jid);
  if (domain.toLowerCase() !== ctx.domain || !local) {
    if (item.nick) return { nick: item.nick };
    throw new GatewayError('not-acceptable', `${item.jid} is not an address on ${ctx.domain}; name the occupant by nick or by their ${ctx.domain} address.`);
  }
  return { localpart: local, nick: item.nick };
}

async function admin(ctx: TransportContext, iq: Element, query: Element, type: 'get' | 'set', legacy: LegacySession, room: RoomHandle, local: string): Promise<Element> {
  const request = readAdminRequest(type, query);
  if (request.kind === 'list') {
    const listed = request.role !== undefined ? undefined : await legacy.affiliations?.(local, request.affiliation!);
    if (listed) {
      return adminListResult(iq, listed.map((e) => ({ affiliation: e.affiliation, nick: e.nick, reason: e.reason, jid: e.localpart ? `${e.localpart}@${ctx.domain}` : undefined })));
    }
    const matching = room.listed().filter((o) => (request.role !== undefined ? o.role === request.role : o.affiliation === request.affiliation));
    return adminListResult(iq, matching);
  }
  // One at a time, in the order given: the first refusal stops the rest and is the answer.
  for (const item of request.items) {
    if (item.role !== undefined) {
      if (!legacy.setRole) throw unsupported(item.role === 'none' ? 'kick occupants' : 'change roles');
      await legacy.setRole(local, item.nick!, item.role, item.reason);
    } else {
      if (!legacy.setAffiliation) throw unsupported(item.affiliation === 'outcast' ? 'ban from rooms' : 'change affiliations');
      await legacy.setAffiliation(local, targetOf(ctx, item), item.affiliation!, item.reason);
    }
  }
  return iqResult(iq);
}

/** What the submitted form changes, compared with the room's settings now (fields the network lacks are ignored). */
export function configChanges(current: RoomConfig, submitted: RoomConfig): RoomConfig {
  const changes: RoomConfig = {};
  for (const key of Object.keys(submitted) as (keyof RoomConfig)[]) {
    if (current[key] === undefined || submitted[key] === undefined || submitted[key] === current[key]) continue;
    (changes as Record<string, unknown>)[key] = submitted[key];
  }
  return changes;
}

async function owner(ctx: TransportContext, iq: Element, query: Element, type: 'get' | 'set', legacy: LegacySession, local: string): Promise<Element> {
  const request = readOwnerRequest(type, query);
  if (request.kind === 'cancel') return iqResult(iq);
  if (request.kind === 'destroy') throw new GatewayError('not-allowed', 'Rooms of this network cannot be destroyed from here; they close when everyone has left.');
  if (!legacy.roomConfig) throw unsupported('configure rooms');
  const current = await legacy.roomConfig(local);
  if (request.kind === 'form') return roomConfigResult(iq, current, `Configuration of ${ctx.adapter.parseAddress(local).display}`);
  if (request.passwordWithoutSecret && !current.password) throw new GatewayError('not-acceptable', 'A password-protected room needs a password: fill in the password field.');
  const changes = configChanges(current, request.config);
  if (Object.keys(changes).length) {
    if (!legacy.configureRoom) throw unsupported('configure rooms');
    await legacy.configureRoom(local, changes);
  }
  return iqResult(iq);
}
