/**
 * IRC channel state mapped to XEP-0045 semantics: who is in which channel with which modes,
 * the topic, and which joins are still waiting for their NAMES list. Events go to the core
 * through RoomEvents; the IRC protocol itself stays in session.ts.
 */
import type { Affiliation, Occupant, Role, RoomEvents } from '../../src/core/adapter';
import { GatewayError } from '../../src/core/errors';
import { ircToXmppText, stripFormatting } from './formatting';

export interface Member {
  nick: string;
  /** Channel prefix modes the member holds: q a o h v. */
  modes: Set<string>;
  away?: string;
}

export interface ChannelState {
  name: string;
  localpart: string;
  key?: string;
  /** joining: JOIN sent (or to be sent after registration); joined: self-presence sent to XMPP. */
  phase: 'joining' | 'joined';
  members: Map<string, Member>;
  topic?: string;
  moderated: boolean;
  /** Nick the XMPP user asked for, reported in joinFailed. */
  requestedNick: string;
}

export interface RoomContext {
  events: RoomEvents;
  lower(name: string): string;
  selfNick(): string;
  contactLocalpart(nick: string): string;
  roomLocalpart(channel: string): string;
}

export const PREFIX_MODES = ['q', 'a', 'o', 'h', 'v'];

/** Role/affiliation from channel modes: op -> moderator/admin, voice -> participant/member, ... */
export function roleAndAffiliation(modes: Set<string>, moderated: boolean): { role: Role; affiliation: Affiliation } {
  if (modes.has('q')) return { role: 'moderator', affiliation: 'owner' };
  if (modes.has('a') || modes.has('o')) return { role: 'moderator', affiliation: 'admin' };
  if (modes.has('h')) return { role: 'moderator', affiliation: 'member' };
  if (modes.has('v')) return { role: 'participant', affiliation: 'member' };
  return { role: moderated ? 'visitor' : 'participant', affiliation: 'none' };
}

/** The IRC numerics that refuse a JOIN, as XMPP errors (irc-framework's error names). */
export function joinError(error: string, reason: string | undefined, channel: string): GatewayError | undefined {
  const text = (fallback: string) => `${channel}: ${reason ? stripFormatting(reason) : fallback}`;
  switch (error) {
    case 'banned_from_channel': return new GatewayError('forbidden', text('you are banned from this channel'));
    case 'invite_only_channel': return new GatewayError('registration-required', text('this channel is invite-only'));
    case 'channel_is_full': return new GatewayError('service-unavailable', text('this channel is full'));
    case 'bad_channel_key': return new GatewayError('not-authorized', text('wrong channel key (password)'));
    case 'too_many_channels': return new GatewayError('resource-constraint', text('you have joined too many channels'));
    case 'no_such_channel': return new GatewayError('item-not-found', text('no such channel'));
    case 'need_registered_nick': return new GatewayError('registration-required', text('you need a registered nickname'));
    default: return undefined;
  }
}

export class Rooms {
  private readonly channels = new Map<string, ChannelState>();

  constructor(private readonly ctx: RoomContext) {}

  get(channel: string): ChannelState | undefined {
    return this.channels.get(this.ctx.lower(channel));
  }

  all(): ChannelState[] {
    return [...this.channels.values()];
  }

  isSelf(nick: string): boolean {
    return this.ctx.lower(nick) === this.ctx.lower(this.ctx.selfNick());
  }

  occupant(state: ChannelState, member: Member): Occupant {
    return {
      nick: member.nick,
      ...roleAndAffiliation(member.modes, state.moderated),
      jid: this.ctx.contactLocalpart(member.nick),
      ...(member.away !== undefined ? { show: 'away' as const, status: stripFormatting(member.away) } : {}),
    };
  }

  /** A join the user asked for (or an auto-join): tracked until NAMES completes. */
  want(channel: string, localpart: string, requestedNick: string, key?: string): ChannelState {
    let state = this.get(channel);
    if (!state) {
      state = { name: channel, localpart, key, phase: 'joining', members: new Map(), moderated: false, requestedNick };
      this.channels.set(this.ctx.lower(channel), state);
    } else if (key !== undefined) {
      state.key = key;
    }
    return state;
  }

  /** Re-emits the current state for another XMPP resource joining an already joined channel. */
  announce(state: ChannelState): void {
    const self = state.members.get(this.ctx.lower(this.ctx.selfNick())) ?? { nick: this.ctx.selfNick(), modes: new Set<string>() };
    const others = [...state.members.values()].filter((m) => !this.isSelf(m.nick)).map((m) => this.occupant(state, m));
    state.phase = 'joined';
    this.ctx.events.joined(state.localpart, this.occupant(state, self), others, state.topic !== undefined ? ircToXmppText(state.topic) : undefined);
  }

  failed(channel: string, error: GatewayError): boolean {
    const state = this.get(channel);
    if (!state) return false;
    if (state.phase === 'joining') {
      this.channels.delete(this.ctx.lower(channel));
      this.ctx.events.joinFailed(state.localpart, state.requestedNick, error);
    } else {
      this.ctx.events.error(state.localpart, error);
    }
    return true;
  }

