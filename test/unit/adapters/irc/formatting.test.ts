import { ircToXmppText, stripFormatting } from '../../../../adapters/irc/formatting';

describe('IRC formatting -> XEP-0393', () => {
  test('bold, italic, strikethrough and monospace become styling', () => {
    expect(ircToXmppText('a \x02bold\x02 b')).toBe('a *bold* b');
    expect(ircToXmppText('\x1ditalic\x1d')).toBe('_italic_');
    expect(ircToXmppText('\x1egone\x1e \x11code\x11')).toBe('~gone~ `code`');
  });

  test('unclosed styles close at the end; reset closes everything', () => {
    expect(ircToXmppText('\x02\x1dboth\x0f plain')).toBe('*_both_* plain');
    expect(ircToXmppText('\x02open')).toBe('*open*');
  });

  test('markers never wrap whitespace', () => {
    expect(ircToXmppText('\x02bold \x02next')).toBe('*bold* next');
    expect(ircToXmppText('\x02 \x02')).toBe(' ');
  });

  test('colours, underline and reverse are stripped with their arguments', () => {
    expect(ircToXmppText('\x0304,12red\x03 \x1fu\x1f \x16r\x16 \x04ff0000hex')).toBe('red u r hex');
    expect(ircToXmppText('\x0312')).toBe('');
    expect(ircToXmppText('\x03,5 keeps comma')).toBe(',5 keeps comma');
  });

  test('stripFormatting removes every code', () => {
    expect(stripFormatting('\x02\x0304hi\x0f there')).toBe('hi there');
  });
});
