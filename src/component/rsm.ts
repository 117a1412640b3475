/**
 * XEP-0059 Result Set Management for lists the gateway holds whole (disco#items of a legacy
 * server's rooms): the request's <set/> read, a page cut, and the <set/> describing it.
 * Items are named by their JID, which is what <first/>, <last/>, <after/> and <before/> carry.
 */
import xml, { type Element } from '@xmpp/xml';
import { GatewayError } from './errors';
import { NS } from './namespaces';
import { iqResult } from './stanzas';

export interface PageRequest {
  max?: number;
  after?: string;
  /** An item's JID, or true for an empty <before/>: the last page. */
  before?: string | true;
  index?: number;
}

export interface Page<T> {
  items: T[];
  /** Position of the first item in the whole list. */
  index: number;
  count: number;
}

const MAX_NUMBER = 2 ** 31 - 1;

function whole(text: string, what: string): number {
  const t = text.trim();
  if (!/^\d{1,10}$/.test(t) || Number(t) > MAX_NUMBER) throw new GatewayError('bad-request', `The RSM <${what}/> must be a whole number, not "${t.slice(0, 40)}".`);
  return Number(t);
}

/** The <set/> of a query, if any. Throws bad-request for values that are not numbers. */
export function readPageRequest(query: Element): PageRequest | undefined {
  const set = query.getChild('set', NS.rsm);
  if (!set) return undefined;
  const request: PageRequest = {};
  const max = set.getChild('max');
  if (max) request.max = whole(max.text(), 'max');
  const after = set.getChild('after');
  if (after) request.after = after.text().trim();
  const before = set.getChild('before');
  if (before) request.before = before.text().trim() || true;
  const index = set.getChild('index');
  if (index) request.index = whole(index.text(), 'index');
  return request;
}

/**
 * Cuts one page out of `all`. An <after/> or <before/> naming an item that is not (or no longer)
 * in the list is item-not-found, as XEP-0059 asks.
 */
export function cutPage<T>(all: T[], request: PageRequest, idOf: (item: T) => string, defaultMax: number): Page<T> {
  const max = Math.min(request.max ?? defaultMax, defaultMax);
  const position = (id: string) => {
    const at = all.findIndex((item) => idOf(item) === id);
    if (at === -1) throw new GatewayError('item-not-found', `${id.slice(0, 80)} is not in the list any more; start from the first page again.`);
    return at;
  };
  let start: number;
  if (request.before !== undefined) {
    const end = request.before === true ? all.length : position(request.before);
    start = Math.max(0, end - max);
    return { items: all.slice(start, end), index: start, count: all.length };
  }
  if (request.after !== undefined && request.after !== '') start = position(request.after) + 1;
  else start = Math.min(request.index ?? 0, all.length);
  return { items: all.slice(start, start + max), index: start, count: all.length };
}

/** disco#items with the page's <set/> (first, last, count) when the request had one. */
export function pagedItemsResult(iq: Element, items: { jid: string; name?: string }[], page?: { index: number; count: number }): Element {
  const query = xml('query', { xmlns: NS.discoItems }, ...items.map((i) => xml('item', { jid: i.jid, name: i.name })));
  if (page) {
    const set = xml('set', { xmlns: NS.rsm });
    if (items.length) {
      set.append(xml('first', { index: String(page.index) }, items[0].jid));
      set.append(xml('last', {}, items[items.length - 1].jid));
    }
    set.append(xml('count', {}, String(page.count)));
    query.append(set);
  }
  return iqResult(iq, query);
}
