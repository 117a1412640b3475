import xml, { type Element } from '@xmpp/xml';
import type { ChatState, PresenceShow } from '../core/adapter';
import { GatewayError, toGatewayError } from '../core/errors';
import type { UserSession } from '../core/user-session';
import { executeCommand } from './adhoc';
import type { TransportContext } from './context';
import { discoInfo, discoItems } from './disco';
import { NS } from './namespaces';
import { registrationGet, registrationSet } from './registration';
import { bare, errorReply, iqResult, splitJid } from './stanzas';

const CHAT_STATES: ChatState[] = ['active', 'composing', 'paused', 'inactive', 'gone'];

/** Entry point for every stanza addressed to one transport domain. Never throws. */
export async function routeStanza(ctx: TransportContext, stanza: Element): Promise<void> {
  try {
    if (stanza.name === 'iq') await routeIq(ctx, stanza);
    else if (stanza.name === 'message') await routeMessage(ctx, stanza);
    else if (stanza.name === 'presence') await routePresence(ctx, stanza);
  } catch (err) {
    if (!(err instanceof GatewayError)) ctx.logger.error({ err: (err as Error).stack, stanza: stanza.name }, 'stanza handling failed');
    refuseStanza(ctx, stanza, toGatewayError(err));
  }
}

/** Answers a stanza that was not (or could not be) handled with `error`, where an answer is due. */
export function refuseStanza(ctx: TransportContext, stanza: Element, error: GatewayError): void {
  const type = stanza.attrs.type;
  // Never answer an error with an error (RFC 6120 8.1); results and groupchat/headline noise too.
  if (type === 'error' || type === 'result') return;
  if (stanza.name === 'presence') {
    // Only joins (directed presence to room/nick), subscriptions and probes expect an answer.
    const toOccupant = splitJid(stanza.attrs.to ?? '').resource !== '';
    if (!(type === 'subscribe' || type === 'probe' || (!type && toOccupant))) return;
  }
  ctx.send(errorReply(stanza, error));
}

async function routeIq(ctx: TransportContext, iq: Element): Promise<void> {
  const type = iq.attrs.type;
  if (type !== 'get' && type !== 'set') return;
  const payload = iq.getChildElements()[0];
  if (!payload) throw new GatewayError('bad-request', 'An iq of type get or set needs a payload.');
  const ns = payload.attrs.xmlns;
  const toDomain = !splitJid(iq.attrs.to ?? '').local;
  let answer: Element | undefined;
  if (type === 'get' && ns === NS.discoInfo) answer = await discoInfo(ctx, iq, payload);
  else if (type === 'get' && ns === NS.discoItems) answer = await discoItems(ctx, iq, payload);
  else if (type === 'get' && ns === NS.ping) answer = ping(ctx, iq);
  else if (toDomain && type === 'get' && ns === NS.version) {
    answer = iqResult(iq, xml('query', { xmlns: NS.version }, xml('name', {}, ctx.software.name), xml('version', {}, ctx.software.version)));
  } else if (toDomain && ns === NS.register) {
    answer = type === 'get' ? await registrationGet(ctx, iq) : await registrationSet(ctx, iq, payload);
  } else if (toDomain && ns === NS.gateway) answer = gatewayPrompt(ctx, iq, payload);
  else if (toDomain && type === 'set' && payload.is('command', NS.commands)) answer = await executeCommand(ctx, iq, payload);
  if (!answer) throw new GatewayError('service-unavailable', `${ns ?? payload.name} is not supported here.`);
  ctx.send(answer);
}

/**
 * XEP-0199 ping. To a room occupant it is also XEP-0410's self-ping, so it must tell the truth:
 * a resource that is not in the room (never joined, left, or lost by a gateway restart) gets
 * not-acceptable and its client joins again.
 */
function ping(ctx: TransportContext, iq: Element): Element {
  const { local, resource } = splitJid(iq.attrs.to ?? '');
  if (local && resource && ctx.adapter.parseAddress(local).kind === 'room') {
    const from = iq.attrs.from ?? '';
    if (!ctx.sessions.get(bare(from))?.inRoom(local, from)) throw new GatewayError('not-acceptable', 'You are not in this room; join it again.');
  }
  return iqResult(iq);
}

