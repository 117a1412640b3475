import type { FormField } from '../../../../src/core/adapter';
import { FormDialogue, askableFields, parseAnswer, readArguments, type DialogueStep } from '../../../../src/core/commands/dialogue';

const FIELDS: FormField[] = [
  { var: 'intro', label: 'Read this', type: 'fixed' },
  { var: 'token', label: 'Auth token', type: 'text-private', required: true, secret: true },
  { var: 'user', label: 'User name', type: 'text-single', required: true, desc: 'Your login' },
  { var: 'greeting', label: 'Greeting', type: 'text-single', default: 'hello' },
  { var: 'tls', label: 'Use TLS', type: 'boolean', default: 'true' },
  { var: 'mode', label: 'Mode', type: 'list-single', options: [{ label: 'Fast lane', value: 'fast' }, { label: 'Slow lane', value: 'slow' }] },
];

function text(step: DialogueStep): string {
  if (step.kind === 'submit') throw new Error(`expected a reply, got submit ${JSON.stringify(step.values)}`);
  return step.text;
}

describe('FormDialogue', () => {
  test('asks every field but fixed ones, secrets last, and submits the answers with defaults', () => {
    expect(askableFields(FIELDS).map((f) => f.var)).toEqual(['user', 'greeting', 'tls', 'mode', 'token']);
    const d = new FormDialogue(FIELDS);
    expect(text(d.start())).toMatch(/^\(1\/5\) User name\nYour login$/);
    expect(text(d.answer('  alice '))).toMatch(/^\(2\/5\) Greeting \(optional\)\nSend - for hello\.$/);
    expect(text(d.answer('-'))).toMatch(/Use TLS[\s\S]*Answer yes or no\./);
    const mode = text(d.answer('no'));
    expect(mode).toContain('1. Fast lane');
    expect(mode).toContain('2. Slow lane');
    const secret = text(d.answer('2'));
    expect(secret).toMatch(/^\(5\/5\) Auth token/);
    expect(secret).toMatch(/never shows it back.*may keep what you send here in the chat history/);
    const done = d.answer('s3cret');
    expect(done).toEqual({ kind: 'submit', text: 'Got it (not shown).', values: { user: 'alice', greeting: 'hello', tls: 'false', mode: 'slow', token: 's3cret' } });
  });

  test('a wrong answer is explained and the same question stays open', () => {
    const d = new FormDialogue(FIELDS.filter((f) => f.var === 'tls' || f.var === 'mode'));
    d.start();
    expect(text(d.answer('perhaps'))).toBe('Answer yes or no. Try again, or send cancel.');
    expect(text(d.answer('yes'))).toContain('Mode');
    expect(text(d.answer('3'))).toBe('Answer with a number from 1 to 2. Try again, or send cancel.');
    expect(d.answer('fast lane')).toMatchObject({ kind: 'submit', values: { tls: 'true', mode: 'fast' } });
  });

  test('required fields cannot be skipped and single lines stay single', () => {
    const d = new FormDialogue(FIELDS);
    d.start();
    expect(text(d.answer('-'))).toBe('User name is required. Try again, or send cancel.');
    expect(text(d.answer('two\nlines'))).toBe('User name is a single line. Try again, or send cancel.');
    expect(text(d.answer('alice'))).toContain('Greeting');
  });

  test('back re-asks the previous question and cancel ends it', () => {
    const d = new FormDialogue(FIELDS);
    expect(text(d.start())).toContain('User name');
    expect(text(d.answer('back'))).toMatch(/^This is the first question\.\n\n\(1\/5\) User name/);
    d.answer('alice');
    expect(text(d.answer('BACK'))).toMatch(/^\(1\/5\) User name/);
    expect(text(d.answer('bob'))).toContain('Greeting');
    expect(d.answer('cancel')).toEqual({ kind: 'canceled', text: 'Canceled; nothing was changed.' });
  });

  test('after a refusal the answers are listed (secrets masked), one is changed, then retried', () => {
    const d = new FormDialogue(FIELDS.filter((f) => f.var === 'user' || f.var === 'token'));
    d.start();
    d.answer('alice');
    expect(d.answer('wrong-token')).toMatchObject({ kind: 'submit', values: { user: 'alice', token: 'wrong-token' } });
    const review = d.refused('Refused: the token is wrong');
    expect(review).toBe('Refused: the token is wrong\n\nYour answers:\n1. User name: alice\n2. Auth token: ********\n'
      + 'Send a number to change that answer, retry to try again, or cancel.');
    expect(review).not.toContain('wrong-token');
    expect(text(d.answer('7'))).toContain('Your answers:');
    expect(text(d.answer('2'))).toMatch(/^Auth token\n/);
    const back = text(d.answer('right-token'));
    expect(back).toMatch(/^Got it \(not shown\)\.\n\nYour answers:/);
    expect(back).not.toContain('right-token');
    expect(d.answer('retry')).toEqual({ kind: 'submit', values: { user: 'alice', token: 'right-token' }, text: undefined });
  });

  test('given values are not asked; onlyMissing asks just the required rest', () => {
    const d = new FormDialogue(FIELDS, { given: { user: 'carol' }, onlyMissing: true });
    expect(d.questions).toBe(1);
    expect(text(d.start())).toMatch(/^Auth token/);
    expect(d.answer('t')).toMatchObject({ kind: 'submit', values: { user: 'carol', greeting: 'hello', tls: 'true', mode: '', token: 't' } });
    const all = new FormDialogue([FIELDS[2]], { given: { user: 'dave' }, onlyMissing: true });
    expect(all.start()).toEqual({ kind: 'submit', values: { user: 'dave' }, text: undefined });
  });

  test('a stored secret is kept with - and shown as kept', () => {
    const token = { ...FIELDS[1], required: false };
    const d = new FormDialogue([FIELDS[2], token], { kept: ['token'] });
    d.start();
    expect(text(d.answer('alice'))).toContain('Send - to keep the one stored.');
    const submit = d.answer('-');
    expect(submit).toMatchObject({ kind: 'submit', values: { user: 'alice', token: '' } });
    expect(d.refused('no')).toContain('2. Auth token: (kept)');
  });

  test('repeat says the open question again', () => {
    const d = new FormDialogue(FIELDS);
    d.start();
    expect(d.repeat()).toMatch(/^\(1\/5\) User name/);
  });
});

