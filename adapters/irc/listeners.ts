/** Inbound IRC events (irc-framework) -> adapter events, for one connection attempt. */
import type { Client, IrcCommand, MessageEvent } from 'irc-framework';
import { GatewayError } from '../../src/core/errors';
import type { ChatState } from '../../src/core/adapter';
import { guarded } from './connection';
import { ircToXmppText, stripFormatting } from './formatting';
import { joinError } from './rooms';
import type { IrcSession } from './session';

/** server-time older than this is shown as a delayed (replayed) message. */
const DELAYED_AFTER_MS = 10000;

const TYPING: Record<string, ChatState> = { active: 'composing', paused: 'paused', done: 'active' };

function delayOf(event: { time?: number }): Date | undefined {
  return event.time && Date.now() - event.time > DELAYED_AFTER_MS ? new Date(event.time) : undefined;
}

function fromServer(event: MessageEvent): boolean {
  return event.from_server || !event.nick || event.nick.includes('.');
}

function onMessage(session: IrcSession, kind: 'privmsg' | 'notice' | 'action', event: MessageEvent): void {
  const body = ircToXmppText(event.message);
  const id = event.tags?.msgid;
  const delay = delayOf(event);
  const action = kind === 'action' ? true : undefined;
  if (fromServer(event)) {
    session.events.message({ from: session.serverLocalpart, body, id, delay, type: 'normal' });
    return;
  }
  if (session.isChannel(event.target)) {
    const state = session.rooms.get(event.target);
    if (!state) return;
    if (session.isSelf(event.nick)) {
      onEcho(session, state.localpart, event.target, body, id, action);
      return;
    }
    session.events.room.message(state.localpart, { nick: event.nick, body, id, delay, action });
    return;
  }
  if (session.isSelf(event.nick)) return; // echo of our own private message
  session.events.message({ from: session.contactLocalpart(event.nick), body, id, delay, action, type: 'chat' });
}

/** echo-message: one XMPP message may have become several lines; reflect it once, with its id. */
function onEcho(session: IrcSession, room: string, channel: string, body: string, msgid?: string, action?: boolean): void {
  const index = session.pendingEchoes.findIndex((p) => p.channel === session.lower(channel));
  if (index === -1) {
    session.events.room.message(room, { nick: session.nick, body, id: msgid, action });
    return;
  }
  const pending = session.pendingEchoes[index];
  if (--pending.remaining > 0) return;
  session.pendingEchoes.splice(index, 1);
  session.events.room.message(room, { nick: session.nick, body: pending.body, id: pending.id, action: pending.action });
}

function onIrcError(session: IrcSession, event: { error: string; reason?: string; channel?: string; nick?: string }): void {
  const reason = event.reason ? stripFormatting(event.reason) : event.error.replace(/_/g, ' ');
  if (event.channel) {
    const error = joinError(event.error, event.reason, event.channel)
      ?? new GatewayError(event.error === 'cannot_send_to_channel' || event.error === 'chanop_privs_needed' ? 'forbidden' : 'not-acceptable', `${event.channel}: ${reason}`);
    if (session.rooms.failed(event.channel, error)) return;
  }
  if (event.error === 'no_such_nick' && event.nick) {
    const last = session.lastSent.get(session.lower(event.nick));
    if (last) {
      session.events.messageError({ peer: last.peer, id: last.id, fromResource: last.fromResource },
        new GatewayError('recipient-unavailable', `${event.nick} is not on IRC right now.`));
      return;
    }
  }
  if (event.error === 'irc') return; // ERROR before a disconnect: reported through the status
  session.events.message({ from: session.serverLocalpart, body: reason, type: 'normal' });
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
  if (command.command === '437' && session.pendingNick) { // ERR_UNAVAILRESOURCE: nick temporarily held
    session.pendingNick.reject(new GatewayError('conflict', `${subject}: ${reason}`));
    return;
  }
  session.events.message({ from: session.serverLocalpart, body: command.params.slice(1).join(' '), type: 'normal' });
}

