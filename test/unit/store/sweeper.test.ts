import { sweepOnce, sweepSettings, ExpirySweeper, type SweepResult } from '../../../src/store/sweeper';

/** A table of expired rows that a statement deletes from, as the SQLite and PostgreSQL statements do. */
function table(expired: number) {
  const calls: Array<{ now: number; limit: number }> = [];
  let left = expired;
  const statement = async (now: number, limit: number) => {
    calls.push({ now, limit });
    const n = Math.min(left, limit);
    left -= n;
    return n;
  };
  return { statement, calls, left: () => left, add: (n: number) => (left += n) };
}

describe('sweepOnce', () => {
  it('stops at the first statement that deletes less than a batch', async () => {
    const t = table(25);
    expect(await sweepOnce(t.statement, { batchSize: 10, maxBatches: 5 }, 1234)).toEqual({ deleted: 25, more: false });
    expect(t.calls).toEqual([{ now: 1234, limit: 10 }, { now: 1234, limit: 10 }, { now: 1234, limit: 10 }]);
  });

  it('never runs more than maxBatches statements, and says more may be left', async () => {
    const t = table(100);
    expect(await sweepOnce(t.statement, { batchSize: 10, maxBatches: 3 })).toEqual({ deleted: 30, more: true });
    expect(t.calls).toHaveLength(3);
    expect(t.left()).toBe(70);
  });

  it('passes a statement failure on', async () => {
    await expect(sweepOnce(async () => { throw new Error('database is locked'); }, { batchSize: 10, maxBatches: 3 })).rejects.toThrow('database is locked');
  });
});

describe('sweepSettings', () => {
  it('fills in the defaults', () => {
    expect(sweepSettings()).toEqual({ intervalMs: 60_000, batchSize: 500, maxBatches: 20, catchUpMs: 1000 });
    expect(sweepSettings({ intervalMs: 5000, batchSize: undefined })).toMatchObject({ intervalMs: 5000, batchSize: 500 });
  });

  it('names the setting that is not a positive whole number', () => {
    expect(() => sweepSettings({ batchSize: 0 })).toThrow('storage sweep: batchSize must be a positive whole number, got 0');
    expect(() => sweepSettings({ intervalMs: 1.5 })).toThrow('intervalMs');
    expect(() => sweepSettings({ maxBatches: Number.NaN })).toThrow('maxBatches');
  });
});

describe('ExpirySweeper', () => {
  /** Resolves with the next report; the sweeper runs on real (short) timers. */
  function reports() {
    const seen: Array<SweepResult | Error> = [];
    let wake: (() => void) | undefined;
    const report = (outcome: SweepResult | Error) => {
      seen.push(outcome);
      wake?.();
    };
    const next = (count: number) => new Promise<void>((resolve) => {
      const check = () => (seen.length >= count ? resolve() : (wake = check));
      check();
    });
    return { seen, report, next };
  }

  it('works a backlog off in bounded runs, then goes on sweeping, until stopped', async () => {
    const t = table(45);
    const r = reports();
    const sweeper = new ExpirySweeper(t.statement, sweepSettings({ intervalMs: 5, batchSize: 10, maxBatches: 2, catchUpMs: 1 }), r.report);
    sweeper.start();
    await r.next(3);
    expect(r.seen.slice(0, 3)).toEqual([{ deleted: 20, more: true }, { deleted: 20, more: true }, { deleted: 5, more: false }]);
    t.add(3);
    await r.next(5);
    expect(r.seen.slice(3).reduce((sum, x) => sum + (x as SweepResult).deleted, 0)).toBe(3);
    await sweeper.stop();
    const after = t.calls.length;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(t.calls.length).toBe(after);
  });

  it('reports a failed run and tries again at the next interval', async () => {
    let failures = 1;
    const r = reports();
    const sweeper = new ExpirySweeper(async () => {
      if (failures-- > 0) throw new Error('connection reset');
      return 0;
    }, sweepSettings({ intervalMs: 5 }), r.report);
    sweeper.start();
    await r.next(2);
    expect(r.seen[0]).toEqual(new Error('connection reset'));
    expect(r.seen[1]).toEqual({ deleted: 0, more: false });
    await sweeper.stop();
  });
});
