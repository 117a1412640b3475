import type { Client } from 'irc-framework';
import {
  clientTagAllowed, escapeTagValue, MAX_REACTIONS, outgoingText, planReaction, SentReactions, TAG_DATA_MAX, tagSupport, withTags, type TagSupport,
} from '../../../../adapters/irc/messaging';

const ALL: TagSupport = { reply: true, react: true, unreact: true };
const NONE: TagSupport = { reply: false, react: false, unreact: false };

/** The parts of irc-framework's network state tagSupport reads. */
function clientWith(caps: string[], options: Record<string, unknown> = {}): Client {
  return { network: { cap: { isEnabled: (c: string) => caps.includes(c) }, options } } as unknown as Client;
}

describe('IRCv3 message tags', () => {
  test('values are escaped as the message-tags spec says; NUL, which has no escape, is dropped', () => {
    expect(escapeTagValue('raw+:=,escaped; \\')).toBe('raw+:=,escaped\\:\\s\\\\');
    expect(escapeTagValue('a\r\nQUIT\0 x')).toBe('a\\r\\nQUIT\\sx');
    expect(escapeTagValue('👍')).toBe('👍');
  });

  test('withTags prefixes the line, and refuses tag data over the 4094 bytes a client may send', () => {
    expect(withTags([['+draft/reply', 'a;b'], ['+draft/react', '👍']], 'TAGMSG #c')).toBe('@+draft/reply=a\\:b;+draft/react=👍 TAGMSG #c');
    expect(withTags([], 'PRIVMSG #c :x')).toBe('PRIVMSG #c :x');
    const name = '+draft/reply=';
    expect(withTags([['+draft/reply', 'x'.repeat(TAG_DATA_MAX - name.length)]], 'L')).toBeDefined();
    expect(withTags([['+draft/reply', 'x'.repeat(TAG_DATA_MAX - name.length + 1)]], 'L')).toBeUndefined();
    // Escapes count as what is sent.
    expect(withTags([['+draft/reply', ' '.repeat(TAG_DATA_MAX / 2)]], 'L')).toBeUndefined();
  });

  test('CLIENTTAGDENY: a list denies those tags; "*" denies all but the ones given with "-"', () => {
    expect(clientTagAllowed(undefined, 'draft/reply')).toBe(true);
    expect(clientTagAllowed(['typing'], 'draft/reply')).toBe(true);
    expect(clientTagAllowed(['typing', 'draft/react'], 'draft/react')).toBe(false);
    expect(clientTagAllowed(['*', '-draft/reply'], 'draft/reply')).toBe(true);
    expect(clientTagAllowed(['*', '-draft/reply'], 'draft/react')).toBe(false);
    expect(clientTagAllowed('*,-draft/react', 'draft/react')).toBe(true);
  });

  test('tags are used only with message-tags on, msgids seen, and +draft/reply allowed', () => {
    expect(tagSupport(undefined, true)).toEqual(NONE);
    expect(tagSupport(clientWith([]), true)).toEqual(NONE);
    expect(tagSupport(clientWith(['message-tags']), false)).toEqual(NONE);
    expect(tagSupport(clientWith(['message-tags']), true)).toEqual(ALL);
    expect(tagSupport(clientWith(['message-tags'], { CLIENTTAGDENY: ['*', '-draft/reply', '-draft/react'] }), true)).toEqual({ reply: true, react: true, unreact: false });
    // Reactions need +draft/reply beside them.
    expect(tagSupport(clientWith(['message-tags'], { CLIENTTAGDENY: ['draft/reply'] }), true)).toEqual(NONE);
  });
});

