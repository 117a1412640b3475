import xml, { type Element } from '@xmpp/xml';
import { GatewayError } from './errors';

/** XEP-0313 Message Archive Management: parsing queries, building results. Knows nothing about storage. */
export const MAM_NS = {
  mam: 'urn:xmpp:mam:2',
  extended: 'urn:xmpp:mam:2#extended',
  rsm: 'http://jabber.org/protocol/rsm',
  forward: 'urn:xmpp:forward:0',
  delay: 'urn:xmpp:delay',
  data: 'jabber:x:data',
  validate: 'http://jabber.org/protocol/xdata-validate',
  client: 'jabber:client',
} as const;

/** What an archive's disco#info lists; #extended promises after-id/before-id/ids, flip-page and metadata. */
export const MAM_FEATURES = [MAM_NS.mam, MAM_NS.extended];

/** A parsed archive query. Times are ms since the epoch; ids are archive ids. */
export interface MamQuery {
  queryId?: string;
  with?: string;
  start?: number;
  end?: number;
  afterId?: string;
  beforeId?: string;
  ids?: string[];
  /** RSM <after>. */
  after?: string;
  /** RSM <before>: an id, or true for an empty <before/> (the last page). */
  before?: string | true;
  /** RSM <max>; absent when the client gave none (the caller applies its default and cap). */
  max?: number;
  /** Send the page newest first (the page itself is the same). */
  flipPage: boolean;
}

export interface ParseOptions {
  /** Most ids one query may ask for. Default 100. */
  maxIds?: number;
}

const SINGLE_FIELDS = ['with', 'start', 'end', 'after-id', 'before-id'] as const;
const SUPPORTED_FIELDS = [...SINGLE_FIELDS, 'ids'];
const MAX_JID_LENGTH = 3071;
const MAX_RSM_MAX = 2 ** 31 - 1;

/** Reads a <query xmlns='urn:xmpp:mam:2'/> of an iq set. Throws a GatewayError with a readable text for anything it cannot honour. */
export function parseMamQuery(query: Element, options: ParseOptions = {}): MamQuery {
  if (query.attrs.node !== undefined) throw new GatewayError('feature-not-implemented', 'This archive has no nodes; query it without the node attribute.');
  const result: MamQuery = { flipPage: query.getChild('flip-page', MAM_NS.mam) !== undefined };
  if (query.attrs.queryid !== undefined) result.queryId = query.attrs.queryid;
  const form = query.getChild('x', MAM_NS.data);
  if (form) readForm(form, result, options.maxIds ?? 100);
  const set = query.getChild('set', MAM_NS.rsm);
  if (set) readRsm(set, result);
  return result;
}

function readForm(form: Element, result: MamQuery, maxIds: number): void {
  const type = form.attrs.type ?? 'submit';
  if (type !== 'submit') throw new GatewayError('bad-request', `The query form must be of type "submit", not "${type}".`);
  const seen = new Set<string>();
  for (const field of form.getChildren('field')) {
    const name = field.attrs.var;
    if (!name) throw new GatewayError('bad-request', 'A field of the query form has no var attribute.');
    if (seen.has(name)) throw new GatewayError('bad-request', `The query form has the field "${name}" twice.`);
    seen.add(name);
    const values = field.getChildren('value').map((v) => v.text().trim());
    if (name === 'FORM_TYPE') {
      if (values.length !== 1 || values[0] !== MAM_NS.mam) throw new GatewayError('bad-request', `The query form's FORM_TYPE must be ${MAM_NS.mam}.`);
      continue;
    }
    if (!SUPPORTED_FIELDS.includes(name)) {
      throw new GatewayError('feature-not-implemented', `This archive does not support the query field "${name}"; it supports ${SUPPORTED_FIELDS.join(', ')}.`);
    }
    if (name === 'ids') {
      result.ids = readIds(values, maxIds);
      continue;
    }
    const present = values.filter((v) => v !== '');
    if (present.length > 1) throw new GatewayError('bad-request', `The query field "${name}" takes one value, not ${present.length}.`);
    if (present.length === 1) readSingle(name as (typeof SINGLE_FIELDS)[number], present[0], result);
  }
}

