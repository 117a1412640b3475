/**
 * The channels of the user's IRC server (LIST), for disco#items on the server's JID. A big
 * network lists tens of thousands: the biggest `max` channels are kept, for `ttlMs`, and one LIST
 * at a time serves everyone asking meanwhile.
 */
import type { LegacyItem } from '../../src/core/adapter';
import { GatewayError } from '../../src/core/errors';
import { isChannelName } from './address';
import { CHANNEL_MAX } from './limits';
import { stripFormatting } from './formatting';

export interface ListedChannel {
  channel: string;
  num_users: number;
  topic: string;
}

export interface ChannelListHost {
  online(): boolean;
  send(line: string): boolean;
  roomLocalpart(channel: string): string;
}

export interface ChannelListOptions {
  max: number;
  ttlMs: number;
  timeoutMs: number;
}

export const CHANNEL_LIST_DEFAULTS: ChannelListOptions = { max: 1000, ttlMs: 5 * 60 * 1000, timeoutMs: 30000 };

const NAME_MAX = 120;

/** How a channel is named in the list: its name, its size and the start of its topic. */
export function itemName(c: ListedChannel): string {
  const users = Number.isFinite(c.num_users) ? ` (${c.num_users} ${c.num_users === 1 ? 'user' : 'users'})` : '';
  const topic = stripFormatting(c.topic ?? '').replace(/\s+/g, ' ').trim();
  const name = `${c.channel}${users}${topic ? `: ${topic}` : ''}`;
  return Array.from(name).length > NAME_MAX ? `${Array.from(name).slice(0, NAME_MAX - 1).join('')}…` : name;
}

/** Biggest first, then by name; at most `max`. */
export function biggest(channels: ListedChannel[], max: number): ListedChannel[] {
  return channels
    .sort((a, b) => (b.num_users || 0) - (a.num_users || 0) || (a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : 0))
    .slice(0, max);
}

export class ChannelList {
  private cached?: { at: number; items: LegacyItem[] };
  private running?: { channels: ListedChannel[]; resolve(items: LegacyItem[]): void; reject(e: GatewayError): void; timer: NodeJS.Timeout };
  private waiting?: Promise<LegacyItem[]>;

  constructor(private readonly host: ChannelListHost, private readonly options: ChannelListOptions = CHANNEL_LIST_DEFAULTS) {}

  list(now = Date.now()): Promise<LegacyItem[]> {
    if (this.cached && now - this.cached.at < this.options.ttlMs) return Promise.resolve(this.cached.items);
    if (this.waiting) return this.waiting;
    if (!this.host.online()) return Promise.reject(new GatewayError('remote-server-timeout', 'Not connected to IRC right now; the channel list needs the connection.'));
    this.waiting = new Promise<LegacyItem[]>((resolve, reject) => {
      const timer = setTimeout(() => this.finish(new GatewayError('remote-server-timeout', 'The IRC server did not finish listing its channels in time.')), this.options.timeoutMs);
      this.running = { channels: [], resolve, reject, timer };
      if (!this.host.send('LIST')) this.finish(new GatewayError('resource-constraint', 'Too many commands are waiting to be sent to IRC; try again in a moment.'));
    });
    return this.waiting;
  }

  /** A batch of RPL_LIST lines. */
  listed(channels: ListedChannel[]): void {
    const running = this.running;
    if (!running) return;
    // A name the gateway could not address as a room is of no use in the list.
    running.channels.push(...channels.filter((c) => isChannelName(c.channel) && c.channel.length <= CHANNEL_MAX));
    // Keep memory bounded however many channels the server lists.
    if (running.channels.length > 2 * this.options.max) running.channels = biggest(running.channels, this.options.max);
  }

  /** RPL_LISTEND. */
  ended(): void {
    this.finish();
  }

  /** The connection dropped: a LIST in flight is lost. */
  lost(): void {
    if (this.running) this.finish(new GatewayError('remote-server-timeout', 'The IRC connection was lost while listing channels.'));
  }

  private finish(error?: GatewayError): void {
    const running = this.running;
    if (!running) return;
    this.running = undefined;
    this.waiting = undefined;
    clearTimeout(running.timer);
    if (error) {
      running.reject(error);
      return;
    }
    const items = biggest(running.channels, this.options.max).map((c) => ({ localpart: this.host.roomLocalpart(c.channel), name: itemName(c) }));
    this.cached = { at: Date.now(), items };
    running.resolve(items);
  }
}
