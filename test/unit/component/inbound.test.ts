import xml from '@xmpp/xml';
import { readUserMessage } from '../../../src/component/inbound';
import { correctionText, excerpt, reactionText, replyText } from '../../../src/core/fallback';

const message = (...children: ReturnType<typeof xml>[]) => xml('message', { from: 'a@x/pc', to: 'b@irc.x', type: 'chat', id: 'm1' }, ...children);

describe('readUserMessage', () => {
  test('a plain message: body, /me, receipt request, origin-id', () => {
    const m = readUserMessage(message(xml('body', {}, '/me waves'), xml('request', { xmlns: 'urn:xmpp:receipts' }), xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id: 'o1' })));
    expect(m).toMatchObject({ body: 'waves', fullBody: '/me waves', action: true, receiptRequested: true, originId: 'o1', id: 'm1' });
  });

  test('a reply: the fallback quote is cut out of the body, counted in code points', () => {
    const quote = '> 🎉 party?\n';
    const m = readUserMessage(message(
      xml('body', {}, `${quote}sure`),
      xml('reply', { xmlns: 'urn:xmpp:reply:0', to: '#c@irc.x/bob', id: 'orig' }),
      xml('fallback', { xmlns: 'urn:xmpp:fallback:0', for: 'urn:xmpp:reply:0' }, xml('body', { start: '0', end: String(Array.from(quote).length) })),
    ));
    expect(m.body).toBe('sure');
    expect(m.fullBody).toBe(`${quote}sure`);
    expect(m.replyTo).toEqual({ id: 'orig', to: '#c@irc.x/bob', quote: '🎉 party?' });
  });

  test('a fallback range outside the body is ignored rather than cutting the wrong text', () => {
    const m = readUserMessage(message(
      xml('body', {}, 'short'),
      xml('reply', { xmlns: 'urn:xmpp:reply:0', id: 'orig' }),
      xml('fallback', { xmlns: 'urn:xmpp:fallback:0', for: 'urn:xmpp:reply:0' }, xml('body', { start: '0', end: '99' })),
    ));
    expect(m.body).toBe('short');
    expect(m.replyTo).toEqual({ id: 'orig', to: undefined, quote: undefined });
  });

  test('corrections, reactions and displayed markers', () => {
    expect(readUserMessage(message(xml('body', {}, 'fixed'), xml('replace', { xmlns: 'urn:xmpp:message-correct:0', id: 'old' }))).replaces).toBe('old');
    const r = readUserMessage(message(xml('reactions', { xmlns: 'urn:xmpp:reactions:0', id: 't' }, xml('reaction', {}, '👍'), xml('reaction', {}, ' '))));
    expect(r.reactions).toEqual({ id: 't', emojis: ['👍'] });
    expect(r.body).toBeNull();
    expect(readUserMessage(message(xml('displayed', { xmlns: 'urn:xmpp:chat-markers:0', id: 'seen' }))).displayed).toBe('seen');
  });
});

describe('text fallbacks', () => {
  test('correction, reply and reaction as text', () => {
    expect(correctionText('at 7')).toBe('* at 7');
    expect(replyText({ id: 'x', author: 'bob', text: 'party?\nat mine' }, 'sure')).toBe('> bob: party?\nsure');
    expect(replyText({ id: 'x' }, 'sure')).toBe('sure');
    expect(reactionText(['👍', '🎉'], { id: 'x', text: 'party?' })).toBe('Reacted 👍 🎉 to "party?"');
    expect(reactionText([], { id: 'x' })).toBe('Withdrew the reaction');
    expect(excerpt('a'.repeat(100), 10)).toBe(`${'a'.repeat(9)}…`);
  });
});