  /**
   * Connection lost: channels wait for the re-join after reconnecting. No occupantLeft here: the
   * core shows the rooms as left when the status goes offline and keeps them for the re-join.
   */
  disconnected(): void {
    for (const state of this.channels.values()) {
      state.phase = 'joining';
      state.members.clear();
    }
  }

  forget(channel: string): void {
    this.channels.delete(this.ctx.lower(channel));
  }

  onJoin(channel: string, nick: string): void {
    if (this.isSelf(nick)) {
      const state = this.get(channel) ?? this.want(channel, this.ctx.roomLocalpart(channel), nick);
      state.name = channel;
      state.members.clear();
      state.members.set(this.ctx.lower(nick), { nick, modes: new Set() });
      return;
    }
    const state = this.get(channel);
    if (!state) return;
    const member: Member = { nick, modes: new Set() };
    state.members.set(this.ctx.lower(nick), member);
    if (state.phase === 'joined') this.ctx.events.occupantJoined(state.localpart, this.occupant(state, member));
  }

  /** End of NAMES: the member list is complete; the first time, the join is finished for XMPP. */
  onNames(channel: string, users: { nick: string; modes: string[] }[]): void {
    const state = this.get(channel);
    if (!state) return;
    const previous = state.members;
    state.members = new Map(users.map((u) => [this.ctx.lower(u.nick), {
      nick: u.nick, modes: new Set(u.modes), away: previous.get(this.ctx.lower(u.nick))?.away,
    }]));
    if (state.phase === 'joining') this.announce(state);
  }

  onPart(channel: string, nick: string, message: string): void {
    const state = this.get(channel);
    if (!state) return;
    const status = message ? stripFormatting(message) : undefined;
    if (this.isSelf(nick)) {
      this.forget(channel);
      if (state.phase === 'joined') this.ctx.events.occupantLeft(state.localpart, nick, { self: true, status });
      return;
    }
    if (state.members.delete(this.ctx.lower(nick)) && state.phase === 'joined') {
      this.ctx.events.occupantLeft(state.localpart, nick, { status });
    }
  }

  onKick(channel: string, kicked: string, by: string, reason: string): void {
    const state = this.get(channel);
    if (!state) return;
    const info = { kickedBy: by, reason: reason ? stripFormatting(reason) : undefined };
    if (this.isSelf(kicked)) {
      this.forget(channel);
      this.ctx.events.occupantLeft(state.localpart, kicked, { ...info, self: true });
      return;
    }
    if (state.members.delete(this.ctx.lower(kicked)) && state.phase === 'joined') {
      this.ctx.events.occupantLeft(state.localpart, kicked, info);
    }
  }

  onQuit(nick: string, message: string): void {
    for (const state of this.channels.values()) {
      if (state.members.delete(this.ctx.lower(nick)) && state.phase === 'joined') {
        this.ctx.events.occupantLeft(state.localpart, nick, { status: message ? stripFormatting(message) : undefined });
      }
    }
  }

  /** Called after the session updated its own nick, so isSelf() already knows the new one. */
  onNick(oldNick: string, newNick: string): void {
    const self = this.isSelf(newNick);
    for (const state of this.channels.values()) {
      const member = state.members.get(this.ctx.lower(oldNick));
      if (!member) continue;
      state.members.delete(this.ctx.lower(oldNick));
      member.nick = newNick;
      state.members.set(this.ctx.lower(newNick), member);
      if (state.phase === 'joined') this.ctx.events.nickChanged(state.localpart, oldNick, this.occupant(state, member), self);
    }
  }

  onMode(channel: string, modes: { mode: string; param: string | null }[]): void {
    const state = this.get(channel);
    if (!state) return;
    const changed = new Set<Member>();
    for (const { mode, param } of modes) {
      const adding = mode[0] === '+';
      const letter = mode.slice(1);
      if (PREFIX_MODES.includes(letter) && param) {
        const member = state.members.get(this.ctx.lower(param));
        if (!member) continue;
        if (adding) member.modes.add(letter); else member.modes.delete(letter);
        changed.add(member);
      } else if (letter === 'm' && state.moderated !== adding) {
        state.moderated = adding;
        for (const member of state.members.values()) if (member.modes.size === 0) changed.add(member);
      }
    }
    if (state.phase !== 'joined') return;
    for (const member of changed) this.ctx.events.occupantChanged(state.localpart, this.occupant(state, member));
  }

  onTopic(channel: string, topic: string, byNick?: string): void {
    const state = this.get(channel);
    if (!state) return;
    state.topic = topic;
    if (state.phase === 'joined') this.ctx.events.subject(state.localpart, ircToXmppText(topic), byNick);
  }

  /** away-notify / AWAY replies: the occupant's show and status in every shared channel. */
  onAway(nick: string, message: string | undefined): void {
    for (const state of this.channels.values()) {
      const member = state.members.get(this.ctx.lower(nick));
      if (!member || member.away === message) continue;
      member.away = message;
      if (state.phase === 'joined') this.ctx.events.occupantChanged(state.localpart, this.occupant(state, member));
    }
  }

  /** Nicks sharing at least one channel with us (for contact presence). */
  knows(nick: string): boolean {
    return this.all().some((s) => s.members.has(this.ctx.lower(nick)));
  }
}
