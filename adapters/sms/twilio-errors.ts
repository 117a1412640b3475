import { GatewayError, type StanzaErrorCondition } from '../../src/core/errors';

interface KnownCode {
  condition: StanzaErrorCondition;
  text: string;
}

/** Twilio error codes users actually meet, in words (the numbers alone mean nothing to them). */
const KNOWN_CODES: Record<string, KnownCode> = {
  '20003': { condition: 'not-authorized', text: 'Twilio rejected the account credentials (Account SID / Auth Token or API key).' },
  '20404': { condition: 'item-not-found', text: 'Twilio could not find that resource on the account.' },
  '21211': { condition: 'jid-malformed', text: 'Twilio says the recipient is not a valid phone number.' },
  '21408': { condition: 'forbidden', text: 'The Twilio account is not allowed to send SMS to that country or region (see the geo permissions in the Twilio console).' },
  '21602': { condition: 'bad-request', text: 'The message has no text.' },
  '21606': { condition: 'not-acceptable', text: 'Your Twilio number cannot send SMS to this destination.' },
  '21608': { condition: 'forbidden', text: 'Your Twilio account is a trial account and can only send to verified numbers; verify the recipient in the Twilio console or upgrade the account.' },
  '21610': { condition: 'forbidden', text: 'The recipient has unsubscribed (replied STOP) from your number; they must reply START to receive messages again.' },
  '21612': { condition: 'recipient-unavailable', text: 'The recipient cannot currently be reached by SMS from your number.' },
  '21614': { condition: 'item-not-found', text: 'The recipient is not a mobile number and cannot receive SMS.' },
  '21617': { condition: 'policy-violation', text: 'The message is longer than Twilio accepts.' },
  '30001': { condition: 'resource-constraint', text: 'Twilio queue overflow: too many messages were sent too quickly.' },
  '30002': { condition: 'not-authorized', text: 'The Twilio account is suspended.' },
  '30003': { condition: 'recipient-unavailable', text: 'The recipient phone is unreachable (switched off or out of coverage).' },
  '30004': { condition: 'forbidden', text: 'The message was blocked (the recipient blocks your number or the carrier blocks the content).' },
  '30005': { condition: 'item-not-found', text: 'The recipient number is unknown or no longer exists.' },
  '30006': { condition: 'not-acceptable', text: 'The recipient is a landline or its carrier cannot receive SMS.' },
  '30007': { condition: 'policy-violation', text: 'The carrier filtered the message as spam or as not permitted.' },
  '30008': { condition: 'undefined-condition', text: 'The carrier reported an unknown delivery error.' },
  '30009': { condition: 'undefined-condition', text: 'A part of the multi-part message is missing at the carrier.' },
  '30010': { condition: 'policy-violation', text: 'The message price exceeds the maximum price set on the account.' },
};

export function explainCode(code: string | number | undefined): KnownCode {
  const key = code === undefined ? '' : String(code);
  return KNOWN_CODES[key] ?? {
    condition: 'undefined-condition',
    text: key ? `Twilio reported error ${key.replace(/[^0-9A-Za-z]/g, '').slice(0, 10)}.` : 'Twilio reported a failure without an error code.',
  };
}

/** A delivery failure reported later by a status callback. */
export function deliveryError(status: string, code: string | undefined): GatewayError {
  const known = explainCode(code);
  const what = status === 'undelivered' ? 'The SMS could not be delivered' : 'The SMS failed';
  const suffix = code && /^[0-9]{1,10}$/.test(code) ? ` (Twilio error ${code})` : '';
  return new GatewayError(known.condition, `${what}: ${known.text}${suffix}`);
}

/** The shape of twilio's RestException and of axios/network errors, as far as we rely on it. */
export interface ApiFailure {
  status?: number;
  code?: number | string;
  message?: string;
}

export function isRetryable(err: ApiFailure): boolean {
  if (err.status === undefined) return isNetworkError(err);
  return err.status === 429 || err.status >= 500;
}

export function isNetworkError(err: ApiFailure): boolean {
  return err.status === undefined && typeof err.code === 'string' && /^E[A-Z_]+$/.test(err.code);
}

export function isAuthFailure(err: ApiFailure): boolean {
  return err.status === 401 || String(err.code) === '20003';
}

/** An API failure at request time -> what the XMPP user reads. */
export function apiError(err: ApiFailure, action: string): GatewayError {
  if (isNetworkError(err) || err.status === undefined) {
    return new GatewayError('remote-server-timeout', `Twilio could not be reached while trying to ${action}; please try again later.`);
  }
  if (err.status === 429) {
    return new GatewayError('resource-constraint', `Twilio is rate-limiting requests; could not ${action} after several attempts. Please try again in a minute.`);
  }
  if (err.status >= 500) {
    return new GatewayError('service-unavailable', `Twilio had a server error (HTTP ${err.status}) and could not ${action}; please try again later.`);
  }
  if (isAuthFailure(err)) return new GatewayError('not-authorized', KNOWN_CODES['20003'].text);
  if (err.code !== undefined && KNOWN_CODES[String(err.code)]) {
    const known = KNOWN_CODES[String(err.code)];
    return new GatewayError(known.condition, known.text);
  }
  return new GatewayError('undefined-condition', `Twilio refused to ${action} (HTTP ${err.status}${err.code ? `, error ${String(err.code).replace(/[^0-9A-Za-z]/g, '').slice(0, 10)}` : ''}).`);
}
