/**
 * Summarizes the quality benchmark's run files (bench/quality/runs…/<run>.json, written by run.ts)
 * into bench/quality/RESULTS.md: per method the test accuracy's mean ± std over seeds, and
 * the PAIRED differences against random, DQ and ADQ (paired by seed: the same seed selected
 * both subsets and trained both models) with mean, std and standard error, and the verdict
 * "gain exceeds 2 SE: yes/no" — the bar a variant must clear to become the default — and
 * "loss exceeds 2 SE: yes/no" — the bar for "not worse than random" (a method that clears
 * neither is indistinguishable from its reference at this n).
 *
 *   npx tsx bench/quality/summarize.ts [--runs bench/quality/runs]... [--out bench/quality/RESULTS.md]
 *
 * With several --runs folders (one per data set / feature-model setting) each becomes a section,
 * introduced by the folder's README.md (what it measures, the commands that made it).
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const HERE = dirname(fileURLToPath(import.meta.url));

/** The fields of a run file the summary reads (run.ts writes more). */
export interface RunResult {
  file: string;
  method: string;
  ratio: number;
  seed: number;
  epochs: number;
  variant: string | null;
  /** Test accuracy in [0, 1]. */
  accuracy: number;
  torch?: string;
  threads?: number;
  trainSeconds?: number;
  trainImages?: number;
  testImages?: number;
  /** The feature model the selection used; null for random (none); undefined if not recorded. */
  featureModel?: { file: string; sha256: string } | null;
  /** The training set's path as run (runs before it was recorded: CIFAR-10's). */
  train?: string;
  /** The trainer's image side (runs before it was recorded: 32). */
  evalSize?: number;
}

export interface MethodStats {
  label: string;
  method: string;
  variant: string | null;
  n: number;
  /** Percent. */
  mean: number;
  std: number;
  min: number;
  max: number;
  seeds: number[];
}

export interface PairedStats {
  /** e.g. "adq − dq". */
  label: string;
  a: string;
  b: string;
  n: number;
  /** Percentage points, a − b. */
  mean: number;
  std: number;
  se: number;
  perSeed: Array<{ seed: number; diff: number }>;
  /** n ≥ 2 and mean > 2·SE. */
  exceeds2se: boolean;
  /** n ≥ 2 and mean < −2·SE: worse than the reference beyond noise. */
  below2se: boolean;
}

export interface GroupSummary {
  ratio: number;
  epochs: number;
  methods: MethodStats[];
  paired: PairedStats[];
}

function fail(file: string, why: string): never {
  throw new Error(`${file}: ${why}`);
}

/** Reads and validates every `*.json` run file of `dir` (sorted by name). */
export function loadRuns(dir: string): RunResult[] {
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  return names.map((name) => {
    const file = join(dir, name);
    let j: Record<string, unknown>;
    try {
      j = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    } catch (e) {
      return fail(file, `not valid JSON (${(e as Error).message})`);
    }
    const { method, ratio, seed, epochs, accuracy, variant } = j;
    if (typeof method !== "string" || method === "") fail(file, "no method");
    if (typeof ratio !== "number" || !(ratio > 0 && ratio <= 1)) fail(file, "ratio must be in (0, 1]");
    if (!Number.isSafeInteger(seed) || (seed as number) < 0)
      fail(file, "seed must be a non-negative integer");
    if (!Number.isSafeInteger(epochs) || (epochs as number) < 1) fail(file, "epochs must be an integer ≥ 1");
    if (typeof accuracy !== "number" || !(accuracy >= 0 && accuracy <= 1))
      fail(file, "accuracy must be a number in [0, 1]");
    if (variant !== undefined && variant !== null && typeof variant !== "string") fail(file, "bad variant");
    const env = (j.environment ?? {}) as Record<string, unknown>;
    const timings = (j.timings ?? {}) as Record<string, unknown>;
    const r: RunResult = {
      file: name,
      method,
      ratio,
      seed: seed as number,
      epochs: epochs as number,
      variant: (variant as string | null | undefined) || null,
      accuracy,
    };
    if (typeof env.torch === "string") r.torch = env.torch;
    if (typeof env.threads === "number") r.threads = env.threads;
    if (typeof timings.train_s === "number") r.trainSeconds = timings.train_s;
    if (typeof j.train_images === "number") r.trainImages = j.train_images;
    if (typeof j.test_images === "number") r.testImages = j.test_images;
    if (typeof j.eval_size === "number") r.evalSize = j.eval_size;
    const ds = j.dataset as { train?: unknown } | undefined;
    if (typeof ds?.train === "string") r.train = ds.train;
    const fm = j.feature_model as { file?: unknown; sha256?: unknown } | null | undefined;
    if (fm === null) r.featureModel = null;
    else if (fm !== undefined) {
      if (typeof fm.file !== "string" || typeof fm.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(fm.sha256))
        fail(file, "feature_model must be null or {file, sha256}");
      r.featureModel = { file: fm.file, sha256: fm.sha256 };
    }
    return r;
  });
}

