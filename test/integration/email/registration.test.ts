import { GatewayError } from '../../../src/core/errors';
import { DOVECOT_BINARY } from '../../harness/dovecot';
import { freePort, requireBinary } from '../../harness/ports';
import { EmailContext } from './email-context';

const run = requireBinary(DOVECOT_BINARY, 'Dovecot') ? describe : describe.skip;

run('email adapter registration against real Dovecot and SMTP servers', () => {
  const ctx = new EmailContext();
  beforeAll(() => ctx.start());
  afterAll(() => ctx.stop());

  test('register logs into IMAP and SMTP and reports online', async () => {
    const { session, waitFor } = await ctx.login();
    const [status] = await waitFor('status', (s) => s.online);
    expect(status).toEqual({ online: true, text: expect.stringContaining('127.0.0.1') });
    await ctx.logout(session);
    expect(ctx.dovecot.log()).toMatch(/Login: user=<alice@example\.net>/);
  });

  test('a wrong IMAP password is refused and the error names the IMAP server', async () => {
    const err = await ctx.login({ credentials: ctx.credentials({ imap_password: 'wrong' }) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ condition: 'not-authorized' });
    expect((err as Error).message).toMatch(/^IMAP server 127\.0\.0\.1 refused the login: .*Authentication failed/);
    expect((err as Error).message).not.toContain('wrong');
  });

  test('a wrong SMTP password is refused and the error names the SMTP server', async () => {
    const err = await ctx.login({ credentials: ctx.credentials({ smtp_password: 'wrong' }) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ condition: 'not-authorized' });
    expect((err as Error).message).toMatch(/^SMTP server 127\.0\.0\.1 refused the login: 535 5\.7\.8 Authentication credentials invalid/);
  });

  test('the SMTP password defaults to the IMAP password', async () => {
    // Alice's SMTP password differs, so an empty SMTP password must fall back to the IMAP one and fail on SMTP.
    const err = await ctx.login({ credentials: ctx.credentials({ smtp_password: '', smtp_username: '' }) }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^SMTP server .* refused the login/);
  });

  test('an unreachable IMAP server is remote-server-not-found naming the IMAP server', async () => {
    const closedPort = await freePort();
    const err = await ctx.login({ credentials: ctx.credentials({ imap_port: String(closedPort) }) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ condition: 'remote-server-not-found' });
    expect((err as Error).message).toMatch(/^IMAP server 127\.0\.0\.1 could not be reached/);
  });

  test('invalid form values are refused with a sentence', async () => {
    await expect(ctx.login({ credentials: ctx.credentials({ email: 'not an address' }) }))
      .rejects.toMatchObject({ condition: 'not-acceptable', message: expect.stringMatching(/^Your email address is not valid/) });
    await expect(ctx.login({ credentials: ctx.credentials({ smtp_port: '99999' }) }))
      .rejects.toMatchObject({ condition: 'not-acceptable', message: 'The SMTP port must be a number from 1 to 65535.' });
  });
});
