import xml, { type Element } from '@xmpp/xml';
import type { Logger } from 'pino';
import type { AdapterEvents, InboundMessage, LegacySession, Occupant, PresenceShow, RoomMessage } from './adapter';
import type { GatewayError } from './errors';
import { NS } from '../component/namespaces';
import { delayElement, errorElement, oobElements, xmlSafe } from '../component/stanzas';
import { joinErrorPresence, MucStatus, occupantPresence, subjectMessage } from '../component/muc';
import type { RoomMemory, RoomSnapshot } from './room-memory';

interface RoomState {
  nick: string;
  /** Resources that are in the room. */
  resources: Set<string>;
  /** Resources waiting for the join to finish. */
  pending: Set<string>;
  /** The user's own occupant (role, affiliation), for the self-presences the core sends itself. */
  self?: Occupant;
  subject?: string;
}

function selfOccupant(state: RoomState): Occupant {
  return state.self ?? { nick: state.nick, role: 'participant', affiliation: 'none' };
}

export interface SessionContext {
  domain: string;
  send(el: Element): void;
  logger: Logger;
}

/**
 * One XMPP user on one transport: the live legacy session plus what the XMPP side needs to fan
 * adapter events out (which resources are online, which are in which room).
 */
export class UserSession {
  legacy?: LegacySession;
  status: { online: boolean; text?: string } = { online: false, text: 'Connecting' };
  readonly resources = new Map<string, { show?: PresenceShow; status?: string }>();
  readonly rooms = new Map<string, RoomState>();
  readonly contacts = new Map<string, { available: boolean; show?: PresenceShow; status?: string }>();
  readonly events: AdapterEvents;
  /** Where room membership is kept across restarts (registered users only). */
  memory?: RoomMemory;
  /** Set when the user's server answered the last presence probe (see SessionManager.checkPresence). */
  presenceAnswered = false;
  /** Set at gateway shutdown: adapter events are no longer relayed (see shutdown()). */
  private detached = false;

  constructor(readonly jid: string, private readonly ctx: SessionContext, readonly anonymous = false) {
    this.events = this.buildEvents();
  }

  jidOf(localpart: string, resource?: string): string {
    const base = localpart ? `${localpart}@${this.ctx.domain}` : this.ctx.domain;
    return resource === undefined ? base : `${base}/${resource}`;
  }

  transportPresence(to: string = this.jid): Element {
    if (this.status.online) return xml('presence', { from: this.ctx.domain, to }, this.status.text ? xml('status', {}, this.status.text) : undefined);
    return xml('presence', { from: this.ctx.domain, to, type: 'unavailable' }, this.status.text ? xml('status', {}, this.status.text) : undefined);
  }

  /** Join bookkeeping: the resource waits for the legacy network's answer (room.joined / joinFailed). */
  addPendingJoin(room: string, nick: string, resource: string): void {
    let state = this.rooms.get(room);
    if (!state) {
      state = { nick, resources: new Set(), pending: new Set() };
      this.rooms.set(room, state);
    }
    state.resources.delete(resource);
    state.pending.add(resource);
    this.roomsChanged();
  }

  /** Every resource the session knows of: online, in a room, or waiting to be (re-)entered. */
  knownResources(): string[] {
    const all = new Set(this.resources.keys());
    for (const state of this.rooms.values()) for (const r of [...state.resources, ...state.pending]) all.add(r);
    return [...all];
  }

  /** The rooms as stored: every resource that is in a room or waiting to be (re-)entered. */
  private snapshot(): RoomSnapshot {
    const out: RoomSnapshot = {};
    for (const [name, state] of this.rooms) out[name] = { nick: state.nick, resources: [...new Set([...state.resources, ...state.pending])] };
    return out;
  }

  private roomsChanged(): void {
    this.memory?.save(() => this.snapshot());
  }

  /** After a restart: the rooms the user was in, each resource waiting to be re-entered. */
  async loadRooms(): Promise<void> {
    if (!this.memory) return;
    for (const [name, saved] of Object.entries(await this.memory.load())) {
      if (!saved?.resources?.length) continue;
      this.rooms.set(name, { nick: saved.nick ?? '', resources: new Set(), pending: new Set(saved.resources) });
    }
  }

  /** A registration update replaced `previous`: its rooms are to be re-entered by this session. */
  adoptRooms(previous: UserSession): void {
    for (const [name, state] of previous.rooms) {
      this.rooms.set(name, { nick: state.nick, resources: new Set(), pending: new Set([...state.resources, ...state.pending]) });
    }
    this.roomsChanged();
  }

