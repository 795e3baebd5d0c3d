/**
 * The quality benchmark: does a model trained on ADQ's subset beat one trained on DQ's or a
 * random subset of the same size? Each run = `adq compress` (its result cached) + `adq eval`
 * (a CIFAR ResNet-20 trained from scratch on the subset), recorded as one small JSON file
 * `bench/quality/runs/<method>-r<ratio>-s<seed>[-variant].json`. The selection seed and the
 * training seed are varied together (run s uses seed s for both). Runs whose result file
 * exists are skipped, so the benchmark can be run in pieces; `summarize.ts` turns the run
 * files into RESULTS.md.
 *
 *   npx tsx bench/quality/run.ts                       # random, dq, adq, ccs at ρ = 10%, seeds 0–4, 40 epochs
 *   npx tsx bench/quality/run.ts --only adq --seeds 0,1 # a piece of it
 *   npx tsx bench/quality/run.ts --with-r30            # also ρ = 30%
 *   npx tsx bench/quality/run.ts --with-drop           # also ADQ with patch dropping (θ = 0.25),
 *                                                      # trained on the MAE reconstructions
 *   npx tsx bench/quality/run.ts --only adq --variant alpha1 --compress-args="--alpha 1"
 *                                                      # an ADQ variant, its own run files
 *   npx tsx bench/quality/run.ts --dry-run             # list the plan: done / to do
 *   npx tsx bench/quality/summarize.ts                 # → bench/quality/RESULTS.md
 *
 * Options: --train <dataset> [/tmp/cifar/cifar10/train], --test <dataset> [/tmp/cifar/cifar10/test],
 * --epochs n [40] (≠ 40 adds "-e<n>" to the variant), --eval-size px [32] (the trainer's image
 * side; EuroSAT's 64×64 tiles: see RESULTS.md), --threads n, --cache-dir [$ADQ_CACHE_DIR or
 * ~/.cache/adq] (compress stage cache; compressed results under <cache>/quality/), --runs <dir>
 * [bench/quality/runs], --keep-going (a failed run does not stop the rest), --feature-model <onnx>
 * [the default rule's, per method] (select with another feature model, e.g. one not trained on
 * the candidate images; its runs need their own --runs folder).
 * Baseline groups compress with --drop 0 (training uses the original images, so dropping
 * patches would only cost time); the patch-dropping group uses --drop 0.25 --use-reconstructed.
 *
 * Every selection but random's depends on the feature model, so a run records the model's
 * sha256 (`feature_model`) and a runs folder holds ONE feature model per method and variant
 * (the default rule gives CCS the general backbone, DQ/ADQ on CIFAR-10 the ResNet-20): the
 * runner refuses to add a run whose model differs from the one its method's runs in the folder
 * were measured with (name a new --runs folder; the old one stays the record of its model), and
 * a cached compressed result made with another model is compressed again.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { cpus, homedir, hostname } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { defaultModelFor } from "@adq/cli/testing";

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, "../..");
const ADQ = join(REPO, "bin", "adq.mjs");
export const DEFAULT_RUNS_DIR = join(HERE, "runs");
export const DEFAULT_EPOCHS = 40;
export const METHODS = ["random", "dq", "adq", "adq-paper", "ccs"] as const;
/** What a plain run of the benchmark runs: every method (CCS is the product's default). */
export const DEFAULT_METHODS = ["random", "dq", "adq", "ccs"] as const;
/** The feature model `adq compress` uses by default on CIFAR-10 (the bench does not pass --model). */
export const DEFAULT_FEATURE_MODEL = join(REPO, "models", "resnet20-cifar10.onnx");

/** The feature model `adq compress` picks for `train` and `method` by its default rule (default-model.ts). */
export async function featureModelFor(train: string, method: (typeof METHODS)[number]): Promise<string> {
  return (await defaultModelFor(train, join(REPO, "models"), method)).file;
}

/** A run's feature model: null for random, which extracts no features. */
export type FeatureModelId = { file: string; sha256: string } | null;

export function featureModelId(file: string): { file: string; sha256: string } {
  return { file: basename(file), sha256: createHash("sha256").update(readFileSync(file)).digest("hex") };
}

/**
 * Throws when a run file of `runsDir` of the same method and variant as `of` (all runs when `of`
 * is absent) was measured with a feature model other than `current`: a folder holds one model per
 * method (CCS's default differs from DQ's and ADQ's), so paired rows never mix models. Random
 * runs, which use none, fit any folder. O(runs) small file reads.
 */
