/** The XEP-0077 registration form for IRC and its validation into connection settings. */
import type { Credentials, FormField } from '../../src/core/adapter';
import { GatewayError } from '../../src/core/errors';
import { isChannelName, isHostname, isNick } from './address';
import { CHANNEL_KEY_MAX, CHANNEL_MAX, checkLength, HOST_MAX, NICK_MAX, PASSWORD_MAX, REALNAME_MAX, USERNAME_MAX } from './limits';
import type { IrcOptions } from './options';

export interface ConnectionSettings {
  host: string;
  port: number;
  tls: boolean;
  verifyCertificate: boolean;
  nick: string;
  password?: string;
  username: string;
  realname: string;
  channels: { name: string; key?: string }[];
}

export function registrationFields(options: IrcOptions): FormField[] {
  const serverFields: FormField[] = options.server ? [] : [
    { var: 'server', label: 'IRC server host name', type: 'text-single', required: true, desc: 'e.g. irc.libera.chat' },
    { var: 'port', label: 'Port', type: 'text-single', default: '6697' },
    { var: 'tls', label: 'Use TLS', type: 'boolean', default: 'true' },
    { var: 'verify_certificate', label: 'Verify the server certificate', type: 'boolean', default: 'true' },
  ];
  return [
    ...serverFields,
    { var: 'nick', label: 'Nickname', type: 'text-single', required: true, legacyName: 'nick' },
    {
      var: 'password', label: 'Account password (optional)', type: 'text-private', secret: true, legacyName: 'password',
      desc: 'Sent with SASL PLAIN when the server offers it, otherwise to NickServ (IDENTIFY).',
    },
    { var: 'username', label: 'User name (ident, optional)', type: 'text-single', legacyName: 'username' },
    { var: 'realname', label: 'Real name (optional)', type: 'text-single', legacyName: 'name' },
    { var: 'channels', label: 'Channels to join automatically (comma separated)', type: 'text-single', desc: '#chan or #chan key' },
  ];
}

function bool(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  return value === 'true' || value === '1';
}

function invalid(text: string): GatewayError {
  return new GatewayError('not-acceptable', text);
}

/**
 * Parses "#a, #b key" into channels; a space after a channel name introduces its key.
 * `max` is the per-user channel cap, so a registration cannot auto-join past it.
 */
export function parseChannelList(text: string | undefined, max = Infinity): { name: string; key?: string }[] {
  if (!text || !text.trim()) return [];
  const entries = text.split(',').map((entry) => entry.trim()).filter(Boolean);
  if (entries.length > max) throw invalid(`The channel list names ${entries.length} channels; this gateway joins at most ${max} per user.`);
  return entries.map((entry) => {
    const [name, key] = entry.split(/\s+/, 2);
    checkLength(`channel name "${name.slice(0, 20)}…"`, name, CHANNEL_MAX);
    if (!isChannelName(name)) throw invalid(`"${name}" is not a channel name (channels start with #).`);
    if (key) checkLength(`key of ${name}`, key, CHANNEL_KEY_MAX);
    return key ? { name, key } : { name };
  });
}

/** Credentials from the form (or anonymous use) -> settings, with readable errors for bad values. */
export function connectionSettings(credentials: Credentials, options: IrcOptions): ConnectionSettings {
  const nick = (credentials.nick ?? '').trim();
  checkLength('nickname', nick, NICK_MAX);
  if (!isNick(nick)) throw invalid(`"${nick}" is not a valid IRC nickname (letters, digits and []\\\`_^{|}- only, not starting with a digit).`);
  // Without one typed in, the ident comes from the nick, minus what idents cannot hold.
  const username = (credentials.username ?? '').trim() || nick.replace(/[^A-Za-z0-9_.-]/g, '').slice(0, USERNAME_MAX) || 'xmpp';
  checkLength('user name', username, USERNAME_MAX);
  if (!/^[A-Za-z0-9_.-]+$/.test(username)) throw invalid('The user name may only contain letters, digits, "_", "." and "-".');
  const realname = (credentials.realname ?? '').replace(/[\r\n\0]/g, ' ').trim() || options.defaultRealname;
  checkLength('real name', realname, REALNAME_MAX);
  const password = credentials.password ? credentials.password : undefined;
  if (password) checkLength('password', password, PASSWORD_MAX);
  if (password && /[\r\n\0]/.test(password)) throw invalid('The password cannot contain line breaks.');
  const channels = parseChannelList(credentials.channels, options.maxChannels);
  if (options.server) {
    return { ...options.server, nick, username, realname, password, channels };
  }
  const host = (credentials.server ?? '').trim().toLowerCase();
  checkLength('server host name', host, HOST_MAX);
  if (!isHostname(host)) throw invalid(`"${host}" is not a server host name.`);
  if (options.allowedServers && !options.allowedServers.map((s) => s.toLowerCase()).includes(host)) {
    throw new GatewayError('not-allowed', `This gateway only connects to: ${options.allowedServers.join(', ')}.`);
  }
  const tls = bool(credentials.tls, true);
  const portText = (credentials.port ?? '').trim();
  // Decimal digits only: Number() would also read "0x1A0B", "1e3" or " 6667 " as ports.
  const port = portText ? (/^[0-9]{1,5}$/.test(portText) ? Number(portText) : NaN) : tls ? 6697 : 6667;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid(`"${portText.slice(0, 20)}" is not a port number (1-65535, decimal digits).`);
  return { host, port, tls, verifyCertificate: bool(credentials.verify_certificate, true), nick, username, realname, password, channels };
}
