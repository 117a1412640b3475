/**
 * The user's own nick changes (ad-hoc command, room join with another nick): one at a time,
 * settled by the server's NICK echo, a refusal numeric (listeners.ts) or a timeout.
 */
import { GatewayError } from '../../src/core/errors';
import { isNick } from './address';
import { NICK_MAX } from './limits';

const NICK_CHANGE_TIMEOUT_MS = 15000;

export interface PendingNick {
  nick: string;
  resolve: () => void;
  reject: (e: GatewayError) => void;
  timer: NodeJS.Timeout;
}

export interface NickChangeHost {
  readonly server: string;
  /** The nick in use now. */
  current(): string;
  isSelf(nick: string): boolean;
  online(): boolean;
  /** The server's NICKLEN, if it announced one. */
  nickLength(): number | undefined;
  send(line: string): void;
}

export class NickChange {
  /** The change in flight, if any. */
  pending?: PendingNick;

  constructor(private readonly host: NickChangeHost) {}

  /** IRC nicks are per connection: this renames the user in every channel. */
  request(nick: string): Promise<void> {
    const host = this.host;
    const limit = host.nickLength() ?? NICK_MAX;
    if (nick.length > limit) return Promise.reject(new GatewayError('not-acceptable', `Nicknames on ${host.server} have at most ${limit} characters.`));
    if (!isNick(nick)) return Promise.reject(new GatewayError('not-acceptable', `"${nick}" is not a valid IRC nickname.`));
    if (host.isSelf(nick) && host.current() === nick) return Promise.resolve();
    if (!host.online()) return Promise.reject(new GatewayError('remote-server-timeout', 'Not connected to IRC right now.'));
    this.pending?.reject(new GatewayError('conflict', 'Another nickname change was requested.'));
    return new Promise((resolve, reject) => {
      const done = () => { clearTimeout(pending.timer); if (this.pending === pending) this.pending = undefined; };
      const pending: PendingNick = {
        nick,
        resolve: () => { done(); resolve(); },
        reject: (e: GatewayError) => { done(); reject(e); },
        timer: setTimeout(() => pending.reject(new GatewayError('remote-server-timeout', 'The IRC server did not answer the nickname change.')), NICK_CHANGE_TIMEOUT_MS),
      };
      this.pending = pending;
      host.send(`NICK ${nick}`);
    });
  }
}
