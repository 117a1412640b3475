import { Conversations } from '../../../../adapters/email/conversations';
import { MemoryKeyValue } from '../../../harness/memory-kv';

describe('conversation memory', () => {
  test('threads map both ways and the last conversation with an address is found without a thread id', async () => {
    const state = new MemoryKeyValue();
    const c = new Conversations(state);
    expect(await c.forOutbound(undefined, 'bob@example.org')).toBeUndefined();
    await c.remember({ thread: 'T1', references: [], subject: 'Hi' }, '<a@x>', 'bob@example.org');
    await c.remember((await c.forOutbound('T1', 'bob@example.org'))!, '<b@x>', 'bob@example.org');
    expect(await c.forOutbound(undefined, 'bob@example.org')).toEqual({ thread: 'T1', references: ['<a@x>', '<b@x>'], subject: 'Hi' });
    expect(await c.threadForRoot('<a@x>')).toBe('T1');
    expect(await c.threadForRoot('<unknown@x>')).toBe('unknown@x');
  });

  test('References stay bounded and keep the root', async () => {
    const c = new Conversations(new MemoryKeyValue());
    let info = { thread: 'T', references: [] as string[] };
    for (let i = 0; i < 30; i++) info = await c.remember(info, `<m${i}@x>`, 'a@b.c');
    expect(info.references).toHaveLength(12);
    expect(info.references[0]).toBe('<m0@x>');
    expect(info.references.at(-1)).toBe('<m29@x>');
  });

  test('every entry expires; the UID cursor does not', async () => {
    const state = new MemoryKeyValue();
    const c = new Conversations(state);
    await c.remember({ thread: 'T', references: [] }, '<a@x>', 'a@b.c');
    await c.rememberSent('<a@x>', { stanzaId: 's1', peer: 'a\\40b.c' });
    await c.setCursor({ uidValidity: '7', lastUid: 3 });
    for (const [key, entry] of state.data) expect([key, entry.expires === undefined]).toEqual([key, key === 'imap-cursor']);
    expect(await c.findSent(['<zz@x>', '<a@x>'])).toEqual({ messageId: '<a@x>', record: { stanzaId: 's1', peer: 'a\\40b.c' } });
  });

  test('a mail is remembered by its Message-ID with its own bounded chain, and expires', async () => {
    const state = new MemoryKeyValue();
    const c = new Conversations(state);
    const chain = Array.from({ length: 20 }, (_, i) => `<m${i}@x>`);
    await c.rememberMail('<m19@x>', { thread: 'T', references: chain, subject: 'Hi', from: 'Dan <dan@x.org>', date: '2026-11-25T10:00:00.000Z' });
    const record = await c.mail('<m19@x>');
    expect(record).toMatchObject({ thread: 'T', subject: 'Hi', from: 'Dan <dan@x.org>' });
    expect(record!.references).toHaveLength(12);
    expect([record!.references[0], record!.references.at(-1)]).toEqual(['<m0@x>', '<m19@x>']);
    expect(await c.mail('<unknown@x>')).toBeUndefined();
    expect(state.data.get('mail:<m19@x>')?.expires).toBeDefined();
  });
});
