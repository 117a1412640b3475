/**
 * IRC channel state: which joins wait for their NAMES list, which PARTs are out, the channel's
 * +m and topic. Who is in a channel is kept by the core's Room handle (one occupant table per
 * legacy room, shared by the gateway's users); prefix modes are kept there as the occupant's
 * marks. The IRC protocol itself stays in session.ts and listeners.ts.
 */
import type { Affiliation, Occupant, Role, Room } from '../../src/core/adapter';
import { GatewayError } from '../../src/core/errors';
import { ircToXmppText, stripFormatting } from './formatting';

/** The channel modes the room configuration shows (muc#owner), with their parameter ('' for none). */
export const SETTING_MODES = ['i', 'k', 'l', 'm', 'n', 'p', 's', 't'] as const;

/** Channel prefix modes, strongest first. */
export const PREFIX_MODES = ['q', 'a', 'o', 'h', 'v'] as const;

/** Each prefix mode's bit in Occupant.marks. A Map, so that no mode letter can reach Object.prototype. */
const MARK = new Map<string, number>(PREFIX_MODES.map((letter, i) => [letter, 1 << i]));
const bit = (letter: string) => MARK.get(letter) ?? 0;

/** Prefix modes ("ov", or irc-framework's ['o', 'v']) as occupant marks. */
export function modeMarks(modes: Iterable<string>): number {
  let marks = 0;
  for (const letter of modes) marks |= bit(letter);
  return marks;
}

export interface ChannelState {
  /** The channel as the server spells it. */
  name: string;
  /** The core's handle (its localpart is the room's address): the occupant table and the XMPP side. */
  room: Room;
  key?: string;
  /** joining: JOIN sent (or to be sent after registration); joined: the core was told (room.joined). */
  phase: 'joining' | 'joined';
  topic?: string;
  moderated: boolean;
  /** Setting modes now in force (SETTING_MODES), with their parameter. */
  modes: Map<string, string>;
  /** Nick the XMPP user asked for, reported in joinFailed. */
  requestedNick: string;
  /**
   * PARTs sent and not yet answered (by the PART's echo, or 442 when we were not in the channel).
   * While one is out the channel shows as left; nothing about it reaches XMPP.
   */
  parting: number;
  /** A join asked for while our PART was out: JOIN again once the PART is answered. */
  rejoin?: { localpart: string; requestedNick: string; key?: string };
}

export interface RoomContext {
  /** The core's handle of a room, held until room.close() (XmppUser.room with the session's case mapping). */
  openRoom(localpart: string): Room;
  lower(name: string): string;
  selfNick(): string;
  roomLocalpart(channel: string): string;
  /** Send a JOIN for a channel (a rejoin that waited for our PART). */
  sendJoin(state: ChannelState): void;
}

