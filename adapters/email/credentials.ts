import type { Credentials, FormField } from '../../src/core/adapter';
import { GatewayError } from '../../src/core/errors';
import { normaliseEmailAddress } from './address';

export type SmtpSecurity = 'tls' | 'starttls' | 'none';

/** One user's mail account as entered in the registration form, validated. */
export interface MailAccount {
  address: string;
  imap: { host: string; port: number; tls: boolean; user: string; pass: string };
  smtp: { host: string; port: number; security: SmtpSecurity; user: string; pass: string };
}

export const registrationFields: FormField[] = [
  { var: 'email', label: 'Your email address', type: 'text-single', required: true, legacyName: 'email' },
  { var: 'imap_host', label: 'IMAP server (incoming mail)', type: 'text-single', required: true },
  { var: 'imap_port', label: 'IMAP port', type: 'text-single', default: '993' },
  { var: 'imap_tls', label: 'IMAP over TLS (port 993)', type: 'boolean', default: 'true' },
  { var: 'imap_username', label: 'IMAP user name', type: 'text-single', required: true, legacyName: 'username' },
  { var: 'imap_password', label: 'IMAP password', type: 'text-private', required: true, secret: true, legacyName: 'password' },
  { var: 'smtp_host', label: 'SMTP server (outgoing mail)', type: 'text-single', required: true },
  { var: 'smtp_port', label: 'SMTP port', type: 'text-single', default: '465' },
  {
    var: 'smtp_security', label: 'SMTP security', type: 'list-single', default: 'tls',
    options: [
      { label: 'TLS from the start (usually port 465)', value: 'tls' },
      { label: 'STARTTLS (usually port 587)', value: 'starttls' },
      { label: 'None (only for a server on a trusted network)', value: 'none' },
    ],
  },
  { var: 'smtp_username', label: 'SMTP user name (empty: same as IMAP)', type: 'text-single' },
  { var: 'smtp_password', label: 'SMTP password (empty: same as IMAP)', type: 'text-private', secret: true },
];

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const IPV6 = /^\[?[0-9A-Fa-f:.]+\]?$/;

function host(value: string | undefined, what: string): string {
  const v = (value ?? '').trim();
  if (!v) throw new GatewayError('not-acceptable', `The ${what} server is missing.`);
  if (!HOSTNAME.test(v) && !(v.includes(':') && IPV6.test(v))) {
    throw new GatewayError('not-acceptable', `The ${what} server ${JSON.stringify(v.slice(0, 80))} is not a host name or IP address.`);
  }
  return v.replace(/^\[|\]$/g, '');
}

function port(value: string | undefined, fallback: number, what: string): number {
  const v = (value ?? '').trim();
  if (!v) return fallback;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > 65535) throw new GatewayError('not-acceptable', `The ${what} port must be a number from 1 to 65535.`);
  return n;
}

function oneLine(value: string | undefined, what: string, required: boolean): string {
  const v = value ?? '';
  if (/[\r\n\0]/.test(v)) throw new GatewayError('not-acceptable', `The ${what} cannot contain line breaks.`);
  if (required && !v) throw new GatewayError('not-acceptable', `The ${what} is missing.`);
  return v;
}

function bool(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  return value === 'true' || value === '1';
}

export function parseAccount(creds: Credentials): MailAccount {
  const address = normaliseAccountAddress(creds.email);
  const imapUser = oneLine(creds.imap_username?.trim(), 'IMAP user name', true);
  const imapPass = oneLine(creds.imap_password, 'IMAP password', true);
  const imapTls = bool(creds.imap_tls, true);
  const security = (creds.smtp_security || 'tls') as SmtpSecurity;
  if (!['tls', 'starttls', 'none'].includes(security)) {
    throw new GatewayError('not-acceptable', 'SMTP security must be tls, starttls or none.');
  }
  return {
    address,
    imap: { host: host(creds.imap_host, 'IMAP'), port: port(creds.imap_port, imapTls ? 993 : 143, 'IMAP'), tls: imapTls, user: imapUser, pass: imapPass },
    smtp: {
      host: host(creds.smtp_host, 'SMTP'),
      port: port(creds.smtp_port, security === 'tls' ? 465 : 587, 'SMTP'),
      security,
      user: oneLine(creds.smtp_username?.trim(), 'SMTP user name', false) || imapUser,
      pass: oneLine(creds.smtp_password, 'SMTP password', false) || imapPass,
    },
  };
}

function normaliseAccountAddress(value: string | undefined): string {
  try {
    return normaliseEmailAddress(value ?? '');
  } catch (err) {
    throw new GatewayError('not-acceptable', `Your email address is not valid: ${(err as Error).message}`);
  }
}