  /**
   * After a presence probe was answered: resources recorded in rooms that are not online any
   * more are taken out. Returns the rooms no resource is left in (the legacy side should leave).
   */
  roomsOfAbsentResources(): string[] {
    const empty: string[] = [];
    for (const [name, state] of this.rooms) {
      for (const set of [state.resources, state.pending]) for (const r of set) if (!this.resources.has(r)) set.delete(r);
      if (state.resources.size === 0 && state.pending.size === 0) {
        this.rooms.delete(name);
        empty.push(name);
      }
    }
    this.roomsChanged();
    return empty;
  }

  /** Removes a resource from a room; true when no resource is left (the legacy side should leave). */
  removeFromRoom(room: string, resource: string): boolean {
    const state = this.rooms.get(room);
    if (!state) return false;
    const wasIn = state.resources.delete(resource) || state.pending.delete(resource);
    if (wasIn) {
      this.ctx.send(occupantPresence({ from: this.jidOf(room, state.nick), to: resource, occupant: selfOccupant(state), unavailable: true, codes: [MucStatus.self] }));
    }
    if (state.resources.size === 0 && state.pending.size === 0) {
      this.rooms.delete(room);
      this.roomsChanged();
      return true;
    }
    if (wasIn) this.roomsChanged();
    return false;
  }

  inRoom(room: string, resource: string): boolean {
    return this.rooms.get(room)?.resources.has(resource) ?? false;
  }

  private fanOut(room: string, build: (to: string) => Element): void {
    if (this.detached) return;
    const state = this.rooms.get(room);
    if (!state) return;
    for (const to of state.resources) this.ctx.send(build(to));
  }

  private messageStanza(m: InboundMessage): Element {
    const body = m.action ? `/me ${m.body}` : m.body;
    const el = xml('message', { from: this.jidOf(m.from), to: this.jid, type: m.type ?? 'chat', id: m.id });
    if (m.subject) el.append(xml('subject', {}, xmlSafe(m.subject)));
    el.append(xml('body', {}, xmlSafe(body)));
    if (m.thread) el.append(xml('thread', {}, m.thread));
    el.append(...oobElements(m.oob));
    if (m.delay) el.append(delayElement(m.delay, this.ctx.domain));
    if (m.id) el.append(xml('stanza-id', { xmlns: NS.stanzaId, id: m.id, by: this.ctx.domain }));
    return el;
  }

  private roomMessageStanza(room: string, m: RoomMessage, to: string): Element {
    const el = xml('message', { from: this.jidOf(room, m.nick), to, type: 'groupchat', id: m.id },
      xml('body', {}, xmlSafe(m.action ? `/me ${m.body}` : m.body)));
    if (m.delay) el.append(delayElement(m.delay, this.jidOf(room)));
    if (m.id) el.append(xml('stanza-id', { xmlns: NS.stanzaId, id: m.id, by: this.jidOf(room) }));
    return el;
  }

  private errorMessage(from: string, to: string, id: string | undefined, error: GatewayError): Element {
    return xml('message', { from, to, type: 'error', id }, errorElement(error));
  }

