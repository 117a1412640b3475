import { parseAccount } from '../../../../adapters/email/credentials';
import { emailOptionsSchema } from '../../../../adapters/email/options';

const base = { email: 'Alice@Example.net', imap_host: 'imap.example.net', imap_username: 'alice', imap_password: 'pw', smtp_host: 'smtp.example.net' };

describe('registration values', () => {
  test('defaults: TLS ports, SMTP login falls back to the IMAP login', () => {
    expect(parseAccount(base)).toEqual({
      address: 'alice@example.net',
      imap: { host: 'imap.example.net', port: 993, tls: true, user: 'alice', pass: 'pw' },
      smtp: { host: 'smtp.example.net', port: 465, security: 'tls', user: 'alice', pass: 'pw' },
    });
    const plain = parseAccount({ ...base, imap_tls: 'false', smtp_security: 'starttls', smtp_username: 'a2', smtp_password: 'p2' });
    expect(plain.imap.port).toBe(143);
    expect(plain.smtp).toMatchObject({ port: 587, security: 'starttls', user: 'a2', pass: 'p2' });
    expect(parseAccount({ ...base, imap_host: '::1' }).imap.host).toBe('::1');
  });

  test.each([
    [{ imap_host: 'imap.example.net\r\nX' }, 'The IMAP server "imap.example.net\\r\\nX" is not a host name or IP address.'],
    [{ smtp_host: '' }, 'The SMTP server is missing.'],
    [{ imap_port: '0' }, 'The IMAP port must be a number from 1 to 65535.'],
    [{ smtp_port: '25x' }, 'The SMTP port must be a number from 1 to 65535.'],
    [{ smtp_security: 'ssl' }, 'SMTP security must be tls, starttls or none.'],
    [{ imap_password: '' }, 'The IMAP password is missing.'],
    [{ imap_username: 'a\nb' }, 'The IMAP user name cannot contain line breaks.'],
    [{ email: 'alice' }, expect.stringMatching(/^Your email address is not valid: "alice" is not an email address/)],
  ])('%j is refused: %s', (override, message) => {
    expect(() => parseAccount({ ...base, ...override })).toThrow(expect.objectContaining({ condition: 'not-acceptable', message }));
  });

  test('options have defaults and unknown keys are named', () => {
    expect(emailOptionsSchema.parse({})).toMatchObject({ defaultSubject: 'first-line', saveToSent: true, markSeen: true, idle: true, pollIntervalSeconds: 60 });
    const result = emailOptionsSchema.safeParse({ pollIntervalSecs: 5 });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain('pollIntervalSecs');
    expect(emailOptionsSchema.safeParse({ sentFolder: 'a\r\nb' }).success).toBe(false);
  });
});
