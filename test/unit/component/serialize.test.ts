import xml from '@xmpp/xml';
import { chatMessage, sharedChatMessage } from '../../../src/component/messages';
import { element, serialize } from '../../../src/component/stanzas';

/** Stanzas of every shape the gateway sends, with the characters that need escaping. */
function samples() {
  return [
    xml('presence', { from: 'a@b/c', to: 'd@e' }),
    xml('message', { from: 'a"&\'<>@b', to: 'x@y', type: 'groupchat' }, xml('body', {}, 'fish & chips <3 > "quoted" \'single\'')),
    xml('iq', { type: 'result', id: '1' }, xml('query', { xmlns: 'jabber:iq:version' }, xml('name', {}, 'gw'), xml('version', {}, '1.0'))),
    xml('message', {}, xml('body', {}, ''), xml('empty', { xmlns: 'urn:x' })),
    element('message', { from: 'f@g', to: undefined, id: 'i' }, element('body', {}, 'no to'), undefined, ''),
    chatMessage({ from: '#c%irc@gw/nick', to: 'u@s/r', body: 'a\nb & <c>', by: '#c%irc@gw', stanzaId: 's1', delay: new Date(0), oob: [{ url: 'https://h/p?a=1&b=2', desc: 'x' }], replyTo: { id: 'r', to: 'q@w' }, markable: true }),
  ];
}

describe('serialize', () => {
  it('writes exactly what ltx writes', () => {
    for (const el of samples()) expect(serialize(el)).toBe(el.toString());
  });

  it('writes numbers among the children as ltx does', () => {
    const el = xml('x', { n: 5 as unknown as string });
    el.children.push(7 as unknown as string);
    expect(serialize(el)).toBe(el.toString());
  });
});

describe('sharedChatMessage', () => {
  const options = { from: '#c%irc@gw/alice', type: 'groupchat' as const, body: 'hello <all> & you', by: '#c%irc@gw', stanzaId: 'm-1', markable: true };

  it('gives each recipient the stanza chatMessage builds for it, payload shared', () => {
    const build = sharedChatMessage(options, 3);
    for (const to of ['u1@s/r', 'u2@s/r', 'u3@s/r']) {
      const copy = build(to);
      expect(serialize(copy)).toBe(chatMessage({ ...options, to }).toString());
      expect(copy.toString()).toBe(chatMessage({ ...options, to }).toString());
    }
  });

  it('does not hand one line\'s payload to another line with the same body', () => {
    sharedChatMessage(options, 2)('u1@s/r');
    const other = { ...options, from: '#c%irc@gw/bob', stanzaId: 'm-2' };
    expect(serialize(sharedChatMessage(other, 2)('u2@s/r'))).toBe(chatMessage({ ...other, to: 'u2@s/r' }).toString());
  });

  it('serializes a copy changed after it was built in full', () => {
    const copy = sharedChatMessage(options, 2)('u1@s/r');
    copy.append(xml('extra', { xmlns: 'urn:x' }));
    expect(serialize(copy)).toContain('<extra xmlns="urn:x"/>');
    expect(serialize(copy)).toBe(copy.toString());
  });
});
