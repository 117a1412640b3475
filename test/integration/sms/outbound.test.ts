import { GatewayError } from '../../../src/core/errors';
import type { OutboundMessage } from '../../../src/core/adapter';
import { stripPartPrefix } from '../../../adapters/sms/split';
import { startSmsRig, type SmsRig, type UserRig } from './setup';

const NUMBER = '+15551230001';
const PEER = '+447911123456';

function message(overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return { to: PEER, body: 'hello', id: 'x1', receiptRequested: false, fromResource: 'alice@example.org/phone', ...overrides };
}

async function sendError(user: UserRig, msg: OutboundMessage): Promise<GatewayError> {
  try {
    await user.session.sendMessage(msg);
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    return err as GatewayError;
  }
  throw new Error('send succeeded but should have failed');
}

describe('SMS outbound through the Twilio REST API', () => {
  let rig: SmsRig;
  let alice: UserRig;
  beforeEach(async () => {
    rig = await startSmsRig({ maxRetries: 3 });
    alice = await rig.login('alice@example.org', rig.fake.addAccount([NUMBER]), NUMBER);
  });
  afterEach(async () => {
    await rig.close();
  });

  it('creates a message with From, To, Body and StatusCallback', async () => {
    await alice.session.sendMessage(message({ to: '0044 7911 123456', body: 'Hello from XMPP' }));
    expect(rig.fake.messages).toEqual([expect.objectContaining({
      from: NUMBER, to: PEER, body: 'Hello from XMPP', statusCallback: `${rig.publicUrl}/sms/status`, mediaUrls: [],
    })]);
  });

  it('sends OOB attachments as MediaUrl (MMS), without repeating the URL as text', async () => {
    const url = 'https://files.example.org/cat.jpg';
    await alice.session.sendMessage(message({ body: url, oob: [{ url }, { url: 'https://files.example.org/b.png' }] }));
    expect(rig.fake.messages[0].mediaUrls).toEqual([url, 'https://files.example.org/b.png']);
    expect(rig.fake.messages[0].body).toBe('');
  });

  it('splits a body over 1600 characters into numbered parts with nothing lost', async () => {
    const body = Array.from({ length: 700 }, (_, i) => `word${i}`).join(' ');
    expect(body.length).toBeGreaterThan(1600 * 2);
    await alice.session.sendMessage(message({ body }));
    const parts = rig.fake.messages.map((m) => m.body);
    expect(parts.length).toBeGreaterThanOrEqual(3);
    parts.forEach((part, i) => {
      expect(part.startsWith(`(${i + 1}/${parts.length}) `)).toBe(true);
      expect(part.length).toBeLessThanOrEqual(1600);
    });
    expect(parts.map(stripPartPrefix).join('')).toBe(body);
  });

  it('refuses an address that is not a phone number before calling the API', async () => {
    const error = await sendError(alice, message({ to: 'bob' }));
    expect(error.condition).toBe('jid-malformed');
    expect(rig.fake.callsOf('messages.create')).toHaveLength(0);
  });

  it('turns Twilio 21211 (invalid number) into jid-malformed', async () => {
    rig.fake.failNext('messages.create', { status: 400, code: 21211, message: "The 'To' number is not a valid phone number." });
    const error = await sendError(alice, message());
    expect(error.condition).toBe('jid-malformed');
    expect(error.message).toMatch(/not a valid phone number/);
    expect(rig.fake.callsOf('messages.create')).toHaveLength(1);
  });

  it('turns Twilio 21608 (unverified number on a trial account) into forbidden', async () => {
    rig.fake.failNext('messages.create', { status: 400, code: 21608 });
    const error = await sendError(alice, message());
    expect(error.condition).toBe('forbidden');
    expect(error.message).toMatch(/trial account/);
  });

  it('retries a 429 and then succeeds, sending once', async () => {
    rig.fake.failNext('messages.create', { status: 429, code: 20429, message: 'Too Many Requests' });
    await alice.session.sendMessage(message());
    expect(rig.fake.callsOf('messages.create')).toHaveLength(2);
    expect(rig.fake.messages).toHaveLength(1);
  });

  it('gives up on repeated 5xx with service-unavailable after the configured retries', async () => {
    rig.fake.failNext('messages.create', { status: 500, code: 20500 }, 4);
    const error = await sendError(alice, message());
    expect(error.condition).toBe('service-unavailable');
    expect(rig.fake.callsOf('messages.create')).toHaveLength(4);
  });

  it('gives up on repeated 429 with resource-constraint', async () => {
    rig.fake.failNext('messages.create', { status: 429, code: 20429 }, 4);
    expect((await sendError(alice, message())).condition).toBe('resource-constraint');
  });

  it('says which parts went out when a later part fails', async () => {
    const body = Array.from({ length: 300 }, (_, i) => `word${i}`).join(' ');
    rig.fake.failAfter('messages.create', 1, { status: 400, code: 21610 });
    const error = await sendError(alice, message({ body }));
    expect(error.condition).toBe('forbidden');
    expect(error.message).toMatch(/replied STOP/);
    expect(error.message).toMatch(/Parts 1-1 of 2 were sent; part 2 and later were not/);
    expect(rig.fake.messages).toHaveLength(1);
  });

  it('reports offline when Twilio starts rejecting the credentials', async () => {
    rig.fake.failNext('messages.create', { status: 401, code: 20003, message: 'Authenticate' });
    const error = await sendError(alice, message());
    expect(error.condition).toBe('not-authorized');
    await alice.recorder.waitFor('status', (s) => s.online === false && /credentials/.test(s.text));
  });

  it('refuses a 1 MB body with not-acceptable naming the limit and the length, before any API call', async () => {
    const error = await sendError(alice, message({ body: 'x'.repeat(1024 * 1024) }));
    expect(error.condition).toBe('not-acceptable');
    expect(error.message).toMatch(/1048576 characters/);
    expect(error.message).toMatch(/at most 10 SMS/);
    expect(rig.fake.callsOf('messages.create')).toHaveLength(0);
  });
});

describe('SMS maxParts', () => {
  let rig: SmsRig;
  let alice: UserRig;
  beforeEach(async () => {
    rig = await startSmsRig({ maxSegmentLength: 100, maxParts: 3 });
    alice = await rig.login('alice@example.org', rig.fake.addAccount([NUMBER]), NUMBER);
  });
  afterEach(async () => {
    await rig.close();
  });

  const words = (count: number) => Array.from({ length: count }, (_, i) => `word${String(i).padStart(3, '0')}`).join(' ');

  it('sends a body of exactly maxParts parts', async () => {
    await alice.session.sendMessage(message({ body: words(30) }));
    expect(rig.fake.messages).toHaveLength(3);
  });

  it('refuses one part more with zero API calls', async () => {
    const body = words(34);
    const error = await sendError(alice, message({ body }));
    expect(error.condition).toBe('not-acceptable');
    expect(error.message).toBe(`This message is ${body.length} characters long and would need 4 SMS; this gateway sends at most 3 SMS per message (about 300 characters). Shorten it or send it in several messages.`);
    expect(rig.fake.callsOf('messages.create')).toHaveLength(0);
  });
});
