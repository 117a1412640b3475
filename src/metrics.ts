/**
 * The gateway's Prometheus metrics (/metrics), one registry per process.
 *
 * The paths taken for every stanza and every legacy message only add to a number in a `Tally`
 * that the caller looked up once: prom-client's own `inc` hashes its label object on each call,
 * which the per-stanza CPU budget does not need. prom-client is loaded, and the numbers copied
 * into it, only when /metrics is enabled (enableMetrics) and scraped; a gateway with metrics off
 * never loads it.
 *
 * Every label value is bounded: transport domains come from the configuration, the rest from
 * fixed lists (stanza kinds and types, RFC 6120 conditions, session states...). Anything a
 * remote party chose is folded into 'other'; a JID never becomes a label.
 */
import { registerProcessMetrics } from './metrics-process';
import type { Element } from '@xmpp/xml';
import type * as Prom from 'prom-client';

export const METRIC_PREFIX = 'xmpp_gateway_';

type Labels = Record<string, string>;

/** One counter series (one label set); callers keep it and call inc(). */
export class Tally {
  value = 0;
  constructor(readonly labels: Readonly<Labels>) {}

  inc(by = 1): void {
    this.value += by;
  }
}

class CounterFamily {
  private readonly tallies = new Map<string, Tally>();

  constructor(readonly name: string, readonly help: string, readonly labelNames: readonly string[]) {}

  /** The series of `labels`, created on first use. Builds a key: look it up once, not per event. */
  tally(labels: Labels): Tally {
    const key = this.labelNames.map((name) => labels[name]).join('\u0001');
    let tally = this.tallies.get(key);
    if (!tally) {
      tally = new Tally({ ...labels });
      this.tallies.set(key, tally);
    }
    return tally;
  }

  series(): Iterable<Tally> {
    return this.tallies.values();
  }
}

/** Reports the current values of a gauge; called at each scrape. */
type GaugeSource = (set: (labels: Labels, value: number) => void) => void;

class GaugeFamily {
  readonly sources = new Set<GaugeSource>();

  constructor(readonly name: string, readonly help: string, readonly labelNames: readonly string[]) {}

  /** Until the returned function is called, `source` is read at every scrape. */
  watch(source: GaugeSource): () => void {
    this.sources.add(source);
    return () => this.sources.delete(source);
  }
}

const counter = (name: string, help: string, labelNames: string[]) => new CounterFamily(METRIC_PREFIX + name, help, labelNames);
const gauge = (name: string, help: string, labelNames: string[]) => new GaugeFamily(METRIC_PREFIX + name, help, labelNames);

const counters = {
  stanzasReceived: counter('stanzas_received_total', 'Stanzas received on a component link, by kind (message, presence, iq) and type.', ['transport', 'kind', 'type']),
  stanzasSent: counter('stanzas_sent_total', 'Stanzas sent (or queued while disconnected) on a component link, by kind and type.', ['transport', 'kind', 'type']),
  errors: counter('stanza_errors_total', 'Error stanzas the gateway sent, by RFC 6120 condition.', ['transport', 'kind', 'condition']),
  legacyReceived: counter('legacy_messages_received_total', 'Messages from the legacy network relayed to XMPP (chats and room messages).', ['transport', 'network']),
  legacySent: counter('legacy_messages_sent_total', 'Messages from XMPP that the legacy network accepted.', ['transport', 'network']),
  logins: counter('legacy_logins_total', 'Legacy logins by reason (register, update, restore, reconnect, anonymous) and outcome (ok, failed).', ['transport', 'reason', 'outcome']),
  linkReconnects: counter('component_reconnects_total', 'Reconnect attempts of a component link (XEP-0114) after it was lost or could not connect.', ['transport']),
  queueDropped: counter('component_queue_dropped_total', 'Stanzas dropped because the outbound queue was full while the link was down.', ['transport']),
  storeErrors: counter('store_errors_total', 'Store operations that failed (after their retry) or timed out.', ['operation']),
  httpRequests: counter('http_requests_total', 'HTTP requests by route pattern and status code.', ['route', 'status']),
};

