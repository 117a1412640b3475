/**
 * Where the gateway may connect on a user's behalf: IRC servers, IMAP and SMTP hosts typed into a
 * registration form. Without a policy any user could point the gateway at its own loopback, the
 * LAN or a cloud metadata endpoint, and read from the error texts (connection refused, timeout)
 * which ports answer there: a port scanner running inside the operator's network.
 *
 * Every connection attempt, first login and every reconnect, goes through vet(): the host is
 * resolved once, every address it resolves to must pass, and the caller connects to the returned
 * address rather than to the name, so a DNS answer that changes between the check and the connect
 * (DNS rebinding) cannot move the connection elsewhere. The refusal happens before any packet is
 * sent to the destination, so its text cannot depend on whether the port is open.
 *
 * Network-neutral: adapters get an OutboundPolicy through AdapterServices.outbound.
 */
import { lookup } from 'node:dns/promises';
import { BlockList, connect, isIP, type Socket } from 'node:net';
import { GatewayError } from './errors';

/** Allow and deny lists: IP addresses, CIDR ranges, host names or *.domain, each optionally with :port. */
export interface OutboundRules {
  allow: string[];
  deny: string[];
}

export interface VettedTarget {
  /** The host as given (lower case, without brackets or a trailing dot). */
  host: string;
  port: number;
  /** Connect here: the first of the addresses that were checked. Never resolve `host` again. */
  address: string;
  family: 4 | 6;
  /** TLS server name (SNI and certificate check): the host name; absent when the host is an IP address. */
  servername?: string;
}

export interface VetOptions {
  /**
   * The administrator chose this destination (e.g. the IRC transport's fixed `options.server`):
   * private addresses are not refused for it, only what `deny` names.
   */
  trusted?: boolean;
}

export interface OutboundPolicy {
  /** Resolves and checks host:port; throws GatewayError (not-allowed, remote-server-not-found, remote-server-timeout). */
  vet(host: string, port: number, options?: VetOptions): Promise<VettedTarget>;
}

export type Resolver = (host: string) => Promise<{ address: string; family: number }[]>;

export interface PolicyOptions {
  /** Replaces the system resolver (tests). */
  resolve?: Resolver;
  dnsTimeoutMs?: number;
}

export const OUTBOUND_RULE_HELP =
  'must be an IP address, a CIDR range (10.0.0.0/8), a host name or *.domain, optionally followed by :port (IPv6 with a port in brackets: [fd00::/8]:143)';

type Rule =
  | { kind: 'range'; list: BlockList; port?: number }
  | { kind: 'name'; name: string; wildcard: boolean; port?: number };

const HOST_NAME = /^(?:\*\.)?[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*$/;

/** Reserved, private and special-purpose IPv4 ranges (RFC 6890 and successors) nobody runs a public server in. */
const REFUSED_V4 = [
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12',
  '192.0.0.0/24', '192.0.2.0/24', '192.88.99.0/24', '192.168.0.0/16', '198.18.0.0/15',
  '198.51.100.0/24', '203.0.113.0/24', '224.0.0.0/4', '240.0.0.0/4',
];
/**
 * IPv6 is refused unless it is global unicast (2000::/3), which leaves out loopback, unspecified,
 * link-local, unique-local, multicast and the rest of the special space in one rule. Inside
 * 2000::/3 these are not public either: IETF protocol assignments with Teredo, documentation.
 */
const GLOBAL_V6 = ['2000::/3'];
const REFUSED_IN_GLOBAL_V6 = ['2001::/23', '2001:db8::/32', '3fff::/20'];

const refusedV4 = blockList(REFUSED_V4);
const globalV6 = blockList(GLOBAL_V6);
const refusedInGlobalV6 = blockList(REFUSED_IN_GLOBAL_V6);

function blockList(cidrs: string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [net, prefix] = cidr.split('/');
    list.addSubnet(net, Number(prefix), isIP(net) === 4 ? 'ipv4' : 'ipv6');
  }
  return list;
}

