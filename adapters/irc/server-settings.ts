/**
 * One user's settings per IRC server. The XEP-0077 registration is the user's defaults (nick,
 * user name, real name) and, whole, the first server; what the user configures for a server
 * (ad-hoc "Configure", server-commands.ts) is kept in the user's state under SERVERS_KEY, in the
 * registration's own field names, so that the registration's validation (connectionSettings)
 * checks both alike. Passwords are sealed at rest by the core's key (SecretBox).
 */
import type { Credentials, LoginRequest } from '../../src/core/adapter';
import { GatewayError } from '../../src/core/errors';
import { isHostname } from './address';
import { HOST_MAX, checkLength } from './limits';
import type { IrcOptions } from './options';
import { connectionSettings, type ConnectionSettings } from './registration';

/** Encrypts a secret for storage and back (the core's storage key; see the report for its wiring). */
export interface SecretBox {
  seal(plain: string): string;
  open(sealed: string): string;
}

type State = LoginRequest['state'];

export const SERVERS_KEY = 'irc:servers';
/** What one user may configure or keep open at once: a bound on state size and sockets. */
export const MAX_SERVERS = 20;

/** What a user set for one server, as registration form values ('true'/'false' for booleans). */
export type ServerPrefs = Record<string, string>;

/** Fields every server takes from the registration unless configured otherwise. */
const DEFAULT_FIELDS = ['nick', 'username', 'realname'];
const TEXT_FIELDS = ['nick', 'username', 'realname', 'channels', 'port'];
const BOOLEAN_FIELDS: Record<string, boolean> = { tls: true, verify_certificate: true, persistent: false };
/** Registration fields that are the first server's connection, reset by a new registration. */
const REGISTRATION_FIELDS = ['nick', 'password', 'username', 'realname', 'channels', 'port', 'tls', 'verify_certificate'];

function flag(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  return value === 'true' || value === '1';
}

export function serverName(text: string): string {
  const server = text.trim().toLowerCase();
  checkLength('server host name', server, HOST_MAX);
  if (!isHostname(server)) throw new GatewayError('not-acceptable', `"${server.slice(0, 40)}" is not a server host name.`);
  return server;
}

export class ServerSettings {
  /** The registered server: always allowed, never closed for idleness. */
  readonly first: string;
  private readonly fixed?: string;

  private constructor(
    private readonly registration: Credentials,
    private readonly options: IrcOptions,
    private readonly state: State,
    private readonly box: SecretBox | undefined,
    private readonly prefs: Map<string, ServerPrefs>,
  ) {
    this.fixed = options.server?.host.toLowerCase();
    this.first = this.fixed ?? (registration.server ?? '').trim().toLowerCase();
  }

  /**
   * Reads the stored settings. `fresh`: the registration was just (re)submitted, so what was
   * configured for the first server gives way to it (only its persistent flag stays).
   */
  static async load(registration: Credentials, options: IrcOptions, state: State, box: SecretBox | undefined, fresh: boolean,
    warn: (text: string) => void = () => undefined): Promise<ServerSettings> {
    const stored = (await state.get<Record<string, ServerPrefs>>(SERVERS_KEY).catch(() => undefined)) ?? {};
    const prefs = new Map<string, ServerPrefs>();
    for (const [server, values] of Object.entries(stored)) {
      if (!values || typeof values !== 'object') continue;
      const copy: ServerPrefs = {};
      for (const [k, v] of Object.entries(values)) if (typeof v === 'string') copy[k] = v;
      if (copy.password !== undefined) {
        try {
          if (!box) throw new Error('no key to open it with');
          copy.password = box.open(copy.password);
        } catch (err) {
          // The connection still works without it; the user is told to type it again.
          warn(`The stored password for ${server} cannot be read (${(err as Error).message}); configure it again.`);
          delete copy.password;
        }
      }
      prefs.set(server, copy);
    }
    const settings = new ServerSettings(registration, options, state, box, prefs);
    if (fresh && prefs.has(settings.first)) {
      const first = prefs.get(settings.first)!;
      for (const field of REGISTRATION_FIELDS) delete first[field];
      // Not stored means only that a later login reads the old values back; the login goes on.
      await settings.write().catch((err: Error) => warn(err.message));
    }
    return settings;
  }

  /** The servers the user may use, or undefined for any (the outbound policy still applies). */
  allowedList(): string[] | undefined {
    const listed = this.options.allowedServers?.map((s) => s.toLowerCase());
    if (!listed && !this.fixed) return undefined;
    return [...new Set([this.first, ...(listed ?? [])])];
  }

  checkAllowed(server: string): void {
    const list = this.allowedList();
    if (list && !list.includes(server)) {
      throw new GatewayError('not-allowed', `This gateway connects you to ${list.join(', ')} only; ${server} is not one of them.`);
    }
  }

