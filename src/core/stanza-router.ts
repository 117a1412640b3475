import type { Element } from '@xmpp/xml';
import { randomUUID } from 'node:crypto';
import { readUserMessage, readUserPresence, type UserMessage } from '../component/inbound';
import { invitationText, MAX_INVITEES, mediatedDecline, mediatedInvitation, plausibleJid } from '../component/invitations';
import { MAM_NS } from '../component/mam';
import { parsePrivilegeAdvertisement } from '../component/privilege';
import { chatMessage, contactPresence, subscriptionPresence } from '../component/messages';
import { joinErrorPresence, roomErrorMessage } from '../component/muc';
import { NS } from '../component/namespaces';
import { gatewayJidResult, gatewayPromptResult, versionResult } from '../component/service-answers';
import { bare, errorReply, iqResult, splitJid } from '../component/stanzas';
import { executeCommand } from './adhoc';
import { handleChatMessage, sendWelcome } from './commands/chat';
import { capsOf, contactInfo, discoInfo, discoItems } from './disco';
import { legacyVersion } from './legacy-version';
import { routePrivateMessage } from './private-messages';
import { roomAdminIq } from './room-admin';
import type { MessageReferences } from './adapter';
import { GatewayError, toGatewayError } from './errors';
import type { History } from './history';
import { countLegacyMessage } from '../metrics';
import { contactVcard } from './vcard';
import { idScope } from './message-features';
import { registrationGet, registrationSet } from './registration';
import type { TransportContext } from './transport-context';
import type { UserSession } from './user-session';

