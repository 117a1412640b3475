import { firstLineSubject, headerValue, messageIds, newMessageId, remoteText, replySubject } from '../../../../adapters/email/text';

describe('header and text helpers', () => {
  test('header values lose CR, LF, NUL and other controls', () => {
    expect(headerValue('hi\r\nBcc: evil@x\0\x07')).toBe('hi Bcc: evil@x');
    expect(headerValue('a'.repeat(2000)).length).toBe(998);
  });

  test('remote text is one short line', () => {
    expect(remoteText('550 no\r\nsuch\tuser  ')).toBe('550 no such user');
    expect(remoteText(undefined)).toBe('');
    expect(remoteText('x'.repeat(500)).length).toBe(300);
  });

  test('first-line subject: first non-empty line, at most 60 characters with an ellipsis', () => {
    expect(firstLineSubject('\n\n  Hello there  \nmore')).toBe('Hello there');
    const long = firstLineSubject('word '.repeat(30));
    expect([...long].length).toBeLessThanOrEqual(60);
    expect(long.endsWith('…')).toBe(true);
    expect(firstLineSubject('😀'.repeat(70))).toBe(`${'😀'.repeat(59)}…`);
    expect(firstLineSubject('')).toBe('');
  });

  test('reply subjects get one Re:', () => {
    expect(replySubject('Lunch')).toBe('Re: Lunch');
    expect(replySubject('Re: RE: aw: Lunch')).toBe('Re: Lunch');
  });

  test('Message-IDs carry a cleaned stanza id, randomness and the sender domain', () => {
    const a = newMessageId('abc-1', 'alice@example.net');
    const b = newMessageId('abc-1', 'alice@example.net');
    expect(a).toMatch(/^<xmpp-abc-1-[A-Za-z0-9_-]{12}@example\.net>$/);
    expect(a).not.toBe(b);
    expect(newMessageId('x>\r\n<y', 'a@b.c')).toMatch(/^<xmpp-xy-[A-Za-z0-9_-]+@b\.c>$/);
    expect(newMessageId(undefined, 'a@b.c')).toMatch(/^<xmpp-msg-/);
  });

  test('Message-ID lists are split', () => {
    expect(messageIds('<a@b>  <c@d>\r\n <e@f>')).toEqual(['<a@b>', '<c@d>', '<e@f>']);
    expect(messageIds(['<a@b>', '<c@d>'])).toEqual(['<a@b>', '<c@d>']);
    expect(messageIds(undefined)).toEqual([]);
  });
});
