/** Errors that reach the XMPP user as stanza errors (RFC 6120 section 8.3). */
export type StanzaErrorCondition =
  | 'bad-request' | 'conflict' | 'feature-not-implemented' | 'forbidden' | 'gone'
  | 'internal-server-error' | 'item-not-found' | 'jid-malformed' | 'not-acceptable'
  | 'not-allowed' | 'not-authorized' | 'policy-violation' | 'recipient-unavailable'
  | 'redirect' | 'registration-required' | 'remote-server-not-found'
  | 'remote-server-timeout' | 'resource-constraint' | 'service-unavailable'
  | 'subscription-required' | 'undefined-condition' | 'unexpected-request';

export type StanzaErrorType = 'auth' | 'cancel' | 'continue' | 'modify' | 'wait';

const DEFAULT_TYPE: Record<StanzaErrorCondition, StanzaErrorType> = {
  'bad-request': 'modify', conflict: 'cancel', 'feature-not-implemented': 'cancel',
  forbidden: 'auth', gone: 'cancel', 'internal-server-error': 'wait', 'item-not-found': 'cancel',
  'jid-malformed': 'modify', 'not-acceptable': 'modify', 'not-allowed': 'cancel',
  'not-authorized': 'auth', 'policy-violation': 'modify', 'recipient-unavailable': 'wait',
  redirect: 'modify', 'registration-required': 'auth', 'remote-server-not-found': 'cancel',
  'remote-server-timeout': 'wait', 'resource-constraint': 'wait', 'service-unavailable': 'cancel',
  'subscription-required': 'auth', 'undefined-condition': 'cancel', 'unexpected-request': 'wait',
};

/**
 * An error with a condition and a sentence the user can read. Adapters throw these; anything
 * else reaching the core becomes internal-server-error with a generic text (details only logged).
 */
export class GatewayError extends Error {
  readonly type: StanzaErrorType;
  constructor(readonly condition: StanzaErrorCondition, message: string, type?: StanzaErrorType) {
    super(message);
    this.name = 'GatewayError';
    this.type = type ?? DEFAULT_TYPE[condition];
  }
}

export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  return new GatewayError('internal-server-error', 'The gateway hit an internal error; it has been logged.');
}

/**
 * XEP-0086's legacy numeric codes. Older MUC clients still read them on room errors (XEP-0045
 * names 401, 403, 404, 405, 406, 407, 409 and 503 for joins), so room errors carry both.
 */
const LEGACY_CODES: Record<StanzaErrorCondition, string> = {
  'bad-request': '400', conflict: '409', 'feature-not-implemented': '501', forbidden: '403', gone: '302',
  'internal-server-error': '500', 'item-not-found': '404', 'jid-malformed': '400', 'not-acceptable': '406',
  'not-allowed': '405', 'not-authorized': '401', 'policy-violation': '406', 'recipient-unavailable': '404',
  redirect: '302', 'registration-required': '407', 'remote-server-not-found': '404',
  'remote-server-timeout': '504', 'resource-constraint': '500', 'service-unavailable': '503',
  'subscription-required': '407', 'undefined-condition': '500', 'unexpected-request': '400',
};

export function legacyCode(condition: StanzaErrorCondition): string {
  return LEGACY_CODES[condition];
}