const gauges = {
  sessions: gauge('sessions', 'User sessions by state: restoring (login running), online, offline (legacy connection down), failed (login failed, retry waiting).', ['transport', 'state']),
  linkConnected: gauge('component_connected', '1 while the component link is online.', ['transport']),
  queue: gauge('component_queue_stanzas', 'Stanzas waiting in the outbound queue (the link is down or flushing).', ['transport']),
  backlog: gauge('component_backlog_bytes', 'Bytes written to the XMPP server\'s socket that it has not taken yet.', ['transport']),
  congested: gauge('component_congested', '1 while legacy input is paused because the XMPP server is behind.', ['transport']),
};

const STORE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

// Stanza kinds and the types each may carry; an absent type is given its RFC 6120 meaning.
const STANZA_TYPES: Record<string, { absent: string; known: ReadonlySet<string> }> = {
  message: { absent: 'normal', known: new Set(['normal', 'chat', 'groupchat', 'headline', 'error']) },
  presence: { absent: 'available', known: new Set(['unavailable', 'subscribe', 'subscribed', 'unsubscribe', 'unsubscribed', 'probe', 'error']) },
  iq: { absent: 'none', known: new Set(['get', 'set', 'result', 'error']) },
};

const CONDITIONS: ReadonlySet<string> = new Set([
  'bad-request', 'conflict', 'feature-not-implemented', 'forbidden', 'gone', 'internal-server-error', 'item-not-found',
  'jid-malformed', 'not-acceptable', 'not-allowed', 'not-authorized', 'policy-violation', 'recipient-unavailable',
  'redirect', 'registration-required', 'remote-server-not-found', 'remote-server-timeout', 'resource-constraint',
  'service-unavailable', 'subscription-required', 'undefined-condition', 'unexpected-request',
]);
const STANZA_ERRORS_NS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

/** Stanzas of one link in one direction, one tally per kind and type. */
export class StanzaMeter {
  private readonly byKind = new Map<string, Map<string | undefined, Tally>>();

  constructor(private readonly family: CounterFamily, private readonly transport: string) {}

  count(el: Element): void {
    const type = el.attrs.type as string | undefined;
    (this.byKind.get(el.name)?.get(type) ?? this.lookUp(el.name, type)).value++;
  }

  private lookUp(name: string, type: string | undefined): Tally {
    const types = STANZA_TYPES[name];
    const kind = types ? name : 'other';
    const label = type === undefined ? (types?.absent ?? 'none') : types?.known.has(type) ? type : 'other';
    const tally = this.family.tally({ transport: this.transport, kind, type: label });
    // Only known names and types are remembered, so a peer's inventions cannot grow the cache.
    if (types && (type === undefined || label === type)) {
      let byType = this.byKind.get(name);
      if (!byType) this.byKind.set(name, (byType = new Map()));
      byType.set(type, tally);
    }
    return tally;
  }
}

export interface LinkMetrics {
  received: StanzaMeter;
  sent: StanzaMeter;
  reconnects: Tally;
  dropped: Tally;
}

/** The counters of one component link (XEP-0114 connection). */
export function linkMetrics(transport: string): LinkMetrics {
  return {
    received: new StanzaMeter(counters.stanzasReceived, transport),
    sent: new StanzaMeter(counters.stanzasSent, transport),
    reconnects: counters.linkReconnects.tally({ transport }),
    dropped: counters.queueDropped.tally({ transport }),
  };
}

/** What the link gauges read at each scrape (ComponentConnection has these). */
export interface LinkState {
  readonly online: boolean;
  readonly queued: number;
  readonly backlogBytes: number;
  readonly congested: boolean;
}

/** Reports a link's state at every scrape until the returned function is called. */
export function watchLink(transport: string, link: LinkState): () => void {
  const labels = { transport };
  const stops = [
    gauges.linkConnected.watch((set) => set(labels, link.online ? 1 : 0)),
    gauges.queue.watch((set) => set(labels, link.queued)),
    gauges.backlog.watch((set) => set(labels, link.backlogBytes)),
    gauges.congested.watch((set) => set(labels, link.congested ? 1 : 0)),
  ];
  return () => stops.forEach((stop) => stop());
}

