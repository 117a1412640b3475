/**
 * A data form (XEP-0004 fields) as a chat dialogue: one question per message, secrets last,
 * `back` and `cancel`, each answer checked as it arrives. Pure: it decides what to say next and
 * which values to submit; the chat interface sends the text and runs the command.
 */
import type { FormField } from '../adapter';

export type DialogueStep =
  /** Say this and wait for the next answer. */
  | { kind: 'reply'; text: string }
  /** Every question is answered: run the command with these values (`text`, if any, goes first). */
  | { kind: 'submit'; values: Record<string, string>; text?: string }
  | { kind: 'canceled'; text: string };

export interface DialogueOptions {
  /** Values already given (arguments typed after the command name); their fields are not asked. */
  given?: Record<string, string>;
  /** Ask only required fields that are not given (the user typed arguments: the rest keeps its defaults). */
  onlyMissing?: boolean;
  /** Fields whose empty answer keeps a value stored earlier (a registered user's secrets). */
  kept?: string[];
}

type Parsed = { ok: true; value: string } | { ok: false; problem: string };

const SKIP = '-';
const SUBMIT_WORDS = new Set(['retry', 'done', 'ok', 'submit', 'send']);
const YES = new Set(['yes', 'y', 'true', '1', 'on']);
const NO = new Set(['no', 'n', 'false', '0', 'off']);
const SECRET_NOTE = 'Secret: the gateway never shows it back, but your client (and your server\'s archive) may keep what you send here in the chat history.';

export function isSecret(field: FormField): boolean {
  return Boolean(field.secret) || field.type === 'text-private';
}

/** The fields a dialogue asks, in its order: form order, but secrets after everything else. */
export function askableFields(fields: FormField[]): FormField[] {
  const open = fields.filter((f) => f.type !== 'fixed');
  return [...open.filter((f) => !isSecret(f)), ...open.filter(isSecret)];
}

/** One answer, read the way the form field wants it. Surrounding spaces go (phone keyboards add them). */
export function parseAnswer(field: FormField, text: string): Parsed {
  const answer = text.trim();
  if (answer === SKIP) {
    const value = field.default ?? '';
    if (field.required && value === '') return { ok: false, problem: `${field.label} is required.` };
    return { ok: true, value };
  }
  if (answer === '') return { ok: false, problem: `Send a value${field.required ? '' : `, or ${SKIP} to leave it empty`}.` };
  if (answer.includes('\0')) return { ok: false, problem: 'NUL characters are not allowed.' };
  if (field.type === 'boolean') {
    const word = answer.toLowerCase();
    if (YES.has(word)) return { ok: true, value: 'true' };
    if (NO.has(word)) return { ok: true, value: 'false' };
    return { ok: false, problem: 'Answer yes or no.' };
  }
  if (field.options?.length) {
    const options = field.options;
    const n = /^\d+$/.test(answer) ? Number(answer) : NaN;
    const chosen = Number.isInteger(n) && n >= 1 && n <= options.length
      ? options[n - 1]
      : options.find((o) => o.value.toLowerCase() === answer.toLowerCase() || o.label.toLowerCase() === answer.toLowerCase());
    if (!chosen) return { ok: false, problem: `Answer with a number from 1 to ${options.length}.` };
    return { ok: true, value: chosen.value };
  }
  if (field.type !== 'text-multi' && /[\r\n]/.test(answer)) return { ok: false, problem: `${field.label} is a single line.` };
  return { ok: true, value: answer };
}

/** A value as shown back in a summary: secrets never, choices by their label. */
export function shownValue(field: FormField, value: string | undefined): string {
  if (value === undefined || value === '') return '(empty)';
  if (isSecret(field)) return '********';
  if (field.type === 'boolean') return value === 'true' || value === '1' ? 'yes' : 'no';
  return field.options?.find((o) => o.value === value)?.label ?? value;
}

/**
 * Arguments typed after a command name fill its fields in form order (secrets never: those are
 * asked); the last of them takes the rest of the line, so `announce Hello all` keeps its spaces.
 */
export function readArguments(fields: FormField[], text: string): { values: Record<string, string> } | { problem: string } {
  const positional = fields.filter((f) => f.type !== 'fixed' && !isSecret(f));
  const values: Record<string, string> = {};
  let rest = text.trim();
  for (let i = 0; i < positional.length && rest !== ''; i++) {
    const field = positional[i];
    let word = rest;
    if (i < positional.length - 1) {
      const space = rest.search(/\s/);
      word = space === -1 ? rest : rest.slice(0, space);
    }
    rest = rest.slice(word.length).trim();
    const parsed = parseAnswer(field, word);
    if (!parsed.ok) return { problem: `${field.label}: ${parsed.problem}` };
    values[field.var] = parsed.value;
  }
  return { values };
}

