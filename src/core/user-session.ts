import type { Element } from '@xmpp/xml';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { LegacySession, PresenceShow, XmppUser } from './adapter';
import { ContactHandle } from './contact';
import type { History } from './history';
import { ReactionSets } from './reactions';
import { OccupantDirectory } from './occupants';
import { RoomHandle, type RoomHost } from './room';
import type { RoomMemory, RoomSnapshot } from './room-memory';
import type { Caps } from '../component/caps';
import { invitationText, mediatedInvitation } from '../component/invitations';
import { transportPresence } from '../component/messages';
import type { ReadSync } from './read-sync';

export interface SessionContext {
  domain: string;
  send(el: Element): void;
  logger: Logger;
  /** The transport's shared occupant tables (one per legacy room, for all users). */
  directory?: OccupantDirectory;
  /** Where legacy message ids are recorded against XMPP ids (see MessageIdMap). */
  recordId?(scope: string, legacyId: string, xmppIds: string[]): void;
  /** A legacy contact the user talks with, for the user's roster. */
  inRoster?(user: string, localpart: string, name?: string): void;
  /** Where messages are archived (XEP-0313); absent: no history. */
  history?: History;
  /** XEP-0115 hashes of the transport's and its contacts' disco#info, sent in their presences. */
  caps?(): { transport: Caps; contact: Caps };
  /** The network takes read markers (MessagingSupport.readMarkers). */
  markable?: boolean;
  /** What the user read on the legacy side, shown in XMPP. */
  readSync?: ReadSync;
}

/**
 * One XMPP user on one transport: the live legacy session, the user's online resources, and
 * the contact and room handles the adapter reports through (the XmppUser it was given).
 */
export class UserSession {
  legacy?: LegacySession;
  status: { online: boolean; text?: string } = { online: false, text: 'Connecting' };
  readonly resources = new Map<string, { show?: PresenceShow; status?: string }>();
  readonly rooms = new Map<string, RoomHandle>();
  readonly contacts = new Map<string, ContactHandle>();
  readonly xmpp: XmppUser;
  /** Where room membership is kept across restarts (registered users only). */
  memory?: RoomMemory;
  /** Set when the user's server answered the last presence probe (see SessionManager.checkPresence). */
  presenceAnswered = false;
  /** Set at gateway shutdown: what the adapter reports is no longer relayed (see shutdown()). */
  private detached = false;
  private readonly roomHost: RoomHost;
  private readonly reactions = new ReactionSets();

  constructor(readonly jid: string, private readonly ctx: SessionContext, readonly anonymous = false) {
    const directory = ctx.directory ?? new OccupantDirectory();
    this.roomHost = {
      jid,
      jidOf: (localpart, resource) => this.jidOf(localpart, resource),
      send: (el) => this.send(el),
      directory,
      roomsChanged: () => this.roomsChanged(),
      forget: (room) => {
        if (this.rooms.get(room.localpart) === room) this.rooms.delete(room.localpart);
        this.roomsChanged();
      },
      recordId: ctx.recordId,
      archive: ctx.history && !anonymous ? (room, entry) => ctx.history!.roomMessage(room, jid, entry) : undefined,
      leftLegacyRoom: ctx.history ? (room) => ctx.history!.leftRoom(room, jid) : undefined,
      reactions: this.reactions,
      markable: ctx.markable,
      readSync: ctx.readSync,
    };
    this.xmpp = {
      jid,
      status: (status) => {
        if (this.detached) return;
        this.status = status;
        this.send(this.transportPresence());
        if (!status.online) for (const room of this.rooms.values()) room.disconnected(status.text);
      },
      contact: (localpart) => this.contact(localpart),
      room: (localpart, options) => this.room(localpart).hold(options),
      invited: (room, from, reason) => this.invited(room, from, reason),
    };
  }

  private send(el: Element): void {
    if (!this.detached) this.ctx.send(el);
  }

  jidOf(localpart: string, resource?: string): string {
    const base = localpart ? `${localpart}@${this.ctx.domain}` : this.ctx.domain;
    return resource === undefined ? base : `${base}/${resource}`;
  }