  /** The servers to offer a "Configure" for: the first, the allowed ones, and those configured. */
  known(): string[] {
    const allowed = this.allowedList();
    // Settings kept for a server the operator no longer allows are not offered.
    const configured = [...this.prefs.keys()].filter((s) => !allowed || allowed.includes(s));
    return [...new Set([this.first, ...(allowed ?? []), ...configured])];
  }

  isFixed(server: string): boolean {
    return server === this.fixed;
  }

  persistent(server: string): boolean {
    return server !== this.first && flag(this.prefs.get(server)?.persistent, false);
  }

  persistentServers(): string[] {
    return [...this.prefs.keys()].filter((s) => this.persistent(s));
  }

  hasPassword(server: string): boolean {
    return Boolean(this.credentials(server).password);
  }

  /** A field as the configure form shows it: what the user set, else the default. */
  value(server: string, field: string): string {
    const set = this.prefs.get(server)?.[field];
    if (set !== undefined) return set;
    if (field in BOOLEAN_FIELDS) return String(flag(this.defaultValue(server, field), BOOLEAN_FIELDS[field]));
    return this.defaultValue(server, field) ?? '';
  }

  private defaultValue(server: string, field: string): string | undefined {
    if (server === this.first || DEFAULT_FIELDS.includes(field)) return this.registration[field];
    return undefined;
  }

  private credentials(server: string, prefs = this.prefs.get(server)): Credentials {
    const base: Credentials = {};
    if (server === this.first) Object.assign(base, this.registration);
    else for (const field of DEFAULT_FIELDS) if (this.registration[field] !== undefined) base[field] = this.registration[field];
    return { ...base, ...prefs, server };
  }

  /** The connection settings for a server, validated like a registration (throws GatewayError). */
  settingsFor(server: string, prefs?: ServerPrefs): ConnectionSettings {
    // The fixed server's address is the operator's; another server's is the user's (vetted).
    const options = server === this.fixed ? this.options : { ...this.options, server: undefined, allowedServers: undefined };
    return connectionSettings(this.credentials(server, prefs ?? this.prefs.get(server)), options);
  }

  /**
   * The configure form's answer for `server`: checked like a registration, then stored. Empty
   * text means the default; an empty password keeps the stored one (`clear_password` removes it).
   */
  async save(server: string, values: Record<string, string>): Promise<ConnectionSettings> {
    this.checkAllowed(server);
    if (!this.prefs.has(server) && this.prefs.size >= MAX_SERVERS) {
      throw new GatewayError('resource-constraint', `You have settings for ${MAX_SERVERS} servers, the most this gateway keeps; remove one first.`);
    }
    const old = this.prefs.get(server) ?? {};
    const next: ServerPrefs = {};
    const editable = (field: string) => !(this.isFixed(server) && ['port', 'tls', 'verify_certificate'].includes(field))
      && !(field === 'persistent' && server === this.first);
    for (const field of TEXT_FIELDS) {
      if (!editable(field)) continue;
      const typed = (values[field] ?? old[field] ?? '').trim();
      if (typed !== '' && typed !== (this.defaultValue(server, field) ?? '')) next[field] = typed;
    }
    for (const [field, fallback] of Object.entries(BOOLEAN_FIELDS)) {
      if (!editable(field)) continue;
      const typed = values[field] ?? old[field];
      if (typed === undefined || typed === '') continue;
      const chosen = flag(typed, fallback);
      if (chosen !== flag(this.defaultValue(server, field), fallback)) next[field] = String(chosen);
    }
    const password = values.password ?? '';
    if (password !== '') next.password = password;
    else if (old.password !== undefined && !flag(values.clear_password, false)) next.password = old.password;
    if (next.password !== undefined && next.password !== old.password && !this.box) {
      throw new GatewayError('not-allowed', server === this.first
        ? `Change the password for ${server} by registering again; this gateway cannot keep extra passwords encrypted.`
        : `This gateway cannot keep passwords for additional servers encrypted, so it does not store one for ${server}.`);
    }
    const settings = this.settingsFor(server, next);
    if (Object.keys(next).length) this.prefs.set(server, next);
    else this.prefs.delete(server);
    await this.write();
    return settings;
  }

  private async write(): Promise<void> {
    const out: Record<string, ServerPrefs> = {};
    for (const [server, prefs] of this.prefs) {
      if (!Object.keys(prefs).length) continue;
      const { password, ...rest } = prefs;
      // Never in the clear: without a box no password reaches the prefs (save refuses it).
      out[server] = password !== undefined && this.box ? { ...rest, password: this.box.seal(password) } : rest;
    }
    try {
      if (Object.keys(out).length) await this.state.set(SERVERS_KEY, out);
      else await this.state.delete(SERVERS_KEY);
    } catch (err) {
      throw new GatewayError('internal-server-error', `The settings could not be stored (${(err as Error).message}); try again.`);
    }
  }
}
