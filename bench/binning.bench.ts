/**
 * Binning benchmark: DQ bin generation (per-class greedy GraphCut) on ResNet-20-like last-layer
 * gradient embeddings (C = 10 classes, D = 64 → explicit d = 650), from the seeded Rng.
 *
 *   npx tsx bench/binning.bench.ts [--n 5000] [--classes 10] [--bins 10] [--ref-n 2000]
 *                                  [--workers 2] [--seed 1] [--skip-ref] [--skip-dense]
 *
 * Every measurement runs in its own child process so that its peak memory (maxRSS) is its own:
 *   data    only builds one class's random logits/embeddings (the RSS floor of a phase)
 *   fast    factorised space (C + D + 1 = 75 per pair) + running-sum GraphCut, one class of n
 *   dense   the same GraphCut on the explicit 650-d vectors, one class of n (same bins expected)
 *   ref     the DQ code's behaviour: explicit 650-d vectors, full similarity matrix per round,
 *           selected sums recomputed from scratch (O(n·k²)), one class of --ref-n
 *   fastref the fast path on that same --ref-n class, for the ratio at equal n
 *   dataset all --classes classes of n on --workers worker threads (the whole-dataset wall time)
 * Prints a table and one JSON line.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { Rng } from "@adq/core";
import {
  binClass,
  binIndexOf,
  type CosineSpace,
  DenseCosineSpace,
  FactorisedGradientSpace,
  gradientEmbeddings,
  type LastLayerOutputs,
  referenceBinClass,
} from "@adq/core/testing";

const C = 10;
const D = 64;

interface Flags {
  n: number;
  classes: number;
  bins: number;
  refN: number;
  workers: number;
  seed: number;
  skipRef: boolean;
  skipDense: boolean;
  phase?: string;
}

function parseFlags(argv: string[]): Flags {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const int = (name: string, dflt: number, min: number): number => {
    const v = get(name);
    if (v === undefined) return dflt;
    const x = Number(v);
    if (!Number.isInteger(x) || x < min)
      throw new RangeError(`--${name} must be an integer ≥ ${min}, got ${v}`);
    return x;
  };
  const n = int("n", 5000, 1);
  const bins = int("bins", 10, 1);
  return {
    n,
    classes: int("classes", 10, 1),
    bins,
    refN: int("ref-n", Math.min(n, 2000), bins),
    workers: int("workers", 2, 1),
    seed: int("seed", 1, 0),
    skipRef: argv.includes("--skip-ref"),
    skipDense: argv.includes("--skip-dense"),
    phase: get("phase"),
  };
}

/**
 * One class of ResNet-20-like outputs: logits peaked on the class (a trained model's softmax),
 * non-negative penultimate features (global-average-pooled ReLU maps).
 */
function makeClass(seed: number, cls: number, n: number): LastLayerOutputs {
  const r = Rng.derive(seed, "binning-bench", cls);
  const logits = new Float32Array(n * C);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < C; c++) logits[i * C + c] = 2 * r.nextNormal() + (c === cls ? 3 : 0);
  const embeddings = Float32Array.from({ length: n * D }, () => Math.max(0, r.nextNormal()));
  return { logits, embeddings, labels: new Int32Array(n).fill(cls), numClasses: C };
}

/**
 * ns per pairwise cosine, over full rows against the whole class as the binning calls it (with a
 * column list); one warm-up round, then rows until at least 0.5 s has passed.
 */
function nsPerPair(space: CosineSpace): number {
  const out = new Float64Array(space.n);
  const cols = Int32Array.from({ length: space.n }, (_, i) => i);
  for (let i = 0; i < 20; i++) space.cosRow(i % space.n, out, cols);
  const t0 = performance.now();
  let rows = 0;
  while (performance.now() - t0 < 500) space.cosRow(rows++ % space.n, out, cols);
  return ((performance.now() - t0) * 1e6) / (rows * space.n);
}

const seconds = (t0: number): number => (performance.now() - t0) / 1000;
const maxRssMiB = (): number => process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB

interface PhaseResult {
  phase: string;
  n: number;
  seconds?: number;
  buildSeconds?: number;
  nsPerPair?: number;
  maxRssMiB: number;
  binOf?: number[];
  classes?: number;
  workers?: number;
  perClassSeconds?: number[];
}

/**
 * One class of n, timed in two parts: building its cosine space, then binning it. `perPair` adds
 * the space's ns per pairwise cosine (not for the reference, whose cost is its full matrices).
 */
function timeClass(
  phase: string,
  f: Flags,
  n: number,
  build: (o: LastLayerOutputs) => CosineSpace,
  bin: (space: CosineSpace, m: number) => Int32Array[],
  perPair: boolean,
): PhaseResult {
  const o = makeClass(f.seed, 0, n);
  let t0 = performance.now();
  const space = build(o);
  const buildSeconds = seconds(t0);
  t0 = performance.now();
  const bins = bin(space, f.bins);
  const s = seconds(t0);
  return {
    phase,
    n,
    seconds: s,
    buildSeconds,
    ...(perPair ? { nsPerPair: nsPerPair(space) } : {}),
    maxRssMiB: maxRssMiB(),
    binOf: Array.from(binIndexOf([bins], n)),
  };
}

