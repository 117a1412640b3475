import xml from '@xmpp/xml';
import { readUserMessage } from '../../../src/component/inbound';
import { CONFERENCE_NS, invitationText, mediatedDecline, mediatedInvitation, plausibleJid, readInvitation } from '../../../src/component/invitations';
import { serialize } from '../../../src/component/stanzas';

const MUC_USER = 'http://jabber.org/protocol/muc#user';
const message = (to: string, ...children: ReturnType<typeof xml>[]) => xml('message', { from: 'alice@x/pc', to, id: 'i1' }, ...children);

describe('readInvitation', () => {
  test('a mediated invitation to a room: every invitee with its reason, trimmed', () => {
    const m = message('#c@irc.x', xml('x', { xmlns: MUC_USER },
      xml('invite', { to: 'bob@irc.x' }, xml('reason', {}, '  come along ')),
      xml('invite', { to: ' carol@example.org ' })));
    expect(readInvitation(m)).toEqual({ kind: 'mediated', invites: [{ to: 'bob@irc.x', reason: 'come along' }, { to: 'carol@example.org', reason: undefined }] });
  });

  test('the empty muc#user element of a private message through a room is no invitation', () => {
    expect(readInvitation(message('#c@irc.x/bob', xml('body', {}, 'hi'), xml('x', { xmlns: MUC_USER })))).toBeUndefined();
    expect(readInvitation(message('#c@irc.x', xml('body', {}, 'hi')))).toBeUndefined();
  });

  test('a declined invitation', () => {
    const m = message('#c@irc.x', xml('x', { xmlns: MUC_USER }, xml('decline', { to: 'carol@example.org' }, xml('reason', {}, 'busy'))));
    expect(readInvitation(m)).toEqual({ kind: 'decline', to: 'carol@example.org', reason: 'busy' });
  });

  test('a XEP-0249 direct invitation: room, reason and password from the attributes', () => {
    const m = message('bob@irc.x', xml('x', { xmlns: CONFERENCE_NS, jid: '#c@irc.x', reason: 'join us', password: 'k3y' }));
    expect(readInvitation(m)).toEqual({ kind: 'direct', room: '#c@irc.x', reason: 'join us', password: 'k3y' });
    expect(readInvitation(message('bob@irc.x', xml('x', { xmlns: CONFERENCE_NS })))).toEqual({ kind: 'direct', room: '', reason: undefined, password: undefined });
  });

  test('readUserMessage carries it, with the body of a direct invitation kept', () => {
    const m = readUserMessage(message('bob@irc.x', xml('body', {}, 'see #c'), xml('x', { xmlns: CONFERENCE_NS, jid: '#c@irc.x' })));
    expect(m.body).toBe('see #c');
    expect(m.invitation).toMatchObject({ kind: 'direct', room: '#c@irc.x' });
    expect(readUserMessage(message('bob@irc.x', xml('body', {}, 'plain'))).invitation).toBeUndefined();
  });
});

describe('plausibleJid', () => {
  test.each(['carol@example.org', 'example.org', 'carol@example.org/phone', '#c%irc.net@irc.x', 'bob@irc.x/ab'])('%s is one', (jid) => {
    expect(plausibleJid(jid)).toBe(true);
  });

  test.each(['', '@example.org', 'a@b@c', 'carol@', 'carol@example.org/', 'a b@c', 'x@<y>', 'a@.org', `${'a'.repeat(1024)}@x`, 'a\n@x'])('case %# is not', (jid) => {
    expect(plausibleJid(jid)).toBe(false);
  });
});

describe('building', () => {
  test('a mediated invitation from the room names the inviter and carries the password', () => {
    const el = mediatedInvitation({ from: '#c@irc.x', to: 'carol@example.org', inviter: 'alice@x', reason: 'hi <3', password: 'k3y', body: 'text', id: 'n1' });
    expect(serialize(el)).toBe(
      '<message from="#c@irc.x" to="carol@example.org" id="n1"><body>text</body>'
      + '<x xmlns="http://jabber.org/protocol/muc#user"><invite from="alice@x"><reason>hi &lt;3</reason></invite><password>k3y</password></x></message>',
    );
  });

  test('without reason, password or body, only the invite', () => {
    const el = mediatedInvitation({ from: '#c@irc.x', to: 'alice@x', inviter: 'bob@irc.x' });
    expect(serialize(el)).toBe('<message from="#c@irc.x" to="alice@x"><x xmlns="http://jabber.org/protocol/muc#user"><invite from="bob@irc.x"/></x></message>');
  });

  test('control characters a network sent never reach the XML', () => {
    const el = mediatedInvitation({ from: '#c@irc.x', to: 'alice@x', inviter: 'bob@irc.x', reason: 'a\u0001b' });
    expect(el.getChild('x', MUC_USER)!.getChild('invite')!.getChildText('reason')).toBe('ab');
  });

  test('a decline passed on from the room', () => {
    const el = mediatedDecline({ from: '#c@irc.x', to: 'carol@example.org', decliner: 'alice@x', reason: 'busy' });
    expect(serialize(el)).toBe('<message from="#c@irc.x" to="carol@example.org"><x xmlns="http://jabber.org/protocol/muc#user"><decline from="alice@x"><reason>busy</reason></decline></x></message>');
  });

  test('the text for clients without invitations', () => {
    expect(invitationText('bob@irc.x', '#c@irc.x')).toBe('bob@irc.x invites you to the room #c@irc.x.');
    expect(invitationText('bob@irc.x', '#c@irc.x', 'hurry')).toBe('bob@irc.x invites you to the room #c@irc.x: hurry');
  });
});
