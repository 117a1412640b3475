/**
 * IRCv3 `draft/read-marker` both ways, for one user's connection. The server keeps, per target
 * (channel or nick), the server-time up to which the user's account has read, and tells every
 * connection of the account when it moves (MARKREAD <target> timestamp=...).
 *
 * XMPP -> IRC: a XEP-0333 <displayed/> names a message by id; the network's msgid is that id
 * (IncomingMeta.legacyId), and the time MARKREAD needs is the message's server-time, remembered
 * here for the last messages of each conversation while the cap is on.
 * IRC -> XMPP: a MARKREAD that moves the marker becomes "read up to the newest message at or
 * before that time" on the conversation's handle (see src/core/read-sync.ts).
 *
 * Both directions only move forward, which also ends the echo of our own marker: the server
 * answers a MARKREAD with the stored time, and the XMPP server carries a privileged <displayed/>
 * back to the gateway; neither is newer than what is known, so neither goes further.
 */
import type { Client, IrcCommand, MessageEvent } from 'irc-framework';
import type { Logger } from 'pino';
import type { MessageRef } from '../../src/core/adapter';
import { reportRead } from '../../src/core/read-sync';
import type { IrcAddress } from './address';

export const READ_MARKER_CAP = 'draft/read-marker';

/** Messages remembered per conversation: a client marks what it just displayed, the newest ones. */
const RECENT_PER_TARGET = 64;
/** Conversations remembered, least recently active dropped first. */
const MAX_TARGETS = 100;
/** IRCv3 server-time, as it is sent back in MARKREAD (no spaces: it goes into a line). */
const SERVER_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/;

export interface ReadMarkerHost {
  /** The current connection's client (undefined between connections). */
  client(): Client | undefined;
  /** A control line through the flood queue. */
  send(line: string): void;
  lower(name: string): string;
  isChannel(target: string): boolean;
  isSelf(nick: string): boolean;
  /** A localpart the user addressed (throws GatewayError when it is not this session's). */
  resolve(localpart: string): IrcAddress;
  /** The core handle a target's read state is shown through: the channel's room, or the nick's contact. */
  handleOf(target: string): object | undefined;
  logger: Logger;
}

interface Seen {
  id: string;
  time: string;
  ms: number;
}

interface TargetState {
  /** The IRC spelling of the target, for the line. */
  name: string;
  /** Oldest first. */
  recent: Seen[];
  /** The marker as last known (set by us or told by the server). */
  readMs?: number;
  /** The server moved the marker past messages not seen yet (a replay follows a join): report when they come. */
  unreported?: boolean;
}

export class ReadMarkers {
  /** Created when a server first acknowledges the cap: sessions on servers without it keep nothing. */
  private targets?: Map<string, TargetState>;
  private flushTimer?: NodeJS.Timeout;

  constructor(private readonly host: ReadMarkerHost) {}

  /** The current connection acknowledged draft/read-marker. */
  get enabled(): boolean {
    return this.host.client()?.network.cap.isEnabled(READ_MARKER_CAP) ?? false;
  }

  /** Binds the listeners on a new client (one per connection attempt), as listeners.ts does: shared functions, this object as context. */
  attach(client: Client): void {
    for (const [event, listener] of LISTENERS) client.on(event, listener, this);
  }

  /**
   * XEP-0333 from the user: marks `to` (a room or a nick's localpart) read up to `ref`. Nothing
   * is sent without the cap, for a message whose time is unknown (no msgid, or older than what
   * is remembered), or when the marker is already there or past it.
   */
  markRead(to: string, ref: MessageRef, room?: boolean): void {
    if (!this.enabled) return;
    const address = this.host.resolve(to);
    const target = address.kind === 'room' ? address.channel : address.kind === 'contact' && !room ? address.nick : undefined;
    if (!target) return;
    const state = this.targets?.get(this.host.lower(target));
    const id = ref.legacyId ?? ref.id;
    const seen = state?.recent.find((m) => m.id === id);
    if (!state || !seen) {
      this.host.logger.debug({ target, id }, 'read marker for a message whose server-time is not known: not sent');
      return;
    }
    if (state.readMs !== undefined && seen.ms <= state.readMs) return;
    state.readMs = seen.ms;
    this.host.send(`MARKREAD ${state.name} timestamp=${seen.time}`);
  }

