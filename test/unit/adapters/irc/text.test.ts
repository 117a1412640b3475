import { bodyLines, singleLine, splitBody, splitLine, textByteBudget } from '../../../../adapters/irc/text';

describe('IRC text rules', () => {
  test('CR, LF and NUL never survive into a line', () => {
    expect(bodyLines('a\r\nb\rc\nd\0e\n\n')).toEqual(['a', 'b', 'c', 'de']);
    expect(singleLine('topic\r\nPART #x\0')).toBe('topic PART #x ');
  });

  test('the budget leaves room for the prefix the server adds', () => {
    const budget = textByteBudget({ command: 'PRIVMSG', target: '#chan', nick: 'nick' });
    // 510 - ":nick!" - worst-case user@host - " " - "PRIVMSG #chan :"
    expect(budget).toBe(510 - (1 + 4 + 1 + 74 + 1) - (7 + 1 + 5 + 2));
    expect(textByteBudget({ command: 'PRIVMSG', target: '#chan', nick: 'nick', action: true })).toBe(budget - 9);
  });

  test('splitting cuts at spaces, consumes them, and keeps every word', () => {
    const line = Array.from({ length: 300 }, (_, i) => `word${i}`).join(' ');
    const pieces = splitLine(line, 100);
    expect(pieces.join(' ')).toBe(line);
    for (const p of pieces) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(100);
  });

  test('never cuts inside a UTF-8 character; long words are cut without loss', () => {
    const line = 'é'.repeat(101) + '😀'.repeat(30);
    const pieces = splitLine(line, 50);
    expect(pieces.join('')).toBe(line);
    for (const p of pieces) {
      expect(Buffer.byteLength(p)).toBeLessThanOrEqual(50);
      expect(Buffer.from(p, 'utf8').toString('utf8')).toBe(p);
      expect(p).not.toMatch(/\uFFFD/);
    }
  });

  test('a 2,000-character body becomes lines that each fit', () => {
    const body = 'x'.repeat(500) + ' ' + 'ü'.repeat(1499);
    const budget = textByteBudget({ command: 'PRIVMSG', target: 'someone', nick: 'me' });
    const lines = splitBody(body, budget);
    // The only space is too early in its piece to cut there, so every cut is a plain cut.
    expect(lines.join('')).toBe(body);
    for (const l of lines) expect(Buffer.byteLength(l)).toBeLessThanOrEqual(budget);
  });
});
