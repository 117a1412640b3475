/**
 * IRC channel state mapped to XEP-0045 semantics: who is in which channel with which modes,
 * the topic, and which joins are still waiting for their NAMES list. Events go to the core
 * through RoomEvents; the IRC protocol itself stays in session.ts.
 */
import type { Affiliation, Occupant, Role, RoomEvents } from '../../src/core/adapter';
import { GatewayError } from '../../src/core/errors';
import type { ChannelDirectory } from './channel-directory';
import { ircToXmppText, stripFormatting } from './formatting';
import { MemberView, PREFIX_MODES, type Member } from './member-view';

export { PREFIX_MODES, type Member };

export interface ChannelState {
  name: string;
  localpart: string;
  key?: string;
  /** joining: JOIN sent (or to be sent after registration); joined: self-presence sent to XMPP. */
  phase: 'joining' | 'joined';
  members: MemberView;
  topic?: string;
  moderated: boolean;
  /** Nick the XMPP user asked for, reported in joinFailed. */
  requestedNick: string;
  /**
   * PARTs sent and not yet answered (by the PART's echo, or 442 when we were not in the channel).
   * While one is out the channel shows as left; nothing about it reaches XMPP.
   */
  parting: number;
  /** The self-presence was sent when the user asked to leave: the PART's echo reports the leave. */
  leftJoined?: boolean;
  /** A join asked for while our PART was out: JOIN again once the PART is answered. */
  rejoin?: { localpart: string; requestedNick: string; key?: string };
}

export interface RoomContext {
  events: RoomEvents;
  /** Shared nick tables, so that N users in a channel do not hold N copies of its member list. */
  directory: ChannelDirectory;
  /** The IRC server, which with the channel names the shared table. */
  server: string;
  lower(name: string): string;
  selfNick(): string;
  contactLocalpart(nick: string): string;
  roomLocalpart(channel: string): string;
  /** Send a JOIN for a channel (a rejoin that waited for our PART). */
  sendJoin(state: ChannelState): void;
}

