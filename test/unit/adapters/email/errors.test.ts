import { imapError, smtpLoginError, smtpSendError } from '../../../../adapters/email/errors';

describe('library errors -> readable GatewayErrors', () => {
  test('IMAP', () => {
    expect(imapError({ authenticationFailed: true, responseText: 'Authentication failed.' }, 'imap.x')).toMatchObject({
      condition: 'not-authorized', message: 'IMAP server imap.x refused the login: Authentication failed.',
    });
    expect(imapError({ code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND imap.x' }, 'imap.x')).toMatchObject({
      condition: 'remote-server-not-found', message: 'IMAP server imap.x does not exist (DNS lookup failed).',
    });
    expect(imapError({ code: 'CONNECT_TIMEOUT' }, 'imap.x')).toMatchObject({ condition: 'remote-server-timeout' });
  });

  test('SMTP login', () => {
    expect(smtpLoginError({ code: 'EAUTH', response: '535 5.7.8 nope\r\nInjected: x' }, 'smtp.x')).toMatchObject({
      condition: 'not-authorized', message: 'SMTP server smtp.x refused the login: 535 5.7.8 nope Injected: x',
    });
    expect(smtpLoginError({ code: 'ECONNECTION', message: 'connect ECONNREFUSED 127.0.0.1:1' }, 'smtp.x')).toMatchObject({ condition: 'remote-server-not-found' });
  });

  test('SMTP send: 5xx permanent, 4xx temporary', () => {
    expect(smtpSendError({ code: 'EENVELOPE', responseCode: 550, response: '550 5.1.1 unknown' }, 'smtp.x')).toMatchObject({
      condition: 'not-acceptable', type: 'modify', message: 'SMTP server refused: 550 5.1.1 unknown',
    });
    expect(smtpSendError({ code: 'EENVELOPE', responseCode: 452, response: '452 4.2.2 mailbox full' }, 'smtp.x')).toMatchObject({
      condition: 'recipient-unavailable', type: 'wait',
    });
  });
});