/** XEP-0100 jabber:iq:gateway: legacy address -> JID. */
function gatewayPrompt(ctx: TransportContext, iq: Element, query: Element): Element {
  if (iq.attrs.type === 'get') {
    return iqResult(iq, xml('query', { xmlns: NS.gateway }, xml('desc', {}, ctx.adapter.gatewayPrompt.desc), xml('prompt', {}, ctx.adapter.gatewayPrompt.prompt)));
  }
  const typed = query.getChildText('prompt') ?? '';
  if (!typed.trim()) throw new GatewayError('bad-request', 'Give the legacy address in <prompt/>.');
  const localpart = ctx.adapter.toLocalpart(typed.trim());
  return iqResult(iq, xml('query', { xmlns: NS.gateway }, xml('jid', {}, `${localpart}@${ctx.domain}`)));
}

async function routeMessage(ctx: TransportContext, message: Element): Promise<void> {
  const type = message.attrs.type ?? 'normal';
  if (type === 'error') return;
  const from = message.attrs.from ?? '';
  const user = bare(from);
  const { local, resource } = splitJid(message.attrs.to ?? '');
  if (!local) throw new GatewayError('service-unavailable', `${ctx.domain} is a gateway: send messages to a contact or room address on it.`);
  const address = ctx.adapter.parseAddress(local);
  if (!ctx.isAllowed(user)) throw new GatewayError('forbidden', `${user} is not allowed to use ${ctx.domain}.`);
  const body = message.getChildText('body');
  const session = await ctx.sessions.sessionFor(user);
  const legacy = session.legacy!;

  if (type === 'groupchat') {
    if (address.kind !== 'room' || !legacy.sendRoomMessage) throw new GatewayError('bad-request', 'Groupchat messages go to a room address.');
    if (!session.inRoom(local, from)) throw new GatewayError('not-acceptable', 'Join the room before sending to it.');
    const subject = message.getChildText('subject');
    if (subject !== null && body === null) {
      if (!legacy.setSubject) throw new GatewayError('forbidden', 'This network has no room subjects.');
      await legacy.setSubject(local, subject);
      return;
    }
    if (body === null) return;
    const action = body.startsWith('/me ');
    await legacy.sendRoomMessage(local, { body: action ? body.slice(4) : body, id: message.attrs.id, action });
    return;
  }
  if (resource && address.kind === 'room') throw new GatewayError('feature-not-implemented', 'Private messages through a room are not supported yet; message the user\'s own address instead.');

  const state = CHAT_STATES.find((s) => message.getChild(s, NS.chatStates));
  if (body === null) {
    if (state && legacy.sendChatState) await legacy.sendChatState(local, state);
    return;
  }
  const action = body.startsWith('/me ');
  const oob = message.getChildren('x', NS.oob).map((x) => ({ url: x.getChildText('url') ?? '', desc: x.getChildText('desc') ?? undefined })).filter((o) => o.url);
  await legacy.sendMessage({
    to: local,
    body: action ? body.slice(4) : body,
    id: message.attrs.id,
    subject: message.getChildText('subject') ?? undefined,
    thread: message.getChildText('thread') ?? undefined,
    oob: oob.length ? oob : undefined,
    action,
    receiptRequested: Boolean(message.getChild('request', NS.receipts)) && Boolean(message.attrs.id),
    fromResource: from,
  });
}