/** The eight 16-bit groups of a valid IPv6 address (a trailing dotted quad counts as two). */
function hextets(address: string): number[] {
  let text = address;
  let tail: number[] = [];
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number);
    tail = [(a << 8) | b, (c << 8) | d];
    text = text.slice(0, quad.index);
    if (text.endsWith(':') && !text.endsWith('::')) text = text.slice(0, -1);
  }
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((h) => parseInt(h, 16)));
  const gap = text.indexOf('::');
  if (gap === -1) return [...groups(text), ...tail];
  const left = groups(text.slice(0, gap));
  const right = groups(text.slice(gap + 2));
  return [...left, ...new Array<number>(8 - left.length - right.length - tail.length).fill(0), ...right, ...tail];
}

/**
 * The IPv4 address an IPv6 address stands for, where the packets really end up there:
 * IPv4-mapped (::ffff:a.b.c.d, the socket is IPv4), NAT64 (64:ff9b::/96, RFC 6052: the NAT64
 * gateway forwards to a.b.c.d) and 6to4 (2002:aabb:ccdd::/48, a network behind a.b.c.d).
 */
function embeddedIpv4(address: string): string | undefined {
  const h = hextets(address);
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  if (h.slice(0, 5).every((x) => x === 0) && h[5] === 0xffff) return v4(h[6], h[7]);
  if (h[0] === 0x64 && h[1] === 0xff9b && h.slice(2, 6).every((x) => x === 0)) return v4(h[6], h[7]);
  if (h[0] === 0x2002) return v4(h[1], h[2]);
  return undefined;
}

/** The forms an address is checked in: itself and, for IPv6 carrying an IPv4 address, that address. */
function forms(address: string): { ip: string; type: 'ipv4' | 'ipv6' }[] {
  const bare = address.replace(/%.*$/, '');
  if (isIP(bare) === 4) return [{ ip: bare, type: 'ipv4' }];
  const inner = embeddedIpv4(bare);
  return inner ? [{ ip: bare, type: 'ipv6' }, { ip: inner, type: 'ipv4' }] : [{ ip: bare, type: 'ipv6' }];
}

/** Loopback, private, link-local, unique-local, CGNAT, multicast, broadcast, reserved (in any IPv6 disguise). */
export function isRefusedByDefault(address: string): boolean {
  const checked = forms(address);
  const effective = checked[checked.length - 1];
  if (effective.type === 'ipv4') return refusedV4.check(effective.ip, 'ipv4');
  return !globalV6.check(effective.ip, 'ipv6') || refusedInGlobalV6.check(effective.ip, 'ipv6');
}

/** Parses one allow/deny entry; undefined when it is not one (the config reports OUTBOUND_RULE_HELP). */
function parseRule(raw: string): Rule | undefined {
  let text = raw.trim().toLowerCase();
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) {
    [, text, portText] = bracketed;
  } else if (text.split(':').length === 2) {
    [text, portText] = text.split(':');
  }
  let port: number | undefined;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) return undefined;
    port = Number(portText);
  }
  const slash = text.indexOf('/');
  const ip = slash === -1 ? text : text.slice(0, slash);
  const family = isIP(ip);
  if (family !== 0) {
    const max = family === 4 ? 32 : 128;
    const prefixText = slash === -1 ? String(max) : text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) return undefined;
    const list = new BlockList();
    list.addSubnet(ip, Number(prefixText), family === 4 ? 'ipv4' : 'ipv6');
    return { kind: 'range', list, port };
  }
  if (slash !== -1 || bracketed) return undefined;
  const name = text.replace(/\.$/, '');
  if (!HOST_NAME.test(name) || name.length > 253) return undefined;
  const wildcard = name.startsWith('*.');
  return { kind: 'name', name: wildcard ? name.slice(2) : name, wildcard, port };
}

/** Why an allow/deny entry is unusable, or undefined when it is fine. */
export function outboundRuleProblem(text: string): string | undefined {
  return parseRule(text) ? undefined : OUTBOUND_RULE_HELP;
}

/** The global lists followed by a transport's own (both apply; deny still wins over allow). */
export function mergeOutboundRules(...parts: (Partial<OutboundRules> | undefined)[]): OutboundRules {
  return {
    allow: parts.flatMap((p) => p?.allow ?? []),
    deny: parts.flatMap((p) => p?.deny ?? []),
  };
}

function parseRules(entries: string[]): Rule[] {
  return entries.map((entry) => {
    const rule = parseRule(entry);
    if (!rule) throw new Error(`outbound rule "${entry}" ${OUTBOUND_RULE_HELP}`);
    return rule;
  });
}