export class FormDialogue {
  private readonly fields: FormField[];
  private readonly queue: FormField[];
  private readonly values: Record<string, string>;
  private index = 0;
  private mode: 'ask' | 'review' | 'edit' = 'ask';
  private editing?: FormField;
  private readonly kept: Set<string>;

  constructor(fields: FormField[], options: DialogueOptions = {}) {
    this.fields = askableFields(fields);
    this.kept = new Set(options.kept ?? []);
    this.values = { ...(options.given ?? {}) };
    this.queue = this.fields.filter((f) => {
      if (f.var in this.values) return false;
      return !options.onlyMissing || (f.required && !f.default);
    });
  }

  /** The first question, or submit at once when nothing needs asking. */
  start(): DialogueStep {
    return this.queue.length ? { kind: 'reply', text: this.question(this.queue[0]) } : this.submit();
  }

  answer(text: string): DialogueStep {
    const word = text.trim().toLowerCase();
    if (word === 'cancel') return { kind: 'canceled', text: 'Canceled; nothing was changed.' };
    if (this.mode === 'review') return this.reviewAnswer(word);
    const field = this.mode === 'edit' ? this.editing! : this.queue[this.index];
    if (word === 'back') {
      if (this.mode === 'edit') return this.review();
      if (this.index === 0) return { kind: 'reply', text: `This is the first question.\n\n${this.question(field)}` };
      this.index--;
      return { kind: 'reply', text: this.question(this.queue[this.index]) };
    }
    const parsed = parseAnswer(field, text);
    if (!parsed.ok) return { kind: 'reply', text: `${parsed.problem} Try again, or send cancel.` };
    this.values[field.var] = parsed.value;
    const ack = isSecret(field) ? 'Got it (not shown).' : undefined;
    if (this.mode === 'edit') return this.review(ack);
    this.index++;
    if (this.index >= this.queue.length) return this.submit(ack);
    return { kind: 'reply', text: [ack, this.question(this.queue[this.index])].filter(Boolean).join('\n\n') };
  }

  /** How many questions the dialogue asks (before any correction). */
  get questions(): number {
    return this.queue.length;
  }

  /** What the dialogue is waiting for, said again (the user asked for help in the middle of it). */
  repeat(): string {
    if (this.mode === 'review') return this.summary();
    return this.question(this.mode === 'edit' ? this.editing! : this.queue[this.index]);
  }

  /** The command refused the values: show them and let the user change some and try again. */
  refused(reason: string): string {
    this.mode = 'review';
    return `${reason}\n\n${this.summary()}`;
  }

  private reviewAnswer(word: string): DialogueStep {
    if (SUBMIT_WORDS.has(word)) return this.submit();
    const n = /^\d+$/.test(word) ? Number(word) : NaN;
    if (n >= 1 && n <= this.fields.length) {
      this.mode = 'edit';
      this.editing = this.fields[n - 1];
      return { kind: 'reply', text: this.question(this.editing) };
    }
    return this.review();
  }

  private review(ack?: string): DialogueStep {
    this.mode = 'review';
    return { kind: 'reply', text: [ack, this.summary()].filter(Boolean).join('\n\n') };
  }

  private summary(): string {
    const lines = this.fields.map((f, i) => {
      const value = this.values[f.var] ?? f.default;
      return `${i + 1}. ${f.label}: ${!value && this.kept.has(f.var) ? '(kept)' : shownValue(f, value)}`;
    });
    return ['Your answers:', ...lines, 'Send a number to change that answer, retry to try again, or cancel.'].join('\n');
  }

  private submit(ack?: string): DialogueStep {
    const values: Record<string, string> = {};
    for (const f of this.fields) values[f.var] = this.values[f.var] ?? f.default ?? '';
    return { kind: 'submit', values, text: ack };
  }

  private question(field: FormField): string {
    const counter = this.mode === 'ask' && this.queue.length > 1 ? `(${this.index + 1}/${this.queue.length}) ` : '';
    // Labels often say it already ("Real name (optional)").
    const optional = field.required || /optional/i.test(field.label) ? '' : ' (optional)';
    const lines = [`${counter}${field.label}${optional}`];
    if (field.desc) lines.push(field.desc);
    field.options?.forEach((o, i) => lines.push(`  ${i + 1}. ${o.label}`));
    if (field.type === 'boolean') lines.push('Answer yes or no.');
    else if (field.options?.length) lines.push('Answer with a number.');
    if (this.kept.has(field.var)) lines.push(`Send ${SKIP} to keep the one stored.`);
    else if (field.default !== undefined && field.default !== '') lines.push(`Send ${SKIP} for ${shownValue(field, field.default)}.`);
    else if (!field.required) lines.push(`Send ${SKIP} to leave it empty.`);
    if (isSecret(field)) lines.push(SECRET_NOTE);
    return lines.join('\n');
  }
}
