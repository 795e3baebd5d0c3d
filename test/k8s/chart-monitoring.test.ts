/**
 * The chart's monitoring: the PrometheusRule checked and unit-tested by Prometheus' own promtool
 * (series in, alerts out), and every metric the rules and the Grafana dashboard query is one the
 * services register (a renamed metric fails here, not silently on a dashboard).
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Obj, type Rendered, render } from "./render.ts";
import { K8S_TESTS_OFF, type K8sTools, k8sTools, REPO_ROOT } from "./tools.ts";

const PROMTOOL = join(
  process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"),
  "adq-tools",
  "promtool",
  "promtool",
);
const run = promisify(execFile);

/** Every `adq_*` metric name registered in the services' and packages' sources. */
function registeredMetrics(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (f === "node_modules") continue;
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith(".ts") && !p.endsWith(".test.ts"))
        for (const m of readFileSync(p, "utf8").matchAll(
          /\.(?:counter|gauge|histogram)\(\s*"(adq_[a-z_]+)"/g,
        ))
          names.add(m[1]!);
    }
  };
  walk(join(REPO_ROOT, "services"));
  walk(join(REPO_ROOT, "packages"));
  return names;
}

/** Metric names a PromQL expression selects (a histogram's _bucket/_sum/_count map to its name). */
function queried(expr: string): string[] {
  return [...expr.matchAll(/\b(adq_[a-z_]+)/g)].map((m) => m[1]!.replace(/_(bucket|sum|count)$/, ""));
}

describe.skipIf(K8S_TESTS_OFF)("chart monitoring: PrometheusRule (promtool) and Grafana dashboard", () => {
  let tools: K8sTools;
  let r: Rendered;
  let dir: string;
  beforeAll(async () => {
    if (!existsSync(PROMTOOL))
      throw new Error(`promtool missing at ${PROMTOOL}: run scripts/setup.sh (or set ADQ_K8S_TESTS=0)`);
    tools = k8sTools(["helm"]);
    r = await render(
      tools,
      ["insecure.yaml"],
      ["metrics.prometheusRule.enabled=true", "metrics.grafanaDashboard.enabled=true"],
    );
    dir = await mkdtemp(join(tmpdir(), "adq-promtool-"));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("every metric the rules and the dashboard query is registered by a service", () => {
    const known = registeredMetrics();
    expect(known.has("adq_queue_pending_tasks")).toBe(true); // the scan itself works
    const rules = r.get("PrometheusRule", "t-adq").spec.groups.flatMap((g: Obj) => g.rules);
    const dash = JSON.parse(r.get("ConfigMap", "t-adq-dashboard").data["adq.json"]);
    const exprs = [
      ...rules.map((x: Obj) => x.expr as string),
      ...dash.panels.flatMap((p: Obj) => p.targets.map((t: Obj) => t.expr as string)),
    ];
    expect(exprs.length).toBeGreaterThan(10);
    const unknown = exprs.flatMap(queried).filter((m) => !known.has(m));
    expect(unknown).toEqual([]);
    expect(r.get("ConfigMap", "t-adq-dashboard").metadata.labels.grafana_dashboard).toBe("1");
  });

  it("promtool: the rules are valid, and the alerts fire on the series they are for and not on healthy ones", async () => {
    const groups = r.get("PrometheusRule", "t-adq").spec.groups as Obj[];
    await writeFile(join(dir, "rules.yaml"), yaml.dump({ groups }));
    const check = await run(PROMTOOL, ["check", "rules", join(dir, "rules.yaml")]);
    expect(check.stdout).toMatch(/SUCCESS: 5 rules found/);
    // Expressions only: annotations are text for people.
    const bare = groups.map((g) => ({
      ...g,
      rules: g.rules.map(({ annotations: _, ...rule }: Obj) => rule),
    }));
    await writeFile(join(dir, "bare.yaml"), yaml.dump({ groups: bare }));
    const ns = 'namespace="adq"';
    const tests = {
      rule_files: ["bare.yaml"],
      evaluation_interval: "1m",
      tests: [
        {
          interval: "1m",
          input_series: [
            // features: 5 tasks waiting, none in progress (stuck); binning: waiting but worked on.
            { series: `adq_queue_pending_tasks{${ns},queue="features",pod="f"}`, values: "5x30" },
            { series: `adq_queue_ack_pending_tasks{${ns},queue="features",pod="f"}`, values: "0x30" },
            { series: `adq_queue_pending_tasks{${ns},queue="binning",pod="b"}`, values: "5x30" },
            { series: `adq_queue_ack_pending_tasks{${ns},queue="binning",pod="b"}`, values: "1x30" },
            // One failed job a minute against one success a minute: half fail.
            { series: `adq_jobs_total{${ns},state="failed",pod="c"}`, values: "0+1x60" },
            { series: `adq_jobs_total{${ns},state="succeeded",pod="c"}`, values: "0+1x60" },
            // A GPU stage on the CPU image; another stage fine.
            {
              series: `adq_execution_provider_ready{${ns},stage="features",provider="cuda",pod="f"}`,
              values: "0x30",
            },
            {
              series: `adq_execution_provider_ready{${ns},stage="sampling",provider="cuda",pod="s"}`,
              values: "1x30",
            },
            { series: `adq_nats_connected{${ns},pod="f"}`, values: "1x30" },
            { series: `adq_controller_leader{${ns},pod="ctl-0"}`, values: "1x30" },
            { series: `adq_controller_leader{${ns},pod="ctl-1"}`, values: "0x30" },
          ],
          alert_rule_test: [
            { eval_time: "5m", alertname: "AdqQueueStuck", exp_alerts: [] },
            {
              eval_time: "15m",
              alertname: "AdqQueueStuck",
              exp_alerts: [{ exp_labels: { severity: "warning", namespace: "adq", queue: "features" } }],
            },
            { eval_time: "3m", alertname: "AdqJobsFailing", exp_alerts: [] },
            {
              eval_time: "40m",
              alertname: "AdqJobsFailing",
              exp_alerts: [{ exp_labels: { severity: "warning", namespace: "adq" } }],
            },
            {
              eval_time: "10m",
              alertname: "AdqExecutionProviderUnavailable",
              exp_alerts: [
                {
                  exp_labels: {
                    severity: "warning",
                    namespace: "adq",
                    pod: "f",
                    stage: "features",
                    provider: "cuda",
                  },
                },
              ],
            },
            { eval_time: "20m", alertname: "AdqNatsDisconnected", exp_alerts: [] },
            { eval_time: "20m", alertname: "AdqControllerNoLeader", exp_alerts: [] },
          ],
        },
      ],
    };
    await writeFile(join(dir, "tests.yaml"), yaml.dump(tests));
    const t = await run(PROMTOOL, ["test", "rules", join(dir, "tests.yaml")]).catch((e) => {
      throw new Error(`promtool test rules failed:\n${e.stdout}${e.stderr}`);
    });
    expect(t.stdout).toMatch(/SUCCESS/);
  });
});