export function attachListeners(session: IrcSession, client: Client): void {
  const on = (event: string, fn: (arg: any) => void) => client.on(event, guarded(session.logger, event, fn));
  const rooms = session.rooms;

  on('privmsg', (e: MessageEvent) => onMessage(session, 'privmsg', e));
  on('notice', (e: MessageEvent) => onMessage(session, 'notice', e));
  on('action', (e: MessageEvent) => onMessage(session, 'action', e));
  on('tagmsg', (e: MessageEvent) => {
    const typing = TYPING[e.tags?.['+typing'] ?? ''];
    if (typing && e.nick && !session.isSelf(e.nick) && !session.isChannel(e.target)) {
      session.events.chatState(session.contactLocalpart(e.nick), typing);
    }
  });
  on('motd', (e: { motd?: string }) => {
    if (session.motdShown || !e.motd) return;
    session.motdShown = true;
    session.events.message({ from: session.serverLocalpart, body: ircToXmppText(e.motd.trimEnd()), type: 'normal', subject: 'Message of the day' });
  });

  on('join', (e: { channel: string; nick: string }) => {
    rooms.onJoin(e.channel, e.nick);
    // The channel modes (+m makes unvoiced members visitors) arrive as 324 and update roles.
    if (session.isSelf(e.nick)) session.connection.send(`MODE ${e.channel}`, 'control');
  });
  on('userlist', (e: { channel: string; users: { nick: string; modes: string[] }[] }) => rooms.onNames(e.channel, e.users));
  on('part', (e: { channel: string; nick: string; message: string }) => rooms.onPart(e.channel, e.nick, e.message));
  on('kick', (e: { channel: string; kicked: string; nick: string; message: string }) => rooms.onKick(e.channel, e.kicked, e.nick, e.message));
  on('quit', (e: { nick: string; message: string }) => rooms.onQuit(e.nick, e.message));
  on('nick', (e: { nick: string; new_nick: string }) => {
    if (session.isSelf(e.nick)) {
      session.nick = e.new_nick;
      if (session.pendingNick) session.connection.nick = e.new_nick; // keep a chosen nick across reconnects
      session.pendingNick?.resolve();
    }
    rooms.onNick(e.nick, e.new_nick);
  });
  on('mode', (e: { target: string; modes: { mode: string; param: string | null }[] }) => {
    if (session.isChannel(e.target)) rooms.onMode(e.target, e.modes);
  });
  on('channel info', (e: { channel: string; modes?: { mode: string; param: string | null }[] }) => {
    if (e.modes) rooms.onMode(e.channel, e.modes);
  });
  on('topic', (e: { channel: string; topic: string; nick?: string }) => rooms.onTopic(e.channel, e.topic, e.nick));
  on('away', (e: { self: boolean; nick: string; message: string }) => {
    if (e.self || !e.nick) return;
    rooms.onAway(e.nick, e.message);
    session.events.contactPresence(session.contactLocalpart(e.nick), { available: true, show: 'away', status: stripFormatting(e.message) });
  });
  on('back', (e: { self: boolean; nick: string }) => {
    if (e.self || !e.nick) return;
    rooms.onAway(e.nick, undefined);
    session.events.contactPresence(session.contactLocalpart(e.nick), { available: true });
  });
  on('nick in use', (e: { nick: string; reason: string }) => {
    session.pendingNick?.reject(new GatewayError('conflict', `The nickname ${e.nick} is already in use.`));
  });
  on('nick invalid', (e: { nick: string; reason: string }) => {
    session.pendingNick?.reject(new GatewayError('not-acceptable', `The server does not accept the nickname ${e.nick}.`));
  });
  on('irc error', (e: { error: string; reason?: string; channel?: string; nick?: string }) => onIrcError(session, e));
  on('unknown command', (command: IrcCommand) => onNumeric(session, command));
}
