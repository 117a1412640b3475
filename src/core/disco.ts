import type { Element } from '@xmpp/xml';
import { CAPS_NODE, capsVer, type Caps } from '../component/caps';
import { MAM_FEATURES } from '../component/mam';
import { NS } from '../component/namespaces';
import { discoInfoResult, discoItemsResult, type DiscoIdentity } from '../component/service-answers';
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
    const extra = address.kind === 'room' ? roomFeatures(ctx) : address.kind === 'contact' ? messagingFeatures(ctx) : [];
    return discoInfoResult(iq, node, identities, [...custom.features, ...extra]);
  }
  if (address.kind === 'room') {
    return discoInfoResult(iq, node, [{ category: 'conference', type: 'text', name: address.display }], [NS.muc, 'muc_nonanonymous', 'muc_open', 'muc_unsecured', NS.discoInfo, ...roomFeatures(ctx)]);
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
  if (!node && !splitJid(iq.attrs.to ?? '').local && ctx.adapter.discoItems) {
    return discoItemsResult(iq, node, await ctx.adapter.discoItems(user, ctx.sessions.get(user)?.legacy));
  }
  return discoItemsResult(iq, node, []);
}