/** Entry point for every stanza addressed to one transport domain. Never throws. */
export async function routeStanza(ctx: TransportContext, stanza: Element): Promise<void> {
  try {
    if (stanza.name === 'iq') await routeIq(ctx, stanza);
    else if (stanza.name === 'message') {
      // The XMPP server saying what it lets this component do for its users (XEP-0356).
      const grant = parsePrivilegeAdvertisement(stanza);
      if (grant) ctx.roster.onPrivilege(grant);
      else await routeMessage(ctx, stanza);
    }
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
  else if (!toDomain && type === 'get' && payload.is('vCard', NS.vcard)) answer = await contactVcard(ctx, iq);
  else if (toDomain && type === 'get' && ns === NS.version) answer = versionResult(iq, ctx.software);
  else if (!toDomain && type === 'get' && ns === NS.version) answer = await legacyVersion(ctx, iq);
  else if (!toDomain && (ns === NS.mucAdmin || ns === NS.mucOwner)) answer = await roomAdminIq(ctx, iq, payload);
  else if (toDomain && ns === NS.register) {
    answer = type === 'get' ? await registrationGet(ctx, iq) : await registrationSet(ctx, iq, payload);
  } else if (toDomain && ns === NS.gateway) answer = gatewayPrompt(ctx, iq, payload);
  else if (toDomain && type === 'set' && payload.is('command', NS.commands)) answer = await executeCommand(ctx, iq, payload);
  else if (ns === MAM_NS.mam && ctx.history) {
    await history(ctx, ctx.history, iq, payload);
    return;
  }
  if (!answer) throw new GatewayError('service-unavailable', `${ns ?? payload.name} is not supported here.`);
  ctx.send(answer);
}

/** XEP-0313: the results, then the final iq. Room history is for users who are in the room. */
async function history(ctx: TransportContext, archive: History, iq: Element, query: Element): Promise<void> {
  const { local, resource } = splitJid(iq.attrs.to ?? '');
  if (resource || (local && ctx.adapter.parseAddress(local).kind !== 'room')) {
    throw new GatewayError('service-unavailable', 'Ask a room or the gateway itself for history, not a contact.');
  }
  const user = bare(iq.attrs.from ?? '');
  const session = ctx.sessions.get(user);
  if (!session) throw new GatewayError('registration-required', `Register with ${ctx.domain} to read history.`);
  const { results, answer } = await archive.query(iq, query, user, (room) => session.rooms.has(room));
  for (const message of results) ctx.send(message);
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
  if (iq.attrs.type === 'get') return gatewayPromptResult(iq, ctx.adapter.gatewayPrompt.desc, ctx.adapter.gatewayPrompt.prompt);
  const typed = query.getChildText('prompt') ?? '';
  if (!typed.trim()) throw new GatewayError('bad-request', 'Give the legacy address in <prompt/>.');
  const localpart = ctx.adapter.toLocalpart(typed.trim());
  return gatewayJidResult(iq, `${localpart}@${ctx.domain}`);
}

async function routeMessage(ctx: TransportContext, stanza: Element): Promise<void> {
  const message = readUserMessage(stanza);
  if (message.type === 'error') return;
  const from = message.from;
  const user = bare(from);
  const { local, resource } = splitJid(stanza.attrs.to ?? '');
  // The bare domain is the transport's command line (help, register, status, ...).
  if (!local) return handleChatMessage(ctx, message);
  const address = ctx.adapter.parseAddress(local);
  if (!ctx.isAllowed(user)) throw new GatewayError('forbidden', `${user} is not allowed to use ${ctx.domain}.`);
  // A live session is the usual case: no promise to wait for.
  const live = ctx.sessions.get(user);
  const session = live?.legacy ? live : await ctx.sessions.sessionFor(user);
  const legacy = session.legacy!;
  if (message.invitation && await routeInvitation(ctx, session, message, local, address.kind)) return;
  const inRoom = message.type === 'groupchat';
  if (inRoom) {
    if (address.kind !== 'room' || !legacy.sendRoomMessage) throw new GatewayError('bad-request', 'Groupchat messages go to a room address.');
    if (!session.inRoom(local, from)) throw new GatewayError('not-acceptable', 'Join the room before sending to it.');
  } else if (resource && address.kind === 'room') {
    return routePrivateMessage(ctx, session, message, local, resource);
  }
  const scope = idScope(user, local, inRoom);
  const sendText = async (body: string, refs?: MessageReferences): Promise<void> => {
    const result = inRoom
      // Without references no copy of them (a spread is the slow way to build an object).
      ? await legacy.sendRoomMessage!(local, refs ? { body, id: message.id, action: message.action, ...refs } : { body, id: message.id, action: message.action })
      : await legacy.sendMessage({
        to: local,
        body,
        id: message.id,
        subject: message.subject ?? undefined,
        thread: message.thread,
        oob: message.oob.length ? message.oob : undefined,
        action: message.action,
        receiptRequested: message.receiptRequested,
        fromResource: from,
        ...refs,
      });
    countLegacyMessage(ctx.domain, 'sent');
    if (result?.legacyId) {
      const xmppIds = [message.id, message.originId].filter((id): id is string => Boolean(id));
      if (xmppIds.length) ctx.recordId(scope, result.legacyId, xmppIds);
    }
    if (inRoom) return;
    session.contact(local).talkedWith();
    if (ctx.history && !session.anonymous) {
      // The user's side of the conversation, so the transport's history of it is whole.
      const id = result?.legacyId ?? randomUUID();
      ctx.history.chatMessage(user, local, {
        id,
        stanza: chatMessage({ from: user, to: `${local}@${ctx.domain}`, id: message.id, body: message.action ? `/me ${body}` : body, by: ctx.domain, stanzaId: id }),
        fresh: !result?.legacyId,
      });
    }
  };

  if (message.reactions) {
    const reaction = await ctx.features.reaction(scope, message.reactions);
    if (!reaction.native) return sendText(reaction.body);
    if (!legacy.sendReaction) throw new GatewayError('feature-not-implemented', 'Reactions cannot be sent on this connection.');
    return legacy.sendReaction(local, { target: reaction.target, emojis: reaction.emojis, id: message.id }, inRoom);
  }
  const { body } = message;
  if (inRoom && message.subject !== null && body === null) {
    if (!legacy.setSubject) throw new GatewayError('forbidden', 'This network has no room subjects.');
    await legacy.setSubject(local, message.subject);
    return;
  }
  if (body === null) {
    if (message.displayed && ctx.adapter.messaging?.readMarkers && legacy.markRead) {
      await legacy.markRead(local, { id: message.displayed }, inRoom);
    }
    if (!inRoom && message.chatState && legacy.sendChatState) await legacy.sendChatState(local, message.chatState);
    return;
  }
  // Most messages refer to nothing: they go out without the look-ups references need.
  if (!message.replaces && !message.replyTo) return sendText(body);
  const text = await ctx.features.text(scope, { ...message, body }, inRoom);
  await sendText(text.body, text.refs);
}

/**
 * Invitations: XEP-0045 mediated ones to a room (each invitee a legacy contact, invited on the
 * network, or an XMPP user elsewhere, to whom the room passes it on as a MUC service does) and
 * XEP-0249 direct ones to a contact naming a room of this transport. False: the message is not
 * one of those (a direct invitation to a room elsewhere goes on as a message, with its text).
 */
async function routeInvitation(ctx: TransportContext, session: UserSession, message: UserMessage, local: string, kind: string): Promise<boolean> {
  const invitation = message.invitation!;
  if (invitation.kind === 'direct') {
    const target = splitJid(invitation.room);
    if (!target.local || target.domain.toLowerCase() !== ctx.domain || ctx.adapter.parseAddress(target.local).kind !== 'room') {
      if (message.body !== null) return false;
      throw new GatewayError('feature-not-implemented', `Only rooms of ${ctx.domain} can be offered to its users; send them the room's address as a message instead.`);
    }
    if (kind !== 'contact') throw new GatewayError('bad-request', 'Send a direct invitation (XEP-0249) to the user you invite, not to a room.');
    await inviteContact(ctx, session, target.local, local, invitation.reason);
    return true;
  }
  if (kind !== 'room') throw new GatewayError('bad-request', 'Send a mediated invitation to the room, or a direct one (XEP-0249) to the user.');
  const roomJid = `${local}@${ctx.domain}`;
  if (invitation.kind === 'decline') {
    // An invitation from the network needs no answer (IRC has none); one an XMPP user sent through the room hears of it.
    const to = invitation.to;
    if (to && plausibleJid(to) && splitJid(to).domain.toLowerCase() !== ctx.domain) {
      ctx.send(mediatedDecline({ from: roomJid, to, decliner: session.jid, reason: invitation.reason }));
    }
    return true;
  }
  try {
    if (invitation.invites.length > MAX_INVITEES) throw new GatewayError('policy-violation', `Invite at most ${MAX_INVITEES} people at once.`);
    // In order: the first refusal stops the rest and is the answer, from the room as room errors are.
    for (const invite of invitation.invites) await inviteOne(ctx, session, local, invite.to, invite.reason);
  } catch (err) {
    if (!(err instanceof GatewayError)) ctx.logger.error({ err: (err as Error).stack }, 'invitation failed');
    ctx.send(roomErrorMessage(roomJid, message.from, message.id, toGatewayError(err)));
  }
  return true;
}

async function inviteOne(ctx: TransportContext, session: UserSession, room: string, jid: string, reason?: string): Promise<void> {
  if (!plausibleJid(jid)) throw new GatewayError('jid-malformed', `"${jid.slice(0, 100)}" is not a JID to invite; name the invitee in <invite to='...'/>.`);
  const { local, domain } = splitJid(jid);
  if (domain.toLowerCase() === ctx.domain) {
    if (!local) throw new GatewayError('bad-request', `${ctx.domain} itself cannot be invited; invite one of its users.`);
    return inviteContact(ctx, session, room, local, reason);
  }
  // Passed on from the room's JID, so only by someone in the room (else the room relays anything to anyone).
  if (!session.rooms.get(room)?.resources.size) throw new GatewayError('not-acceptable', 'Join the room before inviting XMPP users to it.');
  const config = await session.legacy?.roomConfig?.(room).catch(() => undefined);
  const roomJid = `${room}@${ctx.domain}`;
  ctx.send(mediatedInvitation({
    from: roomJid, to: jid, inviter: session.jid, reason, password: config?.password || undefined,
    body: invitationText(session.jid, roomJid, reason), id: randomUUID(),
  }));
}

/** A legacy contact invited on the network, which decides (its refusal is the error). */
async function inviteContact(ctx: TransportContext, session: UserSession, room: string, invitee: string, reason?: string): Promise<void> {
  const address = ctx.adapter.parseAddress(invitee);
  if (address.kind !== 'contact') throw new GatewayError('bad-request', `${address.display} is not a user; only users can be invited.`);
  const legacy = session.legacy!;
  if (!legacy.invite) throw new GatewayError('feature-not-implemented', `This network has no invitations; send ${address.display} the room's address instead.`);
  await legacy.invite(room, invitee, reason);
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
    if (!session && !local) {
      // Someone new adds the transport: tell them, in its chat, how to register there.
      if (ctx.isAllowed(user)) sendWelcome(ctx, user, false);
      throw new GatewayError('registration-required', `Register with ${ctx.domain} first.`);
    }
    ctx.send(subscriptionPresence(me, user, 'subscribed'));
    if (!local && session) ctx.send(session.transportPresence(from));
    else if (local) {
      const known = session?.contacts.get(local)?.lastPresence;
      if (known) ctx.send(contactPresence(me, user, { available: known.available }, capsOf(contactInfo(ctx))));
      // Ask back so the user's roster shows a two-way subscription.
      ctx.send(subscriptionPresence(me, user, 'subscribe'));
    }
    return;
  }
  if (type === 'probe') {
    if (!local) {
      if (session) ctx.send(session.transportPresence(from));
      else ctx.send(subscriptionPresence(me, from, 'unsubscribed'));
    } else {
      const known = session?.contacts.get(local)?.lastPresence;
      if (known) ctx.send(contactPresence(me, from, { available: known.available, status: known.status }, capsOf(contactInfo(ctx))));
    }
    return;
  }
  if (type === 'unsubscribed' && local) await ctx.roster.onUnsubscribed(user, local);
  // The user accepted the transport's subscription request (XEP-0100): the first word in its chat.
  if (type === 'subscribed' && !local && session) sendWelcome(ctx, user, true);
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
    const { show, status } = readUserPresence(presence);
    session.resources.set(from, { show, status });
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
    // Refused from room/newnick with its legacy code (409 for a nick in use), as MUC clients expect.
    await legacy.changeNick(room, nick).catch((err: unknown) => {
      if (!(err instanceof GatewayError)) ctx.logger.error({ err: (err as Error).stack }, 'nick change failed');
      ctx.send(joinErrorPresence(`${room}@${ctx.domain}/${nick}`, from, toGatewayError(err), false));
    });
    return;
  }
  // A join from a resource believed to be in the room (its client reconnected, or its server
  // restarted) is answered like any join: with the full room state.
  const password = readUserPresence(presence).mucPassword;
  const handle = session.addPendingJoin(room, nick, from);
  try {
    await legacy.joinRoom({ room, nick, password, resource: from });
  } catch (err) {
    handle.joinFailed(nick, toGatewayError(err));
  }
}
