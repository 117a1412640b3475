/** Adapters throw these; they live on the XMPP side (they are stanza errors) and are handed on here. */
export { GatewayError, toGatewayError, type StanzaErrorCondition, type StanzaErrorType } from '../component/errors';
