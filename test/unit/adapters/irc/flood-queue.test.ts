import { FloodQueue } from '../../../../adapters/irc/flood-queue';
import { reconnectDelay } from '../../../../adapters/irc/backoff';

describe('flood queue', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function queue(burst: number, intervalMs: number, maxQueued = 100) {
    const written: string[] = [];
    const q = new FloodQueue({ burst, intervalMs, maxQueued }, (l) => written.push(l), () => Date.now());
    return { q, written };
  }
  const msg = (line: string) => ({ line, kind: 'message' as const });

  test('sends nothing before resume, then a burst, then one line per interval', () => {
    const { q, written } = queue(3, 1000);
    q.push(...['a', 'b', 'c', 'd', 'e'].map(msg));
    expect(written).toEqual([]);
    q.resume();
    expect(written).toEqual(['a', 'b', 'c']);
    jest.advanceTimersByTime(999);
    expect(written).toHaveLength(3);
    jest.advanceTimersByTime(1);
    expect(written).toEqual(['a', 'b', 'c', 'd']);
    jest.advanceTimersByTime(1000);
    expect(written).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  test('the burst refills while idle', () => {
    const { q, written } = queue(2, 100);
    q.resume();
    q.push(msg('1'), msg('2'), msg('3'));
    expect(written).toEqual(['1', '2']);
    jest.advanceTimersByTime(1000);
    expect(written).toEqual(['1', '2', '3']);
    q.push(msg('4'), msg('5'));
    expect(written).toEqual(['1', '2', '3', '4', '5']);
  });

  test('pause keeps messages and drops control lines; pushFront goes first', () => {
    const { q, written } = queue(1, 100);
    q.push(msg('m1'), { line: 'JOIN #x', kind: 'control' });
    q.pause();
    q.pushFront({ line: 'JOIN #y', kind: 'control' });
    q.resume();
    jest.advanceTimersByTime(1000);
    expect(written).toEqual(['JOIN #y', 'm1']);
  });

  test('refuses lines beyond maxQueued and calls sent() after writing', () => {
    const { q } = queue(1, 100, 2);
    const sent = jest.fn();
    expect(q.push(msg('a'), { line: 'b', kind: 'message', sent })).toBe(true);
    expect(q.push(msg('c'))).toBe(false);
    q.resume();
    expect(sent).not.toHaveBeenCalled();
    jest.advanceTimersByTime(100);
    expect(sent).toHaveBeenCalledTimes(1);
  });
});

describe('reconnect backoff', () => {
  const options = { initialMs: 1000, maxMs: 60000 };
  test('grows exponentially with jitter between half and all of the ceiling', () => {
    expect(reconnectDelay(0, options, () => 0)).toBe(500);
    expect(reconnectDelay(0, options, () => 1)).toBe(1000);
    expect(reconnectDelay(3, options, () => 0.5)).toBe(6000);
  });
  test('is capped', () => {
    expect(reconnectDelay(50, options, () => 1)).toBe(60000);
  });
});
