/** The IRC transport's `options` in the gateway configuration. */
import { z } from 'zod';
import { fallbackDecoder } from './decode';
import { isHostname } from './address';
import { isIP } from 'node:net';
import { sourceRangeProblem, parseSourceRange } from './source-address';
import { MAX_HOST_SUFFIX, WEBIRC_WORD } from './webirc';

const host = z.string().refine(isHostname, { message: 'must be a host name or IPv4 address' });
const webircWord = z.string().min(1).max(100).regex(WEBIRC_WORD, { message: 'must be one word (no spaces, not starting with ":")' });

/** WEBIRC for one server (webirc.ts). */
const webircSchema = z.object({
  /** Agreed with the network's operators; it makes the server trust the host and address below. */
  password: webircWord,
  /** The gateway's name as the network knows it (shown in its logs). */
  gateway: webircWord.default('xmpp-gateway'),
  /** hashed: `<keyed hash of the JID>.<hostSuffix>`; fixed: `host` for everyone. */
  hostMode: z.enum(['hashed', 'fixed']).default('hashed'),
  host: host.optional(),
  hostSuffix: host.refine((h) => h.length <= MAX_HOST_SUFFIX, { message: `must be at most ${MAX_HOST_SUFFIX} characters` }).optional(),
}).strict().refine((w) => w.hostMode !== 'fixed' || w.host, { message: 'hostMode fixed needs a host', path: ['host'] });

/** Real-network identity; none of it is on unless configured. */
const identityOptions = {
  /** RFC 1413 ident server answering for the gateway's own connections (identd.ts). */
  identd: z.object({
    host: z.string().refine((a) => isIP(a) !== 0, { message: 'must be an IP address (:: listens on every address)' }).default('::'),
    /** 113 is where servers ask; 0 picks a free port (tests). */
    port: z.number().int().min(0).max(65535).default(113),
    /** One query must arrive and be answered within this time. */
    timeoutMs: z.number().int().min(100).default(10000),
    maxConnections: z.number().int().min(1).default(64),
  }).strict().optional(),
  /** WEBIRC per server host name (any case), sent before NICK/USER. */
  webirc: z.record(host, webircSchema).optional(),
  /** Ranges (at most one IPv4, one IPv6) each user's connections leave from, by a hash of the JID. */
  sourceAddresses: z.array(z.string().superRefine((text, ctx) => {
    const problem = sourceRangeProblem(text);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })).min(1).refine((ranges) => {
    const families = ranges.map((r) => parseSourceRange(r)?.family);
    return new Set(families).size === families.length;
  }, { message: 'at most one IPv4 and one IPv6 range' }).optional(),
  /** Key of the hashes behind WEBIRC hosts and source addresses; keep it secret and unchanged. */
  hashKey: z.string().min(16).optional(),
  /** Connections per IRC server (first logins, restores, reconnects), shared by all users. */
  connectPace: z.object({
    perSecond: z.number().positive().max(10000),
    burst: z.number().int().min(1).default(1),
  }).strict().optional(),
};

export const ircOptionsSchema = z.object({
  /** One-network deployment: users cannot choose a server, and `nick` / `#chan` localparts work. */
  server: z.object({
    host,
    port: z.number().int().min(1).max(65535).default(6697),
    tls: z.boolean().default(true),
    verifyCertificate: z.boolean().default(true),
  }).strict().optional(),
  /** biboumi-style use without registration (nick from the JID localpart); needs `server`. */
  allowAnonymous: z.boolean().default(false),
  /**
   * If set, the servers users may connect to (host names, any case), each at once; the fixed
   * `server` is always allowed. Unset: with `server` only that one, without it any server.
   */
  allowedServers: z.array(host).optional(),
  /**
   * A server other than the registered one is disconnected after this long without a joined
   * channel or a private message (fractions allowed), unless the user made it persistent; 0: never.
   */
  serverIdleMinutes: z.number().min(0).max(7 * 24 * 60).default(30),
  /** Ad-hoc command that sends any IRC line: powerful, so off unless the operator wants it. */
  allowRawCommands: z.boolean().default(false),
  /** Encoding used for incoming lines that are not valid UTF-8 (any WHATWG encoding label). */
  fallbackEncoding: z.string().default('latin1').refine((label) => {
    try { fallbackDecoder(label); return true; } catch { return false; }
  }, { message: 'is not an encoding this Node.js knows' }),
  flood: z.object({
    burst: z.number().int().min(1).default(5),
    /** After the burst, one line per this many milliseconds. */
    intervalMs: z.number().int().min(10).default(1000),
    maxQueued: z.number().int().min(10).default(2000),
  }).strict().default({ burst: 5, intervalMs: 1000, maxQueued: 2000 }),
  reconnect: z.object({
    initialDelayMs: z.number().int().min(10).default(2000),
    maxDelayMs: z.number().int().min(100).default(300000),
  }).strict().default({ initialDelayMs: 2000, maxDelayMs: 300000 }),
  /**
   * IRCv3 chathistory: lines of a channel's history replayed into the room after each join, where
   * the server offers it (at most what the server's CHATHISTORY limit allows); 0 turns it off.
   */
  chathistoryLines: z.number().int().min(0).max(1000).default(50),
  /** Channels one user may be in (joined or joining, auto-joins included); joins beyond are refused. */
  maxChannels: z.number().int().min(1).default(100),
  /**
   * Without SASL the password goes to NickServ only if WHOIS shows NickServ is a network service
   * (ngircd 310 "is an IRC service", 313 "is a Network Service" on most other servers), or if
   * NickServ is connected through one of `trustedServers` (server names as WHOIS shows them),
   * for networks whose services carry no such mark.
   */
  nickserv: z.object({
    trustedServers: z.array(host).default([]),
  }).strict().default({ trustedServers: [] }),
  /** How long registration (TCP, TLS, SASL, up to 001) may take before login fails. */
  connectTimeoutMs: z.number().int().min(100).default(30000),
  /** Shown to IRC users as the realname when the user gives none. */
  defaultRealname: z.string().default('XMPP gateway user'),
  /** CTCP VERSION answer; absent: the gateway's name and version. */
  version: z.string().optional(),
  ...identityOptions,
}).strict().refine((o) => !o.allowAnonymous || o.server, {
  message: 'allowAnonymous needs a fixed server (options.server)',
  path: ['allowAnonymous'],
}).superRefine((o, ctx) => {
  const hashed = Object.values(o.webirc ?? {}).some((w) => w.hostMode === 'hashed');
  if ((hashed || o.sourceAddresses) && !o.hashKey) {
    ctx.addIssue({
      code: 'custom',
      path: ['hashKey'],
      message: `is required (at least 16 characters, e.g. openssl rand -base64 24) for ${hashed ? 'webirc hostMode hashed' : 'sourceAddresses'}`,
    });
  }
});

export type IrcOptions = z.output<typeof ircOptionsSchema>;