  contact(localpart: string): ContactHandle {
    let contact = this.contacts.get(localpart);
    if (!contact) {
      contact = new ContactHandle(localpart, {
        jid: this.jid,
        domain: this.ctx.domain,
        jidOf: (l) => this.jidOf(l),
        send: (el) => this.send(el),
        inRoster: this.ctx.inRoster && !this.anonymous ? (l, name) => this.ctx.inRoster!(this.jid, l, name) : undefined,
        archive: this.ctx.history && !this.anonymous ? (l, entry) => this.ctx.history!.chatMessage(this.jid, l, entry) : undefined,
        reactions: this.reactions,
        caps: () => this.ctx.caps?.().contact,
        markable: this.ctx.markable,
        readByUser: this.ctx.readSync && !this.anonymous ? (l, id) => this.ctx.readSync!.chat(this.jid, this.jidOf(l), id) : undefined,
      });
      this.contacts.set(localpart, contact);
    }
    return contact;
  }

  /** The room's handle, created on first use (by a join from XMPP or by the adapter). */
  room(localpart: string, nick = ''): RoomHandle {
    let room = this.rooms.get(localpart);
    if (!room) {
      room = new RoomHandle(localpart, this.roomHost, nick);
      this.rooms.set(localpart, room);
    }
    return room;
  }

  /**
   * A legacy user invited the user to a room: a XEP-0045 mediated invitation from the room, which
   * Conversations, Dino and Gajim all show (a XEP-0249 copy as well would show twice), to the bare
   * JID so the user's server stores it while they are offline.
   */
  invited(room: string, from: string, reason?: string): void {
    const roomJid = this.jidOf(room);
    const inviter = this.jidOf(from);
    this.send(mediatedInvitation({ from: roomJid, to: this.jid, inviter, reason, body: invitationText(inviter, roomJid, reason), id: randomUUID() }));
  }

  transportPresence(to: string = this.jid): Element {
    return transportPresence(this.ctx.domain, to, this.status.online, this.status.text, this.ctx.caps?.().transport);
  }

  /** Join bookkeeping: the resource waits for the legacy network's answer (room.joined / joinFailed). */
  addPendingJoin(room: string, nick: string, resource: string): RoomHandle {
    const handle = this.room(room, nick);
    handle.addPending(resource, nick);
    return handle;
  }

  /** Every resource the session knows of: online, in a room, or waiting to be (re-)entered. */
  knownResources(): string[] {
    const all = new Set(this.resources.keys());
    for (const room of this.rooms.values()) for (const r of [...room.resources, ...room.pending]) all.add(r);
    return [...all];
  }

  /** The rooms as stored: every resource that is in a room or waiting to be (re-)entered. */
  private snapshot(): RoomSnapshot {
    const out: RoomSnapshot = {};
    for (const [name, room] of this.rooms) {
      const resources = [...new Set([...room.resources, ...room.pending])];
      if (resources.length) out[name] = { nick: room.nick, resources };
    }
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
      const room = this.room(name, saved.nick ?? '');
      for (const r of saved.resources) room.pending.add(r);
    }
  }

  /** A registration update replaced `previous`: its rooms are to be re-entered by this session. */
  adoptRooms(previous: UserSession): void {
    for (const [name, old] of previous.rooms) {
      const waiting = [...old.resources, ...old.pending];
      if (!waiting.length) continue;
      const room = this.room(name, old.nick);
      for (const r of waiting) room.pending.add(r);
    }
    this.roomsChanged();
  }

  /**
   * After a presence probe was answered: resources recorded in rooms that are not online any
   * more are taken out. Returns the rooms no resource is left in (the legacy side should leave).
   */
  roomsOfAbsentResources(): string[] {
    const empty: string[] = [];
    for (const [name, room] of [...this.rooms]) {
      const had = room.resources.size + room.pending.size;
      for (const set of [room.resources, room.pending]) for (const r of set) if (!this.resources.has(r)) set.delete(r);
      if (had && room.resources.size === 0 && room.pending.size === 0) {
        if (room.idle) this.rooms.delete(name);
        empty.push(name);
      }
    }
    this.roomsChanged();
    return empty;
  }

  /** Removes a resource from a room; true when no resource is left (the legacy side should leave). */
  removeFromRoom(room: string, resource: string): boolean {
    return this.rooms.get(room)?.removeResource(resource) ?? false;
  }

  inRoom(room: string, resource: string): boolean {
    return this.rooms.get(room)?.resources.has(resource) ?? false;
  }

  /**
   * Gateway shutdown: the user sees each room and the transport go offline once, with `text`.
   * What the legacy side does while every connection closes is not relayed: in a channel shared
   * by N users, each QUIT would otherwise reach the N-1 others, N² presences on the way out.
   */
  shutdown(text: string): void {
    if (this.detached) return;
    this.status = { online: false, text };
    for (const room of this.rooms.values()) room.disconnected(text);
    this.ctx.send(this.transportPresence());
    this.detached = true;
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