  /** The server's marker for a conversation, as last known (tests, diagnostics). */
  readTime(target: string): Date | undefined {
    const ms = this.targets?.get(this.host.lower(target))?.readMs;
    return ms === undefined ? undefined : new Date(ms);
  }

  private state(target: string): TargetState {
    const targets = (this.targets ??= new Map());
    const key = this.host.lower(target);
    let state = targets.get(key);
    if (state) {
      targets.delete(key);
    } else {
      state = { name: target, recent: [] };
      if (targets.size >= MAX_TARGETS) targets.delete(targets.keys().next().value!);
    }
    targets.set(key, state);
    return state;
  }

  /** A message in a conversation, live or replayed, with its msgid and server-time. */
  seen(event: MessageEvent): void {
    const id = event.tags?.msgid;
    const time = event.tags?.time;
    if (!id || !time || !SERVER_TIME.test(time) || !this.enabled) return;
    if (event.from_server || !event.nick) return;
    // A private message is filed under the other party: the sender, or the target of our own echo.
    const target = this.host.isChannel(event.target) ? event.target : this.host.isSelf(event.nick) ? event.target : event.nick;
    const ms = Date.parse(time);
    if (!Number.isFinite(ms)) return;
    const state = this.state(target);
    if (state.recent.some((m) => m.id === id)) return;
    // Replays may come after live lines: kept in time order, so "the newest at or before" is a scan from the end.
    let at = state.recent.length;
    while (at > 0 && state.recent[at - 1].ms > ms) at--;
    state.recent.splice(at, 0, { id, time, ms });
    if (state.recent.length > RECENT_PER_TARGET) state.recent.shift();
    if (state.unreported && state.readMs !== undefined && ms <= state.readMs) this.scheduleFlush();
  }

  /** MARKREAD from the server: the account's marker for a target (possibly `*`, none yet). */
  told(command: IrcCommand): void {
    const [target, param = ''] = command.params;
    if (!target || !this.enabled) return;
    const time = param.startsWith('timestamp=') ? param.slice('timestamp='.length) : '';
    if (!SERVER_TIME.test(time)) return; // "*": nothing read yet
    const ms = Date.parse(time);
    if (!Number.isFinite(ms)) return;
    const state = this.state(target);
    if (state.readMs !== undefined && ms <= state.readMs) return;
    state.readMs = ms;
    state.unreported = true;
    this.report(state);
  }

  /** Tells the core the newest remembered message at or before the marker; waits for one if none is known yet. */
  private report(state: TargetState): void {
    if (state.readMs === undefined) return;
    let newest: Seen | undefined;
    for (let i = state.recent.length - 1; i >= 0; i--) {
      if (state.recent[i].ms <= state.readMs) {
        newest = state.recent[i];
        break;
      }
    }
    if (!newest) return;
    state.unreported = false;
    reportRead(this.host.handleOf(state.name), { legacyId: newest.id });
  }

  /** Replayed lines arrive one event at a time: one report after the burst, not one per line. */
  private scheduleFlush(): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      for (const state of this.targets?.values() ?? []) if (state.unreported) this.report(state);
    }, 0);
  }

  failed(err: unknown, event: string): void {
    this.host.logger.error({ err, event }, 'IRC read-marker handler failed');
  }

  /** The session ends: nothing left to report. */
  dispose(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.targets = undefined;
  }
}

type Listener = (this: ReadMarkers, event: any) => void;

function guardedListener(name: string, handle: (markers: ReadMarkers, event: any) => void): [string, Listener] {
  return [name, function listener(this: ReadMarkers, event: unknown) {
    try {
      handle(this, event);
    } catch (err) {
      // An exception must never reach irc-framework's socket code.
      this.failed(err, name);
    }
  }];
}

const LISTENERS: [string, Listener][] = [
  guardedListener('privmsg', (markers, e: MessageEvent) => markers.seen(e)),
  guardedListener('action', (markers, e: MessageEvent) => markers.seen(e)),
  guardedListener('unknown command', (markers, command: IrcCommand) => {
    if (command.command === 'MARKREAD') markers.told(command);
  }),
];
