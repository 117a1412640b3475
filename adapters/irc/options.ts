/** The IRC transport's `options` in the gateway configuration. */
import { z } from 'zod';
import { fallbackDecoder } from './decode';
import { isHostname } from './address';

const host = z.string().refine(isHostname, { message: 'must be a host name or IPv4 address' });

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
  /** If set, users may only register on these servers (host names, lower case). */
  allowedServers: z.array(host).optional(),
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
  /** CTCP VERSION answer. */
  version: z.string().default('XMPP transport gateway'),
}).strict().refine((o) => !o.allowAnonymous || o.server, {
  message: 'allowAnonymous needs a fixed server (options.server)',
  path: ['allowAnonymous'],
});

export type IrcOptions = z.output<typeof ircOptionsSchema>;
