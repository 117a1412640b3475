import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { z, type ZodType } from 'zod';
import { OUTBOUND_RULE_HELP, outboundRuleProblem, type OutboundRules } from './core/outbound-policy';
import { createKeyFile, estimateEntropyBits, readKeyFile } from './store/crypto';

/** A configuration problem; the message has one line per problem: '<file>: <key.path>: <what is wrong>'. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface TransportConfig {
  /** The component domain, e.g. irc.example.org (lower case). */
  domain: string;
  /** The XEP-0114 shared secret configured for this component on the XMPP server. */
  secret: string;
  /** A built-in adapter name (irc, sms, email) or a module path starting with './'. */
  adapter: string;
  /** Shown in service discovery. */
  name?: string;
  /** The adapter's own options, already validated by its optionsSchema when one is known. */
  options: unknown;
  /** Added to the global `outbound` lists for this transport's connections. */
  outbound?: OutboundRules;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
/** auto: human-readable on a terminal, JSON lines otherwise (journald, files, log shippers). */
export type LogFormat = 'auto' | 'json' | 'pretty';

export interface GatewayConfig {
  xmpp: { host: string; port: number; reconnect: { initialDelayMs: number; maxDelayMs: number }; queueLimit: number; backlogPauseKb: number };
  /**
   * url absent: SQLite in gateway.sqlite next to the config file (loadConfig resolves relative SQLite
   * paths against its folder). keyFile: set by loadConfig when the key was read from, or written
   * to, a key file because neither the file nor GATEWAY_ENCRYPTION_KEY gave one.
   */
  storage: { url?: string; encryptionKey: string; keyFile?: { path: string; created: boolean } };
  /** metrics: serve /metrics (Prometheus). */
  http: { enabled: boolean; host: string; port: number; publicUrl?: string; metrics: boolean };
  logging: { level: LogLevel; format: LogFormat };
  restore: { concurrency: number; perSecond: number };
  /** On SIGTERM/SIGINT, how long legacy sessions may keep sending what they had accepted. */
  shutdown: { drainTimeoutMs: number };
  /** XEP-0313 history of rooms and 1:1 chats, kept in the store. */
  archive: { enabled: boolean; retentionDays: number; maxPerConversation: number };
  /** Who may register: bare JIDs (alice@example.org) or whole domains (example.org). An empty list lets everyone register. */
  access: { allow: string[] };
  /** Bare JIDs (lower case) that may run the admin commands on every transport (users, announce, stats, ...); absent: nobody. */
  admins?: string[];
  /** Where adapters may connect on a user's behalf besides public addresses (allow) and where never (deny). */
  outbound: OutboundRules;
  transports: TransportConfig[];
}

export type AdapterOptionsSchema = (adapter: string) => ZodType | undefined;

