/**
 * Deletes expired keys from SQLite and PostgreSQL, where keyv drops a key only when someone reads
 * it: message ids and archive segments past their retention are rarely read again, so without a
 * sweep they would pile up for ever. Redis expires keys by itself and needs none.
 *
 * A run deletes at most `batchSize` rows per statement and `maxBatches` statements, so no
 * statement holds the database for long and a run never monopolizes the connection the message
 * path uses; each statement runs off the event loop (libuv's pool, or the PostgreSQL server).
 * A run that hit its bound is followed by the next one after `catchUpMs` instead of a whole
 * interval, so a backlog (the first sweep of an old database) is worked off in slices.
 */

export interface SweepOptions {
  /** Between two runs, in ms. Default 60 s. */
  intervalMs?: number;
  /** Rows deleted per statement. Default 500. */
  batchSize?: number;
  /** Statements per run: a run deletes at most batchSize × maxBatches rows. Default 20. */
  maxBatches?: number;
  /** Pause before the next run when a run stopped at its bound, in ms. Default 1 s. */
  catchUpMs?: number;
}

export interface SweepResult {
  deleted: number;
  /** The run stopped at its bound: more expired rows may be left. */
  more: boolean;
}

/** Deletes up to `limit` rows that expired before `now`; returns how many it deleted. */
export type SweepStatement = (now: number, limit: number) => Promise<number>;

const DEFAULTS: Required<SweepOptions> = { intervalMs: 60_000, batchSize: 500, maxBatches: 20, catchUpMs: 1000 };

export function sweepSettings(options: SweepOptions = {}): Required<SweepOptions> {
  const settings = { ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
  for (const [name, value] of Object.entries(settings)) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`storage sweep: ${name} must be a positive whole number, got ${String(value)}`);
  }
  return settings;
}

/** One bounded run: statements until one deletes less than a batch, or maxBatches of them. */
export async function sweepOnce(statement: SweepStatement, settings: Pick<Required<SweepOptions>, 'batchSize' | 'maxBatches'>, now = Date.now()): Promise<SweepResult> {
  let deleted = 0;
  for (let i = 0; i < settings.maxBatches; i++) {
    const n = await statement(now, settings.batchSize);
    deleted += n;
    if (n < settings.batchSize) return { deleted, more: false };
  }
  return { deleted, more: true };
}

/** Runs sweepOnce on a timer until stopped; the timer never keeps the process alive. */
export class ExpirySweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(
    private readonly statement: SweepStatement,
    private readonly settings: Required<SweepOptions>,
    private readonly report: (outcome: SweepResult | Error) => void = () => undefined,
  ) {}

  start(): void {
    this.schedule(this.settings.intervalMs);
  }

  /** Stops the timer and waits for a run in progress (each statement is bounded by the store's timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = sweepOnce(this.statement, this.settings).then(
        (result) => {
          this.report(result);
          this.schedule(result.more ? this.settings.catchUpMs : this.settings.intervalMs);
        },
        (error: unknown) => {
          this.report(error instanceof Error ? error : new Error(String(error)));
          this.schedule(this.settings.intervalMs);
        },
      );
    }, ms);
    this.timer.unref();
  }
}
