import xml, { type Element } from '@xmpp/xml';
import {
  MAM_FEATURES, MAM_NS, mamFin, mamFormResult, mamMetadataResult, mamResultMessage, parseDateTime,
  parseMamQuery, parseStoredMessage,
} from '../../../src/component/mam';
import { GatewayError } from '../../../src/component/errors';

const field = (name: string, ...values: string[]) => xml('field', { var: name }, ...values.map((v) => xml('value', {}, v)));
const form = (...fields: Element[]) =>
  xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, 'urn:xmpp:mam:2')), ...fields);
const rsm = (...children: Element[]) => xml('set', { xmlns: 'http://jabber.org/protocol/rsm' }, ...children);
const query = (attrs: Record<string, string> = {}, ...children: Element[]) =>
  xml('iq', { type: 'set', id: 'q1', from: 'ann@example.org/phone', to: '#chan%irc.example.net@irc.example.org' },
    xml('query', { xmlns: 'urn:xmpp:mam:2', ...attrs }, ...children)).getChild('query')!;

function refusal(q: Element): GatewayError {
  try {
    parseMamQuery(q);
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    return error as GatewayError;
  }
  throw new Error('the query was accepted');
}

describe('parseMamQuery', () => {
  it('an empty query asks for everything', () => {
    expect(parseMamQuery(query())).toEqual({ flipPage: false });
  });

  it('reads queryid, every form field, RSM and flip-page', () => {
    const q = query({ queryid: 'f27' },
      form(field('with', 'bob@example.org'), field('start', '2026-11-01T10:00:00Z'), field('end', '2026-11-02T10:00:00.250+02:00'),
        field('after-id', 'a1'), field('before-id', 'b9'), field('ids', 'x', 'y', 'x')),
      rsm(xml('max', {}, '20'), xml('after', {}, 'p5')),
      xml('flip-page'));
    expect(parseMamQuery(q)).toEqual({
      queryId: 'f27',
      with: 'bob@example.org',
      start: Date.UTC(2026, 10, 1, 10),
      end: Date.UTC(2026, 10, 2, 8, 0, 0, 250),
      afterId: 'a1',
      beforeId: 'b9',
      ids: ['x', 'y'],
      max: 20,
      after: 'p5',
      flipPage: true,
    });
  });

  it('an empty RSM <before/> is the last page, a filled one an id', () => {
    expect(parseMamQuery(query({}, rsm(xml('max', {}, '0'), xml('before')))).before).toBe(true);
    expect(parseMamQuery(query({}, rsm(xml('before', {}, ' abc ')))).before).toBe('abc');
    expect(parseMamQuery(query({}, rsm(xml('max', {}, '0')))).max).toBe(0);
  });

  it('fields without a value count as absent; a form without FORM_TYPE or type is accepted', () => {
    const bare = xml('x', { xmlns: 'jabber:x:data' }, field('with'), field('start', ''));
    expect(parseMamQuery(query({}, bare))).toEqual({ flipPage: false });
  });

  it.each([
    ['not a date', 'yesterday'],
    ['no time zone', '2026-11-01T10:00:00'],
    ['February 30', '2026-02-30T10:00:00Z'],
    ['hour 24', '2026-11-01T24:00:00Z'],
    ['date only', '2026-11-01'],
  ])('refuses a start that is %s, naming the field and the format', (_, value) => {
    const error = refusal(query({}, form(field('start', value))));
    expect(error).toMatchObject({ condition: 'bad-request', type: 'modify' });
    expect(error.message).toContain('"start"');
    expect(error.message).toContain('2026-11-26T09:30:00Z');
  });

  it('refuses a field it does not know with feature-not-implemented (XEP-0313) and lists what it supports', () => {
    const error = refusal(query({}, form(field('include-groupchat', 'true'))));
    expect(error).toMatchObject({ condition: 'feature-not-implemented', type: 'cancel' });
    expect(error.message).toContain('"include-groupchat"');
    expect(error.message).toContain('with, start, end, after-id, before-id, ids');
  });

  it.each<[string, Element, string, string]>([
    ['a foreign FORM_TYPE', query({}, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, field('FORM_TYPE', 'urn:xmpp:mam:1'))), 'bad-request', 'FORM_TYPE'],
    ['a form of type cancel', query({}, xml('x', { xmlns: 'jabber:x:data', type: 'cancel' })), 'bad-request', '"cancel"'],
    ['a field twice', query({}, form(field('with', 'a@b'), field('with', 'c@d'))), 'bad-request', 'twice'],
    ['a field without var', query({}, form(xml('field', {}, xml('value', {}, 'x')))), 'bad-request', 'no var'],
    ['two values for end', query({}, form(field('end', '2026-11-01T10:00:00Z', '2026-11-02T10:00:00Z'))), 'bad-request', 'one value'],
    ['a with that is not a JID', query({}, form(field('with', 'bob smith'))), 'jid-malformed', 'bob smith'],
    ['ids without a value', query({}, form(field('ids'))), 'bad-request', 'at least one'],
    ['a negative max', query({}, rsm(xml('max', {}, '-1'))), 'bad-request', '<max/>'],
    ['a max that is not a number', query({}, rsm(xml('max', {}, 'ten'))), 'bad-request', '"ten"'],
    ['an empty after', query({}, rsm(xml('after'))), 'bad-request', '<after/>'],
    ['paging by index', query({}, rsm(xml('index', {}, '10'))), 'feature-not-implemented', 'index'],
    ['a pubsub node', query({ node: 'urn:xmpp:microblog:0' }), 'feature-not-implemented', 'node'],
  ])('refuses %s', (_, q, condition, text) => {
    const error = refusal(q);
    expect(error.condition).toBe(condition);
    expect(error.message).toContain(text);
  });

  it('limits how many ids one query may fetch', () => {
    const ids = Array.from({ length: 5 }, (_, i) => `id${i}`);
    expect(() => parseMamQuery(query({}, form(field('ids', ...ids))), { maxIds: 4 })).toThrow(
      expect.objectContaining({ condition: 'policy-violation', message: expect.stringContaining('At most 4') }),
    );
    expect(parseMamQuery(query({}, form(field('ids', ...ids))), { maxIds: 5 }).ids).toEqual(ids);
  });
});