export const ENCRYPTION_KEY_ENV = 'GATEWAY_ENCRYPTION_KEY';
/** Where loadConfig keeps the key when none is configured: beside the SQLite file, else beside the config file. */
export const KEY_FILE_NAME = 'gateway.key';
/** The value config.example.yaml carried until 2026-11: public, so never a key. */
const PLACEHOLDER_KEYS = ['change-me-to-a-long-random-string'];
const MIN_KEY_BITS = 128;
const KEY_HOWTO = 'generate one with: openssl rand -base64 32';
const ENV_REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;
const DOMAIN = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const BARE_JID_OR_DOMAIN = /^(?:[^@/\s"&'<>:]+@)?[^@/\s]+$/;
const BARE_JID = /^[^@/\s"&'<>:]+@[^@/\s]+$/;
const STORE_SCHEMES = /^(sqlite|redis|rediss|postgres|postgresql):\/\//i;

/** Values that came from the environment are strings; numbers and booleans are accepted in that form too. */
const integer = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.preprocess(
    (value) => (typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value),
    z.number().int({ error: 'must be a whole number' }).min(min, { error: `must be at least ${min}` }).max(max, { error: `must be at most ${max}` }),
  );
const positiveNumber = z.preprocess(
  (value) => (typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value),
  z.number().positive({ error: 'must be greater than 0' }),
);
const boolean = z.preprocess(
  (value) => (value === 'true' ? true : value === 'false' ? false : value),
  z.boolean({ error: 'must be true or false' }),
);
const nonEmpty = z.string().trim().min(1, { error: 'must not be empty' });
const port = integer(1, 65535);

const outboundRule = z.string().trim().refine((entry) => outboundRuleProblem(entry) === undefined, { error: OUTBOUND_RULE_HELP });
const outboundSchema = z
  .strictObject({ allow: z.array(outboundRule).default([]), deny: z.array(outboundRule).default([]) })
  .prefault({});

const transportSchema = z.strictObject({
  domain: z
    .string()
    .trim()
    .regex(DOMAIN, { error: 'must be a domain name' })
    .transform((domain) => domain.toLowerCase()),
  secret: nonEmpty,
  adapter: nonEmpty,
  name: nonEmpty.optional(),
  options: z.unknown().optional(),
  outbound: outboundSchema,
});

const configSchema = z.strictObject({
  xmpp: z
    .strictObject({
      host: nonEmpty.default('127.0.0.1'),
      port: port.default(5347),
      reconnect: z
        .strictObject({ initialDelayMs: integer(1).default(1000), maxDelayMs: integer(1).default(60000) })
        .prefault({})
        .refine((r) => r.maxDelayMs >= r.initialDelayMs, { error: 'maxDelayMs must not be smaller than initialDelayMs' }),
      queueLimit: integer(1).default(10000),
      backlogPauseKb: integer(16).default(1024),
    })
    .prefault({}),
  storage: z
    .strictObject({
      url: z.string().trim().regex(STORE_SCHEMES, { error: 'must start with sqlite://, redis://, rediss://, postgres:// or postgresql://' }).optional(),
      encryptionKey: z
        .string({ error: 'must be a string' })
        .min(16, { error: `must be at least 16 characters: a passphrase, 64 hex digits or the base64 form of 32 bytes (${KEY_HOWTO})` })
        .optional(),
    }),
  http: z
    .strictObject({
      enabled: boolean.default(true),
      host: nonEmpty.default('127.0.0.1'),
      port: integer(0, 65535).default(8080),
      publicUrl: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
      metrics: boolean.default(true),
    })
    .prefault({}),
  logging: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace'], { error: 'must be one of fatal, error, warn, info, debug, trace' }).default('info'),
      format: z.enum(['auto', 'json', 'pretty'], { error: 'must be one of auto, json, pretty' }).default('auto'),
    })
    .prefault({}),
  restore: z.strictObject({ concurrency: integer(1).default(5), perSecond: positiveNumber.default(10) }).prefault({}),
  shutdown: z.strictObject({ drainTimeoutMs: integer(0, 300000).default(10000) }).prefault({}),
  archive: z.strictObject({
    enabled: boolean.default(true),
    retentionDays: integer(1, 3650).default(30),
    maxPerConversation: integer(10, 1000000).default(10000),
  }).prefault({}),
  access: z
    .strictObject({
      allow: z.array(z.string().trim().regex(BARE_JID_OR_DOMAIN, { error: 'must be a bare JID (user@example.org) or a domain' })).default([]),
    })
    .prefault({}),
  admins: z
    .array(z.string().trim().regex(BARE_JID, { error: 'must be a bare JID (admin@example.org): a whole domain cannot be an admin' }).transform((jid) => jid.toLowerCase()),
      { error: 'must be a list of bare JIDs' })
    .optional(),
  outbound: outboundSchema,
  transports: z.array(transportSchema, { error: 'must be a list of transports' }).min(1, { error: 'at least one transport is required' }),
});

/** A configuration before its key is settled: the file and the environment may have given none. */
export type ConfigWithoutKey = Omit<GatewayConfig, 'storage'> & { storage: { url?: string; encryptionKey?: string } };

/**
 * Parses and validates gateway.yaml text; every problem found is reported, not just the first.
 * Text alone has no folder for a key file, so a key is required here (in the file or in
 * GATEWAY_ENCRYPTION_KEY); loadConfig, which the command line uses, also accepts none and refuses weak keys.
 */
export function parseConfig(
  text: string,
  fileName: string,
  env: NodeJS.ProcessEnv = process.env,
  adapterOptionsSchema?: AdapterOptionsSchema,
): GatewayConfig {
  return parse(text, fileName, env, adapterOptionsSchema, 'text').config as GatewayConfig;
}

/**
 * 'text': a key is required, any key of 16 characters or more is taken (tests, embedders).
 * 'deployment': no key is fine (loadConfig uses the key file) and the key policy applies.
 */
function parse(
  text: string,
  fileName: string,
  env: NodeJS.ProcessEnv,
  adapterOptionsSchema: AdapterOptionsSchema | undefined,
  mode: 'text' | 'deployment',
): { config: ConfigWithoutKey; keyFromEnv: boolean } {
  const problems: string[] = [];
  const reported = new Set<string>();
  // One problem per key: an unset ${VAR} would otherwise also be reported as a missing value.
  const fail = (path: PropertyKey[], what: string) => {
    const key = formatPath(path);
    if (reported.has(key)) return;
    reported.add(key);
    problems.push(`${fileName}: ${key}: ${what}`);
  };

  const document = parseDocument(text, { uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new ConfigError(
      document.errors
        .map((error) => {
          const where = error.linePos ? `line ${error.linePos[0].line}, column ${error.linePos[0].col}` : 'YAML';
          return `${fileName}: ${where}: ${firstLine(error.message).replace(/ at line \d+, column \d+:?$/, '')}`;
        })
        .join('\n'),
    );
  }
  const raw: unknown = document.toJS() ?? {};
  if (!isPlainObject(raw)) throw new ConfigError(`${fileName}: (top level): must be a mapping of settings`);
  const keyReference = isPlainObject(raw.storage) ? raw.storage.encryptionKey : undefined;

  const substituted = substituteEnv(raw, [], env, fail) as Record<string, unknown>;
  // Absent storage becomes {} so that a missing key is reported as storage.encryptionKey.
  const storage = substituted.storage ?? {};
  let keyFromEnv = keyReference === `\${${ENCRYPTION_KEY_ENV}}`;
  if (isPlainObject(storage) && storage.encryptionKey === undefined && env[ENCRYPTION_KEY_ENV]) {
    storage.encryptionKey = env[ENCRYPTION_KEY_ENV];
    keyFromEnv = true;
  }
  substituted.storage = storage;

  const parsed = configSchema.safeParse(substituted, { reportInput: true });
  if (!parsed.success) reportIssues(parsed.error.issues, [], fail);
  // After the schema's own problems, so that a key of the wrong type or length is reported as such.
  const key = isPlainObject(storage) ? storage.encryptionKey : undefined;
  if (isPlainObject(storage) && key === undefined && mode === 'text') {
    fail(['storage', 'encryptionKey'], `is required (or set the ${ENCRYPTION_KEY_ENV} environment variable)`);
  }
  const weak = typeof key === 'string' && mode === 'deployment' && !keyFromEnv ? keyPolicyProblem(key) : undefined;
  if (weak) fail(['storage', 'encryptionKey'], weak);
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems.join('\n'));

  const seenDomains = new Map<string, number>();
  const transports: TransportConfig[] = parsed.data.transports.map((transport, i) => {
    const earlier = seenDomains.get(transport.domain);
    if (earlier !== undefined) fail(['transports', i, 'domain'], `${transport.domain} is already used by transports[${earlier}]`);
    else seenDomains.set(transport.domain, i);
    return { ...transport, options: validateAdapterOptions(transport, i, adapterOptionsSchema, fail) };
  });
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
  return { config: { ...parsed.data, transports }, keyFromEnv: keyFromEnv && parsed.data.storage.encryptionKey !== undefined };
}

/**
 * Why a key typed into the config file is refused, or undefined. A key from GATEWAY_ENCRYPTION_KEY
 * is not checked: that is how a deployment keeps reading secrets it stored under an older, weaker key.
 */
export function keyPolicyProblem(key: string): string | undefined {
  if (PLACEHOLDER_KEYS.includes(key.trim())) {
    return `is the example's placeholder, which anyone can read; ${KEY_HOWTO} (or remove the line: the gateway then keeps a random key in ${KEY_FILE_NAME})`;
  }
  const bits = estimateEntropyBits(key);
  if (bits < MIN_KEY_BITS) {
    return `is too easy to guess (about ${bits} bits of entropy, at least ${MIN_KEY_BITS} needed); ${KEY_HOWTO}. ` +
      `Secrets already stored under this key stay readable if it comes from ${ENCRYPTION_KEY_ENV} instead of the file`;
  }
  return undefined;
}

export interface ConfigFile {
  config: ConfigWithoutKey;
  /** Where the key file is, or goes, when neither the file nor the environment gives a key. */
  keyFile?: string;
  /** The key came from GATEWAY_ENCRYPTION_KEY (so the key policy was not applied). */
  keyFromEnv: boolean;
}

/** Reads, validates and resolves a configuration file without writing anything (what `check` uses). */
export function readConfig(path: string, env: NodeJS.ProcessEnv = process.env, adapterOptionsSchema?: AdapterOptionsSchema): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`${path}: cannot read the configuration file: ${(error as Error).message}`);
  }
  const { config: parsed, keyFromEnv } = parse(text, path, env, adapterOptionsSchema, 'deployment');
  const config = withPathsFrom(dirname(resolve(path)), parsed);
  if (config.storage.encryptionKey !== undefined) return { config, keyFromEnv };
  return { config, keyFile: keyFilePath(config.storage.url, dirname(resolve(path))), keyFromEnv };
}

