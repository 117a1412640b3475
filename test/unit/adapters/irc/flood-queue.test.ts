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

  const ctl = (line: string, channel?: string) => ({ line, kind: 'control' as const, channel });

  test('a join storm does not hold conversation back: lanes take turns after the burst', () => {
    const { q, written } = queue(2, 1000, 1000);
    q.resume();
    q.push(...Array.from({ length: 200 }, (_, i) => ctl(`JOIN #c${i}`)));
    expect(written).toEqual(['JOIN #c0', 'JOIN #c1']);
    q.push(msg('PRIVMSG bob :hi'), msg('PRIVMSG bob :there'));
    jest.advanceTimersByTime(1000);
    // The next free slot goes to the message, then lanes alternate.
    expect(written.slice(2)).toEqual(['PRIVMSG bob :hi']);
    jest.advanceTimersByTime(2000);
    expect(written.slice(2)).toEqual(['PRIVMSG bob :hi', 'JOIN #c2', 'PRIVMSG bob :there']);
    jest.advanceTimersByTime(1000);
    expect(written[5]).toBe('JOIN #c3');
  });

  test('the server budget is shared: two lanes never exceed burst + one line per interval', () => {
    const { q, written } = queue(3, 100);
    q.resume();
    q.push(...Array.from({ length: 50 }, (_, i) => ctl(`JOIN #c${i}`)));
    q.push(...Array.from({ length: 50 }, (_, i) => msg(`m${i}`)));
    expect(written).toHaveLength(3);
    jest.advanceTimersByTime(1000);
    expect(written).toHaveLength(13);
  });

  test('a message never overtakes a waiting control line for its own channel', () => {
    const { q, written } = queue(1, 100);
    q.resume();
    q.push(ctl('JOIN #a', '#a'), ctl('JOIN #b', '#b'), ctl('JOIN #c', '#c'));
    q.push({ line: 'PRIVMSG #c :hi', kind: 'message', channel: '#c' }, msg('PRIVMSG bob :x'));
    jest.advanceTimersByTime(1000);
    expect(written).toEqual(['JOIN #a', 'JOIN #b', 'JOIN #c', 'PRIVMSG #c :hi', 'PRIVMSG bob :x']);
  });

  test('lines for one channel keep their order across lanes: a message queued before the PART goes first', () => {
    const { q, written } = queue(3, 100);
    q.resume();
    q.push(msg('PRIVMSG bob :1'), msg('PRIVMSG bob :2'), msg('PRIVMSG bob :3'));
    q.push({ line: 'PRIVMSG #c :bye', kind: 'message', channel: '#c' });
    q.push(ctl('PART #c', '#c'));
    // Next is the control lane's turn, but PART #c is younger than the waiting #c message.
    jest.advanceTimersByTime(1000);
    expect(written).toEqual(['PRIVMSG bob :1', 'PRIVMSG bob :2', 'PRIVMSG bob :3', 'PRIVMSG #c :bye', 'PART #c']);
  });

  test('each lane has its own maxQueued', () => {
    const { q } = queue(1, 100, 3);
    expect(q.push(ctl('a'), ctl('b'), ctl('c'))).toBe(true);
    expect(q.push(ctl('d'))).toBe(false);
    expect(q.push(msg('1'), msg('2'), msg('3'))).toBe(true);
    expect(q.push(msg('4'))).toBe(false);
  });
});

describe('flood queue drain (shutdown)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function queue(burst: number, intervalMs: number) {
    const written: string[] = [];
    const q = new FloodQueue({ burst, intervalMs, maxQueued: 100 }, (l) => written.push(l), () => Date.now());
    return { q, written };
  }

  test('resolves with nothing once every message line has left before the deadline', async () => {
    const { q, written } = queue(2, 100);
    q.resume();
    q.push(...['a', 'b', 'c', 'd', 'e'].map((line) => ({ line, kind: 'message' as const })));
    const done = q.drain(Date.now() + 10000);
    jest.advanceTimersByTime(300);
    await expect(done).resolves.toEqual([]);
    expect(written).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  test('at the deadline the unsent message lines come back (control lines are dropped) and nothing more is sent', async () => {
    const { q, written } = queue(2, 100);
    q.resume();
    const first = jest.fn();
    const second = jest.fn();
    q.push(
      { line: 'JOIN #x', kind: 'control' }, { line: 'MODE #x', kind: 'control' },
      { line: '1a', kind: 'message', failed: first }, { line: '1b', kind: 'message', failed: first },
      { line: '2a', kind: 'message', failed: second }, { line: '2b', kind: 'message', failed: second },
    );
    expect(written).toEqual(['JOIN #x', '1a']);
    const done = q.drain(Date.now() + 150);
    jest.advanceTimersByTime(150);
    const unsent = await done;
    expect(written).toEqual(['JOIN #x', '1a', 'MODE #x']);
    // A message with one line out and one left is as undelivered as one with none out.
    expect(unsent.map((l) => l.line)).toEqual(['1b', '2a', '2b']);
    expect(new Set(unsent.map((l) => l.failed))).toEqual(new Set([first, second]));
    jest.advanceTimersByTime(10000);
    expect(written).toHaveLength(3);
    expect(q.length).toBe(0);
  });

  test('while disconnected nothing leaves, so everything waiting is handed back at the deadline', async () => {
    const { q } = queue(5, 100);
    q.push({ line: 'm', kind: 'message' });
    const done = q.drain(Date.now() + 500);
    jest.advanceTimersByTime(499);
    let settled = false;
    void done.then(() => { settled = true; });
    await Promise.resolve();
    expect(settled).toBe(false);
    jest.advanceTimersByTime(1);
    expect((await done).map((l) => l.line)).toEqual(['m']);
  });

  test('a logout during a drain hands the dropped messages to the drain', async () => {
    const { q } = queue(1, 100);
    q.push({ line: 'm', kind: 'message' });
    const done = q.drain(Date.now() + 10000);
    q.clear();
    expect((await done).map((l) => l.line)).toEqual(['m']);
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
