/**
 * IRC commands whose outcome the user waits for (KICK, MODE, TOPIC from a muc#admin or
 * muc#owner iq). IRC does not acknowledge most of them, so each is followed by a PING: the
 * server handles a client's lines in order, so the PONG says every reply to the command has
 * arrived, and an error numeric before it is the command's refusal. One runs at a time, so a
 * refusal is never blamed on the wrong command.
 */
import { GatewayError } from '../../src/core/errors';
import type { StanzaErrorCondition } from '../../src/core/errors';
import { stripFormatting } from './formatting';

/** An IRC error as listeners.ts sees it: irc-framework's name for it, or the bare numeric. */
export interface IrcRefusal {
  error: string;
  channel?: string;
  nick?: string;
  reason?: string;
}

/** Refusals of channel and member commands, as XMPP conditions (irc-framework names and numerics it does not name). */
const REFUSALS: Record<string, StanzaErrorCondition> = {
  chanop_privs_needed: 'forbidden',
  not_on_channel: 'not-acceptable',
  user_not_in_channel: 'item-not-found',
  no_such_nick: 'item-not-found',
  no_such_channel: 'item-not-found',
  461: 'bad-request', // ERR_NEEDMOREPARAMS
  467: 'conflict', // ERR_KEYSET
  472: 'not-acceptable', // ERR_UNKNOWNMODE
  477: 'not-acceptable', // ERR_NOCHANMODES
  478: 'resource-constraint', // ERR_BANLISTFULL
  481: 'forbidden', // ERR_NOPRIVILEGES
  484: 'forbidden', // ERR_ISCHANSERVICE (a protected service)
  485: 'forbidden',
  696: 'not-acceptable', // ERR_INVALIDMODEPARAM
};

export interface RunnerHost {
  online(): boolean;
  /** Queues control lines in order (behind a JOIN still waiting for `channel`). */
  send(lines: string[], channel: string): boolean;
  lower(name: string): string;
}

/** What sets one command apart from the others the runner sends: whom it is about, and how it is refused. */
export interface CommandTerms {
  /** The user the command is about: a refusal naming them (no such nick) counts too. */
  nick?: string;
  /** Its refusals as XMPP conditions (default: those of channel and member commands). */
  refusals?: Record<string, StanzaErrorCondition>;
  /** Any other 4xx/5xx numeric before the PONG refuses it too. */
  anyNumeric?: boolean;
  /** The user's sentence for a refusal (default: the server's words, after the channel). */
  sentence?(e: IrcRefusal): string;
  /** What the command is, for the timeout's sentence (default: "about #channel"). */
  what?: string;
}

interface Running {
  token: string;
  channel: string;
  terms: CommandTerms;
  resolve(): void;
  reject(error: GatewayError): void;
}

const TIMEOUT_MS = 20000;

export class CommandRunner {
  private chain: Promise<unknown> = Promise.resolve();
  private current?: Running;
  private counter = 0;

  constructor(private readonly host: RunnerHost, private readonly timeoutMs = TIMEOUT_MS, private readonly tokenPrefix = 'xgw') {}

  /** Sends `lines` about `channel` (and `nick`, whose "no such nick" counts too); resolves when the server is done with them. */
  run(lines: string[], channel: string, nickOrTerms?: string | CommandTerms): Promise<void> {
    const terms = typeof nickOrTerms === 'string' ? { nick: nickOrTerms } : (nickOrTerms ?? {});
    const next = this.chain.then(() => this.exec(lines, channel, terms));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private exec(lines: string[], channel: string, terms: CommandTerms): Promise<void> {
    if (!lines.length) return Promise.resolve();
    if (!this.host.online()) return Promise.reject(new GatewayError('remote-server-timeout', 'Not connected to IRC right now; try again once the gateway is back online.'));
    const token = `${this.tokenPrefix}${++this.counter}`;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => finish(new GatewayError('remote-server-timeout', `The IRC server did not answer ${terms.what ?? `about ${channel}`} in time.`)), this.timeoutMs);
      const finish = (error?: GatewayError) => {
        clearTimeout(timer);
        if (this.current === running) this.current = undefined;
        if (error) reject(error);
        else resolve();
      };
      const lowered = { ...terms, nick: terms.nick && this.host.lower(terms.nick) };
      const running: Running = { token, channel: this.host.lower(channel), terms: lowered, resolve: () => finish(), reject: finish };
      this.current = running;
      if (!this.host.send([...lines, `PING :${token}`], running.channel)) {
        finish(new GatewayError('resource-constraint', 'Too many commands are waiting to be sent to IRC; try again in a moment.'));
      }
    });
  }

  /** A reply that says the running command about `nick` in `channel` succeeded (RPL_INVITING): it ends before its PONG. */
  answered(nick: string | undefined, channel: string | undefined): void {
    const running = this.current;
    if (running && nick && channel && this.host.lower(nick) === running.terms.nick && this.host.lower(channel) === running.channel) running.resolve();
  }

  /** A PONG: true when it ends the running command. */
  pong(token: string | undefined): boolean {
    if (!this.current || token !== this.current.token) return false;
    this.current.resolve();
    return true;
  }

  /** An IRC error: true when it refuses the running command (it then answers the user, and nothing else should). */
  refused(e: IrcRefusal): boolean {
    const running = this.current;
    if (!running) return false;
    const { terms } = running;
    const condition = (terms.refusals ?? REFUSALS)[e.error] ?? (terms.anyNumeric && /^[45]\d\d$/.test(e.error) ? 'not-acceptable' : undefined);
    if (!condition) return false;
    const lower = (name?: string) => (name ? this.host.lower(name) : undefined);
    // irc-framework reads 441's victim nick as its channel: either names the running command.
    // Numerics it does not name carry no parsed target: the running command is the only candidate.
    const about = [lower(e.channel), lower(e.nick)];
    const mine = /^\d+$/.test(e.error) || about.includes(running.channel) || (terms.nick !== undefined && about.includes(terms.nick));
    if (!mine) return false;
    running.reject(new GatewayError(condition, terms.sentence ? terms.sentence(e) : serverWords(e)));
    return true;
  }

  /** The connection dropped: the running command's lines were dropped with it. */
  lost(): void {
    this.current?.reject(new GatewayError('remote-server-timeout', 'The IRC connection was lost before the server answered.'));
  }
}

/** The server's words for a refusal, after the channel it names. */
export function serverWords(e: IrcRefusal): string {
  const reason = e.reason ? stripFormatting(e.reason) : e.error.replace(/_/g, ' ');
  return `${e.channel && !/^\d+$/.test(e.error) ? `${e.channel}: ` : ''}${reason}`;
}