const factorised = (o: LastLayerOutputs): CosineSpace => FactorisedGradientSpace.fromOutputs(o);
const dense = (o: LastLayerOutputs): CosineSpace =>
  new DenseCosineSpace(gradientEmbeddings(o), o.labels.length);

async function runPhase(f: Flags, phase: string): Promise<PhaseResult> {
  switch (phase) {
    case "data": {
      makeClass(f.seed, 0, f.n);
      return { phase, n: f.n, maxRssMiB: maxRssMiB() };
    }
    case "fast":
      return timeClass(phase, f, f.n, factorised, binClass, true);
    case "fastref":
      return timeClass(phase, f, f.refN, factorised, binClass, true);
    case "dense":
      return timeClass(phase, f, f.n, dense, binClass, true);
    case "ref":
      return timeClass(phase, f, f.refN, dense, referenceBinClass, false);
    case "dataset": {
      const { perClass, wall, startup } = await binClassesOnWorkers(f);
      return {
        phase,
        n: f.n,
        classes: f.classes,
        workers: f.workers,
        seconds: wall,
        buildSeconds: startup,
        perClassSeconds: perClass,
        maxRssMiB: maxRssMiB(),
      };
    }
    default:
      throw new RangeError(`unknown --phase ${phase}`);
  }
}

/**
 * Bin classes 0..classes−1 on `workers` persistent threads, handing classes out as threads free
 * up. Returns per-class seconds and the wall time from the moment every thread is loaded (thread
 * start-up, mostly tsx compiling the sources, is reported separately).
 */
async function binClassesOnWorkers(f: Flags): Promise<{ perClass: number[]; wall: number; startup: number }> {
  const times = new Array<number>(f.classes).fill(0);
  // tsx's loader does not reach worker threads in Node 20 through execArgv; register it in an
  // eval'd bootstrap instead, then import this file.
  const boot = `import("tsx/esm/api").then(({ register }) => { register(); return import(${JSON.stringify(import.meta.url)}); })`;
  const t0 = performance.now();
  const count = Math.min(f.workers, f.classes);
  const workers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Worker>((resolve, reject) => {
          const w = new Worker(boot, { eval: true, workerData: { seed: f.seed, n: f.n, bins: f.bins } });
          w.once("message", () => resolve(w)); // "ready"
          w.once("error", reject);
        }),
    ),
  );
  const startup = seconds(t0);
  const t1 = performance.now();
  let next = 0;
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((resolve, reject) => {
          const feed = (): void => {
            if (next >= f.classes) {
              void w.terminate().then(() => resolve());
              return;
            }
            w.postMessage(next++);
          };
          w.on("message", (m: { cls: number; seconds: number }) => {
            times[m.cls] = m.seconds;
            feed();
          });
          w.once("error", reject);
          feed();
        }),
    ),
  );
  return { perClass: times, wall: seconds(t1), startup };
}

function workerMain(): void {
  const { seed, n, bins } = workerData as { seed: number; n: number; bins: number };
  parentPort!.on("message", (cls: number) => {
    const o = makeClass(seed, cls, n);
    const t0 = performance.now();
    binClass(FactorisedGradientSpace.fromOutputs(o), bins);
    parentPort!.postMessage({ cls, seconds: seconds(t0) });
  });
  parentPort!.postMessage("ready");
}

function runChild(phase: string): Promise<PhaseResult> {
  const self = fileURLToPath(import.meta.url);
  const args = process.argv.slice(2).filter((a, i, all) => a !== "--phase" && all[i - 1] !== "--phase");
  return new Promise((resolve, reject) => {
    const child = fork(self, [...args, "--phase", phase], { execArgv: process.execArgv });
    let result: PhaseResult | undefined;
    child.on("message", (m) => {
      result = m as PhaseResult;
    });
    child.on("error", reject);
    child.on("exit", (code) =>
      result ? resolve(result) : reject(new Error(`phase ${phase} exited with code ${code}`)),
    );
  });
}

function differingItems(a?: number[], b?: number[]): number | undefined {
  if (!a || !b || a.length !== b.length) return undefined;
  let d = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) d++;
  return d;
}

const fmt = (x: number | undefined, digits = 2): string => (x === undefined ? "–" : x.toFixed(digits));

