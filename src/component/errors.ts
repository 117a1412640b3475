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
