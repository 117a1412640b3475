import xml from '@xmpp/xml';
import { cutPage, pagedItemsResult, readPageRequest } from '../../../src/component/rsm';

const RSM = 'http://jabber.org/protocol/rsm';
const query = (set?: Record<string, string>) => xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' },
  set ? xml('set', { xmlns: RSM }, ...Object.entries(set).map(([k, v]) => xml(k, {}, v))) : undefined);
const all = Array.from({ length: 7 }, (_, i) => ({ jid: `r${i}@d` }));
const id = (i: { jid: string }) => i.jid;

describe('XEP-0059 paging of a whole list', () => {
  test('reads max, after, before (empty: the last page) and index; refuses non-numbers', () => {
    expect(readPageRequest(query())).toBeUndefined();
    expect(readPageRequest(query({ max: '3', after: 'r1@d' }))).toEqual({ max: 3, after: 'r1@d' });
    expect(readPageRequest(query({ before: '' }))).toEqual({ before: true });
    expect(readPageRequest(query({ index: '4' }))).toEqual({ index: 4 });
    expect(() => readPageRequest(query({ max: '-1' }))).toThrow(/whole number/);
  });

  test('pages forwards, backwards and by index, capped by the server\'s own maximum', () => {
    expect(cutPage(all, { max: 3 }, id, 100)).toEqual({ items: all.slice(0, 3), index: 0, count: 7 });
    expect(cutPage(all, { max: 3, after: 'r2@d' }, id, 100)).toEqual({ items: all.slice(3, 6), index: 3, count: 7 });
    expect(cutPage(all, { max: 3, before: true }, id, 100)).toEqual({ items: all.slice(4), index: 4, count: 7 });
    expect(cutPage(all, { max: 3, before: 'r2@d' }, id, 100)).toEqual({ items: all.slice(0, 2), index: 0, count: 7 });
    expect(cutPage(all, { index: 5 }, id, 100)).toEqual({ items: all.slice(5), index: 5, count: 7 });
    expect(cutPage(all, { max: 50 }, id, 2).items).toHaveLength(2);
    expect(cutPage(all, { max: 0 }, id, 100)).toEqual({ items: [], index: 0, count: 7 });
    expect(() => cutPage(all, { after: 'gone@d' }, id, 100)).toThrow(expect.objectContaining({ condition: 'item-not-found' }));
  });

  test('the answer carries first (with its index), last and count', () => {
    const iq = xml('iq', { type: 'get', id: 'i1', from: 'u@example.org/r', to: 'srv@d' });
    const result = pagedItemsResult(iq, all.slice(3, 5), { index: 3, count: 7 });
    const set = result.getChild('query')!.getChild('set', RSM)!;
    expect(set.getChild('first')?.attrs.index).toBe('3');
    expect([set.getChildText('first'), set.getChildText('last'), set.getChildText('count')]).toEqual(['r3@d', 'r4@d', '7']);
    expect(pagedItemsResult(iq, all.slice(0, 1)).getChild('query')!.getChild('set', RSM)).toBeUndefined();
    expect(pagedItemsResult(iq, [], { index: 7, count: 7 }).getChild('query')!.getChild('set', RSM)!.getChildText('count')).toBe('7');
  });
});
