import { DOVECOT_BINARY } from '../../harness/dovecot';
import { requireBinary } from '../../harness/ports';
import { EmailContext } from './email-context';

const run = requireBinary(DOVECOT_BINARY, 'Dovecot') ? describe : describe.skip;

function outbound(id: string, body: string) {
  return { to: 'bob\\40example.org', body, id, receiptRequested: true, fromResource: 'alice@xmpp.example.org/phone' };
}

run('email adapter: shutdown drain with a slow SMTP server', () => {
  const ctx = new EmailContext();
  beforeAll(() => ctx.start());
  afterAll(() => ctx.stop());

  async function sentCopies(): Promise<number> {
    const status = await ctx.other.status('Sent', { messages: true });
    return status ? status.messages ?? 0 : 0;
  }

  test('a send answered before the deadline finishes: receipt and Sent copy before drain resolves, no error', async () => {
    const { session, waitFor, log } = await ctx.login();
    await waitFor('status', (s) => s.online);
    const copiesBefore = await sentCopies();
    const release = ctx.smtp.hold();
    const sending = session.sendMessage(outbound('drain-1', 'slow but in time'));
    await ctx.smtp.waitForHeld(1);
    const drained = session.drain!(Date.now() + 60000);
    release();
    await drained;
    // Drain resolved only after the answer, the receipt and the Sent copy: nothing to wait for here.
    expect(log.filter((e) => e.kind === 'receipt').map((e) => e.args[0])).toEqual([{ peer: 'bob\\40example.org', id: 'drain-1', fromResource: 'alice@xmpp.example.org/phone' }]);
    expect(await sentCopies()).toBe(copiesBefore + 1);
    // The Message-ID that went out, for the core's id map.
    await expect(sending).resolves.toEqual({ legacyId: expect.stringMatching(/^xmpp-drain-1-[A-Za-z0-9_-]+@example\.net$/) });
    expect(log.filter((e) => e.kind === 'messageError')).toHaveLength(0);
    // Accepted nothing new once draining.
    await expect(session.sendMessage(outbound('drain-late', 'too late'))).rejects.toMatchObject({ condition: 'service-unavailable' });
    await ctx.logout(session);
  });

  test('sends still unanswered at the deadline fail once each through messageError; their late answers are ignored', async () => {
    const { session, waitFor, log } = await ctx.login();
    await waitFor('status', (s) => s.online);
    const before = ctx.smtp.received.length;
    const release = ctx.smtp.hold();
    const first = session.sendMessage(outbound('drain-2', 'first'));
    const second = session.sendMessage(outbound('drain-3', 'second'));
    await ctx.smtp.waitForHeld(1);
    await session.drain!(Date.now() + 300);

    const errors = log.filter((e) => e.kind === 'messageError');
    expect(errors.map((e) => (e.args[0] as { id: string }).id).sort()).toEqual(['drain-2', 'drain-3']);
    for (const e of errors) {
      expect(e.args[0]).toMatchObject({ peer: 'bob\\40example.org', fromResource: 'alice@xmpp.example.org/phone' });
      expect(e.args[1]).toMatchObject({ condition: 'remote-server-timeout', message: expect.stringMatching(/shut down before the SMTP server confirmed/) });
    }
    // The sender heard through messageError: the send itself must not produce a second error, nor
    // name a mail id for a message its sender was told may not have been sent.
    await expect(first).resolves.toEqual({});
    await expect(second).resolves.toEqual({});

    // The server answers late; the second mail only leaves after the first was answered on the
    // same pooled connection, so once it arrives the first answer has reached the session.
    release();
    await ctx.smtp.waitForCount(before + 2);
    expect(log.filter((e) => e.kind === 'receipt')).toHaveLength(0);
    expect(log.filter((e) => e.kind === 'messageError')).toHaveLength(2);
    await ctx.logout(session);
  });
});