/**
 * The configuration the gateway runs with. Without a key in the file or the environment, the key
 * file is read, or created with a new random key on first start.
 */
export function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env, adapterOptionsSchema?: AdapterOptionsSchema): GatewayConfig {
  const { config, keyFile } = readConfig(path, env, adapterOptionsSchema);
  if (keyFile === undefined) return config as GatewayConfig;
  try {
    const existing = readKeyFile(keyFile);
    const { key, created } = existing === undefined ? createKeyFile(keyFile) : { key: existing, created: false };
    return { ...config, storage: { ...config.storage, encryptionKey: key, keyFile: { path: keyFile, created } } };
  } catch (error) {
    throw new ConfigError(`${path}: storage.encryptionKey: not set, so the key file ${keyFile} is used, but ${(error as Error).message}`);
  }
}

function keyFilePath(storageUrl: string | undefined, configDir: string): string {
  const sqlite = /^sqlite:\/\/(.+)$/i.exec(storageUrl ?? '');
  return sqlite && sqlite[1] !== ':memory:' ? join(dirname(sqlite[1]), KEY_FILE_NAME) : join(configDir, KEY_FILE_NAME);
}

/**
 * A relative SQLite path means "next to the config file", like adapter module paths: under a
 * service manager the working directory is anything (systemd without WorkingDirectory: /).
 */
