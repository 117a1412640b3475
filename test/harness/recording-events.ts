import type { Contact, IncomingMeta, Occupant, Room, RoomOptions, XmppUser } from '../../src/core/adapter';
import { OccupantDirectory, OccupantView } from '../../src/core/occupants';

/** What a 'message' event records: the contact's localpart, the text, the legacy id as `id`, and the rest of IncomingMeta. */
export type RecordedMessage = { from: string; body: string; id?: string } & Omit<IncomingMeta, 'legacyId'>;

export interface RecordedEvent {
  kind: string;
  args: unknown[];
}

/** One directory for every recorder, as the core has one per transport: tables are shared between users. */
const directory = new OccupantDirectory();

/**
 * An XmppUser whose handles record what the adapter reports, so adapter tests can wait for what
 * the legacy side did without an XMPP server. Rooms keep a real occupant table and, like the
 * core, report occupant changes only between `joined` and the user leaving (or a disconnect).
 * Recorded kinds: message, chatState, contactPresence, receipt, messageError, status, invited, and
 * room.<method> with the room localpart first (room.private* for an occupant's private chat). `waitFor` resolves with the first matching
 * event (past or future).
 */
export function recordingEvents(): { xmpp: XmppUser; log: RecordedEvent[]; rooms: Map<string, Room>; waitFor(kind: string, match?: (...args: any[]) => boolean, timeoutMs?: number): Promise<unknown[]> } {
  const log: RecordedEvent[] = [];
  const waiters: { kind: string; match: (...args: any[]) => boolean; resolve: (args: unknown[]) => void }[] = [];
  const record = (kind: string, ...args: unknown[]) => {
    log.push({ kind, args });
    for (const w of [...waiters]) {
      if (w.kind === kind && w.match(...args)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(args);
      }
    }
  };
  const contacts = new Map<string, Contact>();
  const rooms = new Map<string, Room>();
  const joinedRooms = new Set<string>();

  function contact(peer: string): Contact {
    let c = contacts.get(peer);
    if (!c) {
      c = {
        localpart: peer,
        sendText: (body, { legacyId, ...meta } = {}) => record('message', { from: peer, body, id: legacyId, ...meta }),
        chatState: (state) => record('chatState', peer, state),
        presence: (p) => record('contactPresence', peer, p),
        delivered: (ref) => record('receipt', { peer, ...ref }),
        failed: (ref, error) => record('messageError', { peer, ...ref }, error),
        reacted: (change) => record('reacted', peer, change),
      };
      contacts.set(peer, c);
    }
    return c;
  }

  function room(name: string, options: RoomOptions = {}): Room {
    const fold = options.fold ?? ((n: string) => n);
    // Like the core: others are shown with their real JID, the user with their own (not recorded here).
    const withJid = (o: Occupant): Occupant => (o.jid === undefined && options.contactOf && !(selfNick !== '' && same(o.nick, selfNick)) ? { ...o, jid: options.contactOf(o.nick) } : o);
    const existing = rooms.get(name);
    if (existing) return existing;
    let open: OccupantView | undefined;
    const table = () => (open ??= new OccupantView(directory.open(name), fold));
    let selfNick = '';
    const same = (a: string, b: string) => fold(a) === fold(b);
    const joined = () => joinedRooms.has(name);
    const r: Room = {
      localpart: name,
      occupant: (nick) => table().get(nick),
      occupants: () => table().values(),
      get size() {
        return open?.size ?? 0;
      },
      setOccupants: (list) => table().replaceAll(list),
      clearOccupants: () => open?.clear(),
      joined: (self, subject) => {
        selfNick = self;
        joinedRooms.add(name);
        const me = table().get(self) ?? { nick: self, role: 'participant', affiliation: 'none' };
        const others = [...table().values()].filter((o) => !same(o.nick, self)).map(withJid);
        record('room.joined', name, me, others, subject);
      },
      joinFailed: (nick, error) => record('room.joinFailed', name, nick, error),
      occupantJoined: (o) => {
        const now = table().set(o);
        if (joined()) record('room.occupantJoined', name, withJid(now));
      },
      occupantChanged: (o) => {
        const now = table().set(o);
        if (joined()) record('room.occupantChanged', name, withJid(now));
      },
      occupantLeft: (nick, info = {}) => {
        const self = info.self || (selfNick !== '' && same(nick, selfNick));
        const was = open?.delete(nick);
        if (self) open?.clear();
        if (joined() && (was || self)) record('room.occupantLeft', name, nick, { ...info, ...(was ? { affiliation: was.affiliation } : {}) });
        if (self) joinedRooms.delete(name);
        return was;
      },
      nickChanged: (oldNick, newNick, self) => {
        const isSelf = self || (selfNick !== '' && same(oldNick, selfNick));
        const o: Occupant | undefined = table().rename(oldNick, newNick) ?? (isSelf ? { nick: newNick, role: 'participant', affiliation: 'none' } : undefined);
        if (isSelf) selfNick = newNick;
        if (o && joined()) record('room.nickChanged', name, oldNick, o, isSelf);
      },
      subject: (subject, byNick) => {
        if (joined()) record('room.subject', name, subject, byNick);
      },
      message: (nick, body, { id, legacyId, ...meta } = {}) => {
        if (joined()) record('room.message', name, { nick, body, id: id ?? legacyId, ...(legacyId && id ? { legacyId } : {}), ...meta });
      },
      reacted: (nick, change) => {
        if (joined()) record('room.reacted', name, nick, change);
      },
      error: (error, stanzaId) => {
        if (joined()) record('room.error', name, error, stanzaId);
      },
      privateChat: (nick) => ({
        nick,
        sendText: (body, { legacyId, ...meta } = {}) => record('room.private', name, { nick, body, id: legacyId, ...meta }),
        chatState: (state) => record('room.privateChatState', name, nick, state),
        delivered: (ref) => record('room.privateReceipt', name, nick, ref),
        failed: (ref, error) => record('room.privateError', name, nick, ref, error),
      }),
      close: () => {
        if (open) {
          open.clear();
          directory.close(open.slots);
          open = undefined;
        }
        if (rooms.get(name) === r) rooms.delete(name);
        joinedRooms.delete(name);
      },
    };
    rooms.set(name, r);
    return r;
  }

  const xmpp: XmppUser = {
    jid: 'recorder@localhost',
    status: (status) => {
      record('status', status);
      if (!status.online) joinedRooms.clear();
    },
    contact,
    room,
    invited: (roomName, from, reason) => record('invited', roomName, from, reason),
  };

  function waitFor(kind: string, match: (...args: any[]) => boolean = () => true, timeoutMs = 10000): Promise<unknown[]> {
    const seen = log.find((e) => e.kind === kind && match(...e.args));
    if (seen) return Promise.resolve(seen.args);
    return new Promise((resolve, reject) => {
      const w = { kind, match, resolve: (args: unknown[]) => { clearTimeout(timer); resolve(args); } };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(w), 1);
        reject(new Error(`timed out waiting for ${kind}; recorded: ${log.map((e) => e.kind).join(', ')}`));
      }, timeoutMs);
      waiters.push(w);
    });
  }
  return { xmpp, log, rooms, waitFor };
}
