import { parsePhoneNumberWithError, type CountryCode, isSupportedCountry } from 'libphonenumber-js/max';
import { GatewayError } from '../../src/core/errors';

/** XEP-0106 escapes; a client may send "(555)\20123-4567" as a localpart. */
const XEP0106 = /\\(20|22|26|27|2f|3a|3c|3e|40|5c)/gi;

export function unescapeLocalpart(localpart: string): string {
  return localpart.replace(XEP0106, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

export function isCountryCode(value: string): value is CountryCode {
  return isSupportedCountry(value);
}

/** Shown in error texts: never echo more than a short, printable excerpt of what the user typed. */
function excerpt(input: string): string {
  const printable = input.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > 40 ? `${printable.slice(0, 40)}...` : printable;
}

/**
 * Any way a person writes a phone number -> E.164 ('+15551234567').
 * Accepts national formats for the default country, '+' and the '00' international prefix.
 * Letters are refused even though libphonenumber maps vanity numbers: a localpart with letters
 * is much more likely a mistyped address than "1-800-FLOWERS".
 */
export function toE164(input: string, defaultCountry: CountryCode): string {
  const text = unescapeLocalpart(input).trim();
  const invalid = () => new GatewayError('jid-malformed', `"${excerpt(text)}" is not a phone number. Address SMS contacts as +<country code><number>, e.g. +15551234567@<this service>.`);
  if (!/^[+0-9() .\-/]+$/.test(text) || !/[0-9]/.test(text)) throw invalid();
  let candidate = text.replace(/[() .\-/]/g, '');
  if (candidate.indexOf('+', 1) !== -1) throw invalid();
  if (candidate.startsWith('00')) candidate = `+${candidate.slice(2)}`;
  let parsed;
  try {
    parsed = parsePhoneNumberWithError(candidate, defaultCountry);
  } catch {
    throw invalid();
  }
  // isValid() would refuse the fictional 555 range and freshly allocated blocks the metadata
  // does not know yet; a possible length is the right bar, the carrier decides the rest.
  if (!parsed.isPossible()) {
    throw new GatewayError('jid-malformed', `"${excerpt(text)}" does not have the length of a phone number in ${parsed.country ?? `country code +${parsed.countryCallingCode}`}.`);
  }
  return parsed.number;
}

/** Human display form: '+44 7911 123456'. */
export function displayNumber(e164: string): string {
  try {
    return parsePhoneNumberWithError(e164).formatInternational();
  } catch {
    return e164;
  }
}

/**
 * Localpart for an inbound sender. Twilio's From is E.164 for phones but can be a short code
 * ('12345') or an alphanumeric sender id ('ACMEBANK'); those become plain lowercase localparts
 * (replying to them fails with a readable error, as it would on a phone).
 */
export function senderLocalpart(from: string, defaultCountry: CountryCode): string | undefined {
  if (from.startsWith('+')) {
    try {
      return toE164(from, defaultCountry);
    } catch {
      return undefined;
    }
  }
  if (/^[A-Za-z0-9]{1,15}$/.test(from)) return from.toLowerCase();
  return undefined;
}