function withPathsFrom<T extends ConfigWithoutKey>(dir: string, config: T): T {
  const url = config.storage.url ?? 'sqlite://gateway.sqlite';
  const sqlite = /^sqlite:\/\/(.+)$/i.exec(url);
  if (!sqlite || sqlite[1] === ':memory:' || isAbsolute(sqlite[1])) return config;
  return { ...config, storage: { ...config.storage, url: `sqlite://${resolve(dir, sqlite[1])}` } };
}

type Fail = (path: PropertyKey[], what: string) => void;

function validateAdapterOptions(
  transport: z.infer<typeof transportSchema>,
  index: number,
  adapterOptionsSchema: AdapterOptionsSchema | undefined,
  fail: Fail,
): unknown {
  const options = transport.options ?? {};
  if (!adapterOptionsSchema) return options;
  const schema = adapterOptionsSchema(transport.adapter);
  if (!schema) {
    // The same rule as loadAdapterModule: relative to the config file, or absolute.
    const isModulePath = transport.adapter.startsWith('./') || transport.adapter.startsWith('../') || isAbsolute(transport.adapter);
    if (!isModulePath) fail(['transports', index, 'adapter'], `unknown adapter "${transport.adapter}"`);
    return options;
  }
  const result = schema.safeParse(options, { reportInput: true });
  if (result.success) return result.data;
  reportIssues(result.error.issues, ['transports', index, 'options'], fail);
  return options;
}

function reportIssues(issues: z.core.$ZodIssue[], prefix: PropertyKey[], fail: Fail): void {
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) fail([...path, key], 'unknown setting (misspelt?)');
    } else if (issue.code === 'invalid_type' && issue.input === undefined) {
      fail(path, issue.message.startsWith('Invalid input') ? 'is required' : issue.message);
    } else if (issue.code === 'invalid_type' && issue.message.startsWith('Invalid input')) {
      fail(path, `must be ${article(issue.expected)}`);
    } else {
      fail(path, issue.message);
    }
  }
}

/** Replaces every string value that is exactly ${NAME} with the environment variable NAME. */
function substituteEnv(value: unknown, path: PropertyKey[], env: NodeJS.ProcessEnv, fail: Fail): unknown {
  if (typeof value === 'string') {
    const name = ENV_REFERENCE.exec(value)?.[1];
    if (name === undefined) return value;
    const fromEnv = env[name];
    if (fromEnv === undefined) {
      fail(path, `refers to the environment variable ${name}, which is not set`);
      return undefined;
    }
    return fromEnv;
  }
  if (Array.isArray(value)) return value.map((item, i) => substituteEnv(item, [...path, i], env, fail));
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substituteEnv(item, [...path, key], env, fail)]));
  }
  return value;
}

function formatPath(path: PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function article(type: string): string {
  return type === 'array' ? 'a list' : type === 'object' ? 'a mapping' : /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function firstLine(message: string): string {
  return message.split('\n')[0];
}
