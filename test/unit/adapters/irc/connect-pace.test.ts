import { ConnectPace, type PaceClock, type PaceTicket } from '../../../../adapters/irc/connect-pace';

describe('connection pace per IRC server', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const clock: PaceClock = {
    now: () => Date.now(),
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  };

  /** Records the order in which tickets are granted (or cancelled). */
  function track(tickets: Record<string, PaceTicket>): string[] {
    const order: string[] = [];
    for (const [name, ticket] of Object.entries(tickets)) {
      void ticket.granted.then((granted) => order.push(granted ? name : `${name}:cancelled`));
    }
    return order;
  }

  async function advance(ms: number): Promise<void> {
    jest.advanceTimersByTime(ms);
    // Grants resolve promises: let their callbacks run.
    for (let i = 0; i < 5; i++) await Promise.resolve();
  }

  test('without a rule every connection starts at once', async () => {
    const pace = new ConnectPace(undefined, clock);
    const order = track({ a: pace.take('irc.x'), b: pace.take('irc.x'), c: pace.take('irc.x') });
    await advance(0);
    expect(order).toEqual(['a', 'b', 'c']);
  });

  test('a burst, then one connection per interval, in order', async () => {
    const pace = new ConnectPace({ perSecond: 4, burst: 2 }, clock);
    const order = track({ a: pace.take('irc.x'), b: pace.take('irc.x'), c: pace.take('irc.x'), d: pace.take('irc.x') });
    await advance(0);
    expect(order).toEqual(['a', 'b']);
    await advance(249);
    expect(order).toEqual(['a', 'b']);
    await advance(1);
    expect(order).toEqual(['a', 'b', 'c']);
    await advance(250);
    expect(order).toEqual(['a', 'b', 'c', 'd']);
    expect(pace.waiting('irc.x')).toBe(0);
  });

  test('each server has its own budget, whatever the case of its name', async () => {
    const pace = new ConnectPace({ perSecond: 1, burst: 1 }, clock);
    const order = track({ a: pace.take('irc.one'), b: pace.take('IRC.ONE'), c: pace.take('irc.two') });
    await advance(0);
    expect(order).toEqual(['a', 'c']);
    expect(pace.waiting('irc.one')).toBe(1);
    await advance(1000);
    expect(order).toEqual(['a', 'c', 'b']);
  });

  test('a first login goes ahead of waiting restores and reconnects, after earlier first logins', async () => {
    const pace = new ConnectPace({ perSecond: 10, burst: 1 }, clock);
    const order = track({
      r1: pace.take('irc.x'),
      r2: pace.take('irc.x'),
      r3: pace.take('irc.x'),
      u1: pace.take('irc.x', true),
      u2: pace.take('irc.x', true),
    });
    await advance(1000);
    expect(order).toEqual(['r1', 'u1', 'u2', 'r2', 'r3']);
  });

  test('a cancelled ticket leaves the queue and its turn goes to the next', async () => {
    const pace = new ConnectPace({ perSecond: 2, burst: 1 }, clock);
    const tickets = { a: pace.take('irc.x'), b: pace.take('irc.x'), c: pace.take('irc.x') };
    const order = track(tickets);
    tickets.b.cancel();
    await advance(0);
    expect(order).toEqual(['a', 'b:cancelled']);
    await advance(500);
    expect(order).toEqual(['a', 'b:cancelled', 'c']);
    // Cancelling a granted ticket changes nothing.
    tickets.a.cancel();
    await advance(0);
    expect(order).toEqual(['a', 'b:cancelled', 'c']);
  });

  test('the budget refills while idle, up to the burst only', async () => {
    const pace = new ConnectPace({ perSecond: 2, burst: 3 }, clock);
    const first = track({ a: pace.take('irc.x'), b: pace.take('irc.x'), c: pace.take('irc.x') });
    await advance(0);
    expect(first).toEqual(['a', 'b', 'c']);
    await advance(60000);
    const later = track({ d: pace.take('irc.x'), e: pace.take('irc.x'), f: pace.take('irc.x'), g: pace.take('irc.x') });
    await advance(0);
    expect(later).toEqual(['d', 'e', 'f']);
    await advance(500);
    expect(later).toEqual(['d', 'e', 'f', 'g']);
  });

  test('500 restores at 20 per second take about 25 s, never faster', async () => {
    const pace = new ConnectPace({ perSecond: 20, burst: 5 }, clock);
    const grantedAt: number[] = [];
    const start = Date.now();
    for (let i = 0; i < 500; i++) void pace.take('irc.x').granted.then(() => grantedAt.push(Date.now() - start));
    for (let t = 0; t < 30000; t += 50) await advance(50);
    expect(grantedAt).toHaveLength(500);
    // After the burst of 5, the k-th connection never starts before (k - 5 + 1) / 20 s.
    grantedAt.forEach((at, k) => {
      if (k >= 5) expect(at).toBeGreaterThanOrEqual(((k - 4) * 1000) / 20);
    });
    expect(grantedAt[499]).toBeLessThanOrEqual(25000);
  });
});