async function routePresence(ctx: TransportContext, presence: Element): Promise<void> {
  const from = presence.attrs.from ?? '';
  const user = bare(from);
  const type = presence.attrs.type;
  const { local, resource } = splitJid(presence.attrs.to ?? '');
  if (type === 'error') return;
  if (local && resource) return roomPresence(ctx, presence, local, resource);

  const session = ctx.sessions.get(user);
  const me = local ? `${local}@${ctx.domain}` : ctx.domain;
  if (type === 'subscribe') {
    if (local) ctx.adapter.parseAddress(local);
    if (!session && !local) throw new GatewayError('registration-required', `Register with ${ctx.domain} first.`);
    ctx.send(xml('presence', { from: me, to: user, type: 'subscribed' }));
    if (!local && session) ctx.send(session.transportPresence(from));
    else if (local) {
      const known = session?.contacts.get(local);
      if (known) ctx.send(xml('presence', { from: me, to: user, type: known.available ? undefined : 'unavailable' }));
      // Ask back so the user's roster shows a two-way subscription.
      ctx.send(xml('presence', { from: me, to: user, type: 'subscribe' }));
    }
    return;
  }
  if (type === 'probe') {
    if (!local) {
      if (session) ctx.send(session.transportPresence(from));
      else ctx.send(xml('presence', { from: me, to: from, type: 'unsubscribed' }));
    } else {
      const known = session?.contacts.get(local);
      if (known) ctx.send(xml('presence', { from: me, to: from, type: known.available ? undefined : 'unavailable' }, known.status ? xml('status', {}, known.status) : undefined));
    }
    return;
  }
  if (type === 'subscribed' || type === 'unsubscribe' || type === 'unsubscribed') return;
  if (!session || local) return;
  // Available / unavailable from one of the user's resources, to the transport domain.
  session.presenceAnswered = true;
  if (type === 'unavailable') {
    // From the bare JID (an answer to the gateway's probe): no resource of the user is online.
    const gone = splitJid(from).resource ? [from] : session.knownResources();
    for (const resource of gone) {
      session.resources.delete(resource);
      for (const room of [...session.rooms.keys()]) {
        if (session.removeFromRoom(room, resource)) await session.legacy?.leaveRoom?.(room).catch(() => undefined);
      }
    }
  } else {
    const known = session.resources.has(from);
    session.resources.set(from, { show: (presence.getChildText('show') ?? undefined) as PresenceShow | undefined, status: presence.getChildText('status') ?? undefined });
    // A new resource learns the transport's state; a mere status change (away, dnd) of a known
    // one needs no answer: it already has the transport's presence, which has not changed.
    if (!known) ctx.send(session.transportPresence(from));
  }
  const aggregate = session.aggregatePresence();
  if (session.legacy?.setPresence) await session.legacy.setPresence(aggregate ?? { show: 'xa', status: 'Offline' }).catch(() => undefined);
}

async function roomPresence(ctx: TransportContext, presence: Element, room: string, nick: string): Promise<void> {
  const from = presence.attrs.from ?? '';
  const user = bare(from);
  const type = presence.attrs.type;
  const address = ctx.adapter.parseAddress(room);
  if (type === 'unavailable') {
    const session = ctx.sessions.get(user);
    if (session?.removeFromRoom(room, from)) await session.legacy?.leaveRoom?.(room, presence.getChildText('status') ?? undefined);
    return;
  }
  if (type) return;
  if (address.kind !== 'room') throw new GatewayError('item-not-found', `${address.display} is not a room.`);
  if (!ctx.isAllowed(user)) throw new GatewayError('forbidden', `${user} is not allowed to use ${ctx.domain}.`);
  const session: UserSession = await ctx.sessions.sessionFor(user);
  const legacy = session.legacy!;
  if (!legacy.joinRoom) throw new GatewayError('feature-not-implemented', 'This network has no rooms.');
  const state = session.rooms.get(room);
  if (state?.resources.has(from) && nick !== state.nick && legacy.changeNick) {
    await legacy.changeNick(room, nick);
    return;
  }
  // A join from a resource believed to be in the room (its client reconnected, or its server
  // restarted) is answered like any join: with the full room state.
  const password = presence.getChild('x', NS.muc)?.getChildText('password') ?? undefined;
  session.addPendingJoin(room, nick, from);
  try {
    await legacy.joinRoom({ room, nick, password, resource: from });
  } catch (err) {
    session.events.room.joinFailed(room, nick, toGatewayError(err));
  }
}
