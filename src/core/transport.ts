import type { Element } from '@xmpp/xml';
import type { Logger } from 'pino';
import type { Adapter, AdapterModule } from './adapter';
import { builtinCommands } from './builtin-commands';
import { Archive } from './archive';
import { History } from './history';
import { capsOf, contactInfo, domainInfo } from './disco';
import type { Caps } from '../component/caps';
import { MessageFeatures } from './message-features';
import { MessageIdMap } from './message-ids';
import { OccupantDirectory } from './occupants';
import { outboundPolicyFor } from './outbound-policy';
import { RosterSync } from './roster';
import { ReadSync } from './read-sync';
import { SessionManager } from './session-manager';
import { ComponentConnection } from '../component/connection';
import type { TransportContext } from './transport-context';
import { refuseStanza, routeStanza } from './stanza-router';
import { bare, splitJid } from '../component/stanzas';
import { GatewayError } from './errors';
import type { GatewayConfig, TransportConfig } from '../config';
import type { GatewayStore } from '../store';
import type { HttpRoutes } from '../http/types';
import { countErrorStanza, describeTransport, watchSessions } from '../metrics';

export interface TransportDeps {
  config: GatewayConfig;
  transport: TransportConfig;
  module: AdapterModule;
  store: GatewayStore;
  http: HttpRoutes;
  logger: Logger;
  software: { name: string; version: string };
  /**
   * The transport of the process that serves a domain. ejabberd with several hosts on one
   * listener (global_routes) hands any connection stanzas for any of them: each is passed on.
   */
  transportFor?(domain: string): Transport | undefined;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Is a bare JID allowed by a list of bare JIDs and domains (empty list: everyone)? */
export function allowedBy(list: string[], jid: string): boolean {
  if (list.length === 0) return true;
  const lower = jid.toLowerCase();
  const domain = lower.slice(lower.indexOf('@') + 1);
  return list.some((entry) => entry.toLowerCase() === lower || entry.toLowerCase() === domain);
}

/** Waits for `work`, but not past `deadline` (epoch ms). */
async function settleBefore(work: Promise<unknown>, deadline: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now()))));
  await Promise.race([work, late]);
  clearTimeout(timer);
}


/** One transport domain: its component link, its adapter and its users' sessions. */
export class Transport {
  readonly domain: string;
  readonly adapter: Adapter;
  readonly connection: ComponentConnection;
  readonly sessions: SessionManager;
  /** XEP-0313 archive of this transport's rooms and chats (absent when archive.enabled is false). */
  readonly history?: History;
  private readonly context: TransportContext;
  /** Stanzas being handled (a count: a set of their promises cost two more promises per stanza). */
  private inFlight = 0;
  /** stop() waiting for the last of them. */
  private idle?: () => void;
  private readonly settled = (): void => {
    if (--this.inFlight === 0) this.idle?.();
  };
  private readonly transportFor?: (domain: string) => Transport | undefined;
  private stopping = false;
  private unwatchSessions?: () => void;

