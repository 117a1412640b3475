/** Inbound IRC events (irc-framework) -> the core's contact and room handles, for one connection attempt. */
import type { Client, IrcCommand, MessageEvent } from 'irc-framework';
import { GatewayError } from '../../src/core/errors';
import type { ChatState, Room } from '../../src/core/adapter';
import { ircToXmppText, stripFormatting } from './formatting';
import type { WhoisReply } from './nickserv';
import type { WhoisFields } from './whois-card';
import { joinError } from './rooms';
import type { ListedChannel } from './channel-list';
import type { IrcSession } from './session';

/** server-time older than this is shown as a delayed (replayed) message. */
const DELAYED_AFTER_MS = 10000;

const TYPING: Record<string, ChatState> = { active: 'composing', paused: 'paused', done: 'active' };

/** A room message sent with echo-message on: its lines come back one by one, it is reflected once. */
export interface PendingEcho {
  /** The channel, case-folded. */
  channel: string;
  remaining: number;
  body: string;
  /** The XMPP id the user sent it with. */
  id?: string;
  action?: boolean;
  /** The first echoed line's msgid: the IRC id of the whole XMPP message. */
  legacyId?: string;
}

function delayOf(event: { time?: number }): Date | undefined {
  return event.time && Date.now() - event.time > DELAYED_AFTER_MS ? new Date(event.time) : undefined;
}

function fromServer(event: MessageEvent): boolean {
  return event.from_server || !event.nick || event.nick.includes('.');
}

/** A line replayed in an IRCv3 chathistory batch (irc-framework adds the batch to the event). */
function replayed(event: MessageEvent): boolean {
  return (event as MessageEvent & { batch?: { type?: string } }).batch?.type === 'chathistory';
}

/** IRCv3 `+draft/reply`: the msgid of the message answered, when it is one (tag values are free text). */
function replyOf(event: MessageEvent): { legacyId: string } | undefined {
  const target = event.tags?.['+draft/reply'];
  return target && target.length <= 200 && !/[\s\0]/.test(target) ? { legacyId: target } : undefined;
}

function onMessage(session: IrcSession, kind: 'privmsg' | 'notice' | 'action', event: MessageEvent): void {
  const body = ircToXmppText(event.message);
  const legacyId = event.tags?.msgid;
  const replyTo = replyOf(event);
  if (legacyId) session.msgids = true;
  const delay = delayOf(event);
  const action = kind === 'action' ? true : undefined;
  const history = replayed(event);
  if (fromServer(event)) {
    if (!history) session.notice(body, { legacyId, delay });
    return;
  }
  if (session.isChannel(event.target)) {
    const state = session.rooms.get(event.target);
    if (!state) return;
    if (history) {
      // The user's own earlier lines too: they are part of what was said.
      if (session.history.replay(event.target, legacyId, event.time)) {
        state.room.message(event.nick, body, { legacyId, delay: event.time ? new Date(event.time) : undefined, action });
      }
      return;
    }
    session.history.seen(event.target, legacyId, event.time);
    if (session.isSelf(event.nick)) {
      onEcho(session, state.room, event.target, body, legacyId, action);
      return;
    }
    state.room.message(event.nick, body, { legacyId, delay, action, replyTo });
    return;
  }
  // Echo of our own private message; private history is not asked for.
  if (history || session.isSelf(event.nick)) return;
  session.chatWith(event.nick).sendText(body, { legacyId, delay, action, type: 'chat', replyTo });
}

/** IRCv3 `+draft/react` / `+draft/unreact` with `+draft/reply` naming the message reacted to. */
function onReaction(session: IrcSession, event: MessageEvent): void {
  const target = replyOf(event);
  const react = event.tags?.['+draft/react'];
  const unreact = event.tags?.['+draft/unreact'];
  if (!target || !event.nick || session.isSelf(event.nick) || (!react && !unreact)) return;
  const change = { legacyId: target.legacyId, ...(react ? { add: [react] } : {}), ...(unreact ? { remove: [unreact] } : {}) };
  if (session.isChannel(event.target)) session.rooms.get(event.target)?.room.reacted(event.nick, change);
  else session.xmpp.contact(session.contactLocalpart(event.nick)).reacted(change);
}

/** echo-message: one XMPP message may have become several lines; reflect it once, with its XMPP id. */
function onEcho(session: IrcSession, room: Room, channel: string, body: string, msgid?: string, action?: boolean): void {
  const index = session.pendingEchoes.findIndex((p) => p.channel === session.lower(channel));
  if (index === -1) {
    // Not sent through the gateway's room message (e.g. a raw command): the server's id only.
    room.message(session.nick, body, { legacyId: msgid, action });
    return;
  }
  const pending = session.pendingEchoes[index];
  pending.legacyId ??= msgid;
  if (--pending.remaining > 0) return;
  session.pendingEchoes.splice(index, 1);
  room.message(session.nick, pending.body, { id: pending.id, legacyId: pending.legacyId, action: pending.action });
}

