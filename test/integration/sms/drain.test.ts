import type { GatewayError } from '../../../src/core/errors';
import type { OutboundMessage } from '../../../src/core/adapter';
import type { SmsSession } from '../../../adapters/sms/session';
import { startSmsRig, type SmsRig, type UserRig } from './setup';

const NUMBER = '+15551230001';
const PEER = '+447911123456';

function message(id: string, body = `body of ${id}`): OutboundMessage {
  return { to: PEER, body, id, receiptRequested: true, fromResource: 'alice@example.org/phone' };
}

const errors = (user: UserRig) => user.recorder.log.filter((e) => e.kind === 'messageError').map((e) => e.args as [{ id?: string }, GatewayError]);
const outKeys = (rig: SmsRig) => [...rig.store.data.keys()].filter((k) => k.startsWith('out:'));

describe('SMS session drain at shutdown', () => {
  let rig: SmsRig;
  let alice: UserRig;
  let session: SmsSession;

  async function setUp(options: Record<string, unknown> = {}): Promise<void> {
    rig = await startSmsRig(options);
    alice = await rig.login('alice@example.org', rig.fake.addAccount([NUMBER]), NUMBER);
    session = alice.session as SmsSession;
  }
  afterEach(async () => {
    await rig.close();
  });

  it('resolves at once with nothing in flight', async () => {
    await setUp();
    await session.drain(Date.now() + 60_000);
    expect(errors(alice)).toEqual([]);
  });

  it('waits for a slow send to finish before the deadline, and nothing fails', async () => {
    await setUp();
    const hold = rig.fake.holdNext('messages.create');
    const sending = session.sendMessage(message('slow'));
    await hold.arrived;
    const draining = session.drain(Date.now() + 60_000);
    hold.release();
    await draining;
    await sending;
    expect(rig.fake.messages.map((m) => m.body)).toEqual(['body of slow']);
    expect(outKeys(rig)).toHaveLength(1);
    expect(errors(alice)).toEqual([]);
  });

  it('fails each message still unanswered at the deadline once, and ignores its late answer', async () => {
    await setUp();
    const holds = [rig.fake.holdNext('messages.create'), rig.fake.holdNext('messages.create')];
    const sends = [session.sendMessage(message('a')), session.sendMessage(message('b'))];
    await Promise.all(holds.map((h) => h.arrived));
    await session.drain(Date.now() + 50);
    const failed = errors(alice);
    expect(failed.map(([ref]) => ref.id).sort()).toEqual(['a', 'b']);
    for (const [ref, error] of failed) {
      expect(ref).toMatchObject({ peer: PEER, fromResource: 'alice@example.org/phone' });
      expect(error.condition).toBe('service-unavailable');
      expect(error.message).toMatch(/shut down before Twilio confirmed/);
    }
    for (const h of holds) h.release();
    // The sends settle without a second error (the core would turn a rejection into another one).
    await expect(Promise.all(sends)).resolves.toEqual([{}, {}]);
    expect(errors(alice)).toHaveLength(2);
    expect(outKeys(rig)).toEqual([]);
  });

  it('stops a send waiting in retry backoff at the deadline: no further attempt', async () => {
    await setUp({ maxRetries: 3, retryBaseDelayMs: 60_000 });
    const answered = new Promise<void>((resolve) => {
      const hold = rig.fake.holdNext('messages.create');
      void hold.arrived.then(() => {
        hold.release();
        resolve();
      });
    });
    rig.fake.failNext('messages.create', { status: 503, code: 20503, message: 'Service unavailable' });
    const sending = session.sendMessage(message('backoff'));
    await answered;
    // Long enough for the 503 to reach the session, so the deadline falls inside the backoff wait.
    await session.drain(Date.now() + 500);
    expect(errors(alice).map(([ref]) => ref.id)).toEqual(['backoff']);
    // Settles only because the 30-60 s backoff wait was cut short.
    await sending;
    expect(rig.fake.callsOf('messages.create')).toHaveLength(1);
    expect(rig.fake.messages).toEqual([]);
  });

  it('says which parts of a split message went out before the deadline', async () => {
    await setUp({ maxSegmentLength: 100 });
    const first = rig.fake.holdNext('messages.create');
    const second = rig.fake.holdNext('messages.create');
    const body = Array.from({ length: 45 }, (_, i) => `w${i}`).join(' ');
    const sending = session.sendMessage(message('split', body));
    await first.arrived;
    first.release();
    await second.arrived;
    await session.drain(Date.now());
    const [[, error]] = errors(alice);
    expect(error.message).toMatch(/Parts 1-1 of 2 were sent; the rest were not/);
    second.release();
    await sending;
    expect(errors(alice)).toHaveLength(1);
  });
});
