/**
 * Structured logs: one JSON object per line, one line per event, with the fields that
 * let an operator follow a job across services (`job_id`, `tenant`, `method`).
 * The sink is injectable so tests can capture lines and keep their output clean.
 */

export type LogLevel = "debug" | "info" | "warn" | "error";

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

export interface LogSink {
  write(line: string): unknown;
}

export class Logger {
  constructor(
    private readonly sink: LogSink = process.stderr,
    private readonly fields: LogFields = {},
    private readonly level: LogLevel = "info",
    private readonly now: () => number = Date.now,
  ) {}

  /** A logger that adds `fields` to every line (e.g. `{ service: "gateway" }`). */
  child(fields: LogFields): Logger {
    return new Logger(this.sink, { ...this.fields, ...fields }, this.level, this.now);
  }

  debug(event: string, fields?: LogFields): void {
    this.log("debug", event, fields);
  }
  info(event: string, fields?: LogFields): void {
    this.log("info", event, fields);
  }
  warn(event: string, fields?: LogFields): void {
    this.log("warn", event, fields);
  }
  error(event: string, fields?: LogFields): void {
    this.log("error", event, fields);
  }

  log(level: LogLevel, event: string, fields: LogFields = {}): void {
    if (ORDER[level] < ORDER[this.level]) return;
    const line: LogFields = { time: new Date(this.now()).toISOString(), level, event };
    for (const [k, v] of Object.entries({ ...this.fields, ...fields })) {
      if (v === undefined) continue;
      line[k] = v instanceof Error ? { name: v.name, message: v.message, stack: v.stack } : v;
    }
    let text: string;
    try {
      text = JSON.stringify(line);
    } catch {
      text = JSON.stringify({ time: line.time, level, event, note: "unserialisable fields dropped" });
    }
    this.sink.write(`${text}\n`);
  }
}

/** Collects lines in memory (tests). */
export class MemorySink implements LogSink {
  readonly lines: string[] = [];
  write(line: string): void {
    this.lines.push(line);
  }
  records(): LogFields[] {
    return this.lines.map((l) => JSON.parse(l) as LogFields);
  }
}

export const silentLogger = new Logger({ write() {} });

export function parseLogLevel(v: string | undefined): LogLevel {
  if (v === undefined) return "info";
  if (v in ORDER) return v as LogLevel;
  throw new Error(`log level must be one of ${Object.keys(ORDER).join(", ")}, got ${JSON.stringify(v)}`);
}
