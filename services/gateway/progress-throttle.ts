/**
 * Progress throttling of a job's record writes, pure: the caller passes the clock's reading
 * (`now`) and owns the one timer a deferred write needs. A stage's progress is written at
 * most once per interval; the last value before a quiet period is never lost (it is held as
 * the pending write, the latest value wins), and a stage's completion is written at once.
 */

/** What to do with one progress report. */
export type ThrottleDecision =
  | { kind: "write" }
  /** Hold it as the pending write; write it after `delayMs` unless a newer report comes. */
  | { kind: "defer"; delayMs: number }
  /** Nothing to write (a start, which the stage's start already recorded). */
  | { kind: "skip" };

/**
 * The rule for one report, given when the stage was last written (`last`, 0: never):
 * write when the stage is done or the interval has passed, otherwise wait out the rest.
 */
export function throttle(
  last: number,
  done: number,
  total: number,
  now: number,
  intervalMs: number,
): ThrottleDecision {
  if (done >= total || now - last >= intervalMs) return { kind: "write" };
  return { kind: "defer", delayMs: intervalMs - (now - last) };
}

export interface ProgressReport<S extends string> {
  stage: S;
  done: number;
  total: number;
}

/**
 * Coalesces progress reports of a job's stages. One pending (deferred) report at a time:
 * a newer report of any stage replaces it, as the runner's single trailing timer does.
 */
export class ProgressThrottle<S extends string> {
  private readonly last = new Map<S, number>();
  private held: ProgressReport<S> | undefined;

  constructor(readonly intervalMs: number) {
    if (!(intervalMs >= 0)) throw new RangeError(`progress interval must be ≥ 0, got ${intervalMs}`);
  }

  /** The stage started at `now` (its start is written elsewhere): the interval runs from it. */
  started(stage: S, now: number): void {
    this.last.set(stage, now);
  }

  /**
   * One report at `now`. "write": write it now (recorded as the stage's last write);
   * "defer": it is now the pending report, to be taken with `takePending` after `delayMs`;
   * either way an older pending report is dropped.
   */
  offer(report: ProgressReport<S>, now: number): ThrottleDecision {
    if (report.done === 0) return { kind: "skip" };
    this.held = undefined;
    const d = throttle(this.last.get(report.stage) ?? 0, report.done, report.total, now, this.intervalMs);
    if (d.kind === "write") this.last.set(report.stage, now);
    else this.held = report;
    return d;
  }

  /** The pending report, due at `now` (recorded as its stage's last write); cleared. */
  takePending(now: number): ProgressReport<S> | undefined {
    const r = this.held;
    this.held = undefined;
    if (r) this.last.set(r.stage, now);
    return r;
  }

  /** Drops the pending report (the run ended: its final state is written instead). */
  cancelPending(): void {
    this.held = undefined;
  }

  get pending(): ProgressReport<S> | undefined {
    return this.held;
  }
}
