import type { Element } from '@xmpp/xml';
import { CAPS_NODE, capsVer, type Caps } from '../component/caps';
import { MAM_FEATURES } from '../component/mam';
import { NS } from '../component/namespaces';
import { discoInfoResult, discoItemsResult, type DiscoIdentity } from '../component/service-answers';
import { cutPage, pagedItemsResult, readPageRequest } from '../component/rsm';
import { bare, splitJid } from '../component/stanzas';
import { findByNode, refusal, visibleCommands } from './commands/registry';
import { GatewayError } from './errors';
import type { TransportContext } from './transport-context';

/** Features the core implements on every transport domain. */
export const CORE_FEATURES = [NS.discoInfo, NS.discoItems, NS.register, NS.gateway, NS.commands, NS.ping, NS.version, NS.receipts, NS.chatStates];

/** What messages to a contact or room of this network may carry besides text (MessagingSupport). */
export function messagingFeatures(ctx: TransportContext): string[] {
  const support = ctx.adapter.messaging ?? {};
  return [
    ...(support.corrections ? [NS.correction] : []),
    ...(support.replies ? [NS.reply] : []),
    ...(support.reactions ? [NS.reactions] : []),
    ...(support.readMarkers ? [NS.markers] : []),
  ];
}

/** A room also answers self-pings (XEP-0410), carries stanza-ids and, with the archive on, its history. */
function roomFeatures(ctx: TransportContext): string[] {
  return [...messagingFeatures(ctx), NS.ping, 'http://jabber.org/protocol/muc#self-ping-optimization', NS.stanzaId, ...(ctx.history ? MAM_FEATURES : [])];
}

/**
 * What the asking user's session can do in the room (its configuration form), and, for a user who
 * is in it, the room's current type (XEP-0045's muc_moderated / muc_unmoderated ... pairs).
 */
async function roomStateFeatures(ctx: TransportContext, room: string, user: string): Promise<string[]> {
  const session = ctx.sessions.get(user);
  const legacy = session?.legacy;
  if (!legacy?.roomConfig) return [];
  const features: string[] = [NS.roomConfig];
  if (!session?.rooms.get(room)?.resources.size) return features;
  const config = await legacy.roomConfig(room).catch(() => undefined);
  const pair = (value: boolean | undefined, yes: string, no: string) => (value === undefined ? [] : [value ? yes : no]);
  return [
    ...features,
    ...pair(config?.moderated, 'muc_moderated', 'muc_unmoderated'),
    ...pair(config?.membersOnly, 'muc_membersonly', 'muc_open'),
    ...pair(config?.password === undefined ? undefined : config.password !== '', 'muc_passwordprotected', 'muc_unsecured'),
    ...pair(config?.public, 'muc_public', 'muc_hidden'),
  ];
}

export interface EntityInfo {
  identities: DiscoIdentity[];
  features: string[];
}

/** The transport domain itself. */
export function domainInfo(ctx: TransportContext): EntityInfo {
  return {
    identities: [{ category: 'gateway', type: ctx.adapter.identity.type, name: ctx.adapter.identity.name }],
    features: [...new Set([...CORE_FEATURES, ...ctx.adapter.features, ...(ctx.history ? MAM_FEATURES : [])])],
  };
}

/**
 * Every contact of the transport: the same for all of them (no name in the identity: the roster
 * and the vCard carry names), so clients learn one caps hash per transport.
 */
export function contactInfo(ctx: TransportContext): EntityInfo {
  return { identities: [{ category: 'client', type: 'pc' }], features: [NS.discoInfo, NS.receipts, NS.chatStates, NS.vcard, ...messagingFeatures(ctx)] };
}

export function capsOf(info: EntityInfo): Caps {
  return { node: CAPS_NODE, ver: capsVer(info.identities, info.features) };
}