function readSingle(name: (typeof SINGLE_FIELDS)[number], value: string, result: MamQuery): void {
  switch (name) {
    case 'with':
      if (value.length > MAX_JID_LENGTH || /[\s\u0000-\u001f]/.test(value) || value.startsWith('@') || value.endsWith('@')) {
        throw new GatewayError('jid-malformed', `The "with" field is not a JID: "${clip(value)}".`);
      }
      result.with = value;
      return;
    case 'start':
    case 'end': {
      const ms = parseDateTime(value);
      if (ms === undefined) {
        throw new GatewayError('bad-request', `The "${name}" field is not an XEP-0082 date-time such as 2026-11-26T09:30:00Z: "${clip(value)}".`);
      }
      result[name] = ms;
      return;
    }
    case 'after-id':
      result.afterId = value;
      return;
    case 'before-id':
      result.beforeId = value;
  }
}

function readIds(values: string[], maxIds: number): string[] {
  const ids = [...new Set(values.filter((v) => v !== ''))];
  if (ids.length === 0) throw new GatewayError('bad-request', 'The "ids" field needs at least one archive id.');
  if (ids.length > maxIds) throw new GatewayError('policy-violation', `At most ${maxIds} ids can be fetched in one query, not ${ids.length}.`);
  return ids;
}

function readRsm(set: Element, result: MamQuery): void {
  if (set.getChild('index')) throw new GatewayError('feature-not-implemented', 'This archive does not page by index; page with <after/> and <before/>.');
  const max = set.getChild('max');
  if (max) {
    const text = max.text().trim();
    if (!/^\d{1,10}$/.test(text) || Number(text) > MAX_RSM_MAX) throw new GatewayError('bad-request', `The RSM <max/> must be a whole number of items, not "${clip(text)}".`);
    result.max = Number(text);
  }
  const after = set.getChild('after');
  if (after) {
    const id = after.text().trim();
    if (id === '') throw new GatewayError('bad-request', 'The RSM <after/> needs the id of the item to page after.');
    result.after = id;
  }
  const before = set.getChild('before');
  if (before) result.before = before.text().trim() || true;
}

/** XEP-0082 DateTime (CCYY-MM-DDThh:mm:ss[.sss]TZD) in ms, or undefined; impossible dates like Feb 30 are refused. */
export function parseDateTime(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:(Z)|([+-])(\d{2}):(\d{2}))$/.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  const offsetHours = m[8] ? 0 : Number(m[10]);
  const offsetMinutes = m[8] ? 0 : Number(m[11]);
  if (hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) return undefined;
  const utc = new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms));
  if (utc.getUTCFullYear() !== year || utc.getUTCMonth() !== month - 1 || utc.getUTCDate() !== day) return undefined;
  const offset = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  return utc.getTime() - offset;
}

/** The query form (an iq get of the query namespace): the fields this archive supports. */
export function mamFormResult(iq: Element): Element {
  const form = xml('x', { xmlns: MAM_NS.data, type: 'form' },
    xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, MAM_NS.mam)),
    xml('field', { var: 'with', type: 'jid-single' }),
    xml('field', { var: 'start', type: 'text-single' }),
    xml('field', { var: 'end', type: 'text-single' }),
    xml('field', { var: 'after-id', type: 'text-single' }),
    xml('field', { var: 'before-id', type: 'text-single' }),
    // Open list: the possible ids are not offered (XEP-0313 requires the validate element).
    xml('field', { var: 'ids', type: 'list-multi' }, xml('validate', { xmlns: MAM_NS.validate, datatype: 'xs:string' }, xml('open'))));
  return resultIq(iq, xml('query', { xmlns: MAM_NS.mam }, form));
}

