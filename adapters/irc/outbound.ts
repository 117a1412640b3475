/**
 * What the user sends to IRC (chat and room messages with their corrections and replies,
 * reactions, typing) as lines in the connection's flood queue, each XMPP message answered once:
 * a receipt or reflection when its last line has left, an error if it never does.
 */
import type { ChatState, OutboundReaction, OutboundRoomMessage, MessageReferences } from '../../src/core/adapter';
import { GatewayError } from '../../src/core/errors';
import { guarded } from './connection';
import { outgoingText, planReaction, SentReactions, tagSupport, withTags, type Tags } from './messaging';
import type { ChannelState } from './rooms';
import type { IrcSession } from './session';
import { bodyLines, splitBody, textByteBudget } from './text';

/** Below this many bytes of text per line, the target name is the problem, not the message. */
const MIN_TEXT_BYTES = 64;

export interface PrivateMessage extends MessageReferences {
  /** The localpart the user wrote to (answers and errors come from it). */
  to: string;
  /** Written through this channel's room (room/nick): answers come from there instead. */
  via?: string;
  body: string;
  id?: string;
  action?: boolean;
  receiptRequested?: boolean;
  fromResource?: string;
}

interface Notify {
  sent?: () => void;
  failed?: () => void;
  /** Keeps the lines behind that channel's waiting JOIN. */
  channel?: string;
}

export function shutDownError(): GatewayError {
  return new GatewayError('remote-server-timeout', 'The gateway shut down before this message reached IRC.');
}

export class Outbound {
  private readonly reactions = new SentReactions();

  constructor(private readonly session: IrcSession) {}

  /** The last channel name folded, and by which client: a user's messages come in runs to one channel. */
  private folded?: { name: string; client: unknown; key: string };

  /** session.lower(name), which irc-framework builds a character at a time. */
  private channelKey(name: string): string {
    const client = this.session.connection.client;
    const last = this.folded;
    if (last && last.name === name && last.client === client) return last.key;
    const key = this.session.lower(name);
    this.folded = { name, client, key };
    return key;
  }

  private get tags() {
    return tagSupport(this.session.connection.client, this.session.msgids);
  }

  /**
   * Queues the lines of one XMPP message; throws resource-constraint when the flood queue is full.
   * `failed` runs once if any of them is given up unsent (shutdown).
   */
  queue(lines: string[], notify: Notify = {}): void {
    const logger = this.session.logger;
    const last = notify.sent && guarded(logger, 'sent', notify.sent);
    const failed = notify.failed && guarded(logger, 'failed', notify.failed);
    const items = lines.map((line, i) => ({ line, kind: 'message' as const, channel: notify.channel, failed, sent: i === lines.length - 1 ? last : undefined }));
    if (!this.session.connection.queue.push(...items)) {
      throw new GatewayError('resource-constraint', 'Too many messages are waiting to be sent to IRC; try again in a moment.');
    }
  }

  /** PRIVMSG lines for a body: split to fit, the tags (a reply) on the first line only. */
  private lines(target: string, body: string, action?: boolean, tags: Tags = []): string[] {
    const budget = textByteBudget({ command: 'PRIVMSG', target, nick: this.session.nick, action });
    if (budget < MIN_TEXT_BYTES) throw new GatewayError('not-acceptable', `${target.slice(0, 20)}… is too long an IRC name to send messages to.`);
    const texts = splitBody(body, budget);
    if (!texts.length) throw new GatewayError('not-acceptable', 'IRC cannot send an empty message.');
    return texts.map((text, i) => {
      const line = action ? `PRIVMSG ${target} :\x01ACTION ${text}\x01` : `PRIVMSG ${target} :${text}`;
      return i === 0 ? withTags(tags, line) ?? line : line;
    });
  }

  toNick(nick: string, message: PrivateMessage): void {
    const { body, tags } = outgoingText(message.body, message, this.tags);
    const lines = this.lines(nick, body, message.action, tags);
    const ref = { id: message.id, fromResource: message.fromResource };
    const chat = this.session.wroteTo(nick, ref, message.via === undefined ? { localpart: message.to } : { channel: message.via });
    this.queue(lines, {
      sent: () => {
        if (message.receiptRequested && message.id) chat.delivered({ ...ref, id: message.id });
      },
      failed: () => chat.failed(ref, shutDownError()),
    });
  }

  toChannel(state: ChannelState, message: OutboundRoomMessage): void {
    const session = this.session;
    const { body: text, tags } = outgoingText(message.body, message, this.tags);
    const lines = this.lines(state.name, text, message.action, tags);
    // What IRC users see is what the room shows and archives.
    const body = bodyLines(text).join('\n');
    const channel = this.channelKey(state.name);
    const handle = state.room;
    const echo = session.connection.client?.network.cap.isEnabled('echo-message')
      ? { channel, remaining: lines.length, body, id: message.id, action: message.action } : undefined;
    this.queue(lines, {
      channel,
      // No echo-message: reflect once, when the last line has left, as the server would have.
      sent: echo ? undefined : () => handle.message(session.nick, body, { id: message.id, action: message.action }),
      failed: () => {
        const index = echo ? session.pendingEchoes.indexOf(echo) : -1;
        if (index !== -1) session.pendingEchoes.splice(index, 1);
        handle.error(shutDownError(), message.id);
      },
    });
    // Only once queued: a refused message must leave no echo waiting. Echoes arrive later anyway.
    if (echo) session.pendingEchoes.push(echo);
  }

  /** TAGMSGs where the connection carries reaction tags; a line of text for what they cannot say. */
  reaction(reaction: OutboundReaction, to: { channel: ChannelState } | { nick: string; localpart: string }): void {
    const target = 'channel' in to ? to.channel.name : to.nick;
    const plan = planReaction(reaction, this.tags, this.reactions, this.session.lower(target));
    const tagmsgs = plan.tagmsgs.map((tags) => withTags(tags, `TAGMSG ${target}`) as string);
    if ('channel' in to) {
      const handle = to.channel.room;
      if (tagmsgs.length) this.queue(tagmsgs, { channel: this.session.lower(target), failed: () => handle.error(shutDownError(), reaction.id) });
      if (plan.text !== undefined) this.toChannel(to.channel, { body: plan.text, id: reaction.id });
      return;
    }
    const ref = { id: reaction.id };
    if (tagmsgs.length) {
      const chat = this.session.wroteTo(to.nick, ref, { localpart: to.localpart });
      this.queue(tagmsgs, { failed: () => chat.failed(ref, shutDownError()) });
    }
    if (plan.text !== undefined) this.toNick(to.nick, { to: to.localpart, body: plan.text, id: reaction.id });
  }

  /** `+typing` to a nick, where message-tags is on; otherwise nothing (chat states are optional). */
  chatState(nick: string, state: ChatState): void {
    const client = this.session.connection.client;
    if (!client || !this.session.connection.online || !client.network.cap.isEnabled('message-tags')) return;
    const typing = state === 'composing' ? 'active' : state === 'paused' ? 'paused' : 'done';
    this.session.connection.send(`@+typing=${typing} TAGMSG ${nick}`, 'control');
  }
}