const portMatches = (rule: Rule, port: number) => rule.port === undefined || rule.port === port;

function nameMatches(rules: Rule[], host: string, port: number): boolean {
  return rules.some((r) => r.kind === 'name' && portMatches(r, port)
    && (r.wildcard ? host.endsWith(`.${r.name}`) : host === r.name));
}

function addressMatches(rules: Rule[], address: string, port: number): boolean {
  const checked = forms(address);
  return rules.some((r) => r.kind === 'range' && portMatches(r, port) && checked.some((f) => r.list.check(f.ip, f.type)));
}

function normaliseHost(host: string): string {
  return host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
}

function display(host: string, port: number): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

const systemResolver: Resolver = (host) => lookup(host, { all: true });

class RulePolicy implements OutboundPolicy {
  private readonly allow: Rule[];
  private readonly deny: Rule[];
  private readonly resolve: Resolver;
  private readonly dnsTimeoutMs: number;

  constructor(rules: OutboundRules, options: PolicyOptions) {
    this.allow = parseRules(rules.allow);
    this.deny = parseRules(rules.deny);
    this.resolve = options.resolve ?? systemResolver;
    this.dnsTimeoutMs = options.dnsTimeoutMs ?? 15000;
  }

  async vet(hostInput: string, port: number, options: VetOptions = {}): Promise<VettedTarget> {
    const host = normaliseHost(hostInput);
    const where = display(host, port);
    // Same condition and wording for both refusals: which list refused is the operator's business.
    const denied = () => new GatewayError('not-allowed', `This gateway is not allowed to connect to ${where}.`);
    if (nameMatches(this.deny, host, port)) throw denied();
    const answers = await this.addresses(host);
    if (answers.some((a) => addressMatches(this.deny, a.address, port))) throw denied();
    // Every address must pass: a name that also resolves to an internal address is refused whole.
    if (!options.trusted && !nameMatches(this.allow, host, port)) {
      const internal = answers.some((a) => isRefusedByDefault(a.address) && !addressMatches(this.allow, a.address, port));
      if (internal) throw new GatewayError('not-allowed', `This gateway does not connect to private or local addresses (${where}).`);
    }
    const [first] = answers;
    return {
      host,
      port,
      address: first.address,
      family: isIP(first.address) === 6 ? 6 : 4,
      servername: isIP(host) ? undefined : host,
    };
  }

  private async addresses(host: string): Promise<{ address: string }[]> {
    if (isIP(host)) return [{ address: host }];
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new GatewayError('remote-server-timeout', `Looking up the server name ${host} took too long.`)), this.dnsTimeoutMs);
      timer.unref();
    });
    try {
      const answers = (await Promise.race([this.resolve(host), timeout])).filter((a) => isIP(a.address) !== 0);
      if (answers.length > 0) return answers;
    } catch (err) {
      if (err instanceof GatewayError) throw err;
    } finally {
      clearTimeout(timer);
    }
    throw new GatewayError('remote-server-not-found', `The server name ${host} does not exist (DNS lookup failed).`);
  }
}

/** Throws an Error naming the entry when a rule cannot be parsed (the config validates them first). */
export function createOutboundPolicy(rules: OutboundRules, options: PolicyOptions = {}): OutboundPolicy {
  return new RulePolicy(rules, options);
}

/** The policy of one transport: the global `outbound` lists merged with `transports[].outbound`. */
export function outboundPolicyFor(global: Partial<OutboundRules> | undefined, transport: Partial<OutboundRules> | undefined): OutboundPolicy {
  return createOutboundPolicy(mergeOutboundRules(global, transport));
}

/**
 * A TCP connection to a vetted target, for libraries that accept a ready socket (nodemailer's
 * getSocket). Rejects with the socket's error, or one with code ETIMEDOUT after `timeoutMs`.
 */
export function connectVetted(target: VettedTarget, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.address, port: target.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error(`Connection to ${display(target.host, target.port)} timed out`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeListener('error', onError);
      resolve(socket);
    });
    const onError = (err: Error) => {
      clearTimeout(timer);
      reject(err);
    };
    socket.once('error', onError);
  });
}
