import xml from '@xmpp/xml';
import { adminListResult, readAdminRequest, readOwnerRequest, roomConfigResult } from '../../../src/component/muc-admin';

const ADMIN = 'http://jabber.org/protocol/muc#admin';
const OWNER = 'http://jabber.org/protocol/muc#owner';
const DATA = 'jabber:x:data';

const admin = (...items: Record<string, string>[]) => xml('query', { xmlns: ADMIN }, ...items.map(({ reason, ...a }) => xml('item', a, reason ? xml('reason', {}, reason) : undefined)));
const submit = (values: Record<string, string>, type = 'submit') => xml('query', { xmlns: OWNER }, xml('x', { xmlns: DATA, type },
  ...Object.entries(values).map(([k, v]) => xml('field', { var: k }, xml('value', {}, v)))));
const iq = xml('iq', { type: 'get', id: 'q1', from: 'u@example.org/r', to: '#c@irc.example.org' });

describe('muc#admin requests', () => {
  test('changes: roles by nick, affiliations by jid, with their reasons', () => {
    expect(readAdminRequest('set', admin({ nick: 'bob', role: 'none', reason: 'bye' }, { jid: 'x@irc.example.org', affiliation: 'outcast' }))).toEqual({
      kind: 'change',
      items: [
        { nick: 'bob', jid: undefined, role: 'none', affiliation: undefined, reason: 'bye' },
        { nick: undefined, jid: 'x@irc.example.org', role: undefined, affiliation: 'outcast', reason: undefined },
      ],
    });
  });

  test('what XEP-0045 forbids is bad-request with a sentence', () => {
    const refused = (q: ReturnType<typeof admin>, type: 'get' | 'set' = 'set') => {
      try {
        readAdminRequest(type, q);
      } catch (err) {
        return err as { condition: string; message: string };
      }
      throw new Error('accepted');
    };
    expect(refused(admin({ nick: 'bob', role: 'none', affiliation: 'outcast' }))).toMatchObject({ condition: 'bad-request', message: expect.stringMatching(/not both/) });
    expect(refused(admin({ jid: 'a@b', role: 'moderator' }))).toMatchObject({ condition: 'bad-request', message: expect.stringMatching(/by nick/) });
    expect(refused(admin({ nick: 'bob', role: 'king' }))).toMatchObject({ condition: 'bad-request', message: expect.stringMatching(/"king" is not a room role/) });
    expect(refused(admin({ nick: 'bob' }))).toMatchObject({ condition: 'bad-request' });
    expect(refused(admin())).toMatchObject({ condition: 'bad-request' });
    expect(refused(admin({ role: 'moderator' }, { affiliation: 'admin' }), 'get')).toMatchObject({ condition: 'bad-request' });
  });

  test('a list request names one role or one affiliation', () => {
    expect(readAdminRequest('get', admin({ affiliation: 'outcast' }))).toEqual({ kind: 'list', affiliation: 'outcast' });
    expect(readAdminRequest('get', admin({ role: 'moderator' }))).toEqual({ kind: 'list', role: 'moderator' });
  });

  test('a list answer carries affiliation, role, nick and jid', () => {
    const result = adminListResult(iq, [{ nick: 'op', role: 'moderator', affiliation: 'admin', jid: 'op@irc.example.org' }, { affiliation: 'outcast', jid: 'm@irc.example.org', reason: 'spam' }]);
    expect(result.attrs).toMatchObject({ type: 'result', id: 'q1', to: 'u@example.org/r', from: '#c@irc.example.org' });
    const items = result.getChild('query', ADMIN)!.getChildren('item');
    expect(items.map((i) => i.attrs)).toEqual([
      { affiliation: 'admin', role: 'moderator', nick: 'op', jid: 'op@irc.example.org' },
      { affiliation: 'outcast', jid: 'm@irc.example.org' },
    ]);
    expect(items[1].getChildText('reason')).toBe('spam');
  });
});

describe('muc#owner requests and the room configuration form', () => {
  test('get asks for the form; cancel and destroy are told apart from a submission', () => {
    expect(readOwnerRequest('get', xml('query', { xmlns: OWNER }))).toEqual({ kind: 'form' });
    expect(readOwnerRequest('set', submit({}, 'cancel'))).toEqual({ kind: 'cancel' });
    expect(readOwnerRequest('set', xml('query', { xmlns: OWNER }, xml('destroy')))).toEqual({ kind: 'destroy' });
    expect(() => readOwnerRequest('set', submit({}, 'form'))).toThrow(/type "submit"/);
  });

  test('a submission says only what it has; booleans, limits and the password', () => {
    expect(readOwnerRequest('set', submit({
      subject: 'two\nlines',
      'muc#roomconfig_changesubject': '0',
      'muc#roomconfig_moderatedroom': 'true',
      'muc#roomconfig_maxusers': 'none',
      'muc#roomconfig_passwordprotectedroom': '1',
      'muc#roomconfig_roomsecret': 'pw',
    }))).toEqual({
      kind: 'submit',
      config: { subject: 'two lines', subjectLocked: true, moderated: true, maxUsers: 0, password: 'pw' },
      passwordWithoutSecret: false,
    });
    expect(readOwnerRequest('set', submit({ 'muc#roomconfig_passwordprotectedroom': '0', 'muc#roomconfig_roomsecret': 'old' }))).toMatchObject({ config: { password: '' } });
    expect(readOwnerRequest('set', submit({ 'muc#roomconfig_passwordprotectedroom': '1' }))).toMatchObject({ config: {}, passwordWithoutSecret: true });
    expect(() => readOwnerRequest('set', submit({ 'muc#roomconfig_maxusers': 'lots' }))).toThrow(/"lots"/);
  });

  test('the form shows the current settings and leaves out what the network lacks', () => {
    const result = roomConfigResult(iq, { subject: 'Topic', subjectLocked: true, moderated: false, password: 'k', maxUsers: 0 }, 'Configuration of #c');
    const form = result.getChild('query', OWNER)!.getChild('x', DATA)!;
    expect(form.getChildText('title')).toBe('Configuration of #c');
    const values = Object.fromEntries(form.getChildren('field').map((f) => [f.attrs.var, f.getChildText('value')]));
    expect(values).toEqual({
      FORM_TYPE: 'http://jabber.org/protocol/muc#roomconfig',
      subject: 'Topic',
      'muc#roomconfig_changesubject': '0',
      'muc#roomconfig_moderatedroom': '0',
      'muc#roomconfig_passwordprotectedroom': '1',
      'muc#roomconfig_roomsecret': 'k',
      'muc#roomconfig_maxusers': 'none',
    });
  });
});
