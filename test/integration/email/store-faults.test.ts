import pino from 'pino';
import emailModule from '../../../adapters/email';
import type { KeyValue } from '../../../src/store/types';
import { DOVECOT_BINARY } from '../../harness/dovecot';
import { MemoryKeyValue } from '../../harness/memory-kv';
import { requireBinary } from '../../harness/ports';
import { recordingEvents } from '../../harness/recording-events';
import { allowLoopback, noRegistration } from '../../support/outbound';
import { ALICE, EmailContext } from './email-context';
import { mailWithAttachment, plainMail } from './mail-fixtures';

const run = requireBinary(DOVECOT_BINARY, 'Dovecot') ? describe : describe.skip;

/** A real in-memory store that refuses writes while `readOnly` is on, like a full disk or a read-only replica. */
class ReadOnlyWhenAsked extends MemoryKeyValue implements KeyValue {
  readOnly = false;
  readonly refused: string[] = [];
  private readonly waiters: { key: string; count: number; resolve: () => void }[] = [];

  override async set<T>(key: string, value: T, ttlMs?: number): Promise<void> {
    if (this.readOnly) {
      this.refused.push(key);
      for (const w of [...this.waiters]) {
        if (this.refused.filter((k) => k === w.key).length >= w.count) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve();
        }
      }
      throw new Error('SQLITE_READONLY: attempt to write a readonly database');
    }
    return super.set(key, value, ttlMs);
  }

  /** Resolves once `count` writes of `key` have been refused. */
  refusedWrites(key: string, count: number): Promise<void> {
    if (this.refused.filter((k) => k === key).length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ key, count, resolve }));
  }
}

const subjects = (log: { kind: string; args: unknown[] }[]) =>
  log.filter((e) => e.kind === 'message').map((e) => (e.args[0] as { subject?: string }).subject);

run('email adapter: storage faults neither lose nor duplicate mail', () => {
  const ctx = new EmailContext();
  beforeAll(() => ctx.start());
  afterAll(() => ctx.stop());

  test('a mail arriving while the store is read-only waits, then is relayed exactly once', async () => {
    const state = new ReadOnlyWhenAsked();
    const first = await ctx.login({ state });
    await first.waitFor('status', (s) => s.online);

    state.readOnly = true;
    await ctx.deliverToInbox(plainMail({ from: 'ro@example.org', to: ALICE, subject: 'during the fault', body: 'one' }));
    // Refused once on the IDLE wake-up and once more by the retry: the mail is held, not relayed.
    await state.refusedWrites('imap-cursor', 2);
    expect(subjects(first.log)).toEqual([]);

    state.readOnly = false;
    await first.waitFor('message', (m) => m.subject === 'during the fault', 15000);
    // Any second relay of it would come before the next mail: mail is relayed in UID order.
    await ctx.deliverToInbox(plainMail({ from: 'ro@example.org', to: ALICE, subject: 'after the fault', body: 'two' }));
    await first.waitFor('message', (m) => m.subject === 'after the fault');
    expect(subjects(first.log)).toEqual(['during the fault', 'after the fault']);
    await ctx.logout(first.session);

    // A restart from the same store starts after both.
    const second = await ctx.login({ state, reason: 'restore' });
    await second.waitFor('status', (s) => s.online);
    await ctx.deliverToInbox(plainMail({ from: 'ro@example.org', to: ALICE, subject: 'after the restart', body: 'three' }));
    await second.waitFor('message', (m) => m.subject === 'after the restart');
    expect(subjects(second.log)).toEqual(['after the restart']);
    await ctx.logout(second.session);
  });

  test('a restore while the store is read-only relays new mail once the store works, and only once', async () => {
    const state = new ReadOnlyWhenAsked();
    const first = await ctx.login({ state });
    await first.waitFor('status', (s) => s.online);
    await ctx.logout(first.session);

    state.readOnly = true;
    await ctx.deliverToInbox(plainMail({ from: 'ro@example.org', to: ALICE, subject: 'while down and read-only', body: 'x' }));
    const second = await ctx.login({ state, reason: 'restore' });
    await state.refusedWrites('imap-cursor', 1);
    expect(subjects(second.log)).toEqual([]);
    state.readOnly = false;
    await second.waitFor('message', (m) => m.subject === 'while down and read-only', 15000);
    await ctx.deliverToInbox(plainMail({ from: 'ro@example.org', to: ALICE, subject: 'next', body: 'y' }));
    await second.waitFor('message', (m) => m.subject === 'next');
    expect(subjects(second.log)).toEqual(['while down and read-only', 'next']);
    await ctx.logout(second.session);
  });

  test('attachments the adapter store refuses are listed without a link; the mail is not held back', async () => {
    const store = new ReadOnlyWhenAsked();
    const adapter = emailModule.create({
      domain: 'email.example.org', logger: pino({ level: 'silent' }), store, http: ctx.http,
      publicUrl: `http://127.0.0.1:${ctx.httpPort}`, outbound: allowLoopback(), credentials: noRegistration,
    }, emailModule.optionsSchema.parse({}));
    const recorder = recordingEvents();
    const session = await adapter.login({ user: 'alice@xmpp.example.org', credentials: ctx.credentials(), state: new MemoryKeyValue(), xmpp: recorder.xmpp, reason: 'register' });
    try {
      await recorder.waitFor('status', (s) => s.online);
      store.readOnly = true;
      await ctx.deliverToInbox(mailWithAttachment({ from: 'ro@example.org', to: ALICE, subject: 'with file', body: 'see file', filename: 'f.txt', content: Buffer.from('abc') }));
      const [message] = await recorder.waitFor('message', (m) => m.subject === 'with file');
      expect(message).toMatchObject({ body: 'see file\n\nAttachments:\n- f.txt (3 B): could not be stored for download, open it in your mail client', oob: undefined });
    } finally {
      await session.logout();
    }
  });
});