describe('parseDateTime (XEP-0082)', () => {
  it('reads UTC, offsets and fractions', () => {
    expect(parseDateTime('1970-01-01T00:00:00Z')).toBe(0);
    expect(parseDateTime('1970-01-01T01:00:00+01:00')).toBe(0);
    expect(parseDateTime('1969-12-31T23:30:00-00:30')).toBe(0);
    expect(parseDateTime('2026-11-01T10:00:00.1234567Z')).toBe(Date.UTC(2026, 10, 1, 10, 0, 0, 123));
    expect(parseDateTime('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29));
    expect(parseDateTime('2023-02-29T00:00:00Z')).toBeUndefined();
    expect(parseDateTime('2026-11-01T10:00:00+25:00')).toBeUndefined();
  });
});

describe('MAM stanza builders', () => {
  const iq = xml('iq', { type: 'set', id: 'q7', from: 'ann@example.org/phone', to: 'irc.example.org' });

  it('wraps a stored message in result/forwarded with a delay stamp; a groupchat copy loses its to', () => {
    const stored = "<message to='ann@example.org/laptop' from='#chan%irc.example.net@irc.example.org/bob' type='groupchat' id='m1'><body>hi &amp; &lt;bye&gt;</body><stanza-id xmlns='urn:xmpp:sid:0' id='A1' by='#chan%irc.example.net@irc.example.org'/></message>";
    const message = mamResultMessage({ from: '#chan%irc.example.net@irc.example.org', to: 'ann@example.org/phone', queryId: 'f27', id: 'A1', ts: Date.UTC(2026, 10, 1, 10), stanza: stored });
    expect(message.attrs).toMatchObject({ from: '#chan%irc.example.net@irc.example.org', to: 'ann@example.org/phone' });
    const result = message.getChild('result', MAM_NS.mam)!;
    expect(result.attrs).toMatchObject({ queryid: 'f27', id: 'A1' });
    const forwarded = result.getChild('forwarded', MAM_NS.forward)!;
    expect(forwarded.getChild('delay', MAM_NS.delay)!.attrs.stamp).toBe('2026-11-01T10:00:00.000Z');
    const inner = forwarded.getChild('message', MAM_NS.client)!;
    expect(inner.attrs).toMatchObject({ xmlns: 'jabber:client', from: '#chan%irc.example.net@irc.example.org/bob', id: 'm1' });
    expect(inner.attrs.to).toBeUndefined();
    expect(inner.getChildText('body')).toBe('hi & <bye>');
    expect(inner.getChild('stanza-id', 'urn:xmpp:sid:0')!.attrs.id).toBe('A1');
    // Escaping survives the round trip through the wire format.
    expect(message.toString()).toContain('<body>hi &amp; &lt;bye&gt;</body>');
  });

  it('keeps the to of a 1:1 message and leaves out an absent queryid', () => {
    const message = mamResultMessage({ from: 'sms.example.org', to: 'ann@example.org/phone', id: 'B2', ts: 0, stanza: "<message to='ann@example.org' from='+15551234567@sms.example.org' type='chat'><body>x</body></message>" });
    const result = message.getChild('result', MAM_NS.mam)!;
    expect(result.attrs.queryid).toBeUndefined();
    expect(result.getChild('forwarded')!.getChild('message')!.attrs.to).toBe('ann@example.org');
  });

  it.each([
    ['not closed', '<message><body>x</message>'],
    ['cut short', '<message><body>x</body>'],
    ['not XML', 'hello'],
    ['not a message', '<presence/>'],
    ['two roots', '<message/><message/>'],
  ])('refuses a stored stanza that is %s', (_, text) => {
    expect(() => parseStoredMessage(text)).toThrow('a stored archive message is not usable');
  });

  it('fin carries complete and the RSM first/last/count', () => {
    const fin = mamFin(iq, { complete: true, first: 'A1', last: 'A9', count: 42 });
    expect(fin.attrs).toMatchObject({ type: 'result', id: 'q7', from: 'irc.example.org', to: 'ann@example.org/phone' });
    const el = fin.getChild('fin', MAM_NS.mam)!;
    expect(el.attrs.complete).toBe('true');
    const set = el.getChild('set', MAM_NS.rsm)!;
    expect([set.getChildText('first'), set.getChildText('last'), set.getChildText('count')]).toEqual(['A1', 'A9', '42']);
    const partial = mamFin(iq, { complete: false }).getChild('fin', MAM_NS.mam)!;
    expect(partial.attrs.complete).toBeUndefined();
    expect(partial.getChild('set', MAM_NS.rsm)!.children).toEqual([]);
  });

  it('the query form lists the supported fields, ids as an open list', () => {
    const answer = mamFormResult(xml('iq', { type: 'get', id: 'f1', from: 'ann@example.org/phone', to: 'irc.example.org' }));
    expect(answer.attrs).toMatchObject({ type: 'result', id: 'f1' });
    const x = answer.getChild('query', MAM_NS.mam)!.getChild('x', MAM_NS.data)!;
    expect(x.attrs.type).toBe('form');
    const fields = Object.fromEntries(x.getChildren('field').map((f) => [f.attrs.var, f.attrs.type]));
    expect(fields).toEqual({ FORM_TYPE: 'hidden', with: 'jid-single', start: 'text-single', end: 'text-single', 'after-id': 'text-single', 'before-id': 'text-single', ids: 'list-multi' });
    expect(x.getChildren('field').find((f) => f.attrs.var === 'ids')!.getChild('validate', MAM_NS.validate)!.getChild('open')).toBeDefined();
    expect(x.getChildren('field').some((f) => f.getChild('required'))).toBe(false);
  });

  it('metadata names the oldest and newest entry; empty for an empty archive', () => {
    const answer = mamMetadataResult(iq, { start: { id: 'A1', ts: 0 }, end: { id: 'A9', ts: Date.UTC(2026, 10, 1) } });
    const metadata = answer.getChild('metadata', MAM_NS.mam)!;
    expect(metadata.getChild('start')!.attrs).toEqual({ id: 'A1', timestamp: '1970-01-01T00:00:00.000Z' });
    expect(metadata.getChild('end')!.attrs).toEqual({ id: 'A9', timestamp: '2026-11-01T00:00:00.000Z' });
    expect(mamMetadataResult(iq, {}).getChild('metadata', MAM_NS.mam)!.children).toEqual([]);
  });

  it('advertises MAM 2 with the extended feature', () => {
    expect(MAM_FEATURES).toEqual(['urn:xmpp:mam:2', 'urn:xmpp:mam:2#extended']);
  });
});
