import { NickKeeper } from '../../../../adapters/irc/nick-keeper';

describe('keepnick', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function keeper(current = 'carol_') {
    const state = { current, canTry: true };
    const sent: string[] = [];
    const k = new NickKeeper({
      wanted: () => 'carol',
      current: () => state.current,
      lower: (s) => s.toLowerCase(),
      canTry: () => state.canTry,
      send: (line) => sent.push(line),
    }, { initialMs: 1000, maxMs: 8000 });
    return { k, sent, state };
  }

  test('retries on a backoff while the nick is taken, and stops once it is ours', () => {
    const { k, sent, state } = keeper();
    k.check();
    expect(sent).toEqual([]);
    jest.advanceTimersByTime(1000);
    expect(sent).toEqual(['NICK carol']);
    jest.advanceTimersByTime(2000);
    expect(sent).toHaveLength(2);
    jest.advanceTimersByTime(60000);
    const tries = sent.length;
    expect(tries).toBeLessThanOrEqual(2 + 15); // capped backoff: every 4-8 s, not a flood
    state.current = 'carol';
    k.check();
    jest.advanceTimersByTime(60000);
    expect(sent).toHaveLength(tries);
  });

  test('the holder leaving (QUIT or NICK) triggers an attempt at once; other nicks do not', () => {
    const { k, sent } = keeper();
    k.check();
    k.freed('somebody');
    expect(sent).toEqual([]);
    k.freed('CAROL');
    expect(sent).toEqual(['NICK carol']);
    k.stop();
  });

  test('nothing to do when the nick is ours; no attempt while a user nick change is in flight', () => {
    const mine = keeper('carol');
    mine.k.check();
    mine.k.freed('carol');
    jest.advanceTimersByTime(60000);
    expect(mine.sent).toEqual([]);
    const busy = keeper();
    busy.state.canTry = false;
    busy.k.check();
    jest.advanceTimersByTime(1000);
    expect(busy.sent).toEqual([]);
    busy.state.canTry = true;
    jest.advanceTimersByTime(2000);
    expect(busy.sent).toEqual(['NICK carol']);
    busy.k.stop();
  });
});
