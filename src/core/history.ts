/**
 * XEP-0313 history for every transport: what the gateway delivered is archived once, and the
 * user's client asks the room (room history) or the transport domain (1:1 history, filtered by
 * `with`) for it.
 *
 * A room's archive is shared by the gateway's users in it: each of them has their own legacy
 * connection, so each would hear the same line; one of them at a time, the room's archivist,
 * writes it down. Without that, N users in a room cost N writes per message, and networks that
 * give messages no id (plain IRC) would store every line N times.
 */
import type { Element } from '@xmpp/xml';
import type { Logger } from 'pino';
import { MAM_NS, mamFin, mamFormResult, mamMetadataResult, mamResultMessage, parseMamQuery, parseStoredMessage } from '../component/mam';
import { splitJid } from '../component/stanzas';
import type { KeyValue } from '../store/types';
import type { Archive } from './archive';
import { GatewayError } from './errors';
import { chatScope, roomScope } from './scopes';


const DEFAULT_PAGE = 50;
/** Where the contacts with 1:1 history are listed in a user's state. */
const CHATS_KEY = 'core:chats';
const MAX_PAGE = 250;

export class History {
  /** Room localpart -> the user whose connection writes the room's messages down. */
  private readonly archivists = new Map<string, string>();

  /** Contacts whose chat with a user is known to be archived, per user (written to `chats` once each). */
  private readonly indexed = new Map<string, Set<string>>();

  /**
   * `chats(user)`: where the contacts a user has history with are listed (the user's state,
   * deleted at unregistration after forget() has read it).
   */
  constructor(
    private readonly archive: Archive,
    private readonly domain: string,
    private readonly logger: Logger,
    private readonly chats: (user: string) => KeyValue,
  ) {}

  /** `stanza`: the message as sent to the user, without `to`; already serialized when the caller has the text at hand. */
  private append(scope: string, entry: { id: string; with: string; stanza: Element | string; ts?: number; fresh?: boolean }): void {
    const stanza = typeof entry.stanza === 'string' ? entry.stanza : entry.stanza.toString();
    this.archive.append(scope, { id: entry.id, with: entry.with, stanza, ts: entry.ts }, entry.fresh)
      .catch((err: Error) => this.logger.warn({ scope, err: err.message }, 'could not archive a message'));
  }

  /** A room message as one user's connection heard it; written down if that user is the room's archivist. */
  /** `fresh`: the id was made up by the gateway (the network gave none), so it is not stored yet. */
  roomMessage(room: string, user: string, entry: { id: string; nick: string; stanza: Element | string; ts?: number; fresh?: boolean }): void {
    const archivist = this.archivists.get(room);
    if (archivist === undefined) this.archivists.set(room, user);
    else if (archivist !== user) return;
    this.append(roomScope(room), { id: entry.id, with: entry.nick, stanza: entry.stanza, ts: entry.ts, fresh: entry.fresh });
  }

  /** The user's connection is out of the room (left, or disconnected): another user's takes over. */
  leftRoom(room: string, user: string): void {
    if (this.archivists.get(room) === user) this.archivists.delete(room);
  }

  /** A 1:1 message either way; `localpart` is the contact. */
  chatMessage(user: string, localpart: string, entry: { id: string; stanza: Element | string; ts?: number; fresh?: boolean }): void {
    this.append(chatScope(user, localpart), { id: entry.id, with: localpart, stanza: entry.stanza, ts: entry.ts, fresh: entry.fresh });
    this.index(user, localpart);
  }

  /** Lists the contact under the user (once per process), so unregistration can find the history. */
  private index(user: string, localpart: string): void {
    let known = this.indexed.get(user);
    if (!known) this.indexed.set(user, (known = new Set()));
    if (known.has(localpart)) return;
    known.add(localpart);
    const state = this.chats(user);
    void (async () => {
      const listed = (await state.get<string[]>(CHATS_KEY)) ?? [];
      if (!listed.includes(localpart)) await state.set(CHATS_KEY, [...listed, localpart]);
    })().catch((err: Error) => this.logger.warn({ err: err.message }, 'could not index a chat history'));
  }

  /**
   * Writes what the archive still holds in memory (its batch windows, see Archive); call it when
   * the transport stops, after the last message was delivered and before the store closes.
   */
  async flush(): Promise<void> {
    await this.archive.flush();
  }

  /** The text of an archived message, for a fallback that quotes it. */
  async textOf(scope: string, id: string): Promise<string | undefined> {
    try {
      const page = await this.archive.query(scope, { ids: [id], max: 1 });
      const stored = page.items[0];
      return stored ? parseStoredMessage(stored.stanza).getChildText('body') ?? undefined : undefined;
    } catch {
      return undefined;
    }
  }

  /** Forgets a user's 1:1 history (unregistration); before the user's state is deleted. */
  async forget(user: string): Promise<void> {
    const listed = new Set([...((await this.chats(user).get<string[]>(CHATS_KEY).catch(() => undefined)) ?? []), ...(this.indexed.get(user) ?? [])]);
    this.indexed.delete(user);
    for (const localpart of listed) {
      await this.archive.removeScope(chatScope(user, localpart)).catch((err: Error) => this.logger.warn({ err: err.message }, 'could not delete a chat history'));
    }
  }

  /**
   * A MAM iq: `archiveJid` is the room (room history; `mayReadRoom` says whether this user may)
   * or the transport domain (the user's 1:1 history, `with` a contact's JID).
   */
  async query(iq: Element, query: Element, user: string, mayReadRoom: (room: string) => boolean): Promise<{ results: Element[]; answer: Element }> {
    const archiveJid = iq.attrs.to ?? this.domain;
    const { local } = splitJid(archiveJid);
    const room = local !== '';
    if (room && !mayReadRoom(local)) throw new GatewayError('forbidden', 'Join the room to read its history.');
    if (iq.attrs.type === 'get') {
      if (query.is('metadata', MAM_NS.mam)) {
        if (!room) throw new GatewayError('bad-request', 'Ask a room for its metadata, or give a contact in a query.');
        return { results: [], answer: mamMetadataResult(iq, await this.archive.bounds(roomScope(local))) };
      }
      return { results: [], answer: mamFormResult(iq) };
    }
    const q = parseMamQuery(query);
    let scope: string;
    let withFilter: string | undefined;
    if (room) {
      scope = roomScope(local);
      if (q.with) withFilter = splitJid(q.with).resource || undefined;
    } else {
      const contact = q.with ? splitJid(q.with) : undefined;
      if (!contact?.local || contact.domain.toLowerCase() !== this.domain) {
        throw new GatewayError('bad-request', `Give the contact in the "with" field (a JID on ${this.domain}): history is kept per conversation.`);
      }
      scope = chatScope(user, contact.local);
    }
    const page = await this.archive.query(scope, { ...q, with: withFilter, max: Math.min(q.max ?? DEFAULT_PAGE, MAX_PAGE) });
    const items = q.flipPage ? [...page.items].reverse() : page.items;
    const to = iq.attrs.from ?? user;
    const results: Element[] = [];
    for (const item of items) {
      try {
        results.push(mamResultMessage({ from: archiveJid, to, queryId: q.queryId, id: item.id, ts: item.ts, stanza: item.stanza }));
      } catch (err) {
        this.logger.warn({ scope, id: item.id, err: (err as Error).message }, 'unreadable archived message skipped');
      }
    }
    return { results, answer: mamFin(iq, page) };
  }
}
