/**
 * src/component/mam.ts re-parses stored stanzas with @xmpp/xml's stream parser, an export
 * types/xmpp.d.ts does not declare: `new xml.Parser()` emitting 'start' (the root, without
 * children), 'element' (each complete child) and 'end', and 'error' for bad XML.
 */
import xml, { type Element } from '@xmpp/xml';
import { parseStoredMessage } from '../../../src/component/mam';
import { assertInternal } from './internals';

const PKG = '@xmpp/xml';
const MAM = 'src/component/mam.ts';

interface StreamParser {
  on(event: string, listener: (value: Element & Error) => void): void;
  write(text: string): void;
  end(): void;
}

test('the stream parser is exported and emits start, element and end', () => {
  const { Parser } = xml as unknown as { Parser?: new () => StreamParser };
  assertInternal(typeof Parser === 'function', PKG, 'the Parser export', MAM);
  const parser = new Parser!();
  const events: string[] = [];
  parser.on('start', (el) => events.push(`start ${el.name} ${el.children.length}`));
  parser.on('element', (el) => events.push(`element ${el.toString()}`));
  parser.on('end', (el) => events.push(`end ${el.name}`));
  parser.on('error', (err) => events.push(`error ${err.message}`));
  parser.write('<message to="a@b"><body>x</body><x xmlns="y"/></message>');
  parser.end();
  assertInternal(events.join('|') === 'start message 0|element <body>x</body>|element <x xmlns="y"/>|end message', PKG,
    `Parser's events (got ${JSON.stringify(events)})`, MAM);

  const broken = new Parser!();
  let failed = false;
  broken.on('error', () => (failed = true));
  broken.write('<message><body></message>');
  assertInternal(failed, PKG, "Parser's 'error' event on malformed XML", MAM);
});

test('the gateway function built on it round-trips a stored message', () => {
  expect(parseStoredMessage('<message xmlns="jabber:client" to="a@b"><body>hi</body></message>').toString())
    .toBe('<message xmlns="jabber:client" to="a@b"><body>hi</body></message>');
});
