import type { Contact } from '../../../../src/core/adapter';
import { combinedStatus, touchingContact } from '../../../../adapters/irc/server-status';

describe('one transport presence over several IRC servers', () => {
  test('nothing reported: nothing to say; one server: its own words, unchanged', () => {
    expect(combinedStatus([])).toBeUndefined();
    const alone = { online: false, text: 'The connection to irc.a.net:6697 was lost. Reconnecting in 2 s.' };
    expect(combinedStatus([{ server: 'irc.a.net', status: alone }])).toBe(alone);
  });

  test('several: online while any server is, every server in the text', () => {
    expect(combinedStatus([
      { server: 'irc.a.net', status: { online: true, text: 'Connected to irc.a.net as ann' } },
      { server: 'irc.b.net', status: { online: false } },
    ])).toEqual({ online: true, text: 'Connected to irc.a.net as ann; irc.b.net: offline' });
    expect(combinedStatus([
      { server: 'irc.a.net', status: { online: false, text: 'a is down' } },
      { server: 'irc.b.net', status: { online: false, text: 'b is down' } },
    ])).toEqual({ online: false, text: 'a is down; b is down' });
  });

  test('a contact\'s messages count as use of its server; everything else passes through untouched', () => {
    const calls: string[] = [];
    const contact: Contact = {
      localpart: 'bob%irc.b.net',
      sendText: (body) => calls.push(`text ${body}`),
      chatState: (state) => calls.push(`state ${state}`),
      presence: (p) => calls.push(`presence ${p.available}`),
      delivered: (ref) => calls.push(`delivered ${ref.id}`),
      failed: (ref, error) => calls.push(`failed ${ref.id} ${error.condition}`),
      reacted: (change) => calls.push(`reacted ${change.legacyId}`),
    };
    let uses = 0;
    const wrapped = touchingContact(contact, () => uses++);
    expect(wrapped.localpart).toBe('bob%irc.b.net');
    wrapped.chatState('composing');
    wrapped.presence({ available: true });
    wrapped.delivered({ id: 'm1' });
    wrapped.reacted({ legacyId: 'x1', add: ['👍'] });
    expect(uses).toBe(0);
    wrapped.sendText('hi');
    expect(uses).toBe(1);
    expect(calls).toEqual(['state composing', 'presence true', 'delivered m1', 'reacted x1', 'text hi']);
  });
});
