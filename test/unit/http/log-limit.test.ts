import { LogLimiter } from '../../../src/http/log-limit';

describe('LogLimiter', () => {
  it('lets one line per kind through per window and reports how many it held back', () => {
    let now = 0;
    const limiter = new LogLimiter(1000, () => now);
    expect(limiter.take('413')).toEqual({ suppressed: 0 });
    expect(limiter.take('413')).toBeUndefined();
    expect(limiter.take('413')).toBeUndefined();
    expect(limiter.take('500')).toEqual({ suppressed: 0 });
    now = 1000;
    expect(limiter.take('413')).toEqual({ suppressed: 2 });
    expect(limiter.take('413')).toBeUndefined();
    now = 5000;
    expect(limiter.take('413')).toEqual({ suppressed: 1 });
    expect(limiter.take('500')).toEqual({ suppressed: 0 });
  });

  it('forgets the oldest kind beyond its capacity instead of growing', () => {
    const limiter = new LogLimiter(1000, () => 0, 2);
    limiter.take('a');
    limiter.take('b');
    limiter.take('c');
    // 'a' was forgotten, so it is logged again at once; 'c' is still held back.
    expect(limiter.take('a')).toEqual({ suppressed: 0 });
    expect(limiter.take('c')).toBeUndefined();
  });
});