describe('corrections and replies as IRC text', () => {
  const question = { id: 'q1', legacyId: 'q1', author: 'bob', text: 'who is here?' };

  test('a correction is always the "* " text', () => {
    expect(outgoingText('fixed', { replaces: { id: 'm1', legacyId: 'abc' } }, ALL)).toEqual({ body: '* fixed', tags: [] });
  });

  test('a reply to a known msgid is tagged; otherwise the quote comes first', () => {
    expect(outgoingText('me', { replyTo: question }, ALL)).toEqual({ body: 'me', tags: [['+draft/reply', 'q1']] });
    expect(outgoingText('me', { replyTo: question }, NONE)).toEqual({ body: '> bob: who is here?\nme', tags: [] });
    expect(outgoingText('me', { replyTo: { ...question, legacyId: undefined } }, ALL)).toEqual({ body: '> bob: who is here?\nme', tags: [] });
    expect(outgoingText('me', { replyTo: { ...question, legacyId: 'x'.repeat(TAG_DATA_MAX) } }, ALL).tags).toEqual([]);
  });

  test('a corrected reply is both', () => {
    expect(outgoingText('me!', { replaces: { id: 'r1' }, replyTo: question }, NONE).body).toBe('> bob: who is here?\n* me!');
    expect(outgoingText('me!', { replaces: { id: 'r1' }, replyTo: question }, ALL)).toEqual({ body: '* me!', tags: [['+draft/reply', 'q1']] });
  });
});

describe('reactions as IRC tags', () => {
  const target = { id: 'm1', legacyId: 'm1', text: 'lunch?' };
  const react = (emoji: string) => [['+draft/react', emoji], ['+draft/reply', 'm1']];
  const unreact = (emoji: string) => [['+draft/unreact', emoji], ['+draft/reply', 'm1']];

  test('without tags, or without the message\'s msgid, the reaction is text', () => {
    expect(planReaction({ target, emojis: ['👍'] }, NONE, new SentReactions(), '#c')).toEqual({ tagmsgs: [], text: 'Reacted 👍 to "lunch?"' });
    expect(planReaction({ target: { id: 'm1' }, emojis: [] }, ALL, new SentReactions(), '#c')).toEqual({ tagmsgs: [], text: 'Withdrew the reaction' });
  });

  test('the full set becomes the changes: new emojis reacted, gone ones unreacted, repeats ignored', () => {
    const sent = new SentReactions();
    expect(planReaction({ target, emojis: ['👍', '🎉', '👍'] }, ALL, sent, '#c')).toEqual({ tagmsgs: [react('👍'), react('🎉')] });
    expect(planReaction({ target, emojis: ['🎉', '❤'] }, ALL, sent, '#c')).toEqual({ tagmsgs: [react('❤'), unreact('👍')] });
    expect(planReaction({ target, emojis: ['🎉', '❤'] }, ALL, sent, '#c')).toEqual({ tagmsgs: [] });
    expect(planReaction({ target, emojis: [] }, ALL, sent, '#c')).toEqual({ tagmsgs: [unreact('🎉'), unreact('❤')] });
    // The same msgid in another conversation is another message.
    expect(planReaction({ target, emojis: [] }, ALL, sent, '#other')).toEqual({ tagmsgs: [], text: 'Withdrew the reaction to "lunch?"' });
  });

  test('a withdrawal the tags cannot say is said as text', () => {
    const sent = new SentReactions();
    const noUnreact = { ...ALL, unreact: false };
    planReaction({ target, emojis: ['👍', '🎉'] }, noUnreact, sent, '#c');
    expect(planReaction({ target, emojis: ['🎉', '❤'] }, noUnreact, sent, '#c')).toEqual({ tagmsgs: [react('❤')], text: 'Reacted 🎉 ❤ to "lunch?"' });
    expect(planReaction({ target: { id: 'm9', legacyId: 'm9' }, emojis: [] }, ALL, sent, '#c')).toEqual({ tagmsgs: [], text: 'Withdrew the reaction' });
  });

  test('too many reactions at once, or one too long for a tag, is refused with a sentence', () => {
    const many = Array.from({ length: MAX_REACTIONS + 1 }, (_, i) => `e${i}`);
    expect(() => planReaction({ target, emojis: many }, ALL, new SentReactions(), '#c')).toThrow(/at most 20 reactions/);
    expect(() => planReaction({ target, emojis: ['x'.repeat(TAG_DATA_MAX)] }, ALL, new SentReactions(), '#c')).toThrow(/too long/);
  });

  test('the memory of sent reactions is bounded: the oldest message is forgotten first', () => {
    const sent = new SentReactions(2);
    sent.change('a', ['1']);
    sent.change('b', ['1']);
    sent.change('c', ['1']);
    expect(sent.change('a', []).known).toBe(false);
    expect(sent.change('c', []).known).toBe(true);
  });
});
