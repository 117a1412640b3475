/**
 * CTCP both ways. XMPP's jabber:iq:version to an IRC user becomes a CTCP VERSION and its answer
 * the iq result. CTCP PING, TIME, VERSION and CLIENTINFO from IRC users are answered by the
 * gateway for the user, saying nothing about the machine (time in UTC, the configured version
 * text only), privately only (a CTCP to a channel would make every gateway user in it answer),
 * and at a bounded rate, so a CTCP flood cannot fill the connection's send queue.
 */
import type { SoftwareVersion } from '../../src/core/adapter';
import { GatewayError } from '../../src/core/errors';
import { stripFormatting } from './formatting';

export interface CtcpHost {
  online(): boolean;
  send(line: string): boolean;
  lower(name: string): string;
  /** What the gateway answers to CTCP VERSION. */
  versionText(): string;
}

export interface CtcpEvent {
  nick?: string;
  target?: string;
  type?: string | null;
  message?: string;
}

const VERSION_TIMEOUT_MS = 10000;
const MAX_WAITING = 20;
/** Answers to CTCP requests: at most BURST at once, one more every REFILL_MS. */
const ANSWER_BURST = 5;
const ANSWER_REFILL_MS = 2000;
const ARG_MAX = 64;

/** "irssi v1.4.5 - running on Linux x86_64" -> irssi / 1.4.5 / Linux x86_64; free text stays the name. */
export function parseVersionReply(text: string): SoftwareVersion {
  const clean = stripFormatting(text).replace(/[\s\0]+/g, ' ').trim().slice(0, 200);
  const words = clean.split(' ');
  const at = words.findIndex((w, i) => i > 0 && /^v?\d/.test(w));
  if (at === -1) return { name: clean || 'unknown' };
  const os = words.slice(at + 1).join(' ').replace(/^(?:[-/:|,]+\s*)?(?:running on\s+|on\s+)?/i, '').trim();
  return { name: words.slice(0, at).join(' '), version: words[at].replace(/^v(?=\d)/, ''), ...(os ? { os } : {}) };
}

/** What goes back inside a CTCP answer: no CTCP delimiter, no line end, short. */
function ctcpSafe(text: string): string {
  return text.replace(/[\x01\r\n\0]/g, '').slice(0, ARG_MAX);
}

export class Ctcp {
  private readonly waiting = new Map<string, { resolve(v: SoftwareVersion): void; reject(e: GatewayError): void }[]>();
  private tokens = ANSWER_BURST;
  private refilled = Date.now();

  constructor(private readonly host: CtcpHost) {}

  /** Asks `nick`'s client which software it is (CTCP VERSION). */
  version(nick: string): Promise<SoftwareVersion> {
    if (!this.host.online()) return Promise.reject(new GatewayError('remote-server-timeout', 'Not connected to IRC right now.'));
    const key = this.host.lower(nick);
    const queue = this.waiting.get(key);
    if (!queue && this.waiting.size >= MAX_WAITING) return Promise.reject(new GatewayError('resource-constraint', 'Too many version requests are waiting for an answer; try again in a moment.'));
    return new Promise((resolve, reject) => {
      const entry = {
        resolve: (v: SoftwareVersion) => { clearTimeout(timer); resolve(v); },
        reject: (e: GatewayError) => { clearTimeout(timer); reject(e); },
      };
      const timer = setTimeout(() => {
        this.take(key, entry);
        reject(new GatewayError('remote-server-timeout', `${nick} did not say which IRC client they use within ${VERSION_TIMEOUT_MS / 1000} s (many clients do not answer).`));
      }, VERSION_TIMEOUT_MS);
      if (queue) {
        queue.push(entry);
        return;
      }
      this.waiting.set(key, [entry]);
      if (!this.host.send(`PRIVMSG ${nick} :\x01VERSION\x01`)) this.settle(key, (e) => e.reject(new GatewayError('resource-constraint', 'Too many commands are waiting to be sent to IRC.')));
    });
  }

  private take(key: string, entry: unknown): void {
    const left = (this.waiting.get(key) ?? []).filter((e) => e !== entry);
    if (left.length) this.waiting.set(key, left);
    else this.waiting.delete(key);
  }

  private settle(key: string, answer: (e: { resolve(v: SoftwareVersion): void; reject(e: GatewayError): void }) => void): boolean {
    const queue = this.waiting.get(key);
    if (!queue) return false;
    this.waiting.delete(key);
    for (const entry of queue) answer(entry);
    return true;
  }

  /** A CTCP answer (NOTICE): true when it was a VERSION someone waits for. */
  answered(e: CtcpEvent): boolean {
    if (!e.nick || (e.type ?? '').toUpperCase() !== 'VERSION') return false;
    const text = (e.message ?? '').replace(/^VERSION\s*/i, '');
    return this.settle(this.host.lower(e.nick), (entry) => entry.resolve(parseVersionReply(text)));
  }

  /** 401 for a nick a VERSION went to. */
  noSuchNick(nick: string): boolean {
    return this.settle(this.host.lower(nick), (entry) => entry.reject(new GatewayError('item-not-found', `${nick} is not on IRC right now.`)));
  }

  /** The connection dropped: nobody will answer. */
  lost(): void {
    for (const key of [...this.waiting.keys()]) this.settle(key, (e) => e.reject(new GatewayError('remote-server-timeout', 'The IRC connection was lost.')));
  }

  /** A CTCP request from an IRC user (ACTION is not one: listeners.ts shows it as /me). */
  request(e: CtcpEvent, toChannel: boolean): void {
    if (!e.nick || toChannel || e.nick.includes('.') || !/^[^\s:]+$/.test(e.nick) || !this.host.online()) return;
    const type = (e.type ?? '').toUpperCase();
    const arg = ctcpSafe((e.message ?? '').slice(type.length).trim());
    let answer: string | undefined;
    if (type === 'PING') answer = arg ? `PING ${arg}` : 'PING';
    else if (type === 'TIME') answer = `TIME ${new Date().toUTCString()}`;
    else if (type === 'VERSION') answer = `VERSION ${ctcpSafe(this.host.versionText())}`;
    else if (type === 'CLIENTINFO') answer = 'CLIENTINFO ACTION CLIENTINFO PING TIME VERSION';
    if (answer === undefined || !this.allowAnswer()) return;
    this.host.send(`NOTICE ${e.nick} :\x01${answer}\x01`);
  }

  private allowAnswer(now = Date.now()): boolean {
    const earned = Math.floor((now - this.refilled) / ANSWER_REFILL_MS);
    if (earned > 0) {
      this.tokens = Math.min(ANSWER_BURST, this.tokens + earned);
      this.refilled += earned * ANSWER_REFILL_MS;
    }
    if (this.tokens <= 0) return false;
    this.tokens--;
    return true;
  }
}
