/** The IRC transport: biboumi-style addresses over one irc-framework connection per user and server. */
import type { Adapter, AdapterModule, AdapterServices, LegacyAddressInfo, LoginRequest, LegacySession } from '../../src/core/adapter';
import { GatewayError } from '../../src/core/errors';
import { InboundGate } from './inbound-gate';
import { escapeLocalpart, isNick, parseLocalpart, unescapeLocalpart } from './address';
import { ircOptionsSchema, type IrcOptions } from './options';
import { NetworkIdentity } from './network-identity';
import { registrationFields } from './registration';
import { ServerSettings, type SecretBox } from './server-settings';
import type { IrcSession } from './session';
import { UserServers } from './user-servers';

/**
 * The session module pulls in irc-framework (with lodash, socks: about 200 modules), which a
 * gateway whose IRC transport has no user yet need not hold (README, "Idle footprint"). Loaded
 * at the first login.
 */
function ircSessionClass(): typeof IrcSession {
  return (require('./session') as typeof import('./session')).IrcSession;
}

const MUC = 'http://jabber.org/protocol/muc';

export function createIrcAdapter(services: AdapterServices, configured: IrcOptions): Adapter {
  // CTCP VERSION answers with the gateway's own name and version unless the admin set a text.
  const software = services.software ? `${services.software.name} ${services.software.version}` : 'XMPP transport gateway';
  const options: IrcOptions = { ...configured, version: configured.version ?? software };
  const defaultServer = options.server?.host.toLowerCase();
  // Servers beside the fixed one that users may also use (server-settings.ts decides per user).
  const others = (options.allowedServers ?? []).map((s) => s.toLowerCase()).filter((s) => s !== defaultServer);
  const sessions = new Set<UserServers>();
  // Seals per-server passwords with the storage key, where the core offers it (server-settings.ts).
  const secrets: SecretBox | undefined = services.secrets;
  const gate = new InboundGate();
  // identd (when configured) starts listening now; connections wait for it (network-identity.ts).
  const network = new NetworkIdentity(options, services.domain, services.logger.child({ transport: 'irc' }));
  return {
    identity: { type: 'irc', name: 'IRC gateway' },
    features: [MUC],
    // Per connection: IRCv3 client tags where the server carries them, else text (messaging.ts).
    messaging: { corrections: 'native', replies: 'native', reactions: 'native', readMarkers: true },
    registration: {
      instructions: defaultServer
        ? `Choose your nickname on ${defaultServer}. A password is used for SASL or NickServ.`
        : 'Enter the IRC server and your nickname. A password is used for SASL or NickServ.',
      fields: registrationFields(options),
    },
    gatewayPrompt: {
      desc: defaultServer
        ? `Enter an IRC nickname or #channel on ${defaultServer}${others.length ? `, or nick%server / #channel%server on ${others.join(', ')}` : ''}.`
        : 'Enter nick%irc.server.net or #channel%irc.server.net.',
      prompt: 'IRC address',
    },

    async login(request: LoginRequest): Promise<LegacySession> {
      const logger = services.logger.child({ transport: 'irc' });
      const fresh = request.reason === 'register' || request.reason === 'update';
      const settings = await ServerSettings.load(request.credentials, options, request.state, secrets, fresh, (text) => logger.warn({ user: request.user }, text));
      const identity = network.forUser(request.user);
      const Session = ircSessionClass();
      const servers = new UserServers({
        xmpp: request.xmpp,
        options,
        settings,
        logger,
        open: (connection, xmpp, log) => new Session({ settings: connection, options, xmpp, logger: log, gate, outbound: services.outbound, identity }),
      });
      const logout = servers.logout.bind(servers);
      servers.logout = async () => { sessions.delete(servers); await logout(); };
      await servers.start(request.reason === 'restore' || request.reason === 'reconnect');
      sessions.add(servers);
      return servers;
    },

    parseAddress(localpart: string): LegacyAddressInfo {
      const address = parseLocalpart(localpart, defaultServer);
      if (address.kind === 'server') return { kind: 'server', display: address.server };
      if (address.kind === 'room') return { kind: 'room', display: `${address.channel} on ${address.server}` };
      return { kind: 'contact', display: `${address.nick} on ${address.server}` };
    },

    toLocalpart(legacyAddress: string): string {
      const text = legacyAddress.trim();
      // Accept "nick@server" / "#chan@server" as typed by people used to other gateways.
      const at = text.lastIndexOf('@');
      const candidate = at > 0 && !text.slice(0, at).includes('%') ? `${text.slice(0, at)}%${text.slice(at + 1)}` : text;
      const escaped = escapeLocalpart(candidate);
      parseLocalpart(escaped, defaultServer);
      return escaped;
    },

    async discoInfo(localpart: string) {
      const address = parseLocalpart(localpart, defaultServer);
      if (address.kind !== 'room') return undefined;
      return { identities: [{ category: 'conference', type: 'irc', name: address.channel }], features: [MUC], name: address.channel };
    },

    async discoItems(_user: string, session?: LegacySession) {
      // Without a session there is nothing to list, and no reason to load the session module.
      if (!(session instanceof UserServers)) return [];
      return session.joinedRooms().map((r) => ({ jid: `${r.localpart}@${services.domain}`, name: r.name }));
    },

    anonymousCredentials(user: string) {
      if (!options.allowAnonymous) return undefined;
      const nick = unescapeLocalpart(user.split('@')[0] ?? '');
      if (!isNick(nick)) {
        throw new GatewayError('not-acceptable', `Your JID's name "${nick}" is not a valid IRC nickname; register with a nickname instead.`);
      }
      return { nick };
    },

    setInboundPaused(paused: boolean) {
      if (paused !== gate.paused) services.logger.info({ paused, connections: gate.size }, paused ? 'IRC input paused (XMPP server busy)' : 'IRC input resumed');
      gate.setPaused(paused);
    },

    async close() {
      await Promise.all([...sessions].map((s) => s.logout().catch(() => undefined)));
      await network.close();
    },
  };
}

const ircAdapter: AdapterModule = {
  name: 'irc',
  optionsSchema: ircOptionsSchema,
  // Parsed again (idempotent): embedders that skip the config's schema step still get the defaults.
  create: (services, options) => createIrcAdapter(services, ircOptionsSchema.parse(options ?? {})),
};

export default ircAdapter;
