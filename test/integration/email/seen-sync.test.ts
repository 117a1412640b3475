/**
 * IMAP \Seen -> XMPP against a real Dovecot: a relayed mail that another mail client marks read
 * reaches the contact handle as readByUser (what the core turns into the user's own
 * <displayed/>, see test/integration/core/read-sync.test.ts), through IDLE and through polling.
 */
import type { ImapFlow } from 'imapflow';
import type { LegacySession, XmppUser } from '../../../src/core/adapter';
import { DOVECOT_BINARY } from '../../harness/dovecot';
import { requireBinary } from '../../harness/ports';
import { ALICE, EmailContext } from './email-context';
import { plainMail } from './mail-fixtures';

const run = requireBinary(DOVECOT_BINARY, 'Dovecot') ? describe : describe.skip;
const DAN = 'dan\\40example.org';
const EVE = 'eve\\40example.org';

type Read = { from: string; legacyId: string };

/** Gives the recorder's contacts the core's readByUser, recording what the adapter reports. */
function recordReads(xmpp: XmppUser): Read[] {
  const reads: Read[] = [];
  const contact = xmpp.contact.bind(xmpp);
  xmpp.contact = (localpart) => Object.assign(contact(localpart), {
    readByUser: (ref: { legacyId: string }) => reads.push({ from: localpart, legacyId: ref.legacyId }),
  });
  return reads;
}

/** Waits for a condition the session reaches on its own (IDLE or a poll), within the test's timeout. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 20));
}

/** The other mail client marks these Message-IDs (with brackets) \Seen. */
async function markSeenElsewhere(other: ImapFlow, ...messageIds: string[]): Promise<void> {
  const lock = await other.getMailboxLock('INBOX');
  try {
    const uids: number[] = [];
    for await (const m of other.fetch('1:*', { uid: true, envelope: true })) {
      if (m.envelope?.messageId && messageIds.includes(m.envelope.messageId)) uids.push(m.uid);
    }
    expect(uids).toHaveLength(messageIds.length);
    await other.messageFlagsAdd(uids, ['\\Seen'], { uid: true });
  } finally {
    lock.release();
  }
}

function suite(name: string, options: Record<string, unknown>, timeoutMs: number, only?: 'first') {
  run(name, () => {
    const ctx = new EmailContext();
    let session: LegacySession;
    let waitFor: Awaited<ReturnType<EmailContext['login']>>['waitFor'];
    let reads: Read[];

    beforeAll(async () => {
      await ctx.start({ markSeen: false, saveToSent: false, ...options });
      const login = await ctx.login();
      ({ session, waitFor } = login);
      reads = recordReads(login.xmpp);
    }, 30000);
    afterAll(() => ctx.stop());

    async function mailFrom(sender: string, id: string): Promise<void> {
      await ctx.deliverToInbox(plainMail({ from: `<${sender}>`, to: ALICE, subject: 'Hello', body: 'Text', messageId: `<${id}>` }));
      await waitFor('message', (m: { id?: string }) => m.id === id, timeoutMs);
    }

    test('a relayed mail read in another mail client is reported read, once', async () => {
      await mailFrom('dan@example.org', 's-1@example.org');
      await markSeenElsewhere(ctx.other, '<s-1@example.org>');
      await until(() => reads.length > 0);
      expect(reads).toEqual([{ from: DAN, legacyId: 's-1@example.org' }]);
    }, timeoutMs * 3);

    // The polling run has only the first case (each step there costs a poll): the others are not registered, not skipped.
    if (only === 'first') return;

    test('several read at once: one report per contact, for the newest mail', async () => {
      reads.length = 0;
      await mailFrom('dan@example.org', 's-2@example.org');
      await mailFrom('dan@example.org', 's-3@example.org');
      await mailFrom('eve@example.org', 's-4@example.org');
      await markSeenElsewhere(ctx.other, '<s-2@example.org>', '<s-3@example.org>', '<s-4@example.org>');
      await until(() => reads.length >= 2);
      expect(reads.sort((a, b) => a.from.localeCompare(b.from))).toEqual([
        { from: DAN, legacyId: 's-3@example.org' },
        { from: EVE, legacyId: 's-4@example.org' },
      ]);
    }, timeoutMs * 5);

    test('a mail the user read from XMPP is not reported back; the marker the server carries back costs nothing', async () => {
      reads.length = 0;
      await mailFrom('dan@example.org', 's-5@example.org');
      await mailFrom('dan@example.org', 's-6@example.org');
      await session.markRead!(DAN, { id: 's-5@example.org' });
      // A later change elsewhere is reported: by then the gateway's own flag would have been too.
      await markSeenElsewhere(ctx.other, '<s-6@example.org>');
      await until(() => reads.length > 0);
      expect(reads).toEqual([{ from: DAN, legacyId: 's-6@example.org' }]);
      // The user's server carries the reported marker back as a <displayed/> to the contact.
      await expect(session.markRead!(DAN, { id: 's-6@example.org' })).resolves.toBeUndefined();
    }, timeoutMs * 4);
  });
}

suite('email \\Seen -> XMPP over IDLE', {}, 15000);
// Each step waits for a poll (5 s at least): the one case that shows polling looks at flags too.
suite('email \\Seen -> XMPP by polling (idle off)', { idle: false, pollIntervalSeconds: 5 }, 15000, 'first');
