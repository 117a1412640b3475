/**
 * At most one log line per kind of event per window. Anyone who can reach the HTTP port can make
 * the gateway fail a request at will (oversized bodies, garbage, bad signatures); without a
 * limit each one would be a log line, and a flood of them would bury everything else.
 */
export class LogLimiter {
  private readonly windows = new Map<string, { until: number; suppressed: number }>();

  constructor(
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
    /** Kinds remembered at once; beyond that the oldest is forgotten (kinds can carry a client address). */
    private readonly maxKinds = 1000,
  ) {}

  /**
   * undefined: stay quiet. Otherwise log now, mentioning how many of the same kind were left out
   * since the previous line.
   */
  take(kind: string): { suppressed: number } | undefined {
    const now = this.now();
    const window = this.windows.get(kind);
    if (window && now < window.until) {
      window.suppressed++;
      return undefined;
    }
    const suppressed = window?.suppressed ?? 0;
    this.windows.delete(kind);
    if (this.windows.size >= this.maxKinds) this.windows.delete(this.windows.keys().next().value!);
    this.windows.set(kind, { until: now + this.windowMs, suppressed: 0 });
    return { suppressed };
  }
}