export function checkRunsFolder(
  runsDir: string,
  current: { sha256: string },
  of?: { method: string; variant: string | null },
): void {
  if (!existsSync(runsDir)) return;
  for (const name of readdirSync(runsDir)
    .filter((f) => f.endsWith(".json"))
    .sort()) {
    const run = JSON.parse(readFileSync(join(runsDir, name), "utf8")) as {
      feature_model?: FeatureModelId;
      method?: string;
      variant?: string | null;
    };
    if (of && (run.method !== of.method || (run.variant || null) !== of.variant)) continue;
    const fm = run.feature_model;
    if (fm === null) continue;
    if (fm === undefined)
      throw new Error(
        `${join(runsDir, name)}: no feature_model recorded; cannot tell which model measured it`,
      );
    if (fm.sha256 !== current.sha256)
      throw new Error(
        `${join(runsDir, name)} was measured with feature model ${fm.file} sha256 ${fm.sha256.slice(0, 12)}…, ` +
          `this run's is sha256 ${current.sha256.slice(0, 12)}…: pass --runs <new folder> ` +
          `(the old folder stays the record of its model)`,
      );
  }
}

export interface RunSpec {
  method: string;
  ratio: number;
  seed: number;
  epochs: number;
  drop: number;
  useReconstructed: boolean;
  /** Extra `adq compress` flags of a variant. */
  compressArgs: string[];
  /** Names the variant (without the epochs suffix); null for the plain method. */
  variant: string | null;
}

export interface PlanOptions {
  methods: string[];
  seeds: number[];
  epochs: number;
  withR30: boolean;
  withDrop: boolean;
  variant?: string;
  compressArgs?: string[];
}

/** The variant part of a run's name: the user's variant, then "-e<epochs>" when not the default. */
export function variantSuffix(spec: Pick<RunSpec, "variant" | "epochs">): string {
  const parts = [spec.variant, spec.epochs === DEFAULT_EPOCHS ? null : `e${spec.epochs}`].filter(
    (x): x is string => !!x,
  );
  return parts.length ? `-${parts.join("-")}` : "";
}

/** `<method>-r<ratio>-s<seed>[-variant]`: the run file's name without `.json`. */
export function runName(spec: RunSpec): string {
  return `${spec.method}-r${spec.ratio}-s${spec.seed}${variantSuffix(spec)}`;
}

/** The compressed result's name: like the run's, without the epochs (compression does not depend on them). */
export function compressName(spec: RunSpec): string {
  return `${spec.method}-r${spec.ratio}-s${spec.seed}${spec.variant ? `-${spec.variant}` : ""}`;
}

/** Every run of the requested groups, seed-major so that paired sets complete early. */
export function planRuns(o: PlanOptions): RunSpec[] {
  const groups: Array<{ ratio: number; methods: string[]; drop: number; variant: string | null }> = [];
  const base = o.variant ?? null;
  groups.push({ ratio: 0.1, methods: o.methods, drop: 0, variant: base });
  if (o.withR30) groups.push({ ratio: 0.3, methods: o.methods, drop: 0, variant: base });
  if (o.withDrop && o.methods.includes("adq")) {
    const v = base ? `${base}-drop0.25` : "drop0.25";
    groups.push({ ratio: 0.1, methods: ["adq"], drop: 0.25, variant: v });
    if (o.withR30) groups.push({ ratio: 0.3, methods: ["adq"], drop: 0.25, variant: v });
  }
  const out: RunSpec[] = [];
  for (const g of groups)
    for (const seed of o.seeds)
      for (const method of g.methods)
        out.push({
          method,
          ratio: g.ratio,
          seed,
          epochs: o.epochs,
          drop: g.drop,
          useReconstructed: g.drop > 0,
          compressArgs: o.compressArgs ?? [],
          variant: g.variant,
        });
  return out;
}

export function resultFile(runsDir: string, spec: RunSpec): string {
  return join(runsDir, `${runName(spec)}.json`);
}

/** The runs whose result file does not exist yet. */
export function pendingRuns(plan: RunSpec[], runsDir: string): RunSpec[] {
  return plan.filter((s) => !existsSync(resultFile(runsDir, s)));
}

function run(args: string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [ADQ, ...args], {
      cwd: REPO,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let stdout = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.on("error", rej);
    child.on("close", (code) => res({ code, stdout }));
  });
}

interface Ctx {
  train: string;
  test: string;
  cacheDir: string;
  runsDir: string;
  /** Per method: the feature model its selections use (the default rule's, or --feature-model). */
  featureModels: Map<string, { file: string; sha256: string }>;
  /** The --feature-model file, passed to `adq compress --model` (absent: the default rule's). */
  featureModelFile?: string;
  threads?: number;
  /** The trainer's image side (`adq eval --size`); undefined: its default, 32. */
  evalSize?: number;
}

