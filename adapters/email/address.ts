import { escapeLocalpart, unescapeLocalpart } from '../../src/component/jid-escape';
import { GatewayError } from '../../src/core/errors';

/*
 * Contacts are email addresses. In a JID localpart the '@' and the other characters XMPP forbids
 * are XEP-0106 escaped (alice\40example.net); 'alice%example.net' is accepted on input as well.
 */

// RFC 5322 dot-atom local part (plus UTF-8 letters for SMTPUTF8); quoted local parts are not supported.
const LOCAL_PART = /^[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+(\.[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+)*$/u;
const DOMAIN_LABEL = /^[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?$/u;

/** Validates an address typed by a user or taken from a mail; returns it normalised (lower case). */
export function normaliseEmailAddress(input: string): string {
  const address = input.trim();
  const shown = JSON.stringify(address.slice(0, 80));
  if (/[\r\n\0]/.test(address)) throw new GatewayError('jid-malformed', 'An email address cannot contain line breaks.');
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) {
    throw new GatewayError('jid-malformed', `${shown} is not an email address (expected name@domain, written name\\40domain in the JID).`);
  }
  const local = address.slice(0, at);
  const domain = address.slice(at + 1).replace(/\.$/, '');
  if (local.length > 64 || address.length > 254) throw new GatewayError('jid-malformed', `The email address ${shown} is too long.`);
  if (!LOCAL_PART.test(local)) {
    throw new GatewayError('jid-malformed', `The part before the @ in ${shown} contains characters that are not allowed (spaces, commas, angle brackets, quotes or a misplaced dot).`);
  }
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((label) => DOMAIN_LABEL.test(label))) {
    throw new GatewayError('jid-malformed', `The domain of ${shown} is not a valid mail domain.`);
  }
  return `${local}@${domain}`.toLowerCase();
}

/** JID localpart -> email address. */
export function localpartToAddress(localpart: string): string {
  if (!localpart) throw new GatewayError('jid-malformed', 'Address a contact as name\\40domain (the email address with @ written as \\40).');
  let address = unescapeLocalpart(localpart);
  if (!address.includes('@')) {
    // '%' is legal inside local parts, so only the last one stands for the '@'.
    const pct = address.lastIndexOf('%');
    if (pct > 0) address = `${address.slice(0, pct)}@${address.slice(pct + 1)}`;
  }
  return normaliseEmailAddress(address);
}

/** Email address -> JID localpart. */
export function addressToLocalpart(address: string): string {
  return escapeLocalpart(normaliseEmailAddress(address));
}
