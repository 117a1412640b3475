import { escapeLocalpart, unescapeLocalpart } from '../../../src/component/jid-escape';

/** XEP-0106 section 5 (examples table) and section 4.2, localparts only. */
const XEP_EXAMPLES: Array<[string, string]> = [
  ['space cadet', 'space\\20cadet'],
  ['call me "ishmael"', 'call\\20me\\20\\22ishmael\\22'],
  ['at&t guy', 'at\\26t\\20guy'],
  ["d'artagnan", 'd\\27artagnan'],
  ['/.fanboy', '\\2f.fanboy'],
  ['::foo::', '\\3a\\3afoo\\3a\\3a'],
  ['<foo>', '\\3cfoo\\3e'],
  ['user@host', 'user\\40host'],
  ['c:\\net', 'c\\3a\\net'],
  ['c:\\\\net', 'c\\3a\\\\net'],
  ['c:\\cool stuff', 'c\\3a\\cool\\20stuff'],
  ['c:\\5commas', 'c\\3a\\5c5commas'],
  ['\\3and\\2is\\5cool', '\\5c3and\\2is\\5c5cool'],
];

describe('XEP-0106 escaping', () => {
  it.each(XEP_EXAMPLES)('escapes %j as %j', (plain, escaped) => {
    expect(escapeLocalpart(plain)).toBe(escaped);
  });

  it.each(XEP_EXAMPLES)('unescapes back to %j', (plain, escaped) => {
    expect(unescapeLocalpart(escaped)).toBe(plain);
  });

  it('escapes a backslash that would start a sequence, so round trips are exact', () => {
    expect(escapeLocalpart('call me\\20')).toBe('call\\20me\\5c20');
    expect(unescapeLocalpart('call\\20me\\5c20')).toBe('call me\\20');
    expect(escapeLocalpart('\\5c')).toBe('\\5c5c');
    expect(unescapeLocalpart('\\5c5c')).toBe('\\5c');
  });

  it('leaves backslashes that start no sequence and upper-case hex alone', () => {
    expect(escapeLocalpart('foo\\bar')).toBe('foo\\bar');
    expect(escapeLocalpart('\\2plus\\2is\\4')).toBe('\\2plus\\2is\\4');
    expect(unescapeLocalpart('foo\\41r')).toBe('foo\\41r');
    expect(unescapeLocalpart('a\\5Cb')).toBe('a\\5Cb');
  });

  it('maps an email address to a localpart and back', () => {
    expect(escapeLocalpart('tréville@musketeers.lit')).toBe('tréville\\40musketeers.lit');
    expect(unescapeLocalpart('tréville\\40musketeers.lit')).toBe('tréville@musketeers.lit');
  });

  it('refuses a leading or trailing space, which the XEP forbids', () => {
    expect(() => escapeLocalpart(' x')).toThrow(/space/);
    expect(() => escapeLocalpart('x ')).toThrow(/space/);
  });
});