function writeAtomic(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

async function ensureCompressed(
  spec: RunSpec,
  ctx: Ctx,
): Promise<{ dir: string; seconds: number; cached: boolean }> {
  const dir = join(ctx.cacheDir, "quality", "compressed", compressName(spec));
  const args = [
    "compress",
    resolve(ctx.train),
    "--method",
    spec.method,
    "--ratio",
    String(spec.ratio),
    "--seed",
    String(spec.seed),
    "--drop",
    String(spec.drop),
    ...(ctx.featureModelFile && spec.method !== "random" ? ["--model", ctx.featureModelFile] : []),
    ...spec.compressArgs,
  ];
  const stamp = join(dir, "bench-compress.json");
  if (existsSync(join(dir, "manifest.json")) && existsSync(stamp)) {
    const prev = JSON.parse(readFileSync(stamp, "utf8")) as { args: string[]; seconds: number };
    const made = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as { model: FeatureModelId };
    const sameModel = made.model === null || made.model.sha256 === ctx.featureModels.get(spec.method)?.sha256;
    if (sameModel && JSON.stringify(prev.args) === JSON.stringify(args))
      return { dir, seconds: prev.seconds, cached: true };
  }
  const t0 = Date.now();
  const r = await run([
    ...args,
    "--out",
    dir,
    "--force",
    "--cache-dir",
    ctx.cacheDir,
    ...(ctx.threads ? ["--threads", String(ctx.threads)] : []),
  ]);
  if (r.code !== 0) throw new Error(`adq compress failed (exit ${r.code}) for ${compressName(spec)}`);
  const seconds = (Date.now() - t0) / 1000;
  writeFileSync(stamp, `${JSON.stringify({ args, seconds })}\n`);
  return { dir, seconds, cached: false };
}

/** Compresses (or reuses the compressed result), evaluates, writes the run file; returns it. */
export async function runOne(spec: RunSpec, ctx: Ctx): Promise<Record<string, unknown>> {
  const c = await ensureCompressed(spec, ctx);
  const t0 = Date.now();
  const r = await run([
    "eval",
    c.dir,
    "--train",
    resolve(ctx.train),
    "--test",
    resolve(ctx.test),
    "--epochs",
    String(spec.epochs),
    "--seed",
    String(spec.seed),
    "--json",
    "--cache-dir",
    ctx.cacheDir,
    ...(spec.useReconstructed ? ["--use-reconstructed"] : []),
    ...(ctx.threads ? ["--threads", String(ctx.threads)] : []),
    ...(ctx.evalSize ? ["--size", String(ctx.evalSize)] : []),
  ]);
  if (r.code !== 0) throw new Error(`adq eval failed (exit ${r.code}) for ${runName(spec)}`);
  const ev = JSON.parse(r.stdout.trim().split("\n").pop() ?? "") as Record<string, unknown>;
  const manifest = JSON.parse(readFileSync(join(c.dir, "manifest.json"), "utf8")) as {
    params: unknown;
    tool?: { version?: string };
    model: { file: string; sha256: string } | null;
  };
  const result = {
    name: runName(spec),
    method: spec.method,
    ratio: spec.ratio,
    seed: spec.seed,
    selection_seed: spec.seed,
    train_seed: spec.seed,
    variant: spec.variant,
    drop: spec.drop,
    epochs: spec.epochs,
    eval_size: ctx.evalSize ?? 32,
    dataset: { train: resolve(ctx.train), test: resolve(ctx.test) },
    accuracy: ev.test_accuracy,
    compress_args: spec.compressArgs,
    params: manifest.params,
    feature_model: manifest.model
      ? { file: basename(manifest.model.file), sha256: manifest.model.sha256 }
      : null,
    manifest_sha256: ev.manifest_sha256,
    selected: ev.selected,
    train_images: ev.train_images,
    test_images: ev.test_images,
    trained_on: ev.trained_on,
    model: ev.model,
    recipe: ev.recipe,
    timings: {
      compress_s: Math.round(c.seconds * 10) / 10,
      compress_cached: c.cached,
      reconstruct_s: ev.reconstruct_seconds,
      train_s: ev.train_seconds,
      eval_s: Math.round((Date.now() - t0) / 100) / 10,
    },
    environment: {
      tool_version: manifest.tool?.version ?? null,
      torch: ev.torch,
      threads: ev.threads,
      node: process.version,
      host: hostname(),
      cpu: cpus()[0]?.model ?? null,
    },
    date: new Date().toISOString(),
    per_epoch: ev.per_epoch,
  };
  writeAtomic(resultFile(ctx.runsDir, spec), `${JSON.stringify(result, null, 1)}\n`);
  return result;
}

function list(v: string, what: string): string[] {
  const xs = v
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
  if (xs.length === 0) throw new Error(`--${what} is empty`);
  return xs;
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      train: { type: "string", default: "/tmp/cifar/cifar10/train" },
      test: { type: "string", default: "/tmp/cifar/cifar10/test" },
      only: { type: "string", default: DEFAULT_METHODS.join(",") },
      seeds: { type: "string", default: "0,1,2,3,4" },
      epochs: { type: "string", default: String(DEFAULT_EPOCHS) },
      "with-r30": { type: "boolean", default: false },
      "with-drop": { type: "boolean", default: false },
      variant: { type: "string" },
      "compress-args": { type: "string" },
      threads: { type: "string" },
      "eval-size": { type: "string" },
      "cache-dir": { type: "string" },
      "feature-model": { type: "string" },
      runs: { type: "string", default: DEFAULT_RUNS_DIR },
      "dry-run": { type: "boolean", default: false },
      "keep-going": { type: "boolean", default: false },
    },
  });
  const methods = list(values.only!, "only");
  for (const m of methods)
    if (!(METHODS as readonly string[]).includes(m)) throw new Error(`--only: unknown method ${m}`);
  const seeds = list(values.seeds!, "seeds").map(Number);
  if (seeds.some((s) => !Number.isSafeInteger(s) || s < 0)) throw new Error(`--seeds: non-negative integers`);
  const epochs = Number(values.epochs);
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`--epochs must be an integer ≥ 1`);
  const compressArgs = values["compress-args"]?.split(/\s+/).filter(Boolean) ?? [];
  if (compressArgs.length > 0 && !values.variant)
    throw new Error("--compress-args changes the selection: name it with --variant <name>");
  if (compressArgs.includes("--model"))
    throw new Error(
      "--compress-args: --model is not supported (use --feature-model: the run files record it)",
    );
  if (values.variant && !/^[A-Za-z0-9_.]+$/.test(values.variant))
    throw new Error("--variant: letters, digits, '_' and '.' only");
  const plan = planRuns({
    methods,
    seeds,
    epochs,
    withR30: values["with-r30"]!,
    withDrop: values["with-drop"]!,
    ...(values.variant ? { variant: values.variant } : {}),
    compressArgs,
  });
  const runsDir = resolve(values.runs!);
  const featureModelFile = values["feature-model"] ? resolve(values["feature-model"]) : undefined;
  if (featureModelFile && !existsSync(featureModelFile))
    throw new Error(`--feature-model: ${featureModelFile} does not exist`);
  const featureModels = new Map<string, { file: string; sha256: string }>();
  for (const m of methods)
    featureModels.set(
      m,
      featureModelId(
        featureModelFile ?? (await featureModelFor(values.train!, m as (typeof METHODS)[number])),
      ),
    );
  const checked = new Set<string>();
  for (const { method, variant } of plan) {
    const key = `${method}|${variant}`;
    if (method === "random" || checked.has(key)) continue;
    checked.add(key);
    checkRunsFolder(runsDir, featureModels.get(method)!, { method, variant });
  }
  const todo = pendingRuns(plan, runsDir);
  process.stderr.write(
    `quality bench: ${plan.length} run(s) planned, ${plan.length - todo.length} done, ${todo.length} to do\n`,
  );
  if (values["dry-run"]) {
    for (const s of plan) process.stdout.write(`${todo.includes(s) ? "todo" : "done"}  ${runName(s)}\n`);
    return 0;
  }
  const ctx: Ctx = {
    train: values.train!,
    test: values.test!,
    cacheDir: resolve(values["cache-dir"] || process.env.ADQ_CACHE_DIR || join(homedir(), ".cache", "adq")),
    runsDir,
    featureModels,
    ...(featureModelFile ? { featureModelFile } : {}),
    ...(values.threads ? { threads: Number(values.threads) } : {}),
    ...(values["eval-size"] ? { evalSize: Number(values["eval-size"]) } : {}),
  };
  let failed = 0;
  for (const [k, s] of todo.entries()) {
    process.stderr.write(`\n=== [${k + 1}/${todo.length}] ${runName(s)} ===\n`);
    try {
      const r = await runOne(s, ctx);
      const t = r.timings as { compress_s: number; compress_cached: boolean; eval_s: number };
      process.stderr.write(
        `=== ${runName(s)}: accuracy ${((r.accuracy as number) * 100).toFixed(2)}% ` +
          `(compress ${t.compress_s}s${t.compress_cached ? " cached" : ""}, eval ${t.eval_s}s) → ${resultFile(runsDir, s)}\n`,
      );
    } catch (e) {
      failed++;
      process.stderr.write(`=== ${runName(s)} failed: ${(e as Error).message}\n`);
      if (!values["keep-going"]) return 1;
    }
  }
  process.stderr.write(
    `quality bench: done (${failed} failed); summarize with: npx tsx bench/quality/summarize.ts\n`,
  );
  return failed ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: Error) => {
      process.stderr.write(`quality bench: ${e.message}\n`);
      process.exitCode = 2;
    },
  );
}
