import xml from '@xmpp/xml';
import { buildForm, readForm } from '../../../src/component/forms';
import { validateValues } from '../../../src/core/registration';
import type { FormField } from '../../../src/core/adapter';
import { GatewayError } from '../../../src/core/errors';

const fields: FormField[] = [
  { var: 'server', label: 'IRC server', type: 'text-single', required: true, default: 'irc.example.net' },
  { var: 'nick', label: 'Nickname', type: 'text-single', required: true, legacyName: 'nick' },
  { var: 'password', label: 'Password', type: 'text-private', secret: true },
  { var: 'tls', label: 'Use TLS', type: 'boolean', default: 'true' },
  { var: 'mode', label: 'Mode', type: 'list-single', options: [{ label: 'A', value: 'a' }, { label: 'B', value: 'b' }] },
];

describe('XEP-0004 forms', () => {
  test('fields carry type, label, required flag, default and options', () => {
    const form = buildForm(fields, { title: 'Register', instructions: 'Fill me', formType: 'jabber:iq:register' });
    expect(form.attrs).toMatchObject({ xmlns: 'jabber:x:data', type: 'form' });
    expect(form.getChildText('title')).toBe('Register');
    const server = form.getChildren('field').find((f) => f.attrs.var === 'server')!;
    expect(server.attrs).toMatchObject({ type: 'text-single', label: 'IRC server' });
    expect(server.getChild('required')).toBeDefined();
    expect(server.getChildText('value')).toBe('irc.example.net');
    const mode = form.getChildren('field').find((f) => f.attrs.var === 'mode')!;
    expect(mode.getChildren('option').map((o) => o.getChildText('value'))).toEqual(['a', 'b']);
    expect(form.getChildren('field')[0].attrs).toMatchObject({ var: 'FORM_TYPE', type: 'hidden' });
  });

  test('current values replace defaults', () => {
    const form = buildForm(fields, { values: { server: 'irc.other.net' } });
    expect(form.getChildren('field').find((f) => f.attrs.var === 'server')!.getChildText('value')).toBe('irc.other.net');
  });

  test('readForm returns submitted values, skipping FORM_TYPE', () => {
    const submitted = xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
      xml('field', { var: 'FORM_TYPE' }, xml('value', {}, 'jabber:iq:register')),
      xml('field', { var: 'nick' }, xml('value', {}, 'alice')),
      xml('field', { var: 'lines' }, xml('value', {}, 'one'), xml('value', {}, 'two')));
    expect(readForm(submitted)).toEqual({ nick: 'alice', lines: 'one\ntwo' });
  });
});

describe('registration validation', () => {
  test('defaults, booleans and trimming', () => {
    expect(validateValues(fields, { nick: ' alice ', tls: '0' }, undefined)).toEqual({ server: 'irc.example.net', nick: 'alice', tls: 'false' });
  });

  test('an empty secret keeps the stored one on update', () => {
    expect(validateValues(fields, { nick: 'alice', password: '' }, { password: 'old' }).password).toBe('old');
  });

  test('every problem is named in one not-acceptable error', () => {
    let error: GatewayError | undefined;
    try {
      validateValues(fields, { server: '', nick: 'a\r\nQUIT', mode: 'z' }, undefined);
    } catch (e) {
      error = e as GatewayError;
    }
    expect(error?.condition).toBe('not-acceptable');
    expect(error?.message).toContain('Nickname: line breaks and NUL are not allowed');
    expect(error?.message).toContain('Mode: "z" is not one of the choices');
  });
});
