/**
 * Prometheus metrics without a client library: counters, gauges and histograms with
 * labels, rendered in the text exposition format (version 0.0.4), served on `GET /metrics`
 * by a tiny HTTP server. Collectors run at scrape time for values read from elsewhere
 * (e.g. the queue lag of a JetStream consumer).
 */
import { createServer, type Server } from "node:http";

type Labels = Record<string, string>;

function labelKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(",");
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function formatLabels(labels: Labels, extra?: Labels): string {
  const all = { ...labels, ...extra };
  const keys = Object.keys(all);
  if (keys.length === 0) return "";
  return `{${keys.map((k) => `${k}="${escapeLabel(all[k]!)}"`).join(",")}}`;
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(v);
}

interface Metric {
  readonly name: string;
  render(): string;
}

abstract class Scalar implements Metric {
  protected readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: "counter" | "gauge",
  ) {}

  protected entry(labels: Labels): { labels: Labels; value: number } {
    const k = labelKey(labels);
    let e = this.values.get(k);
    if (!e) {
      e = { labels: { ...labels }, value: 0 };
      this.values.set(k, e);
    }
    return e;
  }

  get(labels: Labels = {}): number {
    return this.values.get(labelKey(labels))?.value ?? 0;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
    for (const { labels, value } of this.values.values())
      lines.push(`${this.name}${formatLabels(labels)} ${formatValue(value)}`);
    return lines.join("\n");
  }
}

export class Counter extends Scalar {
  constructor(name: string, help: string) {
    super(name, help, "counter");
  }
  inc(labels: Labels = {}, by = 1): void {
    if (by < 0) throw new RangeError("a counter only goes up");
    this.entry(labels).value += by;
  }
}

export class Gauge extends Scalar {
  constructor(name: string, help: string) {
    super(name, help, "gauge");
  }
  set(labels: Labels, value: number): void {
    this.entry(labels).value = value;
  }
  inc(labels: Labels = {}, by = 1): void {
    this.entry(labels).value += by;
  }
  dec(labels: Labels = {}, by = 1): void {
    this.entry(labels).value -= by;
  }
}

export const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

export class Histogram implements Metric {
  private readonly series = new Map<
    string,
    { labels: Labels; counts: number[]; sum: number; count: number }
  >();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[] = DURATION_BUCKETS,
  ) {}

  observe(labels: Labels, value: number): void {
    const k = labelKey(labels);
    let s = this.series.get(k);
    if (!s) {
      s = { labels: { ...labels }, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(k, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }

  count(labels: Labels = {}): number {
    return this.series.get(labelKey(labels))?.count ?? 0;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.series.values()) {
      this.buckets.forEach((b, i) => {
        lines.push(`${this.name}_bucket${formatLabels(s.labels, { le: formatValue(b) })} ${s.counts[i]}`);
      });
      lines.push(`${this.name}_bucket${formatLabels(s.labels, { le: "+Inf" })} ${s.count}`);
      lines.push(`${this.name}_sum${formatLabels(s.labels)} ${formatValue(s.sum)}`);
      lines.push(`${this.name}_count${formatLabels(s.labels)} ${s.count}`);
    }
    return lines.join("\n");
  }
}

export class Registry {
  private readonly metrics: Metric[] = [];
  private readonly collectors: Array<() => Promise<void> | void> = [];

  counter(name: string, help: string): Counter {
    return this.add(new Counter(name, help));
  }
  gauge(name: string, help: string): Gauge {
    return this.add(new Gauge(name, help));
  }
  histogram(name: string, help: string, buckets?: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, buckets));
  }

  private add<M extends Metric>(m: M): M {
    if (this.metrics.some((x) => x.name === m.name))
      throw new Error(`metric ${m.name} is already registered`);
    this.metrics.push(m);
    return m;
  }

  /** Runs before every scrape (bounded by the scrape's timeout), e.g. to read queue lag. */
  collect(fn: () => Promise<void> | void): void {
    this.collectors.push(fn);
  }

  async render(collectTimeoutMs = 2000): Promise<string> {
    await Promise.all(
      this.collectors.map((c) =>
        Promise.race([
          Promise.resolve()
            .then(c)
            .catch(() => {}),
          new Promise((r) => setTimeout(r, collectTimeoutMs).unref?.()),
        ]),
      ),
    );
    return `${this.metrics.map((m) => m.render()).join("\n")}\n`;
  }
}

/** The process-level metrics every service exposes. */
export function processMetrics(registry: Registry, service: string): void {
  const up = registry.gauge("adq_up", "1 while the service runs");
  up.set({ service }, 1);
  const start = registry.gauge("adq_process_start_time_seconds", "Start time of the process (Unix seconds)");
  start.set({ service }, Math.floor(Date.now() / 1000 - process.uptime()));
  const rss = registry.gauge("adq_process_resident_memory_bytes", "Resident memory of the process");
  registry.collect(() => rss.set({ service }, process.memoryUsage().rss));
}

export interface MetricsServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Serves `GET /metrics` (and `/healthz`: 200 "ok") on host:port (0 picks a free port). */
export async function startMetricsServer(
  registry: Registry,
  port: number,
  host = "127.0.0.1",
): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method === "GET" && path === "/metrics") {
      registry.render().then(
        (body) => {
          res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
          res.end(body);
        },
        (e) => {
          res.writeHead(500, { "content-type": "text/plain" });
          res.end(String(e));
        },
      );
      return;
    }
    if (req.method === "GET" && path === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("ok\n");
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  const bound = typeof addr === "object" && addr ? addr.port : port;
  return {
    port: bound,
    url: `http://${host.includes(":") ? `[${host}]` : host}:${bound}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