export interface MamResultInput {
  /** The archive's JID (the room, or the transport for 1:1). */
  from: string;
  /** The full JID that asked. */
  to: string;
  queryId?: string;
  /** The archive id. */
  id: string;
  ts: number;
  /** The stored <message/>, serialized. */
  stanza: string;
}

/**
 * One result message. A groupchat message loses its 'to', as XEP-0313 asks of MUC archives (the
 * stored copy was addressed to whoever was the first recipient). Throws if `stanza` is not a
 * well-formed <message/>: the caller skips and logs that entry.
 */
export function mamResultMessage(r: MamResultInput): Element {
  const message = parseStoredMessage(r.stanza);
  if (message.attrs.type === 'groupchat') delete message.attrs.to;
  return xml('message', { from: r.from, to: r.to },
    xml('result', { xmlns: MAM_NS.mam, queryid: r.queryId, id: r.id },
      xml('forwarded', { xmlns: MAM_NS.forward },
        xml('delay', { xmlns: MAM_NS.delay, stamp: new Date(r.ts).toISOString() }),
        message)));
}

export interface MamPageInfo {
  complete: boolean;
  first?: string;
  last?: string;
  count?: number;
}

/** The iq result that ends a query, with the RSM summary of the page. */
export function mamFin(iq: Element, page: MamPageInfo): Element {
  const set = xml('set', { xmlns: MAM_NS.rsm });
  if (page.first !== undefined) set.append(xml('first', {}, page.first));
  if (page.last !== undefined) set.append(xml('last', {}, page.last));
  if (page.count !== undefined) set.append(xml('count', {}, String(page.count)));
  return resultIq(iq, xml('fin', { xmlns: MAM_NS.mam, complete: page.complete ? 'true' : undefined }, set));
}

/** The answer to <metadata xmlns='urn:xmpp:mam:2'/>: the oldest and newest entry; empty for an empty archive. */
export function mamMetadataResult(iq: Element, bounds: { start?: { id: string; ts: number }; end?: { id: string; ts: number } }): Element {
  const metadata = xml('metadata', { xmlns: MAM_NS.mam });
  for (const edge of ['start', 'end'] as const) {
    const entry = bounds[edge];
    if (entry) metadata.append(xml(edge, { id: entry.id, timestamp: new Date(entry.ts).toISOString() }));
  }
  return resultIq(iq, metadata);
}

interface XmlParser {
  on(event: 'start' | 'element' | 'end', listener: (element: Element) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  write(text: string): void;
  end(): void;
}
// @xmpp/xml 0.13 exports its stream parser as Parser; types/xmpp.d.ts does not declare it.
const { Parser } = xml as unknown as { Parser: new () => XmlParser };

/** Re-parses a stored <message/>; it goes into <forwarded/> as a jabber:client stanza (XEP-0297). */
export function parseStoredMessage(text: string): Element {
  const parser = new Parser();
  let root: Element | undefined;
  let ended = false;
  let problem: string | undefined;
  parser.on('start', (element) => { root = element; });
  parser.on('element', (element) => {
    if (ended) problem ??= 'more than one root element';
    else root?.append(element);
  });
  parser.on('end', () => { ended = true; });
  parser.on('error', (error) => { problem ??= error.message; });
  try {
    parser.write(text);
    parser.end();
  } catch (error) {
    problem ??= error instanceof Error ? error.message : String(error);
  }
  if (!problem && !ended) problem = 'the XML ends early';
  if (!problem && root?.name !== 'message') problem = `the root element is <${root?.name}>, not <message>`;
  if (problem || !root) throw new Error(`a stored archive message is not usable: ${problem}`);
  if (root.attrs.xmlns === undefined || root.attrs.xmlns === 'jabber:component:accept') root.attrs.xmlns = MAM_NS.client;
  return root;
}

function resultIq(iq: Element, payload: Element): Element {
  return xml('iq', { type: 'result', id: iq.attrs.id, from: iq.attrs.to, to: iq.attrs.from }, payload);
}

function clip(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}
