/**
 * IRC formatting codes -> XEP-0393 message styling. Bold, italic, strikethrough and monospace
 * have XEP-0393 equivalents; colours, underline and reverse have none and are dropped.
 */

const BOLD = '\x02';
const COLOR = '\x03';
const HEX_COLOR = '\x04';
const RESET = '\x0f';
const MONOSPACE = '\x11';
const REVERSE = '\x16';
const ITALIC = '\x1d';
const STRIKE = '\x1e';
const UNDERLINE = '\x1f';

interface Style {
  bold: boolean;
  italic: boolean;
  strike: boolean;
  mono: boolean;
}

interface Segment {
  text: string;
  style: Style;
}

const PLAIN: Style = { bold: false, italic: false, strike: false, mono: false };
const COLOR_ARGS = /^(\d{1,2})(,\d{1,2})?/;
const HEX_COLOR_ARGS = /^([0-9a-fA-F]{6})(,[0-9a-fA-F]{6})?/;

function sameStyle(a: Style, b: Style): boolean {
  return a.bold === b.bold && a.italic === b.italic && a.strike === b.strike && a.mono === b.mono;
}

function segments(text: string): Segment[] {
  const result: Segment[] = [];
  let style: Style = { ...PLAIN };
  let current = '';
  const flush = () => {
    if (!current) return;
    const last = result[result.length - 1];
    if (last && sameStyle(last.style, style)) last.text += current;
    else result.push({ text: current, style: { ...style } });
    current = '';
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    const toggle = (key: keyof Style) => { flush(); style = { ...style, [key]: !style[key] }; };
    switch (ch) {
      case BOLD: toggle('bold'); break;
      case ITALIC: toggle('italic'); break;
      case STRIKE: toggle('strike'); break;
      case MONOSPACE: toggle('mono'); break;
      case RESET: flush(); style = { ...PLAIN }; break;
      case UNDERLINE: case REVERSE: break;
      case COLOR: {
        const args = COLOR_ARGS.exec(text.slice(i + 1));
        if (args) i += args[0].length;
        break;
      }
      case HEX_COLOR: {
        const args = HEX_COLOR_ARGS.exec(text.slice(i + 1));
        if (args) i += args[0].length;
        break;
      }
      default: current += ch;
    }
  }
  flush();
  return result;
}

/** Wraps a run in styling markers; XEP-0393 spans may not start or end with whitespace. */
function styled(segment: Segment): string {
  const { text, style } = segment;
  const match = /^(\s*)([\s\S]*?)(\s*)$/.exec(text);
  const [, lead, core, trail] = match ?? ['', '', text, ''];
  if (!core) return text;
  let inner = core;
  if (style.mono) inner = `\`${inner}\``;
  if (style.strike) inner = `~${inner}~`;
  if (style.italic) inner = `_${inner}_`;
  if (style.bold) inner = `*${inner}*`;
  return lead + inner + trail;
}

/** Any formatting code: most lines have none and are passed on as they are. */
const ANY_CODE = /[\x02-\x04\x0f\x11\x16\x1d-\x1f]/;

/** IRC formatted text -> plain text with XEP-0393 styling where an equivalent exists. */
export function ircToXmppText(text: string): string {
  if (!ANY_CODE.test(text)) return text;
  return segments(text).map(styled).join('');
}

/** Removes every IRC formatting code (for nicks, topics shown as subjects, status texts). */
export function stripFormatting(text: string): string {
  if (!ANY_CODE.test(text)) return text;
  return segments(text).map((s) => s.text).join('');
}
