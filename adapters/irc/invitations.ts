/**
 * Invitations both ways. XMPP -> IRC: `INVITE nick #chan`, followed by a PING as CommandRunner
 * does: RPL_INVITING (341) or the PONG with no refusal before it means the server took it; its
 * refusal (401 no such nick, 442 not on channel, 443 already there, 482 not an operator in a +i
 * channel...) is the answer, in its words. One at a time, so a refusal is never blamed on the
 * wrong invitation. IRC -> XMPP: an INVITE naming the user reaches them as an invitation from
 * the room, at a bounded rate (an INVITE costs nothing to send, and each would be a message).
 */
import type { StanzaErrorCondition } from '../../src/core/errors';
import { GatewayError } from '../../src/core/errors';
import { isNick, parseLocalpart, type IrcAddress } from './address';
import type { IrcRefusal } from './command-runner';
import { stripFormatting } from './formatting';
import type { IrcSession } from './session';

export interface InvitationsHost {
  online(): boolean;
  /** Queues control lines in order (behind a JOIN still waiting for `channel`). */
  send(lines: string[], channel: string): boolean;
  lower(name: string): string;
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

const TIMEOUT_MS = 20000;
/** Invitations from IRC shown to the user: at most BURST at once, one more every REFILL_MS. */
const SHOWN_BURST = 5;
const SHOWN_REFILL_MS = 10000;
/** The same inviter and channel again within this time is not shown twice. */
const REPEAT_MS = 60000;

interface Running {
  token: string;
  nick: string;
  channel: string;
  resolve(): void;
  reject(error: GatewayError): void;
}

export class Invitations {
  private chain: Promise<unknown> = Promise.resolve();
  private current?: Running;
  private counter = 0;
  private tokens = SHOWN_BURST;
  private refilled = Date.now();
  private readonly recent = new Map<string, number>();

  constructor(private readonly host: InvitationsHost, private readonly timeoutMs = TIMEOUT_MS) {}

  /** INVITE `invitee` to `room` (localparts); resolves once the server accepted it. IRC's INVITE carries no reason. */
  async invite(room: string, invitee: string): Promise<void> {
    const channel = this.address(room, 'room');
    const nick = this.address(invitee, 'contact');
    const next = this.chain.then(() => this.exec(nick, channel));
    this.chain = next.catch(() => undefined);
    return next;
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

  private exec(nick: string, channel: string): Promise<void> {
    if (!this.host.online()) return Promise.reject(new GatewayError('remote-server-timeout', 'Not connected to IRC right now; try again once the gateway is back online.'));
    const token = `xgwi${++this.counter}`;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => finish(new GatewayError('remote-server-timeout', `The IRC server did not answer the invitation of ${nick} to ${channel} in time.`)), this.timeoutMs);
      const finish = (error?: GatewayError) => {
        clearTimeout(timer);
        if (this.current === running) this.current = undefined;
        if (error) reject(error);
        else resolve();
      };
      const running: Running = { token, nick: this.host.lower(nick), channel: this.host.lower(channel), resolve: () => finish(), reject: finish };
      this.current = running;
      if (!this.host.send([`INVITE ${nick} ${channel}`, `PING :${token}`], running.channel)) {
        finish(new GatewayError('resource-constraint', 'Too many commands are waiting to be sent to IRC; try again in a moment.'));
      }
    });
  }

  /** RPL_INVITING: the server passed the invitation on. */
  inviting(nick: string | undefined, channel: string | undefined): void {
    const running = this.current;
    if (running && nick && channel && this.host.lower(nick) === running.nick && this.host.lower(channel) === running.channel) running.resolve();
  }

  /** A PONG: true when it ends the running invitation (nothing refused it). */
  pong(token: string | undefined): boolean {
    if (!this.current || token !== this.current.token) return false;
    this.current.resolve();
    return true;
  }

  /** An IRC error: true when it refuses the running invitation (it then answers the user, and nothing else should). */
  refused(e: IrcRefusal): boolean {
    const running = this.current;
    if (!running) return false;
    const numeric = /^[45]\d\d$/.test(e.error);
    const condition = REFUSALS[e.error] ?? (numeric ? 'not-acceptable' : undefined);
    if (!condition) return false;
    const about = [e.channel, e.nick].map((name) => (name ? this.host.lower(name) : undefined));
    // Numerics irc-framework does not name carry no parsed target: the running command is the only candidate.
    if (!numeric && !about.includes(running.channel) && !about.includes(running.nick)) return false;
    running.reject(new GatewayError(condition, this.sentence(e, running)));
    return true;
  }

  private sentence(e: IrcRefusal, running: Running): string {
    // irc-framework keeps no text for 443.
    if (e.error === 'user_on_channel') return `${e.nick ?? running.nick} is already on ${e.channel ?? running.channel}.`;
    const reason = e.reason ? stripFormatting(e.reason) : e.error.replace(/_/g, ' ');
    const subject = e.error === 'no_such_nick' ? e.nick : e.channel;
    return subject && !/^\d+$/.test(e.error) ? `${subject}: ${reason}` : reason;
  }

  /** The connection dropped: the running invitation's lines were dropped with it. */
  lost(): void {
    this.current?.reject(new GatewayError('remote-server-timeout', 'The IRC connection was lost before the server answered the invitation.'));
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

/** A session's invitations: lines go out on its control lane, invitations from IRC to its user. */
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
  });
}
