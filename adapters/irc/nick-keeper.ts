/**
 * Regains the user's nick after the connection had to register with another one ("carol_"),
 * typically because the previous connection of the same user still held it while closing, as
 * ZNC's keepnick does: NICK again at once when the holder is seen leaving (QUIT or NICK in a
 * shared channel), and otherwise on a backoff timer, since the holder may share no channel.
 */
import { reconnectDelay } from './backoff';

export interface NickKeeperHost {
  /** The nick the user wants (the registration's, or the one they changed to). */
  wanted(): string;
  current(): string;
  lower(name: string): string;
  /** Registered and no user-requested nick change in flight. */
  canTry(): boolean;
  send(line: string): void;
}

export class NickKeeper {
  private timer?: NodeJS.Timeout;
  private attempt = 0;

  constructor(private readonly host: NickKeeperHost, private readonly delays: { initialMs: number; maxMs: number }) {}

  private get missing(): boolean {
    return this.host.lower(this.host.current()) !== this.host.lower(this.host.wanted());
  }

  /** After registration and after every own nick change: keep trying while the nick is not ours. */
  check(): void {
    if (!this.missing) {
      this.stop();
      return;
    }
    if (!this.timer) this.schedule();
  }

  /** Someone stopped using `nick` (QUIT, or NICK away from it). */
  freed(nick: string): void {
    if (this.host.lower(nick) !== this.host.lower(this.host.wanted()) || !this.missing) return;
    this.try();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.attempt = 0;
  }

  private schedule(): void {
    const delay = reconnectDelay(this.attempt++, this.delays);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.try();
    }, delay);
  }

  private try(): void {
    if (!this.missing) return;
    if (this.host.canTry()) this.host.send(`NICK ${this.host.wanted()}`);
    // The answer (NICK echo or 433) does not need watching: the echo calls check(), which stops us.
    if (this.timer) clearTimeout(this.timer);
    this.schedule();
  }
}