describe('parseAnswer and readArguments', () => {
  test('booleans, choices by number, value or label, NUL refused', () => {
    const [, , , , tls, mode] = FIELDS;
    expect(parseAnswer(tls, 'Y')).toEqual({ ok: true, value: 'true' });
    expect(parseAnswer(tls, 'off')).toEqual({ ok: true, value: 'false' });
    expect(parseAnswer(mode, 'SLOW')).toEqual({ ok: true, value: 'slow' });
    expect(parseAnswer(mode, 'Fast lane')).toEqual({ ok: true, value: 'fast' });
    expect(parseAnswer(FIELDS[2], 'a\0b')).toEqual({ ok: false, problem: 'NUL characters are not allowed.' });
  });

  test('arguments fill fields in order, the last takes the rest of the line, secrets are never taken', () => {
    const fields: FormField[] = [
      { var: 'jid', label: 'User', type: 'text-single', required: true },
      { var: 'pw', label: 'Password', type: 'text-private', secret: true },
      { var: 'body', label: 'Message', type: 'text-multi' },
    ];
    expect(readArguments(fields, 'bob@example.org  hello  to you ')).toEqual({ values: { jid: 'bob@example.org', body: 'hello  to you' } });
    expect(readArguments(fields, 'bob@example.org')).toEqual({ values: { jid: 'bob@example.org' } });
    expect(readArguments([FIELDS[4]], 'maybe')).toEqual({ problem: 'Use TLS: Answer yes or no.' });
  });
});
