import xml from '@xmpp/xml';
import { canSendAsUser, displayedMarker, ownDisplayedCarbon, privilegedMessage, parsePrivilegeAdvertisement } from '../../../src/component/privilege';

const V1 = 'urn:xmpp:privilege:1';
const V2 = 'urn:xmpp:privilege:2';

describe('XEP-0356 privileged messages', () => {
  test('the user\'s own <displayed/>, wrapped for the user\'s server as XEP-0356 describes', () => {
    const el = ownDisplayedCarbon('irc.example.org', { serverDomain: 'example.org', namespace: V2 }, 'alice@example.org/phone', 'bob%irc.net@irc.example.org', 'msg-17');
    expect(el.name).toBe('message');
    expect(el.attrs).toMatchObject({ from: 'irc.example.org', to: 'example.org' });
    expect(el.attrs.id).toEqual(expect.any(String));
    const privilege = el.getChild('privilege', V2)!;
    expect(privilege.getChildElements()).toHaveLength(1);
    const forwarded = privilege.getChild('forwarded', 'urn:xmpp:forward:0')!;
    // Prosody's mod_privilege finds the inner message by its namespace, and only from a bare JID of its own.
    const inner = forwarded.getChild('message', 'jabber:client')!;
    expect(inner.attrs).toMatchObject({ xmlns: 'jabber:client', from: 'alice@example.org', to: 'bob%irc.net@irc.example.org', type: 'chat' });
    const displayed = inner.getChild('displayed', 'urn:xmpp:chat-markers:0')!;
    expect(displayed.attrs.id).toBe('msg-17');
    expect(inner.getChildElements()).toHaveLength(1);
  });

  test('ejabberd\'s urn:xmpp:privilege:1 wraps the same way', () => {
    const el = ownDisplayedCarbon('email.example.org', { serverDomain: 'example.org', namespace: V1 }, 'alice@example.org', 'dan\\40example.net@email.example.org', '<x@y>');
    expect(el.getChild('privilege', V1)?.getChild('forwarded', 'urn:xmpp:forward:0')?.getChild('message', 'jabber:client')?.getChild('displayed')?.attrs.id).toBe('<x@y>');
    // Serialised, the id is escaped, not markup.
    expect(el.toString()).toContain('id="&lt;x@y&gt;"');
  });

  test('only a bare JID of the granting server can be spoken for', () => {
    const grant = { serverDomain: 'example.org', namespace: V2 } as const;
    const marker = (from: string) => displayedMarker({ from, to: 'bob@irc.example.org', id: '1', type: 'chat' });
    expect(() => privilegedMessage('irc.example.org', grant, marker('alice@example.org/phone'))).toThrow(/bare JID of example.org/);
    expect(() => privilegedMessage('irc.example.org', grant, marker('alice@other.org'))).toThrow(/bare JID of example.org/);
    expect(() => privilegedMessage('irc.example.org', grant, marker('example.org'))).toThrow(/bare JID/);
    expect(privilegedMessage('irc.example.org', grant, marker('Alice@Example.org')).attrs.to).toBe('example.org');
  });

  test('the wrapped message is a copy: the caller\'s element keeps its namespace', () => {
    const marker = displayedMarker({ from: 'alice@example.org', to: 'bob@irc.example.org', id: '1', type: 'chat' });
    privilegedMessage('irc.example.org', { serverDomain: 'example.org', namespace: V2 }, marker);
    expect(marker.attrs.xmlns).toBeUndefined();
  });

  test('a room marker comes from the user\'s occupant JID as groupchat', () => {
    const el = displayedMarker({ from: '#chan@irc.example.org/alice', to: 'alice@example.org/phone', id: 'm\u0001sg', type: 'groupchat' });
    expect(el.attrs).toMatchObject({ from: '#chan@irc.example.org/alice', to: 'alice@example.org/phone', type: 'groupchat' });
    // Characters XML cannot carry never reach the stream.
    expect(el.getChild('displayed', 'urn:xmpp:chat-markers:0')?.attrs.id).not.toContain('\u0001');
  });

  test('message "outgoing" is what allows it', () => {
    const grant = (type: string) => parsePrivilegeAdvertisement(xml('message', { from: 'example.org' },
      xml('privilege', { xmlns: V2 }, xml('perm', { access: 'message', type }))));
    expect(canSendAsUser(grant('outgoing'))).toBe(true);
    expect(canSendAsUser(grant('none'))).toBe(false);
    expect(canSendAsUser(grant('all'))).toBe(false);
    expect(canSendAsUser(undefined)).toBe(false);
  });
});
