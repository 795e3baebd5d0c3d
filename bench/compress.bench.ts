/**
 * `adq compress` over a whole data set (default: the 50,000 CIFAR-10 training images),
 * fresh cache, as a user would run it: wall time per stage (from the run's timings.json),
 * total wall time and peak memory (GNU time's max RSS of the whole process tree's largest).
 * Baseline in the same run: `--method random` (reads labels only, no model) and `--method dq`
 * (no scoring), so the cost of each ADQ stage is visible as a ratio. The default ADQ row is
 * `adq-paper` (the CIFAR-10 ResNet-20, what RESULTS-compress.md measured as `adq` before issue 34
 * made `adq` read the general backbone); `--methods adq,dq,random` measures today's `adq`.
 *
 *   npx tsx bench/compress.bench.ts [--data /tmp/cifar/cifar10/train] [--methods adq-paper,dq,random]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    data: { type: "string", default: "/tmp/cifar/cifar10/train" },
    methods: { type: "string", default: "adq-paper,dq,random" },
    ratio: { type: "string", default: "0.1" },
  },
});

interface Run {
  method: string;
  wallSeconds: number;
  maxRssMiB: number;
  stages: Record<string, number>;
  selected: number;
}

function run(method: string): Run {
  const dir = mkdtempSync(join(tmpdir(), "adq-bench-"));
  const out = join(dir, "out");
  const t0 = process.hrtime.bigint();
  const child = spawnSync(
    "/usr/bin/time",
    [
      "-f",
      "MAXRSS_KB=%M",
      process.execPath,
      resolve("bin/adq.mjs"),
      "compress",
      values.data!,
      "--method",
      method,
      "--ratio",
      values.ratio!,
      "--out",
      out,
      "--cache-dir",
      join(dir, "cache"),
    ],
    { encoding: "utf8", stdio: ["ignore", "ignore", "pipe"], maxBuffer: 64 << 20 },
  );
  if (child.status !== 0) throw new Error(`adq compress --method ${method} failed:\n${child.stderr}`);
  const stderr = child.stderr;
  const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const rss = Number(/MAXRSS_KB=(\d+)/.exec(stderr)?.[1] ?? "0") / 1024;
  const stages = JSON.parse(readFileSync(join(out, "timings.json"), "utf8")) as Record<string, number>;
  const selected = (JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as { selected: number })
    .selected;
  rmSync(dir, { recursive: true, force: true });
  return { method, wallSeconds, maxRssMiB: rss, stages, selected };
}

const runs = values.methods!.split(",").map(run);
const stageNames = ["features", "binning", "scoring", "sampling", "assemble"];
const lines = [
  `| method | selected | wall s | ${stageNames.join(" s | ")} s | peak RSS MiB |`,
  `| --- | ---: | ---: | ${stageNames.map(() => "---:").join(" | ")} | ---: |`,
  ...runs.map(
    (r) =>
      `| ${r.method} | ${r.selected} | ${r.wallSeconds.toFixed(1)} | ${stageNames
        .map((s) => (r.stages[s] === undefined ? "–" : (r.stages[s]! / 1000).toFixed(1)))
        .join(" | ")} | ${r.maxRssMiB.toFixed(0)} |`,
  ),
];
const base = runs.find((r) => r.method === "random");
// The first ADQ row measured (adq-paper by default, or adq).
const adq = runs.find((r) => r.method === "adq-paper" || r.method === "adq");
process.stdout.write(`${lines.join("\n")}\n`);
if (adq && base)
  process.stdout.write(
    `${adq.method} wall / random wall: ${(adq.wallSeconds / base.wallSeconds).toFixed(1)}×\n`,
  );
if (adq)
  process.stdout.write(
    `target: ${adq.method} under 300 s and 4096 MiB — ${adq.wallSeconds < 300 && adq.maxRssMiB < 4096 ? "met" : "NOT met"}\n`,
  );
process.stdout.write(
  `${JSON.stringify({ bench: "compress", data: values.data, ratio: Number(values.ratio), runs })}\n`,
);
