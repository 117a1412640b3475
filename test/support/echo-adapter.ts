import { z } from 'zod';
import type { Adapter, AdapterModule, AdapterServices, LegacySession, LoginRequest, XmppUser } from '../../src/core/adapter';
import { GatewayError } from '../../src/core/errors';

/**
 * The test adapter: a tiny in-process "legacy network" where `echo` answers every message,
 * `#lobby` is a room with one other occupant, and the password `secret` is the only valid one.
 * It lets the core's XMPP behaviour be tested against Prosody without a real legacy server.
 */
export const echoNetwork = {
  logins: [] as { user: string; reason: string; credentials: Record<string, string> }[],
  logouts: [] as string[],
  sent: [] as { user: string; to: string; body: string }[],
  invites: [] as { user: string; room: string; invitee: string; reason?: string }[],
  sessions: new Map<string, XmppUser>(),
  reset() {
    this.logins.length = 0;
    this.logouts.length = 0;
    this.sent.length = 0;
    this.invites.length = 0;
    this.sessions.clear();
  },
};

class EchoSession implements LegacySession {
  constructor(private readonly user: string, private readonly xmpp: XmppUser, private readonly nick: string) {}

  async sendMessage(m: Parameters<LegacySession['sendMessage']>[0]): Promise<void> {
    if (m.to === 'nobody') throw new GatewayError('item-not-found', 'There is no user called nobody on the echo network.');
    echoNetwork.sent.push({ user: this.user, to: m.to, body: m.body });
    if (m.to === 'echo') {
      setTimeout(() => {
        const echo = this.xmpp.contact('echo');
        echo.sendText(`echo: ${m.body}`, { action: m.action });
        if (m.receiptRequested && m.id) echo.delivered({ id: m.id, fromResource: m.fromResource });
      }, 5);
    }
  }

  async joinRoom(r: { room: string; nick: string; password?: string }): Promise<void> {
    if (r.room !== '#lobby') throw new GatewayError('item-not-found', `No room ${r.room} on the echo network.`);
    const room = this.xmpp.room(r.room);
    if (r.nick === 'taken') {
      room.joinFailed(r.nick, new GatewayError('conflict', 'That nickname is already in use.'));
      return;
    }
    setTimeout(() => {
      room.setOccupants([{ nick: 'bot', role: 'moderator', affiliation: 'admin' }, { nick: r.nick || this.nick, role: 'participant', affiliation: 'none' }]);
      room.joined(r.nick || this.nick, 'Welcome to the lobby');
    }, 5);
  }

  /** Only #lobby exists and `nobody` is nobody; `echo` invites the user back to the room. */
  async invite(room: string, invitee: string, reason?: string): Promise<void> {
    if (room !== '#lobby') throw new GatewayError('item-not-found', `No room ${room} on the echo network.`);
    if (invitee === 'nobody') throw new GatewayError('item-not-found', 'There is no user called nobody on the echo network.');
    echoNetwork.invites.push({ user: this.user, room, invitee, reason });
    if (invitee === 'echo') setTimeout(() => this.xmpp.invited?.(room, 'echo', reason && `echo: ${reason}`), 5);
  }

  async leaveRoom(): Promise<void> {}

  async sendRoomMessage(room: string, m: { body: string; id?: string; action?: boolean }): Promise<void> {
    this.xmpp.room(room).message(this.nick, m.body, { id: m.id, action: m.action });
  }

  async logout(): Promise<void> {
    echoNetwork.logouts.push(this.user);
    if (echoNetwork.sessions.get(this.user) === this.xmpp) echoNetwork.sessions.delete(this.user);
    this.xmpp.status({ online: false, text: 'Logged out' });
  }
}

function createEchoAdapter(_services: AdapterServices, _options: unknown): Adapter {
  return {
    identity: { type: 'irc', name: 'Echo network' },
    features: ['http://jabber.org/protocol/muc'],
    registration: {
      instructions: 'Enter your echo network login.',
      fields: [
        { var: 'username', label: 'User name', type: 'text-single', required: true, legacyName: 'username' },
        { var: 'password', label: 'Password', type: 'text-private', required: true, secret: true, legacyName: 'password' },
        { var: 'greeting', label: 'Greeting', type: 'text-single', default: 'hello' },
      ],
    },
    async login(req: LoginRequest): Promise<LegacySession> {
      echoNetwork.logins.push({ user: req.user, reason: req.reason, credentials: req.credentials });
      if (req.credentials.password !== 'secret') throw new GatewayError('not-authorized', 'The echo network refused the password.');
      echoNetwork.sessions.set(req.user, req.xmpp);
      req.xmpp.status({ online: true, text: `Logged in as ${req.credentials.username}` });
      return new EchoSession(req.user, req.xmpp, req.credentials.username);
    },
    parseAddress(localpart: string) {
      if (localpart.includes(' ') || localpart.length > 64) throw new GatewayError('jid-malformed', `"${localpart}" is not an echo network address.`);
      return { kind: localpart.startsWith('#') ? 'room' : 'contact', display: localpart } as const;
    },
    toLocalpart(address: string) {
      if (!/^[a-z0-9#]+$/i.test(address)) throw new GatewayError('jid-malformed', `"${address}" is not an echo network address.`);
      return address.toLowerCase();
    },
    gatewayPrompt: { desc: 'Enter an echo network user name', prompt: 'User name' },
  };
}

const echoAdapter: AdapterModule = {
  name: 'echo',
  optionsSchema: z.object({}).strict(),
  create: createEchoAdapter,
};
export default echoAdapter;
