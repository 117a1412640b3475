import { GatewayError, legacyCode } from '../../../src/component/errors';
import { joinErrorPresence, occupantChatMessage, roomErrorMessage } from '../../../src/component/muc';

describe('MUC stanzas', () => {
  test('room errors carry XEP-0086 legacy codes; a join error echoes the MUC element, a nick refusal does not', () => {
    const join = joinErrorPresence('#c@irc.example.org/me', 'u@example.org/r', new GatewayError('conflict', 'taken'));
    expect(join.getChild('error')!.attrs).toEqual({ type: 'cancel', code: '409' });
    expect(join.getChild('x', 'http://jabber.org/protocol/muc')).toBeDefined();
    const nick = joinErrorPresence('#c@irc.example.org/new', 'u@example.org/r', new GatewayError('not-acceptable', 'bad nick'), false);
    expect(nick.getChild('x')).toBeUndefined();
    expect(nick.getChild('error')!.attrs.code).toBe('406');
    expect(roomErrorMessage('#c@irc.example.org', 'u@example.org/r', 'm1', new GatewayError('forbidden', 'no')).getChild('error')!.attrs.code).toBe('403');
  });

  test('XEP-0045\'s join error codes', () => {
    expect(['not-authorized', 'forbidden', 'item-not-found', 'not-allowed', 'not-acceptable', 'registration-required', 'conflict', 'service-unavailable'].map((c) => legacyCode(c as never)))
      .toEqual(['401', '403', '404', '405', '406', '407', '409', '503']);
  });

  test('a private message from an occupant is a chat from room/nick with an empty muc#user element', () => {
    const m = occupantChatMessage({ from: '#c@irc.example.org/bob', to: 'u@example.org/r', id: 'x1', body: 'hi\u0007' });
    expect(m.attrs).toEqual({ from: '#c@irc.example.org/bob', to: 'u@example.org/r', type: 'chat', id: 'x1' });
    expect(m.getChildText('body')).toBe('hi');
    const x = m.getChild('x', 'http://jabber.org/protocol/muc#user')!;
    expect(x.children).toHaveLength(0);
    const typing = occupantChatMessage({ from: '#c@irc.example.org/bob', to: 'u@example.org/r', chatState: 'composing' });
    expect(typing.getChild('body')).toBeUndefined();
    expect(typing.getChild('composing', 'http://jabber.org/protocol/chatstates')).toBeDefined();
  });
});
