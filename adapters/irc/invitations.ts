/**
 * Invitations both ways. XMPP -> IRC: `INVITE nick #chan`, sent through the session's
 * CommandRunner (one command at a time, each followed by a PING), so a refusal is never blamed on
 * the wrong command: RPL_INVITING (341) or the PONG with no refusal before it means the server
 * took it; its refusal (401 no such nick, 442 not on channel, 443 already there, 482 not an
 * operator in a +i channel...) is the answer, in its words. IRC -> XMPP: an INVITE naming the user
 * reaches them as an invitation from the room, at a bounded rate (an INVITE costs nothing to
 * send, and each would be a message).
 */
import type { StanzaErrorCondition } from '../../src/core/errors';
import { GatewayError } from '../../src/core/errors';
import { isNick, parseLocalpart, type IrcAddress } from './address';
import { CommandRunner, serverWords, type CommandTerms, type IrcRefusal, type RunnerHost } from './command-runner';
import type { IrcSession } from './session';

export interface InvitationsHost extends RunnerHost {
  /** The session's server. */
  server: string;
  /** A localpart the user addressed, parsed (throws jid-malformed). */
  parse(localpart: string): IrcAddress;
  /** The same, checked against this server's limits (throws for another server or a name too long). */
  resolve(localpart: string): IrcAddress;
  isSelf(nick: string): boolean;
  isChannel(name: string): boolean;
  roomLocalpart(channel: string): string;
  contactLocalpart(nick: string): string;
  /** The core's invitation to the user (XmppUser.invited). */
  invited(room: string, from: string): void;
  /** The session's runner, shared with moderation commands (default: one of its own). */
  runner?: CommandRunner;
}

/** The refusals of an INVITE, by irc-framework's name or bare numeric. */
const REFUSALS: Record<string, StanzaErrorCondition> = {
  no_such_nick: 'item-not-found', // 401
  no_such_channel: 'item-not-found', // 403
  not_on_channel: 'not-acceptable', // 442
  user_on_channel: 'conflict', // 443
  chanop_privs_needed: 'forbidden', // 482
  cannot_send_to_user: 'forbidden', // e.g. the invitee accepts nothing from strangers
};

/** Invitations from IRC shown to the user: at most BURST at once, one more every REFILL_MS. */
const SHOWN_BURST = 5;
const SHOWN_REFILL_MS = 10000;
/** The same inviter and channel again within this time is not shown twice. */
const REPEAT_MS = 60000;

export class Invitations {
  private readonly runner: CommandRunner;
  private tokens = SHOWN_BURST;
  private refilled = Date.now();
  private readonly recent = new Map<string, number>();

  constructor(private readonly host: InvitationsHost, timeoutMs?: number) {
    this.runner = host.runner ?? new CommandRunner(host, timeoutMs, 'xgwi');
  }

  /** INVITE `invitee` to `room` (localparts); resolves once the server accepted it. IRC's INVITE carries no reason. */
  async invite(room: string, invitee: string): Promise<void> {
    const channel = this.address(room, 'room');
    const nick = this.address(invitee, 'contact');
    const terms: CommandTerms = { nick, refusals: REFUSALS, anyNumeric: true, what: `the invitation of ${nick} to ${channel}`, sentence: (e) => sentence(e, nick, channel) };
    return this.runner.run([`INVITE ${nick} ${channel}`], channel, terms);
  }

  /** The channel or nick a localpart names on this server. */
  private address(localpart: string, kind: 'room' | 'contact'): string {
    const address = this.host.parse(localpart);
    if (address.kind === 'server' || address.kind !== kind) {
      throw new GatewayError('bad-request', kind === 'room' ? 'Invite people to a channel.' : 'Only IRC users can be invited to a channel.');
    }
    const name = address.kind === 'room' ? address.channel : address.nick;
    if (address.server !== this.host.server) {
      throw new GatewayError('not-acceptable', `${name} is on ${address.server}, not ${this.host.server}: IRC invitations stay within one server.`);
    }
    this.host.resolve(localpart);
    return name;
  }

  /** RPL_INVITING: the server passed the invitation on. */
  inviting(nick: string | undefined, channel: string | undefined): void {
    this.runner.answered(nick, channel);
  }

  /** A PONG: true when it ends the running invitation (nothing refused it). */
  pong(token: string | undefined): boolean {
    return this.runner.pong(token);
  }

  /** An IRC error: true when it refuses the running invitation (it then answers the user, and nothing else should). */
  refused(e: IrcRefusal): boolean {
    return this.runner.refused(e);
  }

  /** The connection dropped: the running invitation's lines were dropped with it. */
  lost(): void {
    this.runner.lost();
  }

  /** An INVITE from IRC; only those naming the user are theirs (invite-notify tells channel operators of others). */
  received(e: { nick?: string; invited?: string; channel?: string }): void {
    if (!e.nick || !e.invited || !e.channel || !this.host.isSelf(e.invited) || !this.host.isChannel(e.channel)) return;
    if (this.host.isSelf(e.nick) || !isNick(e.nick)) return;
    const now = Date.now();
    const key = `${this.host.lower(e.nick)} ${this.host.lower(e.channel)}`;
    if ((this.recent.get(key) ?? -Infinity) > now - REPEAT_MS) return;
    const refill = Math.floor((now - this.refilled) / SHOWN_REFILL_MS);
    if (refill > 0) {
      this.tokens = Math.min(SHOWN_BURST, this.tokens + refill);
      this.refilled += refill * SHOWN_REFILL_MS;
    }
    if (this.tokens === 0) return;
    this.tokens--;
    for (const [k, at] of this.recent) if (at <= now - REPEAT_MS) this.recent.delete(k);
    this.recent.set(key, now);
    this.host.invited(this.host.roomLocalpart(e.channel), this.host.contactLocalpart(e.nick));
  }
}

function sentence(e: IrcRefusal, nick: string, channel: string): string {
  // irc-framework keeps no text for 443.
  if (e.error === 'user_on_channel') return `${e.nick ?? nick} is already on ${e.channel ?? channel}.`;
  if (e.error !== 'no_such_nick') return serverWords(e);
  return serverWords({ ...e, channel: e.nick });
}

/** A session's invitations: lines go out through its command runner, invitations from IRC to its user. */
export function sessionInvitations(session: IrcSession): Invitations {
  return new Invitations({
    online: () => session.connection.online,
    send: (lines, channel) => session.connection.queue.push(...lines.map((line) => ({ line, kind: 'control' as const, channel }))),
    lower: (name) => session.lower(name),
    server: session.server,
    parse: (localpart) => parseLocalpart(localpart, session.defaultServer),
    resolve: (localpart) => session.resolve(localpart),
    isSelf: (nick) => session.isSelf(nick),
    isChannel: (name) => session.isChannel(name),
    roomLocalpart: (channel) => session.roomLocalpart(channel),
    contactLocalpart: (nick) => session.contactLocalpart(nick),
    invited: (room, from) => session.xmpp.invited?.(room, from),
    runner: session.extras.runner,
  });
}