export function labelOf(r: Pick<RunResult, "method" | "variant">): string {
  return r.variant ? `${r.method} (${r.variant})` : r.method;
}

export function mean(xs: readonly number[]): number {
  return xs.reduce((a, x) => a + x, 0) / xs.length;
}

/** Sample standard deviation (n − 1); NaN for fewer than two values. */
export function std(xs: readonly number[]): number {
  if (xs.length < 2) return Number.NaN;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

const BASE_ORDER = ["random", "dq", "adq-paper", "adq", "ccs"];

function compareLabels(a: MethodStats, b: MethodStats): number {
  const ia = BASE_ORDER.indexOf(a.method);
  const ib = BASE_ORDER.indexOf(b.method);
  const ka = ia < 0 ? BASE_ORDER.length : ia;
  const kb = ib < 0 ? BASE_ORDER.length : ib;
  if (ka !== kb) return ka - kb;
  if (a.method !== b.method) return a.method < b.method ? -1 : 1;
  if ((a.variant === null) !== (b.variant === null)) return a.variant === null ? -1 : 1;
  return (a.variant ?? "") < (b.variant ?? "") ? -1 : (a.variant ?? "") > (b.variant ?? "") ? 1 : 0;
}

export function paired(
  a: MethodStats,
  b: MethodStats,
  byLabel: Map<string, Map<number, number>>,
): PairedStats {
  const pa = byLabel.get(a.label)!;
  const pb = byLabel.get(b.label)!;
  const perSeed = [...pa.keys()]
    .filter((s) => pb.has(s))
    .sort((x, y) => x - y)
    .map((seed) => ({ seed, diff: pa.get(seed)! - pb.get(seed)! }));
  const diffs = perSeed.map((p) => p.diff);
  const n = diffs.length;
  const m = n ? mean(diffs) : Number.NaN;
  const sd = std(diffs);
  const se = sd / Math.sqrt(n);
  // A verdict either way needs a spread to compare the mean against.
  const judged = n >= 2 && Number.isFinite(se);
  return {
    label: `${a.label} − ${b.label}`,
    a: a.label,
    b: b.label,
    n,
    mean: m,
    std: sd,
    se,
    perSeed,
    exceeds2se: judged && m > 2 * se,
    below2se: judged && m < -2 * se,
  };
}

export interface FeatureModelUse {
  file: string;
  sha256: string;
  /** The method labels whose selections used it, in first-seen order. */
  labels: string[];
}

/**
 * The feature models of a runs folder, each with the method labels that used it (none when no
 * run used one); throws if the runs of one label used different models: a paired row must
 * never mix them. CCS's default model differs from DQ's and ADQ's, so a folder may hold several.
 */
export function featureModelsOf(runs: readonly RunResult[]): FeatureModelUse[] {
  const byLabel = new Map<string, { sha256: string; run: string }>();
  const uses: FeatureModelUse[] = [];
  for (const r of runs) {
    if (!r.featureModel) continue;
    const label = labelOf(r);
    const seen = byLabel.get(label);
    if (seen && seen.sha256 !== r.featureModel.sha256)
      throw new Error(
        `${r.file}: measured with feature model sha256 ${r.featureModel.sha256.slice(0, 12)}…, ${seen.run} ` +
          `(also ${label}) with ${seen.sha256.slice(0, 12)}…; one feature model per method in a runs folder`,
      );
    byLabel.set(label, { sha256: r.featureModel.sha256, run: r.file });
    let use = uses.find((u) => u.sha256 === r.featureModel!.sha256);
    if (!use) {
      use = { file: r.featureModel.file, sha256: r.featureModel.sha256, labels: [] };
      uses.push(use);
    }
    if (!use.labels.includes(label)) use.labels.push(label);
  }
  return uses;
}

/** Groups runs by (ratio, epochs); per method label the stats; every ADQ label paired against DQ and random. */
export function summarize(runs: readonly RunResult[]): GroupSummary[] {
  featureModelsOf(runs);
  const groups = new Map<string, RunResult[]>();
  for (const r of runs) {
    const k = `${r.ratio}|${r.epochs}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const out: GroupSummary[] = [];
  for (const rs of groups.values()) {
    const byLabel = new Map<string, Map<number, number>>();
    for (const r of rs) {
      const label = labelOf(r);
      const seeds = byLabel.get(label) ?? new Map<number, number>();
      if (seeds.has(r.seed))
        throw new Error(
          `${r.file}: a second run of ${label} at ρ=${r.ratio}, ${r.epochs} epochs, seed ${r.seed}`,
        );
      seeds.set(r.seed, r.accuracy * 100);
      byLabel.set(label, seeds);
    }
    const methods: MethodStats[] = [...byLabel.entries()].map(([label, seeds]) => {
      const first = rs.find((r) => labelOf(r) === label)!;
      const xs = [...seeds.values()];
      return {
        label,
        method: first.method,
        variant: first.variant,
        n: xs.length,
        mean: mean(xs),
        std: std(xs),
        min: Math.min(...xs),
        max: Math.max(...xs),
        seeds: [...seeds.keys()].sort((a, b) => a - b),
      };
    });
    methods.sort(compareLabels);
    const find = (label: string) => methods.find((m) => m.label === label);
    const pairs: PairedStats[] = [];
    for (const m of methods) {
      const shares2 = (x: MethodStats) => x.seeds.filter((sd) => m.seeds.includes(sd)).length >= 2;
      if (m.method === "adq" || m.method === "adq-paper") {
        // Also against every CCS row of the folder (the default): does an ADQ variant beat it?
        // And `adq` (ADQ's best variant) against the paper's recipe, when the folder has it.
        const ccsRows = methods.filter((x) => x.method === "ccs" && shares2(x));
        const paper = m.method === "adq" ? find("adq-paper") : undefined;
        const refs = [m.variant ? find(m.method) : undefined, paper, find("dq"), find("random"), ...ccsRows];
        for (const ref of refs) if (ref) pairs.push(paired(m, ref, byLabel));
      } else if (m.method === "dq") {
        const ref = find("random");
        if (ref) pairs.push(paired(m, ref, byLabel));
      } else if (m.method === "ccs") {
        // Against random (the bar every method must clear), DQ and ADQ; the plain CCS also
        // against each CCS variant of its folder (e.g. the fast default against the same
        // method at 224, runs-fast): plain − variant.
        // (Only a variant sharing at least two seeds with it: a single pair has no spread.)
        // A folder of variants only (runs-fast: at224 and fast128) pairs each variant with those
        // sorted before it.
        const variants = m.variant
          ? methods.filter((x) => x.method === "ccs" && x.variant && compareLabels(x, m) < 0 && shares2(x))
          : methods.filter((x) => x.method === "ccs" && x.variant && shares2(x));
        for (const ref of [find("random"), find("dq"), find("adq"), ...variants])
          if (ref) pairs.push(paired(m, ref, byLabel));
      }
    }
    out.push({ ratio: rs[0]!.ratio, epochs: rs[0]!.epochs, methods, paired: pairs });
  }
  return out.sort((a, b) => a.ratio - b.ratio || b.epochs - a.epochs);
}

const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "—");
const signed = (x: number) => (Number.isFinite(x) ? `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(2)}` : "—");
const pct = (ratio: number) => `${Number((ratio * 100).toFixed(4))}%`;

export function verdictLine(p: PairedStats): string {
  const why =
    p.n < 2
      ? `n = ${p.n}, no spread to compare against`
      : `${signed(p.mean)} vs 2 SE = ${f2(2 * p.se)} points, n = ${p.n}`;
  const yn = (b: boolean) => (b ? "yes" : "no");
  return `- ${p.label}: gain exceeds 2 SE: ${yn(p.exceeds2se)}; loss exceeds 2 SE: ${yn(p.below2se)} (${why})`;
}

function uniq<T>(xs: Array<T | undefined>): T[] {
  return [...new Set(xs.filter((x): x is T => x !== undefined))];
}

const INTRO = [
  "# Quality benchmark: which selection beats random sampling?",
  "",
  "Test accuracy (%) of a CIFAR ResNet-20 trained from scratch on each subset by `adq eval`",
  "(SGD lr 0.1, momentum 0.9, weight decay 5e-4, cosine schedule, random crop + flip, batch 128).",
  "Run s uses seed s for both the selection and the training, so differences are paired by seed.",
  "Baselines select without patch dropping and train on the original images; a `drop` variant trains",
  "on the MAE reconstructions of the kept patches.",
  "Each paired difference ends in a verdict: *gain exceeds 2 SE* (better than the reference beyond",
  'noise: the bar for a default) and *loss exceeds 2 SE* (worse beyond noise; "no" to both means',
  "indistinguishable at this number of seeds). SE = std / √n of the per-seed differences.",
  "",
  "Produced by `npx tsx bench/quality/run.ts` (one JSON file per run in a runs folder, `--runs`; add",
  "`--with-r30`, `--with-drop`, `--only`, `--seeds`) and `npx tsx bench/quality/summarize.ts` (one",
  "`--runs` per folder; each section below names its folder and how its runs were made).",
  "What the numbers mean and what was tried: FINDINGS.md; where the signal goes (how far ADQ's",
  "subset is from DQ's, score spread and stability): ANALYSIS.md (`bench/quality/analyze.ts`).",
  "",
];

/** Says whether a model file is still the repository's: its current sha256, undefined if unknown. */
export type CurrentModelSha = (file: string) => string | undefined;

/** One runs folder's results as Markdown (RESULTS.md when there is one folder). */
export function renderMarkdown(
  runs: readonly RunResult[],
  groups: readonly GroupSummary[],
  currentModelSha: CurrentModelSha = () => undefined,
): string {
  return [...INTRO, ...renderSection(runs, groups, currentModelSha, "##")].join("\n");
}

/**
 * Several runs folders (one per data set / feature model) in one document, each under a
 * heading naming its data set and folder; `currentModelSha(file)` says whether a model file
 * is still the repository's (null: unknown).
 */
export function renderReport(
  sections: ReadonlyArray<{ dir: string; runs: readonly RunResult[]; about?: string }>,
  currentModelSha: CurrentModelSha,
): string {
  const lines = [...INTRO];
  for (const { dir, runs, about } of sections) {
    lines.push(`## ${datasetName(runs)}: \`${dir}\``, "");
    // The folder's README.md: what its runs measure and the commands that made them.
    if (about?.trim()) lines.push(about.trim(), "");
    lines.push(...renderSection(runs, summarize(runs), currentModelSha, "###"));
  }
  return lines.join("\n");
}

