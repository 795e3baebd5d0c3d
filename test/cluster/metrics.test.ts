// The hand-written Prometheus exposition (services/common/metrics.ts) and its HTTP endpoint.

import { Registry, startMetricsServer } from "@adq/service-common";
import { describe, expect, it } from "vitest";

describe("Prometheus metrics", () => {
  it("renders counters, gauges and cumulative histograms in the text format", async () => {
    const r = new Registry();
    const c = r.counter("adq_tasks_total", "Tasks");
    const g = r.gauge("adq_tasks_in_flight", "In flight");
    const h = r.histogram("adq_task_duration_seconds", "Durations", [0.1, 1]);
    c.inc({ stage: "features", outcome: "ok" });
    c.inc({ stage: "features", outcome: "ok" }, 2);
    c.inc({ stage: 'we"ird\n', outcome: "error" });
    g.inc({ stage: "features" });
    g.dec({ stage: "features" });
    h.observe({ stage: "binning" }, 0.05);
    h.observe({ stage: "binning" }, 0.5);
    h.observe({ stage: "binning" }, 5);
    let collected = 0;
    r.collect(() => {
      collected++;
    });
    const text = await r.render();
    expect(collected).toBe(1);
    expect(text).toContain("# TYPE adq_tasks_total counter\n");
    expect(text).toContain('adq_tasks_total{stage="features",outcome="ok"} 3\n');
    expect(text).toContain('adq_tasks_total{stage="we\\"ird\\n",outcome="error"} 1\n');
    expect(text).toContain('adq_tasks_in_flight{stage="features"} 0\n');
    expect(text).toContain("# TYPE adq_task_duration_seconds histogram\n");
    expect(text).toContain('adq_task_duration_seconds_bucket{stage="binning",le="0.1"} 1\n');
    expect(text).toContain('adq_task_duration_seconds_bucket{stage="binning",le="1"} 2\n');
    expect(text).toContain('adq_task_duration_seconds_bucket{stage="binning",le="+Inf"} 3\n');
    expect(text).toContain('adq_task_duration_seconds_sum{stage="binning"} 5.55\n');
    expect(text).toContain('adq_task_duration_seconds_count{stage="binning"} 3\n');
    expect(text.endsWith("\n")).toBe(true);
    expect(() => r.counter("adq_tasks_total", "again")).toThrow(/already registered/);
    expect(() => c.inc({}, -1)).toThrow(RangeError);
  });

  it("serves GET /metrics with the exposition content type, and 404 elsewhere", async () => {
    const r = new Registry();
    r.gauge("adq_up", "up").set({ service: "t" }, 1);
    const srv = await startMetricsServer(r, 0);
    try {
      const res = await fetch(srv.url);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/plain; version=0.0.4");
      expect(await res.text()).toContain('adq_up{service="t"} 1');
      expect((await fetch(srv.url.replace("/metrics", "/nope"))).status).toBe(404);
    } finally {
      await srv.close();
    }
  });
});