  constructor(deps: TransportDeps) {
    const { config, transport, module, store, http, logger } = deps;
    this.transportFor = deps.transportFor;
    this.domain = transport.domain;
    const log = logger.child({ transport: transport.domain });
    describeTransport(transport.domain, module.name);
    this.adapter = module.create({
      domain: transport.domain,
      logger: log.child({ adapter: module.name }),
      store: store.adapterStore(transport.domain),
      secrets: store.secretBox(),
      http,
      publicUrl: config.http.publicUrl?.replace(/\/+$/, ''),
      outbound: outboundPolicyFor(config.outbound, transport.outbound),
      software: deps.software,
      credentials: async (user) => (await store.registrations(transport.domain).get(user))?.credentials,
    }, transport.options);
    this.connection = new ComponentConnection({
      service: `xmpp://${config.xmpp.host}:${config.xmpp.port}`,
      domain: transport.domain,
      password: transport.secret,
      initialDelayMs: config.xmpp.reconnect.initialDelayMs,
      maxDelayMs: config.xmpp.reconnect.maxDelayMs,
      queueLimit: config.xmpp.queueLimit,
      backlogHighWaterBytes: config.xmpp.backlogPauseKb * 1024,
      logger: log,
    }, (el) => this.receive(el));
    const domain = this.domain;
    const send = (el: Element) => {
      // Every error the core answers with leaves here, whichever handler refused the stanza.
      if (el.attrs.type === 'error') countErrorStanza(domain, el);
      this.connection.send(el);
    };
    // After the link was down (the XMPP server restarted?), nobody knows which resources are still online.
    let linkWasLost = false;
    this.connection.on('offline', () => (linkWasLost = true));
    this.connection.on('online', () => {
      if (!linkWasLost) return;
      linkWasLost = false;
      for (const session of this.sessions.all()) this.sessions.checkPresence(session);
    });
    this.connection.on('congested', () => this.adapter.setInboundPaused?.(true));
    this.connection.on('drained', () => this.adapter.setInboundPaused?.(false));
    const secretFields = this.adapter.registration.fields.filter((f) => f.secret || f.type === 'text-private').map((f) => f.var);
    const coreStore = store.coreStore(transport.domain);
    const retentionMs = config.archive.retentionDays * DAY_MS;
    const ids = new MessageIdMap(coreStore, { retentionMs, prefix: 'ids' });
    const recordId = (scope: string, legacy: string, xmpp: string[]) => {
      ids.record(scope, { legacy, xmpp }).catch((err: Error) => log.warn({ err: err.message }, 'could not record a message id'));
    };
    this.history = config.archive.enabled
      ? new History(new Archive(coreStore, { retentionMs, maxPerScope: config.archive.maxPerConversation, prefix: 'mam' }), this.domain, log, (user) => store.userState(this.domain, user))
      : undefined;
    const roster = new RosterSync({
      domain: this.domain,
      send,
      request: (iq) => this.connection.request(iq),
      userState: (user) => store.userState(this.domain, user),
      logger: log.child({ part: 'roster' }),
      group: this.adapter.identity.name,
    });
    // What the user read on the legacy side, told to their clients (needs the server's message privilege).
    const readSync = new ReadSync({ domain: this.domain, send, privilegesOf: (server) => roster.privilegesOf(server), logger: log.child({ part: 'read-sync' }) });
    // A reconnected link gets the grants announced again; until then none is assumed.
    this.connection.on('offline', () => roster.forgetPrivileges());
    const inRoster = (user: string, localpart: string, name?: string) => {
      let display = name;
      try {
        const address = this.adapter.parseAddress(localpart);
        // People only: a server's notices (an IRC MOTD) do not make it a contact.
        if (address.kind !== 'contact') return;
        display ??= address.display;
      } catch {
        // An address the adapter produced but cannot read back: the roster shows the JID alone.
      }
      void roster.ensureContact(user, { localpart, name: display });
    };
    let caps: { transport: Caps; contact: Caps } | undefined;
    this.sessions = new SessionManager(this.adapter, store, {
      // Computed once, from the same lists disco#info answers with.
      caps: () => (caps ??= { transport: capsOf(domainInfo(this.context)), contact: capsOf(contactInfo(this.context)) }),
      domain: this.domain, send, logger: log, directory: new OccupantDirectory(), recordId, history: this.history, inRoster,
      markable: this.adapter.messaging?.readMarkers === true, readSync,
    }, {
      restoreConcurrency: config.restore.concurrency,
      restorePerSecond: config.restore.perSecond,
      secretFields,
    });
    const allow = config.access.allow;
    this.context = {
      domain: this.domain,
      adapter: this.adapter,
      sessions: this.sessions,
      logger: log,
      send,
      isAllowed: (jid) => allowedBy(allow, bare(jid)),
      commands: [...builtinCommands(this.adapter, this.sessions), ...(this.adapter.commands ?? [])],
      software: deps.software,
      features: new MessageFeatures(this.adapter, ids, this.history),
      recordId,
      history: this.history,
      roster,
      control: {
        admins: config.admins ?? [],
        logger: deps.logger,
        link: () => ({ online: this.connection.online, queued: this.connection.queued, backlogBytes: this.connection.backlogBytes, congested: this.connection.congested }),
      },
    };
  }

  start(): void {
    this.unwatchSessions ??= watchSessions(this.domain, () => this.sessions.countByState());
    this.connection.start();
  }

  /** Every stanza arriving on this transport's link: dispatched by its `to` domain. */
  private receive(el: Element): void {
    const to = splitJid(el.attrs.to ?? '').domain.toLowerCase();
    if (to === this.domain) {
      this.handle(el);
      return;
    }
    const owner = this.transportFor?.(to);
    if (owner) {
      // An answer to an iq the owner asked (ejabberd routes it on any of its connections).
      if (owner.connection.settle(el)) return;
      owner.handle(el);
      return;
    }
    this.context.logger.warn({ to, from: el.attrs.from, stanza: el.name }, 'stanza for a domain this gateway does not serve: refused');
    refuseStanza(this.context, el, new GatewayError('item-not-found', `${to || 'That address'} is not served by this gateway.`));
  }

  handle(el: Element): void {
    if (this.stopping) {
      // Answered, so nothing that arrives once shutdown has begun vanishes without a word.
      refuseStanza(this.context, el, new GatewayError('service-unavailable', 'The gateway is restarting; this was not sent. Try again in a minute.', 'wait'));
      return;
    }
    this.inFlight++;
    routeStanza(this.context, el).then(this.settled, this.settled);
  }

  /**
   * Shutdown in order: refuse new stanzas, let those being handled finish, let the legacy
   * sessions send what they accepted (until `deadline`, epoch ms; the rest is failed back to its
   * senders), then log out, and close the link once the last stanzas are written.
   */
  async stop(deadline = Date.now()): Promise<void> {
    this.stopping = true;
    await settleBefore(this.inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => (this.idle = resolve)), deadline);
    await this.sessions.drain(deadline);
    await this.sessions.close();
    await this.adapter.close?.();
    // The archive writes in batches a few ms behind the messages: the last one goes out before the store closes.
    await this.history?.flush();
    // Let the last presences (transport offline) leave before the link closes.
    await new Promise((r) => setTimeout(r, 50));
    await this.connection.stop();
    this.unwatchSessions?.();
    this.unwatchSessions = undefined;
  }
}
