/**
 * IRCv3 chathistory backfill: once a channel join is complete for XMPP (room.joined), the latest
 * lines the server kept are asked for (`CHATHISTORY LATEST`) and replayed into the room with
 * their server-time as delay and their msgid as id, so clients see what was said before and the
 * core archives it. After a reconnect only what came after the newest line seen is asked for.
 *
 * Only with the `draft/chathistory` capability (the spec's name while it is a draft; the
 * unprefixed name is asked for too, for servers that ship the final version) and `batch`.
 */
import type { Client } from 'irc-framework';

const CAPS = ['draft/chathistory', 'chathistory'];
/** Channels whose newest line is remembered: enough for every channel a user is in. */
const CHANNELS_REMEMBERED = 1000;
/** msgids of live lines remembered per channel while its replay is on the way. */
const LIVE_IDS = 200;

interface Point {
  msgid?: string;
  time?: number;
}

/** Live lines of a channel since its history was asked for: the replay leaves them out. */
interface Waiting {
  ids: Set<string>;
  /** server-time of the first of them: every line after it was relayed live. */
  since?: number;
}

export interface HistoryContext {
  /** Lines asked for after a join (options.chathistoryLines); 0: none. */
  lines: number;
  lower(name: string): string;
  /** Queue a control line behind the channel's own lines. */
  send(line: string, channel: string): void;
}

export class ChatHistory {
  private readonly newest = new Map<string, Point>();
  private readonly waiting = new Map<string, Waiting>();

  constructor(private readonly ctx: HistoryContext) {}

  /** Every new irc-framework client, before it connects: ask for the capability. */
  prepare(client: Client): void {
    this.waiting.clear();
    if (this.ctx.lines > 0) (client as unknown as { requestCap(caps: string[]): void }).requestCap(CAPS);
  }

  /** The join of `channel` is complete for XMPP: ask for what was said before it. */
  joined(client: Client | undefined, channel: string): void {
    const cap = client?.network.cap;
    if (!client || !cap || this.ctx.lines <= 0 || !cap.isEnabled('batch') || !CAPS.some((c) => cap.isEnabled(c))) return;
    const key = this.ctx.lower(channel);
    const max = Number(client.network.options.CHATHISTORY);
    const limit = Number.isInteger(max) && max > 0 ? Math.min(max, this.ctx.lines) : this.ctx.lines;
    this.waiting.set(key, { ids: new Set() });
    this.ctx.send(`CHATHISTORY LATEST ${channel} ${this.reference(client, key)} ${limit}`, key);
  }

  /** Where the replay starts: after the newest line seen, by the kind of reference the server takes. */
  private reference(client: Client, key: string): string {
    const point = this.newest.get(key);
    const announced = client.network.options.MSGREFTYPES;
    // Without MSGREFTYPES the spec has clients assume both kinds work.
    const types = typeof announced === 'string' ? announced.split(',') : ['msgid', 'timestamp'];
    if (point?.msgid && types.includes('msgid') && !/[\s\0]/.test(point.msgid)) return `msgid=${point.msgid}`;
    if (point?.time !== undefined && types.includes('timestamp')) return `timestamp=${new Date(point.time).toISOString()}`;
    return '*';
  }

  /** A live line in a channel. */
  seen(channel: string, msgid?: string, time?: number): void {
    // A line without id or time changes nothing unless a replay is on its way (spares a case-fold per line).
    if (msgid === undefined && time === undefined && this.waiting.size === 0) return;
    const key = this.ctx.lower(channel);
    this.advance(key, msgid, time);
    const waiting = this.waiting.get(key);
    if (!waiting) return;
    waiting.since ??= time;
    if (msgid && waiting.ids.size < LIVE_IDS) waiting.ids.add(msgid);
  }

  /** A line of a chathistory batch: false when it already reached the room live. */
  replay(channel: string, msgid?: string, time?: number): boolean {
    const key = this.ctx.lower(channel);
    const waiting = this.waiting.get(key);
    if (waiting && ((msgid && waiting.ids.has(msgid)) || (time !== undefined && waiting.since !== undefined && time > waiting.since))) return false;
    this.advance(key, msgid, time);
    return true;
  }

  /** The batch for `channel` is over. */
  done(channel: string): void {
    this.waiting.delete(this.ctx.lower(channel));
  }

  private advance(key: string, msgid?: string, time?: number): void {
    if (!msgid && time === undefined) return;
    const now = this.newest.get(key);
    // A replayed line older than one seen live does not move the start back.
    if (now?.time !== undefined && time !== undefined && time < now.time) return;
    this.newest.delete(key);
    this.newest.set(key, { msgid, time });
    if (this.newest.size > CHANNELS_REMEMBERED) this.newest.delete(this.newest.keys().next().value as string);
  }
}
