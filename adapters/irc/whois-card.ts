/**
 * vCards of IRC users (XEP-0054), from WHOIS: the real name, the user@host and the server they
 * use, and their away message. One WHOIS per nick at a time; a bounded number at once.
 */
import type { ContactCard } from '../../src/core/adapter';
import { stripFormatting } from './formatting';

/** The fields of irc-framework's `whois` event a card is made of. */
export interface WhoisFields {
  nick?: string;
  ident?: string;
  hostname?: string;
  real_name?: string;
  server?: string;
  away?: string;
  account?: string;
  error?: string;
}

const MAX_PENDING = 20;
const TIMEOUT_MS = 4000;

export function cardOf(e: WhoisFields): ContactCard | undefined {
  if (e.error || !e.nick) return undefined;
  const lines = [
    e.ident && e.hostname ? `${e.nick}!${e.ident}@${e.hostname}` : undefined,
    e.server ? `on ${e.server}` : undefined,
    e.account ? `logged in as ${e.account}` : undefined,
    e.away ? `away: ${stripFormatting(e.away)}` : undefined,
  ].filter(Boolean);
  return {
    nickname: e.nick,
    ...(e.real_name ? { fullName: stripFormatting(e.real_name) } : {}),
    ...(lines.length ? { note: lines.join('\n') } : {}),
  };
}

export class WhoisCards {
  private readonly waiting = new Map<string, ((card: ContactCard | undefined) => void)[]>();

  /** `key`: the nick case-folded; `send` sends the WHOIS when none is out for it yet. */
  ask(key: string, send: () => void): Promise<ContactCard | undefined> {
    const queue = this.waiting.get(key);
    if (!queue && this.waiting.size >= MAX_PENDING) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle(key, undefined, done), TIMEOUT_MS);
      const done = (card: ContactCard | undefined) => {
        clearTimeout(timer);
        resolve(card);
      };
      if (queue) queue.push(done);
      else {
        this.waiting.set(key, [done]);
        send();
      }
    });
  }

  /** End of a WHOIS (or its error): answers whoever asked about that nick. */
  answered(key: string, e: WhoisFields): void {
    this.settle(key, cardOf(e));
  }

  private settle(key: string, card: ContactCard | undefined, only?: (card: ContactCard | undefined) => void): void {
    const queue = this.waiting.get(key);
    if (!queue) return;
    const answered = only ? queue.filter((f) => f === only) : queue;
    const left = only ? queue.filter((f) => f !== only) : [];
    if (left.length) this.waiting.set(key, left);
    else this.waiting.delete(key);
    for (const f of answered) f(card);
  }
}