function onIrcError(session: IrcSession, event: { error: string; reason?: string; channel?: string; nick?: string }): void {
  const reason = event.reason ? stripFormatting(event.reason) : event.error.replace(/_/g, ' ');
  // Before the join-error check, which would take this 442 for a refused JOIN.
  if (event.error === 'not_on_channel' && event.channel && session.rooms.notOnChannel(event.channel)) return;
  if (session.extras.runner.refused(event)) return; // moderation commands and INVITEs
  if (event.channel) {
    const error = joinError(event.error, event.reason, event.channel)
      ?? new GatewayError(event.error === 'cannot_send_to_channel' || event.error === 'chanop_privs_needed' ? 'forbidden' : 'not-acceptable', `${event.channel}: ${reason}`);
    if (session.rooms.failed(event.channel, error)) return;
  }
  if (event.error === 'no_such_nick' && event.nick && session.nickserv.expects(event.nick)) return;
  if (event.error === 'no_such_nick' && event.nick && session.extras.ctcp.noSuchNick(event.nick)) return;
  if (event.error === 'no_such_nick' && event.nick) {
    const last = session.lastSent.get(session.lower(event.nick));
    if (last) {
      last.chat.failed({ id: last.id, fromResource: last.fromResource },
        new GatewayError('recipient-unavailable', `${event.nick} is not on IRC right now.`));
      return;
    }
  }
  if (event.error === 'irc') return; // ERROR before a disconnect: reported through the status
  session.notice(reason);
}

/** Numerics irc-framework does not map: the ones a user should see become server messages. */
function onNumeric(session: IrcSession, command: IrcCommand): void {
  if (!/^[45]\d\d$/.test(command.command)) return;
  const [, subject = ''] = command.params;
  const reason = stripFormatting(command.params[command.params.length - 1] ?? '');
  if (command.command === '403' || command.command === '477') {
    const error = joinError(command.command === '403' ? 'no_such_channel' : 'need_registered_nick', reason, subject);
    if (error && session.rooms.failed(subject, error)) return;
  }
  // A refusal of a moderation or configuration command (472 unknown mode...) or an INVITE: the user's answer.
  const refusal = { error: command.command, reason: command.params.slice(1).join(' ') };
  if (session.extras.runner.refused(refusal)) return;
  if (command.command === '437' && session.nickChange.pending) { // ERR_UNAVAILRESOURCE: nick temporarily held
    session.nickChange.pending.reject(new GatewayError('conflict', `${subject}: ${reason}`));
    return;
  }
  session.notice(command.params.slice(1).join(' '));
}

type Handler = (session: IrcSession, event: any) => void;

/**
 * Every irc-framework event the gateway handles, as module-level functions: the clients of all
 * users share them and get their session as the listener context (eventemitter3's third
 * argument), instead of each client holding some 50 closures of its own.
 */
