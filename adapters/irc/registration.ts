/** The XEP-0077 registration form for IRC and its validation into connection settings. */
import type { Credentials, FormField } from '../../src/core/adapter';
import { GatewayError } from '../../src/core/errors';
import { isChannelName, isHostname, isNick } from './address';
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

/** Parses "#a, #b key" into channels; a space after a channel name introduces its key. */
export function parseChannelList(text: string | undefined): { name: string; key?: string }[] {
  if (!text || !text.trim()) return [];
  return text.split(',').map((entry) => entry.trim()).filter(Boolean).map((entry) => {
    const [name, key] = entry.split(/\s+/, 2);
    if (!isChannelName(name)) throw invalid(`"${name}" is not a channel name (channels start with #).`);
    return key ? { name, key } : { name };
  });
}

/** Credentials from the form (or anonymous use) -> settings, with readable errors for bad values. */
export function connectionSettings(credentials: Credentials, options: IrcOptions): ConnectionSettings {
  const nick = (credentials.nick ?? '').trim();
  if (!isNick(nick)) throw invalid(`"${nick}" is not a valid IRC nickname (letters, digits and []\\\`_^{|}- only, not starting with a digit).`);
  const username = (credentials.username ?? '').trim() || nick;
  if (!/^[A-Za-z0-9_.-]{1,32}$/.test(username)) throw invalid('The user name may only contain letters, digits, "_", "." and "-".');
  const realname = (credentials.realname ?? '').replace(/[\r\n\0]/g, ' ').trim() || options.defaultRealname;
  const password = credentials.password ? credentials.password : undefined;
  if (password && /[\r\n\0]/.test(password)) throw invalid('The password cannot contain line breaks.');
  const channels = parseChannelList(credentials.channels);
  if (options.server) {
    return { ...options.server, nick, username, realname, password, channels };
  }
  const host = (credentials.server ?? '').trim().toLowerCase();
  if (!isHostname(host)) throw invalid(`"${host}" is not a server host name.`);
  if (options.allowedServers && !options.allowedServers.map((s) => s.toLowerCase()).includes(host)) {
    throw new GatewayError('not-allowed', `This gateway only connects to: ${options.allowedServers.join(', ')}.`);
  }
  const tls = bool(credentials.tls, true);
  const port = credentials.port ? Number(credentials.port) : tls ? 6697 : 6667;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid(`"${credentials.port}" is not a port number.`);
  return { host, port, tls, verifyCertificate: bool(credentials.verify_certificate, true), nick, username, realname, password, channels };
}
