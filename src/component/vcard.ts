/** XEP-0054 vcard-temp answers for legacy contacts: what the network knows about them. */
import xml, { type Element } from '@xmpp/xml';
import { NS } from './namespaces';
import { iqResult, xmlSafe } from './stanzas';

export interface ContactCard {
  /** Full name (FN): an IRC real name, an email display name, a formatted phone number. */
  fullName?: string;
  nickname?: string;
  email?: string;
  phone?: string;
  /** Anything else worth showing (an IRC user's host and server, an away message). */
  note?: string;
}

export function vcardResult(iq: Element, card: ContactCard): Element {
  const vcard = xml('vCard', { xmlns: NS.vcard });
  const text = (value: string) => xmlSafe(value);
  if (card.fullName) vcard.append(xml('FN', {}, text(card.fullName)));
  if (card.nickname) vcard.append(xml('NICKNAME', {}, text(card.nickname)));
  if (card.email) vcard.append(xml('EMAIL', {}, xml('INTERNET'), xml('USERID', {}, text(card.email))));
  if (card.phone) vcard.append(xml('TEL', {}, xml('CELL'), xml('NUMBER', {}, text(card.phone))));
  if (card.note) vcard.append(xml('NOTE', {}, text(card.note)));
  return iqResult(iq, vcard);
}