  private buildEvents(): AdapterEvents {
    const send = (el: Element) => {
      if (!this.detached) this.ctx.send(el);
    };
    const room = (name: string) => this.rooms.get(name);
    return {
      message: (m) => send(this.messageStanza(m)),
      chatState: (from, state) => send(xml('message', { from: this.jidOf(from), to: this.jid, type: 'chat' }, xml(state, { xmlns: NS.chatStates }))),
      contactPresence: (from, p) => {
        this.contacts.set(from, p);
        send(xml('presence', { from: this.jidOf(from), to: this.jid, type: p.available ? undefined : 'unavailable' },
          p.show ? xml('show', {}, p.show) : undefined, p.status ? xml('status', {}, xmlSafe(p.status)) : undefined));
      },
      receipt: (ref) => send(xml('message', { from: this.jidOf(ref.peer), to: ref.fromResource ?? this.jid, id: `receipt-${ref.id}` }, xml('received', { xmlns: NS.receipts, id: ref.id }))),
      messageError: (ref, error) => send(this.errorMessage(this.jidOf(ref.peer), ref.fromResource ?? this.jid, ref.id, error)),
      status: (status) => {
        if (this.detached) return;
        this.status = status;
        send(this.transportPresence());
        if (!status.online) this.markRoomsDisconnected(status.text);
      },
      room: {
        joined: (name, self, occupants, subject) => {
          const state = room(name);
          if (!state) return;
          state.nick = self.nick;
          state.self = self;
          state.subject = subject;
          const targets = [...state.pending];
          state.pending.clear();
          for (const to of targets) {
            state.resources.add(to);
            for (const o of occupants) send(occupantPresence({ from: this.jidOf(name, o.nick), to, occupant: o, realJid: o.jid ? this.jidOf(o.jid) : undefined }));
            send(occupantPresence({ from: this.jidOf(name, self.nick), to, occupant: self, realJid: this.jid, codes: [MucStatus.nonAnonymous, MucStatus.self] }));
            send(subjectMessage(this.jidOf(name), to, subject ?? ''));
          }
          this.roomsChanged();
        },
        joinFailed: (name, nick, error) => {
          const state = room(name);
          if (!state) return;
          for (const to of state.pending) send(joinErrorPresence(this.jidOf(name, nick), to, error));
          state.pending.clear();
          if (state.resources.size === 0) this.rooms.delete(name);
          this.roomsChanged();
        },
        occupantJoined: (name, o) => {
          this.fanOut(name, (to) => occupantPresence({ from: this.jidOf(name, o.nick), to, occupant: o, realJid: o.jid ? this.jidOf(o.jid) : undefined }));
        },
        occupantChanged: (name, o) => {
          const state = room(name);
          const self = state?.nick === o.nick;
          if (state && self) state.self = o;
          this.fanOut(name, (to) => occupantPresence({ from: this.jidOf(name, o.nick), to, occupant: o, realJid: self ? this.jid : o.jid ? this.jidOf(o.jid) : undefined, codes: self ? [MucStatus.self] : [] }));
        },
        occupantLeft: (name, nick, info) => {
          const state = room(name);
          if (!state) return;
          const self = info?.self || nick === state.nick;
          const o: Occupant = self ? selfOccupant(state) : { nick, role: 'participant', affiliation: info?.affiliation ?? 'none' };
          const codes = [...(info?.kickedBy !== undefined ? [MucStatus.kicked] : []), ...(self ? [MucStatus.self] : [])];
          this.fanOut(name, (to) => occupantPresence({ from: this.jidOf(name, nick), to, occupant: o, unavailable: true, codes, actor: info?.kickedBy, reason: info?.reason, status: info?.status ?? info?.reason }));
          if (!self) return;
          // A join asked for after this leave (a client's quick "rejoin") still waits for its answer.
          state.resources.clear();
          if (state.pending.size === 0) this.rooms.delete(name);
          this.roomsChanged();
        },
        nickChanged: (name, oldNick, o, self) => {
          const state = room(name);
          if (!state) return;
          const old: Occupant = { ...o, nick: oldNick };
          const isSelf = self || oldNick === state.nick;
          if (isSelf) {
            state.nick = o.nick;
            state.self = o;
            this.roomsChanged();
          }
          const selfCodes = isSelf ? [MucStatus.self] : [];
          this.fanOut(name, (to) => occupantPresence({ from: this.jidOf(name, oldNick), to, occupant: old, unavailable: true, newNick: o.nick, codes: [MucStatus.newNick, ...selfCodes] }));
          this.fanOut(name, (to) => occupantPresence({ from: this.jidOf(name, o.nick), to, occupant: o, realJid: isSelf ? this.jid : undefined, codes: selfCodes }));
        },
        subject: (name, subject, byNick) => {
          const state = room(name);
          if (state) state.subject = subject;
          this.fanOut(name, (to) => subjectMessage(byNick ? this.jidOf(name, byNick) : this.jidOf(name), to, xmlSafe(subject)));
        },
        message: (name, m) => this.fanOut(name, (to) => this.roomMessageStanza(name, m, to)),
        error: (name, error, stanzaId) => this.fanOut(name, (to) => xml('message', { from: this.jidOf(name), to, type: 'error', id: stanzaId }, errorElement(error))),
      },
    };
  }

  /**
   * Gateway shutdown: the user sees each room and the transport go offline once, with `text`.
   * What the legacy side does while every connection closes is not relayed: in a channel shared
   * by N users, each QUIT would otherwise reach the N-1 others, N² presences on the way out.
   */
  shutdown(text: string): void {
    if (this.detached) return;
    this.status = { online: false, text };
    this.markRoomsDisconnected(text);
    this.ctx.send(this.transportPresence());
    this.detached = true;
  }

  /** The legacy connection dropped: rooms are gone until the adapter re-joins them. */
  private markRoomsDisconnected(text?: string): void {
    for (const [name, state] of this.rooms) {
      const self = selfOccupant(state);
      for (const to of state.resources) {
        state.pending.add(to);
        this.ctx.send(occupantPresence({ from: this.jidOf(name, state.nick), to, occupant: self, unavailable: true, codes: [MucStatus.self], status: text ?? 'Disconnected from the legacy network' }));
      }
      state.resources.clear();
    }
  }

  /** The user's aggregated XMPP availability for the legacy side. */
  aggregatePresence(): { show?: PresenceShow; status?: string } | undefined {
    const rank: Record<string, number> = { chat: 0, undefined: 1, away: 2, xa: 3, dnd: 4 };
    let best: { show?: PresenceShow; status?: string } | undefined;
    for (const p of this.resources.values()) {
      if (!best || rank[String(p.show)] < rank[String(best.show)]) best = p;
    }
    return best;
  }
}
