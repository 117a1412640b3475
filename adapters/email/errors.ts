import { GatewayError } from '../../src/core/errors';
import { remoteText } from './text';

interface LibraryError {
  code?: string;
  message?: string;
  authenticationFailed?: boolean;
  serverResponseCode?: string;
  responseText?: string;
  responseCode?: number;
  response?: unknown;
  command?: string;
  tlsFailed?: boolean;
}

const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ETIMEOUT', 'CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT']);
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EDNS', 'ECONNECTION', 'ESOCKET', 'NoConnection', 'EConnectionClosed']);

function connectionProblem(err: LibraryError, what: string): GatewayError | undefined {
  const code = err.code ?? '';
  if (TIMEOUT_CODES.has(code)) return new GatewayError('remote-server-timeout', `${what} did not answer in time.`);
  if (err.tlsFailed || code === 'ETLS' || /certificate|ssl|tls/i.test(err.message ?? '')) {
    return new GatewayError('remote-server-not-found', `${what} could not be reached securely (TLS failed: ${remoteText(err.message, 200)}).`);
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new GatewayError('remote-server-not-found', `${what} does not exist (DNS lookup failed).`);
  if (UNREACHABLE_CODES.has(code)) return new GatewayError('remote-server-not-found', `${what} could not be reached (${remoteText(err.message || code, 200)}).`);
  return undefined;
}

/** imapflow error -> GatewayError naming the IMAP server. */
export function imapError(err: unknown, host: string): GatewayError {
  if (err instanceof GatewayError) return err;
  const e = (err ?? {}) as LibraryError;
  const what = `IMAP server ${host}`;
  if (e.authenticationFailed || e.serverResponseCode === 'AUTHENTICATIONFAILED') {
    return new GatewayError('not-authorized', `${what} refused the login: ${remoteText(e.responseText || e.message || 'authentication failed')}`);
  }
  return connectionProblem(e, what)
    ?? new GatewayError('remote-server-not-found', `${what} failed: ${remoteText(e.responseText || e.message || 'unknown error')}`);
}

function smtpResponse(e: LibraryError): string {
  return remoteText(typeof e.response === 'string' && e.response ? e.response : e.message || 'unknown error');
}

/** nodemailer error during login/verify -> GatewayError naming the SMTP server. */
export function smtpLoginError(err: unknown, host: string): GatewayError {
  if (err instanceof GatewayError) return err;
  const e = (err ?? {}) as LibraryError;
  const what = `SMTP server ${host}`;
  if (e.code === 'EAUTH' || e.command === 'AUTH PLAIN' || e.command === 'AUTH LOGIN' || e.responseCode === 535) {
    return new GatewayError('not-authorized', `${what} refused the login: ${smtpResponse(e)}`);
  }
  return connectionProblem(e, what) ?? new GatewayError('remote-server-not-found', `${what} failed: ${smtpResponse(e)}`);
}

/** nodemailer error while sending -> the error the XMPP sender sees. */
export function smtpSendError(err: unknown, host: string): GatewayError {
  if (err instanceof GatewayError) return err;
  const e = (err ?? {}) as LibraryError;
  if (e.code === 'EAUTH') return smtpLoginError(err, host);
  if (typeof e.responseCode === 'number') {
    // 4xx is temporary (try again later), 5xx permanent.
    const condition = e.responseCode >= 500 ? 'not-acceptable' : 'recipient-unavailable';
    return new GatewayError(condition, `SMTP server refused: ${smtpResponse(e)}`);
  }
  return connectionProblem(e, `SMTP server ${host}`) ?? new GatewayError('undefined-condition', `Sending the mail failed: ${smtpResponse(e)}`);
}
