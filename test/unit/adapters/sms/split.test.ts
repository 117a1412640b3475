import { splitBody, stripPartPrefix } from '../../../../adapters/sms/split';

describe('splitting long SMS bodies', () => {
  it('leaves a body within the limit unchanged', () => {
    expect(splitBody('hello world', 1600)).toEqual(['hello world']);
    const exact = 'x'.repeat(1600);
    expect(splitBody(exact, 1600)).toEqual([exact]);
  });

  it('splits a 1600+ character body into numbered parts at word boundaries, losing nothing', () => {
    const words = Array.from({ length: 400 }, (_, i) => `word${i}`);
    const body = words.join(' ');
    expect(body.length).toBeGreaterThan(1600);
    const parts = splitBody(body, 1600);
    expect(parts.length).toBe(2);
    parts.forEach((part, i) => {
      expect(part.length).toBeLessThanOrEqual(1600);
      expect(part.startsWith(`(${i + 1}/2) `)).toBe(true);
    });
    expect(parts.map(stripPartPrefix).join('')).toBe(body);
    // No word is cut in two: every part ends at whitespace or at the end of the body.
    for (const part of parts.slice(0, -1)) expect(part).toMatch(/\s$/);
  });

  it('keeps the count right when the prefix grows to two digits', () => {
    const body = Array.from({ length: 300 }, (_, i) => `w${i}`).join(' ');
    const parts = splitBody(body, 30);
    expect(parts.length).toBeGreaterThanOrEqual(10);
    parts.forEach((part, i) => {
      expect(part.length).toBeLessThanOrEqual(30);
      expect(part.startsWith(`(${i + 1}/${parts.length}) `)).toBe(true);
    });
    expect(parts.map(stripPartPrefix).join('')).toBe(body);
  });

  it('cuts a word longer than a part without splitting surrogate pairs', () => {
    const body = '😀'.repeat(40);
    const parts = splitBody(body, 25);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(25);
      expect(stripPartPrefix(part)).toMatch(/^(?:\uD83D\uDE00)+$/);
    }
    expect(parts.map(stripPartPrefix).join('')).toBe(body);
  });
});