async function main(): Promise<void> {
  const f = parseFlags(process.argv.slice(2));
  if (f.phase) {
    const r = await runPhase(f, f.phase);
    process.send?.(r);
    return;
  }
  const d = C + C * D;
  console.log(
    `binning bench: one class of n = ${f.n}, C = ${C}, D = ${D} (explicit d = ${d}), ${f.bins} bins; ` +
      `reference at n = ${f.refN}; dataset = ${f.classes} classes on ${f.workers} worker thread(s); ` +
      `node ${process.version}, ${(await import("node:os")).cpus().length} CPUs`,
  );
  const data = await runChild("data");
  const fast = await runChild("fast");
  const dense = f.skipDense ? undefined : await runChild("dense");
  const fastRef = f.skipRef ? undefined : f.refN === f.n ? fast : await runChild("fastref");
  const ref = f.skipRef ? undefined : await runChild("ref");
  const dataset = await runChild("dataset");

  const rows: Array<[string, number, number | undefined, number | undefined, number, string]> = [
    ["fast (factorised, running sums)", fast.n, fast.seconds, fast.nsPerPair, fast.maxRssMiB, "–"],
  ];
  if (dense)
    rows.push([
      "dense 650-d (running sums)",
      dense.n,
      dense.seconds,
      dense.nsPerPair,
      dense.maxRssMiB,
      `${differingItems(fast.binOf, dense.binOf)} items differ vs fast`,
    ]);
  if (fastRef && fastRef !== fast)
    rows.push(["fast at reference n", fastRef.n, fastRef.seconds, fastRef.nsPerPair, fastRef.maxRssMiB, "–"]);
  if (ref && fastRef)
    rows.push([
      "reference (650-d matrix, O(n·k²))",
      ref.n,
      ref.seconds,
      undefined,
      ref.maxRssMiB,
      `${differingItems(fastRef.binOf, ref.binOf)} items differ vs fast`,
    ]);
  rows.push(["data only (RSS floor)", data.n, undefined, undefined, data.maxRssMiB, "–"]);
  console.log("\n| path | n | binning s | ns/pair | peak RSS MiB | bins |");
  console.log("| --- | ---: | ---: | ---: | ---: | --- |");
  for (const [name, n, s, ns, rss, note] of rows)
    console.log(`| ${name} | ${n} | ${fmt(s, 3)} | ${fmt(ns, 1)} | ${fmt(rss, 0)} | ${note} |`);

  const perClass = fast.seconds! + fast.buildSeconds!;
  const extrapolated1 = perClass * 10;
  const ratio = ref && fastRef ? ref.seconds! / fastRef.seconds! : undefined;
  const denseRatio = dense ? dense.seconds! / fast.seconds! : undefined;
  console.log(
    `\nspace build: factorised ${fmt(fast.buildSeconds, 3)} s, explicit ${fmt(dense?.buildSeconds, 3)} s`,
  );
  if (denseRatio !== undefined)
    console.log(`explicit 650-d vs factorised binning at n = ${f.n}: ${fmt(denseRatio, 1)}× slower`);
  if (ratio !== undefined)
    console.log(
      `reference vs fast at equal n = ${f.refN}${f.refN < f.n ? " (reference timed on a smaller n than the main run)" : ""}: ` +
        `${fmt(ratio, 1)}× slower`,
    );
  console.log(
    `CIFAR-10 (10 classes × ${f.n}) extrapolated from one class on one core: ${fmt(extrapolated1, 1)} s ` +
      `(target < 30 s: ${extrapolated1 < 30 ? "met" : "missed"})`,
  );
  console.log(
    `measured: ${f.classes} classes × ${f.n} on ${f.workers} worker thread(s): ${fmt(dataset.seconds, 1)} s wall ` +
      `after ${fmt(dataset.buildSeconds, 1)} s of thread start-up ` +
      `(per class ${dataset.perClassSeconds!.map((s) => s.toFixed(2)).join(", ")} s), peak RSS ${fmt(dataset.maxRssMiB, 0)} MiB` +
      (f.classes === 10 ? ` (target < 30 s: ${dataset.seconds! < 30 ? "met" : "missed"})` : ""),
  );

  const json = {
    bench: "binning",
    n: f.n,
    C,
    D,
    bins: f.bins,
    fast: {
      seconds: fast.seconds,
      buildSeconds: fast.buildSeconds,
      nsPerPair: fast.nsPerPair,
      maxRssMiB: fast.maxRssMiB,
    },
    dense: dense && {
      seconds: dense.seconds,
      buildSeconds: dense.buildSeconds,
      nsPerPair: dense.nsPerPair,
      maxRssMiB: dense.maxRssMiB,
      itemsDifferingFromFast: differingItems(fast.binOf, dense.binOf),
    },
    reference: ref &&
      fastRef && {
        n: f.refN,
        seconds: ref.seconds,
        maxRssMiB: ref.maxRssMiB,
        fastSeconds: fastRef.seconds,
        ratio,
        itemsDifferingFromFast: differingItems(fastRef.binOf, ref.binOf),
      },
    dataRssMiB: data.maxRssMiB,
    cifar10ExtrapolatedSeconds: extrapolated1,
    dataset: {
      classes: f.classes,
      workers: f.workers,
      seconds: dataset.seconds,
      threadStartupSeconds: dataset.buildSeconds,
      perClassSeconds: dataset.perClassSeconds,
      maxRssMiB: dataset.maxRssMiB,
    },
    targetSeconds: 30,
  };
  console.log(JSON.stringify(json));
}

if (isMainThread) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  workerMain();
}