const HANDLERS: Record<string, Handler> = {
  privmsg: (session, e: MessageEvent) => onMessage(session, 'privmsg', e),
  notice: (session, e: MessageEvent) => onMessage(session, 'notice', e),
  action: (session, e: MessageEvent) => onMessage(session, 'action', e),
  tagmsg: (session, e: MessageEvent) => {
    onReaction(session, e);
    const typing = TYPING[e.tags?.['+typing'] ?? ''];
    if (typing && e.nick && !session.isSelf(e.nick) && !session.isChannel(e.target)) session.chatWith(e.nick).chatState(typing);
  },
  motd: (session, e: { motd?: string }) => {
    if (session.motdShown || !e.motd) return;
    session.motdShown = true;
    session.notice(ircToXmppText(e.motd.trimEnd()), { subject: 'Message of the day' });
  },
  join: (session, e: { channel: string; nick: string }) => {
    session.rooms.onJoin(e.channel, e.nick);
    // The channel modes (+m makes unvoiced members visitors) arrive as 324 and update roles.
    if (session.isSelf(e.nick)) session.connection.send(`MODE ${e.channel}`, 'control');
  },
  userlist: (session, e: { channel: string; users: { nick: string; modes: string[] }[] }) => {
    const joining = session.rooms.get(e.channel)?.phase === 'joining';
    session.rooms.onNames(e.channel, e.users);
    const state = session.rooms.get(e.channel);
    // After room.joined, so the replay reaches the user's resources in the room.
    if (joining && state?.phase === 'joined') session.history.joined(session.connection.client, state.name);
  },
  'batch end chathistory': (session, e: { params: string[] }) => {
    if (e.params[0]) session.history.done(e.params[0]);
  },
  part: (session, e: { channel: string; nick: string; message: string }) => session.rooms.onPart(e.channel, e.nick, e.message),
  kick: (session, e: { channel: string; kicked: string; nick: string; message: string }) => session.rooms.onKick(e.channel, e.kicked, e.nick, e.message),
  quit: (session, e: { nick: string; message: string }) => {
    session.rooms.onQuit(e.nick, e.message);
    session.keeper.freed(e.nick);
  },
  nick: (session, e: { nick: string; new_nick: string }) => {
    const self = session.isSelf(e.nick);
    if (self) {
      session.nick = e.new_nick;
      if (session.nickChange.pending) session.connection.nick = e.new_nick; // keep a chosen nick across reconnects
      session.nickChange.pending?.resolve();
    }
    session.rooms.onNick(e.nick, e.new_nick);
    if (!self) session.extras.privateChats.renamed(e.nick, e.new_nick);
    if (self) session.keeper.check();
    else session.keeper.freed(e.nick);
  },
  whois: (session, e: WhoisReply & WhoisFields) => {
    session.nickserv.onWhois(e);
    if (e.nick) session.whoisCards.answered(session.lower(e.nick), e);
  },
  mode: (session, e: { target: string; modes: { mode: string; param: string | null }[] }) => {
    if (session.isChannel(e.target)) session.rooms.onMode(e.target, e.modes);
  },
  'channel info': (session, e: { channel: string; modes?: { mode: string; param: string | null }[] }) => {
    if (e.modes) session.rooms.onMode(e.channel, e.modes);
  },
  topic: (session, e: { channel: string; topic: string; nick?: string }) => session.rooms.onTopic(e.channel, e.topic, e.nick),
  away: (session, e: { self: boolean; nick: string; message: string }) => {
    if (e.self || !e.nick) return;
    session.rooms.onAway(e.nick, e.message);
    session.xmpp.contact(session.contactLocalpart(e.nick)).presence({ available: true, show: 'away', status: stripFormatting(e.message) });
  },
  back: (session, e: { self: boolean; nick: string }) => {
    if (e.self || !e.nick) return;
    session.rooms.onAway(e.nick, undefined);
    session.xmpp.contact(session.contactLocalpart(e.nick)).presence({ available: true });
  },
  'nick in use': (session, e: { nick: string; reason: string }) => {
    // Only the user's own change: a keepnick attempt being refused is no news.
    if (session.nickChange.pending && session.lower(e.nick) === session.lower(session.nickChange.pending.nick)) {
      session.nickChange.pending.reject(new GatewayError('conflict', `The nickname ${e.nick} is already in use.`));
    }
  },
  'nick invalid': (session, e: { nick: string; reason: string }) => {
    session.nickChange.pending?.reject(new GatewayError('not-acceptable', `The server does not accept the nickname ${e.nick}.`));
  },
  'ctcp request': (session, e: { nick?: string; target: string; type?: string | null; message?: string }) => session.extras.ctcp.request(e, session.isChannel(e.target)),
  'ctcp response': (session, e: { nick?: string; type?: string; message?: string }) => session.extras.ctcp.answered(e),
  pong: (session, e: { message?: string }) => session.extras.runner.pong(e.message),
  invite: (session, e: { nick?: string; invited?: string; channel?: string }) => session.invitations.received(e),
  invited: (session, e: { nick?: string; channel?: string }) => session.invitations.inviting(e.nick, e.channel),
  banlist: (session, e: { channel: string; bans: { banned: string }[] }) => session.extras.bans.set(session.lower(e.channel), e.bans),
  'channel list': (session, channels: ListedChannel[]) => session.extras.channelList.listed(channels),
  'channel list end': (session) => session.extras.channelList.ended(),
  'irc error': (session, e: { error: string; reason?: string; channel?: string; nick?: string }) => onIrcError(session, e),
  'unknown command': (session, command: IrcCommand) => onNumeric(session, command),
};

/** The same handlers as listeners: `this` is the session; an exception never reaches the socket code. */
const LISTENERS: [string, (this: IrcSession, event: unknown) => void][] = Object.entries(HANDLERS).map(([name, handle]) => [
  name,
  function listener(this: IrcSession, event: unknown) {
    try {
      handle(this, event);
    } catch (err) {
      this.logger.error({ err, event: name }, 'IRC event handler failed');
    }
  },
]);

export function attachListeners(session: IrcSession, client: Client): void {
  for (const [name, listener] of LISTENERS) client.on(name, listener, session);
}
