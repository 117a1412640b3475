import xml, { type Element } from '@xmpp/xml';
import { NS } from './namespaces';
import { bare, iqResult, splitJid } from './stanzas';
import type { TransportContext } from './context';
import { GatewayError } from '../core/errors';

/** Features the core implements on every transport domain. */
export const CORE_FEATURES = [NS.discoInfo, NS.discoItems, NS.register, NS.gateway, NS.commands, NS.ping, NS.version, NS.receipts, NS.chatStates];

export async function discoInfo(ctx: TransportContext, iq: Element, query: Element): Promise<Element> {
  const { local } = splitJid(iq.attrs.to ?? '');
  const node = query.attrs.node;
  const answer = xml('query', { xmlns: NS.discoInfo, node });
  if (node === NS.commands) {
    answer.append(xml('identity', { category: 'automation', type: 'command-list', name: 'Gateway commands' }));
    return iqResult(iq, answer);
  }
  if (node) {
    const command = ctx.commands.find((c) => c.node === node);
    if (!command) throw new GatewayError('item-not-found', `No such node: ${node}`);
    answer.append(xml('identity', { category: 'automation', type: 'command-node', name: command.name }), xml('feature', { var: NS.commands }), xml('feature', { var: NS.data }));
    return iqResult(iq, answer);
  }
  if (!local) {
    answer.append(xml('identity', { category: 'gateway', type: ctx.adapter.identity.type, name: ctx.adapter.identity.name }));
    for (const feature of new Set([...CORE_FEATURES, ...ctx.adapter.features])) answer.append(xml('feature', { var: feature }));
    return iqResult(iq, answer);
  }
  const address = ctx.adapter.parseAddress(local);
  const custom = await ctx.adapter.discoInfo?.(local, bare(iq.attrs.from ?? ''));
  if (custom) {
    for (const id of custom.identities) answer.append(xml('identity', { category: id.category, type: id.type, name: id.name ?? custom.name }));
    for (const feature of custom.features) answer.append(xml('feature', { var: feature }));
    return iqResult(iq, answer);
  }
  if (address.kind === 'room') {
    answer.append(xml('identity', { category: 'conference', type: 'text', name: address.display }));
    for (const feature of [NS.muc, 'muc_nonanonymous', 'muc_open', 'muc_unsecured', NS.discoInfo]) answer.append(xml('feature', { var: feature }));
  } else {
    answer.append(xml('identity', { category: 'client', type: 'pc', name: address.display }));
    for (const feature of [NS.discoInfo, NS.receipts, NS.chatStates]) answer.append(xml('feature', { var: feature }));
  }
  return iqResult(iq, answer);
}

export async function discoItems(ctx: TransportContext, iq: Element, query: Element): Promise<Element> {
  const user = bare(iq.attrs.from ?? '');
  const node = query.attrs.node;
  const answer = xml('query', { xmlns: NS.discoItems, node });
  if (node === NS.commands) {
    const hasSession = Boolean(ctx.sessions.get(user)?.legacy);
    for (const c of ctx.commands) {
      if (c.requiresSession !== false && !hasSession) continue;
      answer.append(xml('item', { jid: ctx.domain, node: c.node, name: c.name }));
    }
    return iqResult(iq, answer);
  }
  if (!node && !splitJid(iq.attrs.to ?? '').local && ctx.adapter.discoItems) {
    for (const item of await ctx.adapter.discoItems(user, ctx.sessions.get(user)?.legacy)) answer.append(xml('item', { jid: item.jid, name: item.name }));
  }
  return iqResult(iq, answer);
}
