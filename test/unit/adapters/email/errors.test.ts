import { imapError, smtpLoginError, smtpSendError } from '../../../../adapters/email/errors';
import { GatewayError } from '../../../../src/core/errors';

const IMAP_BANNER = '* OK [CAPABILITY IMAP4rev1 SASL-IR ID ENABLE IDLE] Dovecot (Debian) ready at internal-mail-7.';

describe('library errors -> readable GatewayErrors', () => {
  test('IMAP', () => {
    expect(imapError({ authenticationFailed: true, responseText: 'Authentication failed.' }, 'imap.x')).toMatchObject({
      condition: 'not-authorized', message: 'IMAP server imap.x refused the login: Authentication failed.',
    });
    expect(imapError({ authenticationFailed: true }, 'imap.x')).toMatchObject({ message: 'IMAP server imap.x refused the login.' });
    expect(imapError({ code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND imap.x' }, 'imap.x')).toMatchObject({
      condition: 'remote-server-not-found', message: 'IMAP server imap.x does not exist (DNS lookup failed).',
    });
    expect(imapError({ code: 'CONNECT_TIMEOUT' }, 'imap.x')).toMatchObject({ condition: 'remote-server-timeout', message: 'IMAP server imap.x did not answer in time.' });
    expect(imapError({ code: 'ETIMEOUT', message: 'Socket timeout' }, 'imap.x')).toMatchObject({ condition: 'remote-server-timeout' });
  });

  test('SMTP login', () => {
    expect(smtpLoginError({ code: 'EAUTH', response: '535 5.7.8 nope\r\nInjected: x' }, 'smtp.x')).toMatchObject({
      condition: 'not-authorized', message: 'SMTP server smtp.x refused the login: 535 5.7.8 nope Injected: x',
    });
    expect(smtpLoginError({ code: 'EAUTH', message: 'Missing credentials for "PLAIN"' }, 'smtp.x')).toMatchObject({
      condition: 'not-authorized', message: 'SMTP server smtp.x refused the login.',
    });
    expect(smtpLoginError({ code: 'ECONNECTION', message: 'connect ECONNREFUSED 127.0.0.1:1' }, 'smtp.x')).toMatchObject({ condition: 'remote-server-not-found' });
  });

  test('SMTP send: 5xx permanent, 4xx temporary, the reply to our command is kept', () => {
    expect(smtpSendError({ code: 'EENVELOPE', responseCode: 550, response: '550 5.1.1 unknown' }, 'smtp.x')).toMatchObject({
      condition: 'not-acceptable', type: 'modify', message: 'SMTP server refused: 550 5.1.1 unknown',
    });
    expect(smtpSendError({ code: 'EENVELOPE', responseCode: 452, response: '452 4.2.2 mailbox full' }, 'smtp.x')).toMatchObject({
      condition: 'recipient-unavailable', type: 'wait',
    });
  });
});

describe('error texts never echo what the remote volunteered (banner and port scanning)', () => {
  test('an SMTP host pointing at an IMAP port: "not an SMTP server", without its greeting', () => {
    const err = { code: 'EPROTOCOL', command: 'CONN', response: IMAP_BANNER, message: `Invalid greeting. response=${IMAP_BANNER}: ${IMAP_BANNER}` };
    for (const mapped of [smtpLoginError(err, 'smtp.x'), smtpSendError(err, 'smtp.x')]) {
      expect(mapped).toMatchObject({ condition: 'remote-server-not-found', message: 'SMTP server smtp.x is not an SMTP server (no SMTP greeting on this port).' });
    }
  });

  test('a peer that greets like SMTP and then refuses the handshake: its reply is not quoted', () => {
    const mapped = smtpLoginError({ code: 'EPROTOCOL', command: 'EHLO', responseCode: 502, response: '502 ProFTPD 1.3.8 on files-3.internal', message: 'Invalid EHLO' }, 'smtp.x');
    expect(mapped.message).toBe('SMTP server smtp.x did not complete the SMTP handshake (is it an SMTP server?).');
    expect(smtpSendError({ code: 'EPROTOCOL', command: 'EHLO', responseCode: 502, response: '502 ProFTPD' }, 'smtp.x').message).not.toMatch(/ProFTPD/);
  });

  test('connection failures name no address, port or OS error', () => {
    const refused = { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 10.1.2.3:8080' };
    expect(imapError(refused, 'imap.x').message).toBe('IMAP server imap.x could not be reached (check the host name and port).');
    const wrapped = { code: 'ESOCKET', originalCode: 'ECONNRESET', message: 'read ECONNRESET 10.1.2.3:25', command: 'CONN' };
    expect(smtpLoginError(wrapped, 'smtp.x').message).toBe('SMTP server smtp.x could not be reached (check the host name and port).');
    expect(smtpSendError(wrapped, 'smtp.x').message).toBe('SMTP server smtp.x could not be reached (check the host name and port).');
    expect(smtpLoginError({ code: 'ETIMEDOUT', message: 'Greeting never received', command: 'CONN' }, 'smtp.x')).toMatchObject({
      condition: 'remote-server-timeout', message: 'SMTP server smtp.x did not answer in time.',
    });
  });

  test('TLS failures become fixed sentences: no OpenSSL text, no names from the certificate', () => {
    const notTls = { code: 'ESOCKET', message: '80AC4A2E877F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/ssl3_record.c:350:\n' };
    expect(smtpLoginError(notTls, 'smtp.x').message).toBe('SMTP server smtp.x could not be reached securely: it did not answer with TLS on this port (check the port and the security setting).');
    expect(imapError({ code: 'ERR_SSL_WRONG_VERSION_NUMBER', message: notTls.message }, 'imap.x').message).toMatch(/^IMAP server imap\.x could not be reached securely: it did not answer with TLS/);
    const altname = { code: 'ESOCKET', originalCode: 'ERR_TLS_CERT_ALTNAME_INVALID', message: "Hostname/IP does not match certificate's altnames: Host: smtp.x. is not in the cert's altnames: DNS:vault.corp.internal" };
    expect(smtpLoginError(altname, 'smtp.x').message).toBe('SMTP server smtp.x could not be reached securely: its certificate is for a different host name.');
    expect(imapError({ code: 'CERT_HAS_EXPIRED', message: 'certificate has expired' }, 'imap.x').message).toBe('IMAP server imap.x could not be reached securely: its certificate has expired.');
    expect(imapError({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT', message: 'self-signed certificate' }, 'imap.x').message).toMatch(/its certificate is self-signed\.$/);
    expect(smtpLoginError({ code: 'ETLS', message: 'Error initiating TLS - alert 40 from gw.internal' }, 'smtp.x').message).toBe('SMTP server smtp.x could not be reached securely: the TLS handshake failed.');
  });

  test('an IMAP host that does not greet like IMAP', () => {
    expect(imapError({ code: 'GREETING_TIMEOUT', message: 'Failed to receive greeting from server in required time. Maybe should use TLS?' }, 'imap.x')).toMatchObject({
      condition: 'remote-server-timeout', message: 'IMAP server imap.x did not greet like an IMAP server in time (check the port and the TLS setting).',
    });
  });

  test('unknown failures fall back to a sentence, never to the library message', () => {
    expect(imapError({ message: `Unexpected server response ${IMAP_BANNER}` }, 'imap.x').message).toBe('IMAP server imap.x failed: it does not behave like an IMAP server, or the connection broke.');
    expect(smtpLoginError({ message: `Something odd: ${IMAP_BANNER}`, response: IMAP_BANNER }, 'smtp.x').message).toBe('SMTP server smtp.x failed: the SMTP login did not complete.');
    expect(smtpSendError({ message: `Something odd: ${IMAP_BANNER}` }, 'smtp.x')).toMatchObject({ condition: 'undefined-condition', message: 'Sending the mail failed.' });
    expect(smtpSendError({ code: 'EENVELOPE', responseCode: 554, response: IMAP_BANNER }, 'smtp.x').message).toBe('SMTP server refused the mail (reply code 554).');
  });

  test('replies to our own commands are kept, on one line and short', () => {
    expect(imapError({ responseStatus: 'NO', responseText: '[NONEXISTENT] Mailbox does not exist: INBOX' }, 'imap.x')).toMatchObject({
      message: 'IMAP server imap.x refused a command: [NONEXISTENT] Mailbox does not exist: INBOX',
    });
    const long = smtpSendError({ code: 'EENVELOPE', responseCode: 550, response: `550 5.7.1 ${'x'.repeat(1000)}\r\nX-Injected: 1` }, 'smtp.x').message;
    expect(long.length).toBeLessThanOrEqual('SMTP server refused: '.length + 200);
    expect(long).not.toMatch(/[\r\n]/);
  });

  test('errors that are already readable (e.g. the outbound policy) pass through unchanged', () => {
    const refusal = new GatewayError('not-allowed', 'Connections to private addresses are not allowed.');
    expect(imapError(refusal, 'imap.x')).toBe(refusal);
    expect(smtpLoginError(refusal, 'smtp.x')).toBe(refusal);
    expect(smtpSendError(refusal, 'smtp.x')).toBe(refusal);
  });
});
