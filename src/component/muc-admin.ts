/**
 * XEP-0045 moderation and room configuration, read and answered: muc#admin (kick, roles,
 * affiliations and their lists) and muc#owner (the muc#roomconfig form). Network-neutral: a
 * room's settings are a RoomConfig, which the core gets from and gives to the adapter.
 */
import xml, { type Element } from '@xmpp/xml';
import { GatewayError } from './errors';
import { buildForm, formBoolean, readForm } from './forms';
import { NS } from './namespaces';
import { iqResult } from './stanzas';
import type { Affiliation, FormField, Role } from './types';

/**
 * What the owner form shows and changes. A field a network does not have stays undefined and is
 * left out of the form.
 */
export interface RoomConfig {
  /** The room's subject (an IRC topic). */
  subject?: string;
  /** Only moderators may change the subject (IRC +t). */
  subjectLocked?: boolean;
  /** Only members and moderators may speak (+m). */
  moderated?: boolean;
  /** Only invited users may enter (+i). */
  membersOnly?: boolean;
  /** The room password ('' for none; +k). */
  password?: string;
  /** Most occupants allowed (0 for no limit; +l). */
  maxUsers?: number;
  /** Listed in the network's room list (not +s). */
  public?: boolean;
}

export interface AdminItem {
  nick?: string;
  /** The bare JID a client named (affiliations are set by JID). */
  jid?: string;
  role?: Role;
  affiliation?: Affiliation;
  reason?: string;
}

export type AdminRequest =
  | { kind: 'change'; items: AdminItem[] }
  | { kind: 'list'; role?: Role; affiliation?: Affiliation };

export type OwnerRequest =
  | { kind: 'form' }
  | { kind: 'submit'; config: RoomConfig; passwordWithoutSecret: boolean }
  | { kind: 'cancel' }
  | { kind: 'destroy' };

const ROLES: Role[] = ['none', 'visitor', 'participant', 'moderator'];
const AFFILIATIONS: Affiliation[] = ['none', 'outcast', 'member', 'admin', 'owner'];
const clip = (text: string) => (text.length > 40 ? `${text.slice(0, 40)}…` : text);

function readItem(item: Element): AdminItem {
  const { nick, jid, role, affiliation } = item.attrs as Record<string, string | undefined>;
  if (role !== undefined && !ROLES.includes(role as Role)) throw new GatewayError('bad-request', `"${clip(role)}" is not a room role (${ROLES.join(', ')}).`);
  if (affiliation !== undefined && !AFFILIATIONS.includes(affiliation as Affiliation)) {
    throw new GatewayError('bad-request', `"${clip(affiliation)}" is not a room affiliation (${AFFILIATIONS.join(', ')}).`);
  }
  const reason = item.getChildText('reason')?.trim() || undefined;
  return { nick: nick || undefined, jid: jid || undefined, role: role as Role | undefined, affiliation: affiliation as Affiliation | undefined, reason };
}

/** A muc#admin query: changes (set) or a list request (get). Throws bad-request for what XEP-0045 forbids. */
export function readAdminRequest(type: 'get' | 'set', query: Element): AdminRequest {
  const items = query.getChildren('item').map(readItem);
  if (!items.length) throw new GatewayError('bad-request', 'A muc#admin query needs an <item/>.');
  if (type === 'get') {
    const [item] = items;
    if (items.length > 1 || (item.role === undefined) === (item.affiliation === undefined)) {
      throw new GatewayError('bad-request', 'Ask for one list at a time: one <item/> with either a role or an affiliation.');
    }
    return item.role !== undefined ? { kind: 'list', role: item.role } : { kind: 'list', affiliation: item.affiliation };
  }
  for (const item of items) {
    if (item.role !== undefined && item.affiliation !== undefined) {
      throw new GatewayError('bad-request', 'Change either the role or the affiliation in one <item/>, not both.');
    }
    if (item.role === undefined && item.affiliation === undefined) throw new GatewayError('bad-request', 'Each <item/> needs a role or an affiliation to set.');
    if (item.role !== undefined && !item.nick) throw new GatewayError('bad-request', 'A role change names the occupant by nick.');
    if (item.affiliation !== undefined && !item.nick && !item.jid) throw new GatewayError('bad-request', 'An affiliation change names a jid (or a nick).');
  }
  return { kind: 'change', items };
}

