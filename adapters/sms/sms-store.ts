import { KeyedMutex } from '../../src/keyed-mutex';
import type { KeyValue } from '../../src/store/types';
import { OfflineQueue } from './offline-queue';

/** What is remembered about one sent SMS part, to turn status callbacks into receipts/errors. */
export interface OutboundRef {
  user: string;
  peer: string;
  id?: string;
  receiptRequested: boolean;
  fromResource?: string;
  /** All parts of one XMPP message share a group; the receipt waits for every part. */
  group: string;
  parts: number;
}

interface GroupState {
  delivered: string[];
  failed: boolean;
}

const OUTBOUND_TTL_MS = 7 * 24 * 3600 * 1000;

/**
 * The adapter-wide persistent state, on the shared KeyValue. Read-modify-write sequences on a
 * key run one at a time (in this process) so concurrent webhooks cannot lose updates.
 */
export class SmsStore {
  private readonly locks = new KeyedMutex();
  /** Webhooks kept while a number's owner is logged out. */
  readonly offline: OfflineQueue;

  constructor(private readonly kv: KeyValue) {
    this.offline = new OfflineQueue(kv);
  }

  ownerOf(number: string): Promise<string | undefined> {
    return this.kv.get<{ user: string }>(`owner:${number}`).then((o) => o?.user);
  }

  numberOf(user: string): Promise<string | undefined> {
    return this.kv.get<string>(`number-of:${user}`);
  }

  /** Claims `number` for `user`; returns the other owner if someone else holds it. */
  claim(number: string, user: string): Promise<{ ok: true; fresh: boolean } | { ok: false; owner: string }> {
    return this.locks.run(`owner:${number}`, async () => {
      const owner = await this.ownerOf(number);
      if (owner !== undefined && owner !== user) return { ok: false as const, owner };
      await this.kv.set(`owner:${number}`, { user });
      await this.kv.set(`number-of:${user}`, number);
      return { ok: true as const, fresh: owner === undefined };
    });
  }

  /** Releases `number` if (and only if) `user` holds it; drops what is pending for it. */
  release(number: string, user: string): Promise<boolean> {
    return this.locks.run(`owner:${number}`, async () => {
      if ((await this.ownerOf(number)) !== user) return false;
      await this.kv.delete(`owner:${number}`);
      await this.offline.clear(number);
      if ((await this.numberOf(user)) === number) await this.kv.delete(`number-of:${user}`);
      return true;
    });
  }

  /** True the first time a MessageSid is seen within the TTL (Twilio retries webhooks). */
  firstSighting(messageSid: string, ttlMs: number): Promise<boolean> {
    return this.locks.run(`seen:${messageSid}`, async () => {
      if (await this.kv.get(`seen:${messageSid}`)) return false;
      await this.kv.set(`seen:${messageSid}`, 1, ttlMs);
      return true;
    });
  }

  async rememberOutbound(messageSid: string, ref: OutboundRef): Promise<void> {
    await this.kv.set(`out:${messageSid}`, ref, OUTBOUND_TTL_MS);
  }

  outbound(messageSid: string): Promise<OutboundRef | undefined> {
    return this.kv.get<OutboundRef>(`out:${messageSid}`);
  }

  /**
   * Records a part's final state. Returns 'complete' once every part was delivered, 'failed' for
   * the first failure of the group, undefined when nothing is to be reported (yet, or any more).
   */
  partFinished(ref: OutboundRef, messageSid: string, delivered: boolean): Promise<'complete' | 'failed' | undefined> {
    const key = `group:${ref.group}`;
    return this.locks.run(key, async () => {
      const state = (await this.kv.get<GroupState>(key)) ?? { delivered: [], failed: false };
      if (state.failed) return undefined;
      if (!delivered) {
        state.failed = true;
        await this.kv.set(key, state, OUTBOUND_TTL_MS);
        return 'failed';
      }
      if (state.delivered.includes(messageSid)) return undefined;
      state.delivered.push(messageSid);
      await this.kv.set(key, state, OUTBOUND_TTL_MS);
      return state.delivered.length === ref.parts ? 'complete' : undefined;
    });
  }
}