/** The data set's folder name (…/<name>/train), or CIFAR-10 for runs that did not record one. */
export function datasetName(runs: readonly RunResult[]): string {
  const names = uniq(runs.map((r) => (r.train ? basename(dirname(r.train)) : "cifar10")));
  return names.join(", ") || "cifar10";
}

function renderSection(
  runs: readonly RunResult[],
  groups: readonly GroupSummary[],
  currentModelSha: CurrentModelSha,
  h: string,
): string[] {
  const lines: string[] = [];
  if (runs.length === 0) {
    lines.push("No runs yet.", "");
    return lines;
  }
  const torch = uniq(runs.map((r) => r.torch));
  const threads = uniq(runs.map((r) => r.threads));
  const testImages = uniq(runs.map((r) => r.testImages));
  const hours = runs.reduce((a, r) => a + (r.trainSeconds ?? 0), 0) / 3600;
  const sides = uniq(runs.map((r) => r.evalSize ?? 32));
  lines.push(
    `${runs.length} runs; PyTorch ${torch.join(", ") || "?"}, ${threads.join("/") || "?"} thread(s); ` +
      `trainer image side ${sides.join("/")} px; test images ${testImages.join(", ") || "?"}; ` +
      `${hours.toFixed(1)} h of training in all.`,
    "",
  );
  const models = featureModelsOf(runs);
  for (const fm of models) {
    const current = currentModelSha(fm.file);
    const note =
      current === undefined
        ? ""
        : current === fm.sha256
          ? " (the repository's file of that name)"
          : " — **not the repository's current file of that name**: these selections are the record of that model";
    lines.push(
      `Feature model of ${fm.labels.join(", ")}: \`${fm.file}\` sha256 \`${fm.sha256.slice(0, 16)}…\`${note}.`,
    );
  }
  if (models.length) lines.push("");
  for (const g of groups) {
    lines.push(`${h} ρ = ${pct(g.ratio)}, ${g.epochs} epochs`, "");
    lines.push(
      "| method | n | accuracy mean ± std | min | max | seeds |",
      "| --- | ---: | ---: | ---: | ---: | --- |",
    );
    for (const m of g.methods)
      lines.push(
        `| ${m.label} | ${m.n} | ${f2(m.mean)} ± ${f2(m.std)} | ${f2(m.min)} | ${f2(m.max)} | ${m.seeds.join(", ")} |`,
      );
    lines.push("");
    if (g.paired.length === 0) {
      lines.push("No ADQ runs paired with DQ or random runs in this group yet.", "");
      continue;
    }
    lines.push(
      "Paired differences (same seed), percentage points:",
      "",
      "| difference | n | mean | std | SE | mean / SE | per seed |",
      "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    );
    for (const p of g.paired)
      lines.push(
        `| ${p.label} | ${p.n} | ${signed(p.mean)} | ${f2(p.std)} | ${f2(p.se)} | ${f2(p.mean / p.se).replace("-", "−")} | ${p.perSeed
          .map((s) => `s${s.seed} ${signed(s.diff)}`)
          .join(", ")} |`,
      );
    lines.push("");
    for (const p of g.paired) lines.push(verdictLine(p));
    lines.push("");
  }
  return lines;
}

export function main(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: "string", multiple: true, default: [join(HERE, "runs")] },
      out: { type: "string", default: join(HERE, "RESULTS.md") },
    },
  });
  const dirs = values.runs!.map((d) => resolve(d));
  const modelSha = (file: string): string | undefined => {
    try {
      return createHash("sha256")
        .update(readFileSync(join(HERE, "..", "..", "models", basename(file))))
        .digest("hex");
    } catch {
      return undefined;
    }
  };
  let md: string;
  let count = 0;
  if (dirs.length === 1) {
    const runs = loadRuns(dirs[0]!);
    count = runs.length;
    md = renderMarkdown(runs, summarize(runs), modelSha);
  } else {
    const repo = resolve(HERE, "..", "..");
    const sections = dirs.map((dir) => ({
      dir: dir.startsWith(`${repo}/`) ? dir.slice(repo.length + 1) : dir,
      runs: loadRuns(dir),
      ...(existsSync(join(dir, "README.md")) ? { about: readFileSync(join(dir, "README.md"), "utf8") } : {}),
    }));
    count = sections.reduce((a, x) => a + x.runs.length, 0);
    md = renderReport(sections, modelSha);
  }
  const out = resolve(values.out!);
  const tmp = `${out}.tmp-${process.pid}`;
  writeFileSync(tmp, md);
  renameSync(tmp, out);
  process.stderr.write(`wrote ${out} from ${count} run(s) in ${dirs.length} folder(s)\n`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`summarize: ${(e as Error).message}\n`);
    process.exitCode = 2;
  }
}