/** The answer to a list request: each item with its affiliation, and role and nick where known. */
export function adminListResult(iq: Element, items: AdminItem[]): Element {
  return iqResult(iq, xml('query', { xmlns: NS.mucAdmin }, ...items.map((i) =>
    xml('item', { affiliation: i.affiliation ?? 'none', role: i.role, nick: i.nick, jid: i.jid }, i.reason ? xml('reason', {}, i.reason) : undefined))));
}

const VAR = {
  subject: 'subject',
  changeSubject: 'muc#roomconfig_changesubject',
  moderated: 'muc#roomconfig_moderatedroom',
  membersOnly: 'muc#roomconfig_membersonly',
  passwordProtected: 'muc#roomconfig_passwordprotectedroom',
  secret: 'muc#roomconfig_roomsecret',
  maxUsers: 'muc#roomconfig_maxusers',
  public: 'muc#roomconfig_publicroom',
} as const;

/** A muc#owner query: the form asked for, submitted or cancelled, or a destroy request. */
export function readOwnerRequest(type: 'get' | 'set', query: Element): OwnerRequest {
  if (type === 'get') return { kind: 'form' };
  if (query.getChild('destroy')) return { kind: 'destroy' };
  const form = query.getChild('x', NS.data);
  if (form?.attrs.type === 'cancel') return { kind: 'cancel' };
  if (form && form.attrs.type !== 'submit') throw new GatewayError('bad-request', `Submit the room configuration form (type "submit"), not type "${clip(String(form.attrs.type))}".`);
  const values = form ? readForm(form) : {};
  const has = (v: string) => Object.prototype.hasOwnProperty.call(values, v);
  const config: RoomConfig = {};
  if (has(VAR.subject)) config.subject = values[VAR.subject].replace(/\n/g, ' ');
  if (has(VAR.changeSubject)) config.subjectLocked = !formBoolean(values[VAR.changeSubject]);
  if (has(VAR.moderated)) config.moderated = formBoolean(values[VAR.moderated]);
  if (has(VAR.membersOnly)) config.membersOnly = formBoolean(values[VAR.membersOnly]);
  if (has(VAR.public)) config.public = formBoolean(values[VAR.public]);
  if (has(VAR.maxUsers)) {
    const text = values[VAR.maxUsers].trim();
    if (text === '' || text === 'none') config.maxUsers = 0;
    else if (/^\d{1,6}$/.test(text)) config.maxUsers = Number(text);
    else throw new GatewayError('not-acceptable', `The most occupants must be a number (or "none"), not "${clip(text)}".`);
  }
  let passwordWithoutSecret = false;
  if (has(VAR.passwordProtected) || has(VAR.secret)) {
    const secret = values[VAR.secret] ?? '';
    const wanted = has(VAR.passwordProtected) ? formBoolean(values[VAR.passwordProtected]) : secret !== '';
    if (!wanted) config.password = '';
    else if (secret) config.password = secret;
    else passwordWithoutSecret = true;
  }
  return { kind: 'submit', config, passwordWithoutSecret };
}

/** The muc#roomconfig form with the room's current settings; only what the network has is shown. */
export function roomConfigResult(iq: Element, config: RoomConfig, title: string): Element {
  const fields: FormField[] = [];
  const values: Record<string, string> = {};
  const flag = (v: string, label: string, value: boolean | undefined) => {
    if (value === undefined) return;
    fields.push({ var: v, label, type: 'boolean' });
    values[v] = value ? '1' : '0';
  };
  if (config.subject !== undefined) {
    fields.push({ var: VAR.subject, label: 'Subject (topic)', type: 'text-single' });
    values[VAR.subject] = config.subject;
  }
  flag(VAR.changeSubject, 'Allow occupants to change the subject', config.subjectLocked === undefined ? undefined : !config.subjectLocked);
  flag(VAR.moderated, 'Moderated: only members and moderators may speak', config.moderated);
  flag(VAR.membersOnly, 'Members only (invite only)', config.membersOnly);
  if (config.password !== undefined) {
    flag(VAR.passwordProtected, 'Password protected', config.password !== '');
    fields.push({ var: VAR.secret, label: 'Password', type: 'text-private' });
    values[VAR.secret] = config.password;
  }
  if (config.maxUsers !== undefined) {
    fields.push({ var: VAR.maxUsers, label: 'Most occupants (none: no limit)', type: 'text-single' });
    values[VAR.maxUsers] = config.maxUsers ? String(config.maxUsers) : 'none';
  }
  flag(VAR.public, 'Listed in the room directory', config.public);
  return iqResult(iq, xml('query', { xmlns: NS.mucOwner }, buildForm(fields, { title, values, formType: NS.roomConfig })));
}
