import { GatewayError } from '../../src/core/errors';
import { remoteText } from './text';

/*
 * Users choose the host and port the gateway connects to, so error texts never carry what a remote
 * volunteered: its greeting, a TLS alert, the names in its certificate, an OS error with address
 * and port. Echoing those would make the gateway a banner grabber (an SMTP error quoting an IMAP
 * greeting) and a port scanner. Each failure becomes one of a few fixed sentences instead.
 *
 * One exception, because it is the answer the user needs: the server's reply to a command of ours
 * once it has shown it speaks the protocol (a refused login, a refused recipient, "550 mailbox
 * unavailable"). It is kept only when it has the protocol's shape (an SMTP reply code; an IMAP
 * tagged NO/BAD or AUTHENTICATIONFAILED), on one line and short.
 */

interface LibraryError {
  code?: string;
  /** nodemailer keeps the system error's code here when it replaces `code` with its own. */
  originalCode?: string;
  message?: string;
  authenticationFailed?: boolean;
  serverResponseCode?: string;
  responseStatus?: string;
  responseText?: string;
  responseCode?: number;
  response?: unknown;
  command?: string;
  tlsFailed?: boolean;
}

const REPLY_MAX = 200;
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ETIMEOUT', 'CONNECT_TIMEOUT', 'UPGRADE_TIMEOUT']);
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EDNS', 'EAI_NONAME', 'EAI_FAIL']);
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ECONNECTION',
  'ESOCKET', 'NoConnection', 'EConnectionClosed', 'EADDRNOTAVAIL',
]);
const CERTIFICATE_PROBLEMS: [RegExp, string][] = [
  [/CERT_HAS_EXPIRED|certificate has expired/i, 'its certificate has expired'],
  [/CERT_NOT_YET_VALID|not yet valid/i, 'its certificate is not valid yet'],
  [/ALTNAME|does not match certificate|altnames/i, 'its certificate is for a different host name'],
  [/SELF_SIGNED|self[- ]signed/i, 'its certificate is self-signed'],
  [/UNABLE_TO_|unable to (verify|get)|certificate/i, 'its certificate is not trusted'],
];
const NOT_TLS = /WRONG_VERSION_NUMBER|wrong version number|unknown protocol|packet length too long|http request/i;

function codes(err: LibraryError): string {
  return `${err.originalCode ?? ''} ${err.code ?? ''}`;
}

function tlsProblem(err: LibraryError): string | undefined {
  const text = `${codes(err)} ${err.message ?? ''}`;
  if (NOT_TLS.test(text)) return 'it did not answer with TLS on this port (check the port and the security setting)';
  for (const [pattern, sentence] of CERTIFICATE_PROBLEMS) if (pattern.test(text)) return sentence;
  if (err.tlsFailed || err.code === 'ETLS' || /\b(tls|ssl|handshake)\b/i.test(text)) return 'the TLS handshake failed';
  return undefined;
}

function connectionProblem(err: LibraryError, what: string): GatewayError | undefined {
  const code = err.originalCode ?? err.code ?? '';
  if (DNS_CODES.has(code)) return new GatewayError('remote-server-not-found', `${what} does not exist (DNS lookup failed).`);
  if (TIMEOUT_CODES.has(code) || TIMEOUT_CODES.has(err.code ?? '')) return new GatewayError('remote-server-timeout', `${what} did not answer in time.`);
  const tls = tlsProblem(err);
  if (tls) return new GatewayError('remote-server-not-found', `${what} could not be reached securely: ${tls}.`);
  if (UNREACHABLE_CODES.has(code) || UNREACHABLE_CODES.has(err.code ?? '')) {
    return new GatewayError('remote-server-not-found', `${what} could not be reached (check the host name and port).`);
  }
  return undefined;
}

/** An SMTP reply to one of our commands ("550 5.1.1 ..."), one line, or undefined if it is not one. */
function smtpReply(err: LibraryError): string | undefined {
  const reply = typeof err.response === 'string' ? remoteText(err.response, REPLY_MAX) : '';
  return /^[245]\d\d(?:[ -]|$)/.test(reply) ? reply : undefined;
}

/** imapflow error -> GatewayError naming the IMAP server. */
export function imapError(err: unknown, host: string): GatewayError {
  if (err instanceof GatewayError) return err;
  const e = (err ?? {}) as LibraryError;
  const what = `IMAP server ${host}`;
  // Only a server that answered our LOGIN can refuse it, so its text is an answer, not a banner.
  const reply = e.responseText ? remoteText(e.responseText, REPLY_MAX) : '';
  if (e.authenticationFailed || e.serverResponseCode === 'AUTHENTICATIONFAILED') {
    return new GatewayError('not-authorized', `${what} refused the login${reply ? `: ${reply}` : '.'}`);
  }
  if (e.code === 'GREETING_TIMEOUT') {
    return new GatewayError('remote-server-timeout', `${what} did not greet like an IMAP server in time (check the port and the TLS setting).`);
  }
  const problem = connectionProblem(e, what);
  if (problem) return problem;
  if ((e.responseStatus === 'NO' || e.responseStatus === 'BAD') && reply) {
    return new GatewayError('remote-server-not-found', `${what} refused a command: ${reply}`);
  }
  return new GatewayError('remote-server-not-found', `${what} failed: it does not behave like an IMAP server, or the connection broke.`);
}

/** A handshake error: whatever the remote said, it is not an SMTP server we can talk to. */
function protocolProblem(e: LibraryError, what: string): GatewayError | undefined {
  if (e.code !== 'EPROTOCOL') return undefined;
  if (e.command === 'CONN') {
    return new GatewayError('remote-server-not-found', `${what} is not an SMTP server (no SMTP greeting on this port).`);
  }
  return new GatewayError('remote-server-not-found', `${what} did not complete the SMTP handshake (is it an SMTP server?).`);
}

/** nodemailer error during login/verify -> GatewayError naming the SMTP server. */
export function smtpLoginError(err: unknown, host: string): GatewayError {
  if (err instanceof GatewayError) return err;
  const e = (err ?? {}) as LibraryError;
  const what = `SMTP server ${host}`;
  if (e.code === 'EAUTH' || e.command === 'AUTH PLAIN' || e.command === 'AUTH LOGIN' || e.responseCode === 535) {
    const reply = smtpReply(e);
    return new GatewayError('not-authorized', `${what} refused the login${reply ? `: ${reply}` : '.'}`);
  }
  return protocolProblem(e, what) ?? connectionProblem(e, what)
    ?? new GatewayError('remote-server-not-found', `${what} failed: the SMTP login did not complete.`);
}

/** nodemailer error while sending -> the error the XMPP sender sees. */
export function smtpSendError(err: unknown, host: string): GatewayError {
  if (err instanceof GatewayError) return err;
  const e = (err ?? {}) as LibraryError;
  const what = `SMTP server ${host}`;
  if (e.code === 'EAUTH') return smtpLoginError(err, host);
  const protocol = protocolProblem(e, what);
  if (protocol) return protocol;
  if (typeof e.responseCode === 'number' && e.responseCode >= 400) {
    // 4xx is temporary (try again later), 5xx permanent.
    const condition = e.responseCode >= 500 ? 'not-acceptable' : 'recipient-unavailable';
    const reply = smtpReply(e);
    return new GatewayError(condition, reply ? `SMTP server refused: ${reply}` : `SMTP server refused the mail (reply code ${e.responseCode}).`);
  }
  return connectionProblem(e, what) ?? new GatewayError('undefined-condition', 'Sending the mail failed.');
}
