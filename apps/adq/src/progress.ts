/**
 * Progress per stage with ETA: a redrawn bar on a TTY, plain log lines (every 10% or
 * 10 s) otherwise so CI logs stay readable. The clock is injected for tests.
 */
export interface ProgressSink {
  stage(name: string, total: number): void;
  advance(done: number): void;
  finish(): void;
}

interface Out {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "--:--";
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = String(m).padStart(2, "0");
  const ss = String(sec).padStart(2, "0");
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

export class ConsoleProgress implements ProgressSink {
  private name = "";
  private total = 0;
  private done = 0;
  private started = 0;
  private lastLog = 0;
  private lastPct = -1;

  constructor(
    private readonly out: Out = process.stderr,
    private readonly now: () => number = Date.now,
  ) {}

  stage(name: string, total: number): void {
    this.name = name;
    this.total = Math.max(0, total);
    this.done = 0;
    this.started = this.now();
    this.lastLog = this.started;
    this.lastPct = -1;
    this.render(true);
  }

  advance(done: number): void {
    this.done = Math.min(this.total, done);
    this.render(false);
  }

  finish(): void {
    this.done = this.total;
    const took = formatDuration(this.now() - this.started);
    if (this.out.isTTY)
      this.out.write(`\r\x1b[2K${this.label()} ${this.bar(1)} ${this.total}/${this.total} in ${took}\n`);
    else this.out.write(`${this.name}: done ${this.total}/${this.total} in ${took}\n`);
  }

  private label(): string {
    return this.name.padEnd(10);
  }

  private bar(frac: number): string {
    const width = Math.max(10, Math.min(40, (this.out.columns ?? 80) - 50));
    const full = Math.round(frac * width);
    return `[${"#".repeat(full)}${".".repeat(width - full)}]`;
  }

  private eta(): string {
    const elapsed = this.now() - this.started;
    if (this.done === 0) return "--:--";
    return formatDuration((elapsed * (this.total - this.done)) / this.done);
  }

  private render(force: boolean): void {
    const frac = this.total === 0 ? 1 : this.done / this.total;
    if (this.out.isTTY) {
      this.out.write(
        `\r\x1b[2K${this.label()} ${this.bar(frac)} ${this.done}/${this.total} ETA ${this.eta()}`,
      );
      return;
    }
    const pct = Math.floor(frac * 10);
    const t = this.now();
    if (force || pct > this.lastPct || t - this.lastLog >= 10_000) {
      this.lastPct = pct;
      this.lastLog = t;
      this.out.write(
        `${this.name}: ${this.done}/${this.total} (${Math.round(frac * 100)}%) ETA ${this.eta()}\n`,
      );
    }
  }
}

/** For library use and tests: records nothing. */
export const silentProgress: ProgressSink = { stage() {}, advance() {}, finish() {} };