/** Role/affiliation from channel prefix modes ("ov" or marks): op -> moderator/admin, voice -> participant/member, ... */
export function roleAndAffiliation(modes: string | number, moderated: boolean): { role: Role; affiliation: Affiliation } {
  const marks = typeof modes === 'number' ? modes : modeMarks(modes);
  if (marks & bit('q')) return { role: 'moderator', affiliation: 'owner' };
  if (marks & (bit('a') | bit('o'))) return { role: 'moderator', affiliation: 'admin' };
  if (marks & bit('h')) return { role: 'moderator', affiliation: 'member' };
  if (marks & bit('v')) return { role: 'participant', affiliation: 'member' };
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

  /** A member as listed by JOIN or NAMES: no away state known yet. */
  private member(state: ChannelState, nick: string, marks: number): Occupant {
    return { nick, ...roleAndAffiliation(marks, state.moderated), marks };
  }

  /** A join the user asked for (or an auto-join): tracked until NAMES completes. */
  want(channel: string, localpart: string, requestedNick: string, key?: string): ChannelState {
    let state = this.get(channel);
    if (!state) {
      state = { name: channel, room: this.ctx.openRoom(localpart), key, phase: 'joining', moderated: false, modes: new Map(), requestedNick, parting: 0 };
      this.channels.set(this.ctx.lower(channel), state);
    } else if (key !== undefined) {
      state.key = key;
    }
    return state;
  }

  /**
   * The join is finished (NAMES), or another XMPP resource joins an already joined channel: the
   * core sends the table, self-presence and subject to the resources waiting.
   */
  announce(state: ChannelState): void {
    state.phase = 'joined';
    state.room.joined(this.ctx.selfNick(), state.topic !== undefined ? ircToXmppText(state.topic) : undefined);
  }

  failed(channel: string, error: GatewayError): boolean {
    const state = this.get(channel);
    if (!state) return false;
    // A refusal of the JOIN that preceded our PART: that PART now gets 442, which answers it.
    if (state.parting) return true;
    if (state.phase === 'joining') {
      state.room.joinFailed(state.requestedNick, error);
      this.forget(channel);
    } else {
      state.room.error(error);
    }
    return true;
  }

  /**
   * Connection lost: channels wait for the re-join after reconnecting. No occupantLeft here: the
   * core shows the rooms as left when the status goes offline and keeps them for the re-join.
   */
  disconnected(): void {
    for (const state of this.all()) {
      if (state.parting) {
        // The PART is moot now; only a rejoin asked for since keeps the channel.
        if (!state.rejoin) {
          this.forget(state.name);
          continue;
        }
        this.takeRejoin(state);
      }
      state.phase = 'joining';
      state.modes.clear();
      state.room.clearOccupants();
    }
  }

  /**
   * The user leaves: the PART is on its way and the channel is out of XMPP's view until answered.
   * False (and no PART to send) when one is already out: a rejoin asked for since is cancelled.
   */
  leaving(state: ChannelState): boolean {
    state.rejoin = undefined;
    if (state.parting) return false;
    state.parting++;
    state.phase = 'joining';
    return true;
  }

  /** Channels counted against the per-user cap: a channel being left (PART out, no rejoin) no longer counts. */
  held(): number {
    let count = 0;
    for (const state of this.channels.values()) if (!state.parting || state.rejoin) count++;
    return count;
  }

  /** A join while our PART is out: answered after the PART, by a fresh JOIN and NAMES. */
  wantAgain(state: ChannelState, localpart: string, requestedNick: string, key?: string): void {
    state.rejoin = { localpart, requestedNick, key: key ?? state.key };
  }

  /** Our PART was answered (echo, or 442: we were not in it). */
  private partAnswered(state: ChannelState, status?: string): void {
    state.parting = Math.max(0, state.parting - 1);
    if (state.parting) return;
    if (state.rejoin) {
      state.room.clearOccupants();
      this.takeRejoin(state);
      state.phase = 'joining';
      this.ctx.sendJoin(state);
      return;
    }
    // The core already showed the user's resources out of the room; this settles its table.
    state.room.occupantLeft(this.ctx.selfNick(), { self: true, status });
    this.forget(state.name);
  }

  private takeRejoin(state: ChannelState): void {
    const rejoin = state.rejoin;
    if (!rejoin) return;
    if (rejoin.localpart !== state.room.localpart) {
      // The channel was asked for under another address form (#c vs #c%server): that room now.
      state.room.close();
      state.room = this.ctx.openRoom(rejoin.localpart);
    }
    state.requestedNick = rejoin.requestedNick;
    state.key = rejoin.key;
    state.rejoin = undefined;
    state.parting = 0;
  }

  /** 442 for a channel: true when it answers one of our PARTs. */
  notOnChannel(channel: string): boolean {
    const state = this.get(channel);
    if (!state?.parting) return false;
    this.partAnswered(state);
    return true;
  }

  /** The channel is no longer held: the core lets its occupant table go. Report anything first. */
  forget(channel: string): void {
    const key = this.ctx.lower(channel);
    const state = this.channels.get(key);
    if (!state) return;
    this.channels.delete(key);
    state.room.close();
  }

  /** Session over: every room this session held is let go. */
  dispose(): void {
    for (const state of this.all()) this.forget(state.name);
  }

  onJoin(channel: string, nick: string): void {
    if (this.isSelf(nick)) {
      const state = this.get(channel) ?? this.want(channel, this.ctx.roomLocalpart(channel), nick);
      state.name = channel;
      state.room.setOccupants([this.member(state, nick, 0)]);
      return;
    }
    const state = this.get(channel);
    if (state) state.room.occupantJoined(this.member(state, nick, 0));
  }

  /** End of NAMES: the member list is complete; the first time, the join is finished for XMPP. */
  onNames(channel: string, users: { nick: string; modes: string[] }[]): void {
    const state = this.get(channel);
    if (!state) return;
    state.room.setOccupants(users.map((u) => this.member(state, u.nick, modeMarks(u.modes))));
    // NAMES of a JOIN that preceded our PART announces nothing: the user asked to leave.
    if (state.phase === 'joining' && !state.parting) this.announce(state);
  }

  onPart(channel: string, nick: string, message: string): void {
    const state = this.get(channel);
    if (!state) return;
    const status = message ? stripFormatting(message) : undefined;
    if (!this.isSelf(nick)) {
      state.room.occupantLeft(nick, { status });
    } else if (state.parting) {
      this.partAnswered(state, status);
    } else {
      state.room.occupantLeft(nick, { self: true, status });
      this.forget(channel);
    }
  }

  onKick(channel: string, kicked: string, by: string, reason: string): void {
    const state = this.get(channel);
    if (!state) return;
    const info = { kickedBy: by, reason: reason ? stripFormatting(reason) : undefined };
    if (!this.isSelf(kicked)) {
      state.room.occupantLeft(kicked, info);
    } else if (state.parting) {
      // Kicked before our PART arrived: the PART gets 442, which settles the channel.
      state.room.clearOccupants();
    } else {
      state.room.occupantLeft(kicked, { ...info, self: true });
      this.forget(channel);
    }
  }

  onQuit(nick: string, message: string): void {
    // Our own QUIT is the connection ending: the core hears of that through the status.
    if (this.isSelf(nick)) return;
    const status = message ? stripFormatting(message) : undefined;
    for (const state of this.channels.values()) state.room.occupantLeft(nick, { status });
  }

  /** Called after the session updated its own nick, so isSelf() already knows the new one. */
  onNick(oldNick: string, newNick: string): void {
    const self = this.isSelf(newNick);
    for (const state of this.channels.values()) state.room.nickChanged(oldNick, newNick, self);
  }

  onMode(channel: string, modes: { mode: string; param: string | null }[]): void {
    const state = this.get(channel);
    if (!state) return;
    const room = state.room;
    const wasModerated = state.moderated;
    // By folded nick, so a member changed twice in one MODE line is reported once, as it ends up.
    const changed = new Map<string, Occupant>();
    for (const { mode, param } of modes) {
      const adding = mode[0] === '+';
      const letter = mode.slice(1);
      const mark = bit(letter);
      if (mark && param) {
        const key = this.ctx.lower(param);
        const o = changed.get(key) ?? room.occupant(param);
        if (o) changed.set(key, { ...o, marks: adding ? (o.marks ?? 0) | mark : (o.marks ?? 0) & ~mark });
      } else {
        if (letter === 'm') state.moderated = adding;
        if ((SETTING_MODES as readonly string[]).includes(letter)) {
          if (adding) state.modes.set(letter, param ?? '');
          else state.modes.delete(letter);
        }
      }
    }
    if (state.moderated !== wasModerated) {
      for (const o of room.occupants()) {
        const key = this.ctx.lower(o.nick);
        if (!o.marks && !changed.has(key)) changed.set(key, o);
      }
    }
    for (const o of changed.values()) {
      const next = { ...o, ...roleAndAffiliation(o.marks ?? 0, state.moderated) };
      const now = room.occupant(o.nick);
      if (now && now.role === next.role && now.affiliation === next.affiliation && (now.marks ?? 0) === (next.marks ?? 0)) continue;
      room.occupantChanged(next);
    }
  }

  onTopic(channel: string, topic: string, byNick?: string): void {
    const state = this.get(channel);
    if (!state) return;
    state.topic = topic;
    state.room.subject(ircToXmppText(topic), byNick);
  }

  /** away-notify / AWAY replies: the occupant's show and status in every shared channel, when they change. */
  onAway(nick: string, message: string | undefined): void {
    const status = message === undefined ? undefined : stripFormatting(message);
    const show = status === undefined ? undefined : 'away' as const;
    for (const state of this.channels.values()) {
      const o = state.room.occupant(nick);
      if (o && (o.status !== status || o.show !== show)) state.room.occupantChanged({ ...o, show, status });
    }
  }
}