/** Counts an outgoing error stanza by its condition (one not in RFC 6120 counts as 'other'). */
export function countErrorStanza(transport: string, el: Element): void {
  const condition = el.getChild('error')?.getChildElements().find((c) => c.attrs.xmlns === STANZA_ERRORS_NS && c.name !== 'text')?.name;
  const kind = STANZA_TYPES[el.name] ? el.name : 'other';
  counters.errors.tally({ transport, kind, condition: condition === undefined ? 'undefined-condition' : CONDITIONS.has(condition) ? condition : 'other' }).inc();
}

const networks = new Map<string, string>();
const legacyTallies = new Map<string, { received: Tally; sent: Tally }>();

/** Names the legacy network of a transport (its adapter), the `network` label of legacy messages. */
export function describeTransport(transport: string, network: string): void {
  networks.set(transport, network);
}

/** One legacy message relayed: 'received' from the network to XMPP, 'sent' from XMPP to the network. */
export function countLegacyMessage(transport: string, direction: 'received' | 'sent'): void {
  let pair = legacyTallies.get(transport);
  if (!pair) {
    const labels = { transport, network: networks.get(transport) ?? 'unknown' };
    pair = { received: counters.legacyReceived.tally(labels), sent: counters.legacySent.tally(labels) };
    legacyTallies.set(transport, pair);
  }
  pair[direction].value++;
}

export type LoginReason = 'register' | 'update' | 'restore' | 'reconnect' | 'anonymous';

export function countLegacyLogin(transport: string, reason: LoginReason, ok: boolean): void {
  counters.logins.tally({ transport, reason, outcome: ok ? 'ok' : 'failed' }).inc();
}

export const SESSION_STATES = ['restoring', 'online', 'offline', 'failed'] as const;
export type SessionState = (typeof SESSION_STATES)[number];

/** Reports a transport's sessions by state at every scrape until the returned function is called. */
export function watchSessions(transport: string, count: () => Record<SessionState, number>): () => void {
  return gauges.sessions.watch((set) => {
    const counts = count();
    for (const state of SESSION_STATES) set({ transport, state }, counts[state]);
  });
}

export type StoreOperation = 'read' | 'write' | 'erase';

let storeLatency: Prom.Histogram<'operation'> | undefined;

/** One store operation took `ms` (retry included); failed ones are also counted apart. */
export function recordStoreOperation(operation: StoreOperation, ms: number, ok: boolean): void {
  storeLatency?.observe({ operation }, ms / 1000);
  if (!ok) counters.storeErrors.tally({ operation }).inc();
}

/** `route` is the registered pattern (e.g. /sms/:number), never the requested path. */
export function countHttpRequest(route: string, status: number): void {
  counters.httpRequests.tally({ route, status: String(status) }).inc();
}

export interface MetricsEndpoint {
  contentType: string;
  /** The Prometheus text exposition of every metric, read now. */
  text(): Promise<string>;
}

let endpoint: Promise<MetricsEndpoint> | undefined;

/**
 * Loads prom-client and builds the registry (once per process; later calls get the same one).
 * Store latency is recorded from then on, so call it before the store is opened.
 */
export function enableMetrics(): Promise<MetricsEndpoint> {
  endpoint ??= build().catch((err: Error) => {
    endpoint = undefined;
    throw err;
  });
  return endpoint;
}

async function build(): Promise<MetricsEndpoint> {
  const prom = await import('prom-client');
  const registry = new prom.Registry();
  const registers = [registry];
  for (const family of Object.values(counters)) {
    new prom.Counter({
      name: family.name, help: family.help, labelNames: family.labelNames, registers,
      collect() {
        this.reset();
        for (const tally of family.series()) this.inc(tally.labels, tally.value);
      },
    });
  }
  for (const family of Object.values(gauges)) {
    new prom.Gauge({
      name: family.name, help: family.help, labelNames: family.labelNames, registers,
      collect() {
        this.reset();
        // inc, not set: two transports of the same domain (tests) add up instead of hiding each other.
        for (const source of family.sources) source((labels, value) => this.inc(labels, value));
      },
    });
  }
  storeLatency = new prom.Histogram({
    name: `${METRIC_PREFIX}store_operation_duration_seconds`,
    help: 'Time of one store operation (read, write, erase), its retry included.',
    labelNames: ['operation'], buckets: STORE_BUCKETS, registers,
  });
  registerProcessMetrics(prom, registry, METRIC_PREFIX);
  return { contentType: registry.contentType, text: () => registry.metrics() };
}
