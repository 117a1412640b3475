/**
 * What an IRC session offers beyond chat and rooms (src/core/adapter-optional.ts): private
 * messages through a room, moderation and channel settings, CTCP VERSION, the server's channel
 * list. Kept apart from session.ts, which delegates here.
 */
import type { AffiliationEntry, Affiliation, LegacyItem, OutboundPrivateMessage, SoftwareVersion } from '../../src/core/adapter';
import { GatewayError } from '../../src/core/errors';
import { isNick } from './address';
import { ChannelList } from './channel-list';
import { CommandRunner } from './command-runner';
import { Ctcp } from './ctcp';
import { NICK_MAX, serverLimit } from './limits';
import { PrivateChats } from './private-chats';
import { RoomAdmin } from './room-admin';
import type { IrcSession } from './session';

export class SessionExtras {
  readonly runner: CommandRunner;
  readonly admin: RoomAdmin;
  readonly ctcp: Ctcp;
  readonly channelList: ChannelList;
  readonly privateChats: PrivateChats;
  /** Ban lists as the server last sent them (RPL_BANLIST ... RPL_ENDOFBANLIST), by folded channel. */
  readonly bans = new Map<string, { banned: string }[]>();

  constructor(private readonly session: IrcSession) {
    const online = () => session.connection.online;
    const lower = (name: string) => session.lower(name);
    const control = (line: string) => session.connection.send(line, 'control');
    this.runner = new CommandRunner({
      online,
      lower,
      send: (lines, channel) => session.connection.queue.push(...lines.map((line) => ({ line, kind: 'control' as const, channel }))),
    });
    this.admin = new RoomAdmin({ runner: this.runner, joinedChannel: (room) => session.joinedChannel(room), defaultServer: session.defaultServer });
    this.ctcp = new Ctcp({ online, lower, send: control, versionText: () => session.options.version ?? '' });
    this.channelList = new ChannelList({ online, send: control, roomLocalpart: (channel) => session.roomLocalpart(channel) });
    this.privateChats = new PrivateChats({ lower, rooms: session.rooms, contact: (nick) => session.xmpp.contact(session.contactLocalpart(nick)) });
  }

  /** A nick from a JID resource (room/nick): anything else could end or extend an IRC line. */
  nick(nick: string): string {
    const limit = serverLimit(this.session.connection.client?.network.options, 'NICKLEN') ?? NICK_MAX;
    if (!isNick(nick) || nick.length > limit) throw new GatewayError('item-not-found', `"${nick.slice(0, 40)}" is not an IRC nickname.`);
    return nick;
  }

  sendPrivateMessage(m: OutboundPrivateMessage): void {
    const state = this.session.joinedChannel(m.room);
    const links = (m.oob ?? []).map((l) => l.url).filter((url) => !m.body.includes(url));
    const body = [m.body, ...links].filter(Boolean).join('\n');
    this.session.outbound.toNick(this.nick(m.nick), { ...m, to: m.room, via: state.name, body });
  }

  async softwareVersion(to: string, nick?: string): Promise<SoftwareVersion> {
    if (nick !== undefined) {
      this.session.joinedChannel(to);
      return this.ctcp.version(this.nick(nick));
    }
    const address = this.session.resolve(to);
    if (address.kind !== 'contact') throw new GatewayError('bad-request', 'Ask an IRC user for their software version.');
    return this.ctcp.version(address.nick);
  }

  async discoItems(localpart: string): Promise<LegacyItem[] | undefined> {
    const address = this.session.resolve(localpart);
    return address.kind === 'server' ? this.channelList.list() : undefined;
  }

  async affiliations(room: string, affiliation: Affiliation): Promise<AffiliationEntry[] | undefined> {
    let key: string | undefined;
    try {
      return await this.admin.affiliations(room, affiliation, () => {
        key = this.session.lower(this.session.joinedChannel(room).name);
        return this.bans.get(key);
      });
    } finally {
      if (key) this.bans.delete(key);
    }
  }

  /** The connection dropped: whatever waited for the server's answer gets an error. */
  lost(): void {
    this.runner.lost();
    this.ctcp.lost();
    this.channelList.lost();
    this.bans.clear();
  }
}
