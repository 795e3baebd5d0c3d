/**
 * The fast default (issue 33): which levers make CCS's held-out backbone (EfficientNet-Lite0)
 * cheap on small images, and does the difficulty signal survive. Every row is measured in this
 * one invocation, ratios against the current default (224×224, float32, the session options of
 * packages/ml/src/model-contract.ts, batch 20 as the features stage gives 224² inputs).
 *
 *   npx tsx bench/fast-default.bench.ts [dataset = demo/cifar10-demo] --limit 256 \
 *     [--int8 /tmp/perf/efficientnet-lite0-int8.onnx] [--skip-e2e] \
 *     [--skip-levers] [--skip-small-sides] [--baseline ../main-checkout] [--keep dir]
 *
 * A. Runtime levers on `limit` real images (decoded and resized once, outside the timed
 *    loop; each configuration warmed up once, then timed in `rounds` interleaved rounds, best
 *    round reported — robust to the load of a shared machine):
 *    input side (224, 160, 128, 96, 64), ONNX Runtime session options at 128 (graph
 *    optimisation level, intra-op threads, sequential/parallel execution, memory arena off),
 *    batch size at 128, int8 (the QDQ export made dynamic with models/scripts/dynamic_input_size.py;
 *    optional), and the decode and resize costs per image.
 * B. End to end on the data set: `adq compress` with `--method random`, the default (CCS at
 *    the model's own 224), the default with `--model-input-size auto` (128 on CIFAR; not the
 *    default: CCS at 128 lost its gain over random) and, unless --skip-small-sides, CCS at 96 and 64 —
 *    wall and CPU time each (fresh cache), each as a ratio against random in the same run, the
 *    stage timings, the manifest's sha256 (the selection: speed-ups must keep it), and the
 *    signal against 224: the cross-fitted head's held-out accuracy, Spearman correlation of
 *    the EL2N difficulty, and the overlap of the selected sets (|A ∩ B| / |A|). Then the
 *    50k-image estimate from the per-image rates of this run. With --baseline <dir> (a checkout
 *    of main with its node_modules), the default and auto runs of main's code too: the CPU
 *    speed-up, and whether the manifest is the same.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { openDataset, type RasterImage, resizeRaster, toNchw } from "@adq/ml";
import { decodeNpy } from "@adq/platform";
import * as ort from "onnxruntime-node";
import { spearman } from "../test/support/stats.ts";
import { spreadIndices } from "./spread.ts";

const REPO = resolve(import.meta.dirname, "..");
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    limit: { type: "string", default: "256" },
    int8: { type: "string" },
    "skip-e2e": { type: "boolean" },
    "skip-levers": { type: "boolean" },
    rounds: { type: "string", default: "5" },
    "skip-small-sides": { type: "boolean" },
    keep: { type: "string" },
    baseline: { type: "string" },
  },
});
const dataset = resolve(positionals[0] ?? join(REPO, "demo", "cifar10-demo"));
const limit = Number(values.limit);
const rounds = Number(values.rounds);
const MODEL = join(REPO, "models", "efficientnet-lite0.onnx");
const MEAN = [0.498, 0.498, 0.498] as const;
const STD = [0.502, 0.502, 0.502] as const;
const load0 = loadavg()[0]!;

function line(cells: Array<string | number>): string {
  return `| ${cells.join(" | ")} |`;
}

// ---------- A. runtime levers ----------
async function levers(): Promise<string[]> {
  const reader = await openDataset(dataset);
  const desc = await reader.describe();
  const indices = spreadIndices(desc.size, limit);
  let t0 = performance.now();
  const images: RasterImage[] = [];
  for await (const b of reader.batches(64, { indices })) images.push(...b.images);
  const decodeMs = (performance.now() - t0) / images.length;
  const inputs = new Map<number, Float32Array>();
  const resizeMs = new Map<number, number>();
  for (const S of [224, 160, 128, 96, 64]) {
    t0 = performance.now();
    const sized = await Promise.all(images.map((im) => resizeRaster(im, S)));
    const data = toNchw(sized, { mean: MEAN, std: STD }).data;
    resizeMs.set(S, (performance.now() - t0) / images.length);
    inputs.set(S, data);
  }
  type Cfg = {
    name: string;
    side: number;
    batch: number;
    file?: string;
    opts?: ort.InferenceSession.SessionOptions;
  };
  // One intra-op thread unless a row says otherwise: CPU time per image is then the work done,
  // which a shared machine's load barely changes (wall time it does); the 2-thread row shows
  // what the second core buys.
  const base: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
    executionProviders: ["cpu"],
  };
  const cfgs: Cfg[] = [
    { name: "224, batch 20 (the features stage's calls before RUN_PIXELS)", side: 224, batch: 20 },
    { name: "224, calls of 2 (RUN_PIXELS: the features stage now)", side: 224, batch: 2 },
    { name: "side 160", side: 160, batch: 32 },
    { name: "side 128 (`--model-input-size auto`), batch 32", side: 128, batch: 32 },
    { name: "side 96", side: 96, batch: 32 },
    { name: "side 64", side: 64, batch: 32 },
    {
      name: "128, graph optimisation basic",
      side: 128,
      batch: 32,
      opts: { ...base, graphOptimizationLevel: "basic" },
    },
    {
      name: "128, graph optimisation extended",
      side: 128,
      batch: 32,
      opts: { ...base, graphOptimizationLevel: "extended" },
    },
    {
      name: "128, 2 intra-op threads, spin-waiting (the CLI's default before)",
      side: 128,
      batch: 32,
      opts: { ...base, intraOpNumThreads: 2 },
    },
    {
      name: "128, parallel execution, 2 inter-op",
      side: 128,
      batch: 32,
      opts: { ...base, executionMode: "parallel", interOpNumThreads: 2 },
    },
    {
      name: "128, 2 intra-op threads, no spin-waiting (the CLI's default now)",
      side: 128,
      batch: 32,
      opts: { ...base, intraOpNumThreads: 2, extra: { session: { intra_op: { allow_spinning: "0" } } } },
    },
    { name: "128, CPU memory arena off", side: 128, batch: 32, opts: { ...base, enableCpuMemArena: false } },
    {
      name: "128, no spin-waiting of intra-op threads",
      side: 128,
      batch: 32,
      opts: { ...base, extra: { session: { intra_op: { allow_spinning: "0" } } } },
    },
    { name: "128, calls of 8 (RUN_PIXELS: the features stage now)", side: 128, batch: 8 },
    { name: "128, batch 64 (the features stage's calls before RUN_PIXELS)", side: 128, batch: 64 },
    { name: "128, batch 128", side: 128, batch: 128 },
    ...(values.int8
      ? [
          { name: "int8 QDQ, 224", side: 224, batch: 20, file: values.int8 },
          { name: "int8 QDQ, 128", side: 128, batch: 32, file: values.int8 },
        ]
      : []),
  ];
  // Interleaved rounds, best of each: this machine is shared, and a load spike during one
  // configuration's turn would otherwise read as that configuration's cost.
  const sessions: ort.InferenceSession[] = [];
  for (const c of cfgs) sessions.push(await ort.InferenceSession.create(c.file ?? MODEL, c.opts ?? base));
  const pass = async (i: number) => {
    const c = cfgs[i]!;
    const x = inputs.get(c.side)!;
    const per = 3 * c.side * c.side;
    const n = images.length;
    const t = performance.now();
    const u = process.cpuUsage();
    for (let j = 0; j < n; j += c.batch) {
      const m = Math.min(c.batch, n - j);
      const input = new ort.Tensor("float32", x.subarray(j * per, (j + m) * per), [m, 3, c.side, c.side]);
      await sessions[i]!.run({ images: input });
    }
    const cpu = process.cpuUsage(u);
    return { ips: n / ((performance.now() - t) / 1000), cpuMs: (cpu.user + cpu.system) / 1000 / n };
  };
  for (let i = 0; i < cfgs.length; i++) await pass(i); // warm-up: allocations, kernel choice
  // Per configuration the best round: most images/s, least CPU time per image.
  const best = new Float64Array(cfgs.length);
  const cpuMs = new Float64Array(cfgs.length).fill(Number.POSITIVE_INFINITY);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < cfgs.length; i++) {
      const p = await pass(i);
      best[i] = Math.max(best[i]!, p.ips);
      cpuMs[i] = Math.min(cpuMs[i]!, p.cpuMs);
    }
    process.stderr.write(
      `round ${r + 1}/${rounds}: ${[...cfgs.keys()].map((i) => `${best[i]!.toFixed(0)}/${cpuMs[i]!.toFixed(1)}`).join(" ")}\n`,
    );
  }
  for (const s of sessions) await s.release();
  const ref = best[0]!;
  const refCpu = cpuMs[0]!;
  const rows = cfgs.map((c, i) =>
    line([
      c.name,
      cpuMs[i]!.toFixed(2),
      `${(refCpu / cpuMs[i]!).toFixed(2)}×`,
      best[i]!.toFixed(1),
      `${(best[i]! / ref).toFixed(2)}×`,
    ]),
  );
  return [
    `Runtime levers, ${images.length} images of ${dataset.replace(`${REPO}/`, "")}; ONNX Runtime ${ort.env.versions.common}, CPU EP, ${cpus().length} cores, load average at start ${load0.toFixed(1)}, best of ${rounds} interleaved rounds.`,
    "",
    line(["configuration", "CPU ms/image", "vs current (CPU)", "wall images/s", "vs current (wall)"]),
    line(["---", "---:", "---:", "---:", "---:"]),
    ...rows,
    "",
    `Decode: ${decodeMs.toFixed(3)} ms/image. Resize + normalise: ${[...resizeMs].map(([s, ms]) => `${s}: ${ms.toFixed(3)}`).join(", ")} ms/image.`,
  ];
}

// ---------- B. end to end and the signal ----------
interface E2e {
  name: string;
  manifestSha: string;
  seconds: number;
  cpuSeconds: number;
  timings: Record<string, number>;
  heldOut: number | null;
  el2n: Float64Array | null;
  selected: Set<string>;
}

function compress(name: string, args: string[], repo = REPO): E2e {
  const cache = mkdtempSync(join(tmpdir(), "adq-fast-cache-"));
  const out = mkdtempSync(join(tmpdir(), "adq-fast-out-"));
  const t0 = performance.now();
  // /usr/bin/time: the run's CPU seconds (user + system, all threads), which the shared
  // machine's load changes far less than its wall time.
  const r = spawnSync(
    "/usr/bin/time",
    [
      "-f",
      "ADQTIME %e %U %S",
      process.execPath,
      join(repo, "bin", "adq.mjs"),
      "compress",
      dataset,
      ...["--out", out, "--force", "--cache-dir", cache, ...args],
    ],
    { encoding: "utf8" },
  );
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${name}: adq compress failed: ${r.stderr}`);
  const tm = /ADQTIME ([\d.]+) ([\d.]+) ([\d.]+)/.exec(r.stderr);
  const cpuSeconds = tm ? Number(tm[2]) + Number(tm[3]) : Number.NaN;
  const manifest = readFileSync(join(out, "manifest.json"));
  const m = JSON.parse(manifest.toString("utf8"));
  // The model file's path names the checkout it ran from (--baseline runs another one); the
  // rest of the manifest, selection included, must not depend on which.
  const { file: _file, ...model } = m.model ?? {};
  const manifestSha = createHash("sha256")
    .update(JSON.stringify({ ...m, model }))
    .digest("hex");
  const timings = JSON.parse(readFileSync(join(out, "timings.json"), "utf8"));
  let el2n: Float64Array | null = null;
  try {
    const logits = decodeNpy(readFileSync(join(out, "intermediates", "head-logits.npy")));
    const labels = decodeNpy(readFileSync(join(out, "intermediates", "labels.npy")));
    const [n, C] = logits.shape as [number, number];
    el2n = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let mx = -Infinity;
      for (let c = 0; c < C; c++) mx = Math.max(mx, Number(logits.data[i * C + c]));
      let z = 0;
      for (let c = 0; c < C; c++) z += Math.exp(Number(logits.data[i * C + c]) - mx);
      let s = 0;
      for (let c = 0; c < C; c++) {
        const p = Math.exp(Number(logits.data[i * C + c]) - mx) / z;
        const y = Number(labels.data[i]) === c ? 1 : 0;
        s += (p - y) ** 2;
      }
      el2n[i] = Math.sqrt(s);
    }
  } catch {
    el2n = null;
  }
  rmSync(cache, { recursive: true, force: true });
  // --keep <dir>: each run's result folder is kept (manifest, timings, intermediates).
  if (values.keep) cpSync(out, join(values.keep, name.replace(/[^a-z0-9]+/gi, "-")), { recursive: true });
  rmSync(out, { recursive: true, force: true });
  process.stderr.write(
    `${name}: ${seconds.toFixed(1)} s wall, ${cpuSeconds.toFixed(1)} CPU s, timings ${JSON.stringify(timings)}, held-out ${m.gradient?.heldOutAccuracy ?? "-"}\n`,
  );
  return {
    name,
    manifestSha,
    seconds,
    cpuSeconds,
    timings,
    heldOut: m.gradient?.heldOutAccuracy ?? null,
    el2n,
    selected: new Set((m.items as Array<{ id: string }>).map((it) => it.id)),
  };
}

function e2e(): string[] {
  const common = ["--ratio", "0.1", "--seed", "0"];
  const ccs = (name: string, side: string | null, repo = REPO) =>
    compress(name, [...common, "--keep-intermediates", ...(side ? ["--model-input-size", side] : [])], repo);
  // --baseline <checkout of main>: the same two runs with main's code, for the speed-up and to
  // check that the selection is the same (the manifest's sha256 without the model's path).
  const base = values.baseline ? resolve(values.baseline) : null;
  const baseFull = base ? ccs("main: default (CCS, 224)", null, base) : null;
  const baseFast = base ? ccs("main: default, --model-input-size auto (128)", "auto", base) : null;
  // Random first and last: the machine is shared, and its load drifts; the ratios use their mean.
  const random1 = compress("random", [...common, "--method", "random"]);
  const full = ccs("default (CCS, 224)", null);
  const fast = ccs("default, --model-input-size auto (128)", "auto");
  const s96 = values["skip-small-sides"] ? null : ccs("CCS at 96", "96");
  const s64 = values["skip-small-sides"] ? null : ccs("CCS at 64", "64");
  const random2 = compress("random (again)", [...common, "--method", "random"]);
  const random = {
    seconds: (random1.seconds + random2.seconds) / 2,
    cpuSeconds: (random1.cpuSeconds + random2.cpuSeconds) / 2,
  };
  const all = [
    random1,
    random2,
    ...(baseFull && baseFast ? [baseFull, baseFast] : []),
    full,
    fast,
    ...(s96 ? [s96] : []),
    ...(s64 ? [s64] : []),
  ];
  const vsMain = (r: E2e) => {
    const b = r === full ? baseFull : r === fast ? baseFast : null;
    if (!b) return "–";
    return `${(b.cpuSeconds / r.cpuSeconds).toFixed(2)}× less CPU, manifest ${b.manifestSha === r.manifestSha ? "identical" : "DIFFERS"}`;
  };
  const rows = all.map((r) => {
    const sig =
      r.el2n && full.el2n
        ? [
            r.heldOut === null ? "–" : r.heldOut.toFixed(3),
            spearman(r.el2n, full.el2n).toFixed(3),
            ([...r.selected].filter((id) => full.selected.has(id)).length / r.selected.size).toFixed(3),
          ]
        : ["–", "–", "–"];
    return line([
      r.name,
      r.seconds.toFixed(1),
      `${(r.seconds / random.seconds).toFixed(2)}×`,
      r.cpuSeconds.toFixed(1),
      `${(r.cpuSeconds / random.cpuSeconds).toFixed(2)}×`,
      ((r.timings.features ?? 0) / 1000).toFixed(1),
      ((r.timings.binning ?? 0) / 1000).toFixed(1),
      `\`${r.manifestSha.slice(0, 12)}\``,
      vsMain(r),
      ...sig,
    ]);
  });
  // 50k CIFAR-10 (25× the demo's 2,000 images): every stage's work is linear in the images
  // (features, the head's O(k·epochs·n·D·C), CCS's sort, the manifest), so the estimate scales
  // the run's CPU seconds by 25 and spreads them over 2 cores (the best case: no idle core);
  // the wall estimate scales this run's wall time by 25 under this run's load.
  const n = 2000;
  const est = (r: E2e) =>
    `${r.name}: ${((r.cpuSeconds * 50_000) / n / 2 / 60).toFixed(1)} min of both cores from ${((r.cpuSeconds / n) * 1000).toFixed(1)} CPU ms/image (${((r.seconds * 50_000) / n / 60).toFixed(1)} min at this run's wall rate)`;
  return [
    `End to end, \`adq compress ${dataset.replace(`${REPO}/`, "")} --ratio 0.1 --seed 0\`, fresh cache each, ${cpus().length} cores; load average ${load0.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end. Ratios against the mean of the two random runs.`,
    "",
    line([
      "run",
      "wall s",
      "vs random (wall)",
      "CPU s",
      "vs random (CPU)",
      "features s",
      "head s",
      "manifest sha256 (model path left out)",
      "vs main (same run)",
      "head held-out acc.",
      "EL2N Spearman vs 224",
      "selection overlap with 224",
    ]),
    line(["---", "---:", "---:", "---:", "---:", "---:", "---:", "---", "---", "---:", "---:", "---:"]),
    ...rows,
    "",
    "50k CIFAR-10 estimate (per-image rates of this run × 50,000):",
    "",
    ...[full, fast, random1].map((r) => `- ${est(r)}`),
  ];
}

const out: string[] = [];
if (!values["skip-levers"]) out.push(...(await levers()), "");
if (!values["skip-e2e"]) out.push(...e2e());
process.stdout.write(`${out.join("\n")}\n`);