/** Role/affiliation from channel prefix modes ("ov"...): op -> moderator/admin, voice -> participant/member, ... */
export function roleAndAffiliation(modes: string, moderated: boolean): { role: Role; affiliation: Affiliation } {
  if (modes.includes('q')) return { role: 'moderator', affiliation: 'owner' };
  if (modes.includes('a') || modes.includes('o')) return { role: 'moderator', affiliation: 'admin' };
  if (modes.includes('h')) return { role: 'moderator', affiliation: 'member' };
  if (modes.includes('v')) return { role: 'participant', affiliation: 'member' };
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
      const members = new MemberView(this.ctx.directory.open(this.ctx.server, this.ctx.lower(channel)));
      state = { name: channel, localpart, key, phase: 'joining', members, moderated: false, requestedNick, parting: 0 };
      this.channels.set(this.ctx.lower(channel), state);
    } else if (key !== undefined) {
      state.key = key;
    }
    return state;
  }

  /** Re-emits the current state for another XMPP resource joining an already joined channel. */
  announce(state: ChannelState): void {
    const self = state.members.get(this.ctx.lower(this.ctx.selfNick())) ?? { nick: this.ctx.selfNick(), modes: '' };
    const others: Occupant[] = [];
    for (const member of state.members.values()) if (!this.isSelf(member.nick)) others.push(this.occupant(state, member));
    state.phase = 'joined';
    this.ctx.events.joined(state.localpart, this.occupant(state, self), others, state.topic !== undefined ? ircToXmppText(state.topic) : undefined);
  }

  failed(channel: string, error: GatewayError): boolean {
    const state = this.get(channel);
    if (!state) return false;
    // A refusal of the JOIN that preceded our PART: that PART now gets 442, which answers it.
    if (state.parting) return true;
    if (state.phase === 'joining') {
      this.forget(channel);
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
      state.members.clear();
    }
  }

  /**
   * The user leaves: the PART is on its way and the channel is out of XMPP's view until answered.
   * False (and no PART to send) when one is already out: a rejoin asked for since is cancelled.
   */
  leaving(state: ChannelState): boolean {
    if (state.parting) {
      state.rejoin = undefined;
      return false;
    }
    state.parting++;
    state.leftJoined = state.phase === 'joined';
    state.phase = 'joining';
    state.rejoin = undefined;
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
    const self = state.members.get(this.ctx.lower(this.ctx.selfNick()));
    state.members.clear();
    if (state.rejoin) {
      this.takeRejoin(state);
      state.phase = 'joining';
      this.ctx.sendJoin(state);
      return;
    }
    this.forget(state.name);
    if (state.leftJoined) this.ctx.events.occupantLeft(state.localpart, this.ctx.selfNick(), { self: true, status, ...this.lastAffiliation(state, self) });
  }

  private takeRejoin(state: ChannelState): void {
    const rejoin = state.rejoin;
    if (!rejoin) return;
    state.localpart = rejoin.localpart;
    state.requestedNick = rejoin.requestedNick;
    state.key = rejoin.key;
    state.rejoin = undefined;
    state.parting = 0;
    state.leftJoined = false;
  }

  /** 442 for a channel: true when it answers one of our PARTs. */
  notOnChannel(channel: string): boolean {
    const state = this.get(channel);
    if (!state?.parting) return false;
    this.partAnswered(state);
    return true;
  }

  forget(channel: string): void {
    const key = this.ctx.lower(channel);
    const state = this.channels.get(key);
    if (!state) return;
    this.channels.delete(key);
    state.members.clear();
    this.ctx.directory.close(state.members.slots);
  }

  /** Session over: every shared table this session held is let go. */
  dispose(): void {
    for (const state of this.all()) this.forget(state.name);
  }

  onJoin(channel: string, nick: string): void {
    if (this.isSelf(nick)) {
      const state = this.get(channel) ?? this.want(channel, this.ctx.roomLocalpart(channel), nick);
      state.name = channel;
      state.members.clear();
      state.members.set(this.ctx.lower(nick), nick);
      return;
    }
    const state = this.get(channel);
    if (!state) return;
    const member = state.members.set(this.ctx.lower(nick), nick);
    if (state.phase === 'joined') this.ctx.events.occupantJoined(state.localpart, this.occupant(state, member));
  }

  /** End of NAMES: the member list is complete; the first time, the join is finished for XMPP. */
  onNames(channel: string, users: { nick: string; modes: string[] }[]): void {
    const state = this.get(channel);
    if (!state) return;
    state.members.replaceAll(users.map((u) => ({ key: this.ctx.lower(u.nick), nick: u.nick, modes: u.modes })));
    // NAMES of a JOIN that preceded our PART announces nothing: the user asked to leave.
    if (state.phase === 'joining' && !state.parting) this.announce(state);
  }

  onPart(channel: string, nick: string, message: string): void {
    const state = this.get(channel);
    if (!state) return;
    const status = message ? stripFormatting(message) : undefined;
    if (this.isSelf(nick)) {
      if (state.parting) {
        this.partAnswered(state, status);
        return;
      }
      const self = state.members.get(this.ctx.lower(nick));
      this.forget(channel);
      if (state.phase === 'joined') this.ctx.events.occupantLeft(state.localpart, nick, { self: true, status, ...this.lastAffiliation(state, self) });
      return;
    }
    const member = state.members.delete(this.ctx.lower(nick));
    if (member && state.phase === 'joined') {
      this.ctx.events.occupantLeft(state.localpart, nick, { status, ...this.lastAffiliation(state, member) });
    }
  }

  onKick(channel: string, kicked: string, by: string, reason: string): void {
    const state = this.get(channel);
    if (!state) return;
    const info = { kickedBy: by, reason: reason ? stripFormatting(reason) : undefined };
    if (this.isSelf(kicked)) {
      // Kicked before our PART arrived: the PART gets 442, which settles the channel.
      if (state.parting) {
        state.members.clear();
        return;
      }
      this.forget(channel);
      this.ctx.events.occupantLeft(state.localpart, kicked, { ...info, self: true });
      return;
    }
    const member = state.members.delete(this.ctx.lower(kicked));
    if (member && state.phase === 'joined') {
      this.ctx.events.occupantLeft(state.localpart, kicked, info);
    }
  }

  onQuit(nick: string, message: string): void {
    for (const state of this.channels.values()) {
      const member = state.members.delete(this.ctx.lower(nick));
      if (member && state.phase === 'joined') {
        this.ctx.events.occupantLeft(state.localpart, nick, { status: message ? stripFormatting(message) : undefined, ...this.lastAffiliation(state, member) });
      }
    }
  }

  /** Called after the session updated its own nick, so isSelf() already knows the new one. */
  onNick(oldNick: string, newNick: string): void {
    const self = this.isSelf(newNick);
    for (const state of this.channels.values()) {
      const member = state.members.rename(this.ctx.lower(oldNick), this.ctx.lower(newNick), newNick);
      if (!member) continue;
      if (state.phase === 'joined') this.ctx.events.nickChanged(state.localpart, oldNick, this.occupant(state, member), self);
    }
  }

  onMode(channel: string, modes: { mode: string; param: string | null }[]): void {
    const state = this.get(channel);
    if (!state) return;
    // By lower-cased nick, so a member changed twice in one MODE line is reported once, as it ends up.
    const changed = new Set<string>();
    for (const { mode, param } of modes) {
      const adding = mode[0] === '+';
      const letter = mode.slice(1);
      if ((PREFIX_MODES as readonly string[]).includes(letter) && param) {
        const key = this.ctx.lower(param);
        if (state.members.setMode(key, letter, adding)) changed.add(key);
      } else if (letter === 'm' && state.moderated !== adding) {
        state.moderated = adding;
        for (const member of state.members.values()) if (member.modes === '') changed.add(this.ctx.lower(member.nick));
      }
    }
    if (state.phase !== 'joined') return;
    for (const key of changed) {
      const member = state.members.get(key);
      if (member) this.ctx.events.occupantChanged(state.localpart, this.occupant(state, member));
    }
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
      const member = state.members.setAway(this.ctx.lower(nick), message);
      if (member && state.phase === 'joined') this.ctx.events.occupantChanged(state.localpart, this.occupant(state, member));
    }
  }

  /** The affiliation a leaving member had, for its unavailable presence. */
  private lastAffiliation(state: ChannelState, member: Member | undefined): { affiliation?: Affiliation } {
    return member ? { affiliation: roleAndAffiliation(member.modes, state.moderated).affiliation } : {};
  }

  /** Nicks sharing at least one channel with us (for contact presence). */
  knows(nick: string): boolean {
    return this.all().some((s) => s.members.has(this.ctx.lower(nick)));
  }
}