export async function discoInfo(ctx: TransportContext, iq: Element, query: Element): Promise<Element> {
  const { local } = splitJid(iq.attrs.to ?? '');
  const node: string | undefined = query.attrs.node;
  if (node?.startsWith(`${CAPS_NODE}#`)) {
    // XEP-0115: the features behind a hash this gateway sent in a presence.
    const info = local ? (ctx.adapter.parseAddress(local).kind === 'contact' ? contactInfo(ctx) : undefined) : domainInfo(ctx);
    if (!info || node !== `${CAPS_NODE}#${capsOf(info).ver}`) throw new GatewayError('item-not-found', `No such node: ${node}`);
    return discoInfoResult(iq, node, info.identities, info.features);
  }
  if (node === NS.commands) return discoInfoResult(iq, node, [{ category: 'automation', type: 'command-list', name: 'Gateway commands' }], []);
  if (node) {
    const user = bare(iq.attrs.from ?? '');
    const found = findByNode(ctx, user, node);
    if (!found) throw new GatewayError('item-not-found', `No such node: ${node}`);
    // Admin commands are not shown to others, and do not describe themselves to them either.
    const refused = found.admin ? refusal(ctx, user, found) : undefined;
    if (refused) throw refused;
    return discoInfoResult(iq, node, [{ category: 'automation', type: 'command-node', name: found.command.name }], [NS.commands, NS.data]);
  }
  if (!local) {
    const info = domainInfo(ctx);
    return discoInfoResult(iq, node, info.identities, info.features);
  }
  const address = ctx.adapter.parseAddress(local);
  const custom = await ctx.adapter.discoInfo?.(local, bare(iq.attrs.from ?? ''));
  if (custom) {
    const identities: DiscoIdentity[] = custom.identities.map((id) => ({ ...id, name: id.name ?? custom.name }));
    const extra = address.kind === 'room'
      ? [...roomFeatures(ctx), ...await roomStateFeatures(ctx, local, bare(iq.attrs.from ?? ''))]
      : address.kind === 'contact' ? messagingFeatures(ctx) : [];
    return discoInfoResult(iq, node, identities, [...custom.features, ...extra]);
  }
  if (address.kind === 'room') {
    return discoInfoResult(iq, node, [{ category: 'conference', type: 'text', name: address.display }], [NS.muc, 'muc_nonanonymous', 'muc_open', 'muc_unsecured', NS.discoInfo, ...roomFeatures(ctx)]);
  }
  if (address.kind === 'server') {
    // A legacy server holds rooms: clients browse it like a MUC service (its disco#items, paged).
    return discoInfoResult(iq, node, [{ category: 'conference', type: ctx.adapter.identity.type, name: address.display }],
      [NS.discoInfo, NS.discoItems, NS.rsm, NS.muc, NS.version, NS.ping]);
  }
  const info = contactInfo(ctx);
  return discoInfoResult(iq, node, info.identities, info.features);
}

export async function discoItems(ctx: TransportContext, iq: Element, query: Element): Promise<Element> {
  const user = bare(iq.attrs.from ?? '');
  const node: string | undefined = query.attrs.node;
  if (node === NS.commands) {
    // What this user may run now: the network's own commands once logged in, admin ones for admins.
    const items = visibleCommands(ctx, user).map(({ command }) => ({ jid: ctx.domain, node: command.node, name: command.name }));
    return discoItemsResult(iq, node, items);
  }
  const { local, resource } = splitJid(iq.attrs.to ?? '');
  if (!node && !local && ctx.adapter.discoItems) {
    return discoItemsResult(iq, node, await ctx.adapter.discoItems(user, ctx.sessions.get(user)?.legacy));
  }
  if (!node && local && !resource) return legacyItems(ctx, iq, query, local, user);
  return discoItemsResult(iq, node, []);
}

/** Most items in one answer, RSM or not: a big network lists thousands of rooms. */
const ITEMS_PAGE_MAX = 500;

/** disco#items of an address on the network (a legacy server's rooms), paged with XEP-0059. */
async function legacyItems(ctx: TransportContext, iq: Element, query: Element, local: string, user: string): Promise<Element> {
  const page = readPageRequest(query);
  ctx.adapter.parseAddress(local);
  const legacy = ctx.sessions.get(user)?.legacy;
  const listed = legacy?.discoItems ? await legacy.discoItems(local) : undefined;
  const all = (listed ?? []).map((i) => ({ jid: `${i.localpart}@${ctx.domain}`, name: i.name }));
  const cut = cutPage(all, page ?? {}, (i) => i.jid, ITEMS_PAGE_MAX);
  return pagedItemsResult(iq, cut.items, page || cut.count > cut.items.length ? cut : undefined);
}
