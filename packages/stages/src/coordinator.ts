import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { allocateAcrossClasses } from "@adq/core";
import { type DatasetDescription, openDataset, readOnnxMetadata, runSideFor } from "@adq/ml";
import { type ArtifactStore, assertValidKey, type Bus, encodeNpy, InvalidArgumentError } from "@adq/platform";
import { matchClasses } from "./class-match.ts";
import { contentKey } from "./content-key.ts";
import { checkDataset } from "./dataset-check.ts";
import type { TaskGate } from "./fair-share.ts";
import { fanOut } from "./fan-out.ts";
import type { AssembleResult, AssembleTask } from "./handlers/assemble.ts";
import type { HeadResult } from "./handlers/head.ts";
import { type JobPlan, planJob } from "./methods.ts";
import type { CompressParams } from "./outputs.ts";
import { validateParams, withAddedParams } from "./params.ts";
import type {
  BinningResult,
  BinningTask,
  DatasetSpec,
  FeaturesResult,
  FeaturesTask,
  GradientSource,
  HeadTask,
  ModelSpec,
  SamplingResult,
  SamplingTask,
  ScoringResult,
  ScoringTask,
  ShardRef,
} from "./tasks.ts";

/**
 * The cross-fitted head used when the model's classes are not the data set's (class-match.ts):
 * k folds, full-batch iterations, L2 on standardised features. Chosen on EuroSAT with the
 * CIFAR-10 ResNet-20's embeddings (held-out accuracy 0.69 at these settings on 2,006 tiles;
 * 200 iterations add 1.5 points at twice the time).
 */
export const HEAD_SETTINGS = { folds: 5, epochs: 100, l2: 1e-3 } as const;

export const STAGES = ["features", "binning", "scoring", "sampling", "assemble"] as const;
export type StageName = (typeof STAGES)[number];

export interface CompressionJob {
  jobId: string;
  dataset: DatasetSpec;
  model: ModelSpec | null;
  params: CompressParams;
  /** Images per features task (fan-out unit). */
  shardSize?: number;
  batchSize?: number;
  /** Artifact prefix of the result files. */
  resultPrefix: string;
  /**
   * Prefix of the content-addressed stage outputs (default "cache"). Jobs that share it
   * reuse each other's outputs; services give each tenant its own, cut into generations
   * that are garbage-collected as a whole (services/gateway/cache-gc.ts).
   */
  cachePrefix?: string;
}

export interface StageProgress {
  stage: StageName;
  done: number;
  total: number;
}

export interface CompressionOutcome {
  resultPrefix: string;
  files: string[];
  selected: number;
  total: number;
  /** Wall milliseconds per stage. */
  timings: Partial<Record<StageName, number>>;
  /** Where the stage outputs live in the store (for --keep-intermediates and audits). */
  /** headPrefix: where the cross-fitted head's held-out logits are, when one was fitted. */
  stageOutputs: { shards: ShardRef[]; binsKeys: string[]; labels: number[]; headPrefix?: string };
}

export interface CoordinatorDeps {
  bus: Bus;
  store: ArtifactStore;
  onProgress?: (p: StageProgress) => void;
  onStage?: (stage: StageName, total: number) => void;
  signal?: AbortSignal;
  now?: () => number;
  /** Fair share between tenants: each task holds a slot of its tenant's window (fair-share.ts). */
  taskGate?: TaskGate;
  /** The job's tenant, carried by its tasks (metrics by tenant). */
  tenant?: string;
}

/**
 * A fingerprint of the data set's content as listed: ids, labels, and each source's size and
 * version — the listed ETag for an object-store source (so a changed object changes the
 * fingerprint and invalidates the cache), the mtime for a file.
 */
async function fingerprint(desc: DatasetDescription): Promise<string> {
  const h = createHash("sha256");
  h.update(desc.format);
  h.update(JSON.stringify(desc.classes));
  const sources = new Map<string, { size?: number; version?: string }>();
  for (const it of desc.items) {
    h.update(`${it.id}\0${it.label}\n`);
    sources.set(it.source, {
      ...(it.size !== undefined ? { size: it.size } : {}),
      ...(it.version !== undefined ? { version: it.version } : {}),
    });
  }
  for (const [s, listed] of [...sources].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (listed.version !== undefined) {
      h.update(`${s}\0${listed.size ?? ""}\0etag:${listed.version}\n`);
      continue;
    }
    const st = await stat(s);
    h.update(`${s}\0${st.size}\0${Math.floor(st.mtimeMs)}\n`);
  }
  return h.digest("hex");
}

/** What every stage function of one job reads: the job, its checked parameters, the data set. */
interface JobContext {
  job: CompressionJob;
  params: CompressParams;
  store: ArtifactStore;
  desc: DatasetDescription;
  /** Items listed (readable or not). */
  N: number;
  labels: Int32Array;
  /** The data set's fingerprint (content keys and the manifest). */
  fp: string;
  /** Prefix of the content-addressed stage outputs. */
  cache: string;
  /** What runs and what it needs (methods.ts). */
  plan: JobPlan;
  run: StageRunner;
}

/** Publishes one stage's tasks and waits for their results, in task order. */
type StageRunner = <P, R>(stage: StageName, tasks: Array<{ taskKey: string; payload: P }>) => Promise<R[]>;

/** The features stage's output: shard prefixes, per-shard results, unreadable images. */
interface FeaturesOutput {
  shards: ShardRef[];
  featureResults: FeaturesResult[];
  skippedIdx: Set<number>;
  skipped: Array<{ id: string; reason: string }>;
}

/** Each class's readable items, stored as npy (the binning and sampling tasks read them). */
interface Members {
  members: number[][];
  memberKeys: string[];
  /** The skipped indices, sorted (part of the content keys). */
  skippedSorted: number[];
}

/** The binning stage's output (empty when the method does not bin) and the p − y source. */
interface BinningOutput {
  binsKeys: string[];
  binSizes: number[][];
  gradient: GradientSource | null;
  headPrefix: string | undefined;
  /** The head fitted only for a bin method's difficulty (the bins' p − y came from the model). */
  difficultyHead?: GradientSource;
}

/**
 * Drives one compression job through the stages by publishing tasks on the Bus and
 * waiting for their outcomes — the same code for the embedded run and the cluster.
 * Every task's output prefix is a content key of its inputs, so a re-run (after a crash or
 * SIGINT) reuses the outputs already stored and recomputes only what is missing.
 */
export async function runCompression(
  job: CompressionJob,
  deps: CoordinatorDeps,
): Promise<CompressionOutcome> {
  const params = validateParams(withAddedParams(job.params));
  const timings: Partial<Record<StageName, number>> = {};
  const ctx = await openJob(job, params, deps, stageRunner(job.jobId, deps, timings));
  const features = await runFeatures(ctx);
  const members = await storeMembers(ctx, features.skippedIdx);
  const budgets = allocateAcrossClasses(
    members.members.map((m) => m.length),
    params.ratio,
  );
  const binning = await runBinning(ctx, features, members);
  const scores = ctx.plan.stages.scoring ? await runScoring(ctx, features.shards, binning) : undefined;
  const selections = await runSampling(ctx, features.shards, members, binning, budgets, scores);
  const files = await runAssemble(ctx, features, binning, selections, scores, { ...timings });
  return {
    resultPrefix: job.resultPrefix,
    files,
    selected: selections.reduce((a, s) => a + s.selected, 0),
    total: ctx.N,
    timings,
    stageOutputs: {
      shards: features.shards,
      binsKeys: binning.binsKeys,
      labels: Array.from(ctx.labels),
      ...(binning.headPrefix ? { headPrefix: binning.headPrefix } : {}),
    },
  };
}

/**
 * The features stage in images, not tasks: each features task reports the images it has done
 * (workers.ts publishes a progress event at most every FEATURES_PROGRESS_MS), a finished task
 * counts its whole shard, and the stage's done/total are their sums over the shards.
 */
async function runImageProgress<P, R>(
  jobId: string,
  deps: CoordinatorDeps,
  tasks: Array<{ taskKey: string; payload: P }>,
): Promise<R[]> {
  const size = new Map(
    tasks.map((t) => {
      const shard = (t.payload as { shard?: { start: number; end: number } }).shard;
      return [t.taskKey, shard ? shard.end - shard.start : 1];
    }),
  );
  const total = [...size.values()].reduce((a, b) => a + b, 0);
  const partial = new Map<string, number>();
  const finished = new Set<string>();
  const report = () => {
    let done = 0;
    for (const [key, n] of size) done += finished.has(key) ? n : Math.min(n, partial.get(key) ?? 0);
    deps.onProgress?.({ stage: "features", done, total });
  };
  deps.onStage?.("features", total);
  const off = deps.bus.subscribeEvents(jobId, (ev) => {
    if (ev.kind !== "progress" || ev.stage !== "features" || !ev.message || !size.has(ev.message)) return;
    if (finished.has(ev.message) || (partial.get(ev.message) ?? 0) >= (ev.done ?? 0)) return;
    partial.set(ev.message, ev.done ?? 0);
    report();
  });
  try {
    return await fanOut<P, R>(deps.bus, jobId, "features", tasks, {
      ...(deps.signal ? { signal: deps.signal } : {}),
      ...(deps.taskGate ? { gate: deps.taskGate } : {}),
      ...(deps.tenant !== undefined ? { tenant: deps.tenant } : {}),
      onProgress: (_done, _total, key) => {
        if (key === undefined) return;
        finished.add(key);
        report();
      },
    });
  } finally {
    off();
  }
}

/** A StageRunner that reports the stage and its progress, and adds its wall time to `timings`. */
function stageRunner(
  jobId: string,
  deps: CoordinatorDeps,
  timings: Partial<Record<StageName, number>>,
): StageRunner {
  const now = deps.now ?? Date.now;
  return async <P, R>(stage: StageName, tasks: Array<{ taskKey: string; payload: P }>): Promise<R[]> => {
    const t0 = now();
    let res: R[];
    if (stage === "features") res = await runImageProgress<P, R>(jobId, deps, tasks);
    else {
      deps.onStage?.(stage, tasks.length);
      res = await fanOut<P, R>(deps.bus, jobId, stage, tasks, {
        ...(deps.signal ? { signal: deps.signal } : {}),
        ...(deps.taskGate ? { gate: deps.taskGate } : {}),
        ...(deps.tenant !== undefined ? { tenant: deps.tenant } : {}),
        onProgress: (done, total) => deps.onProgress?.({ stage, done, total }),
      });
    }
    // Accumulated: the binning queue runs the head task and then the class tasks.
    timings[stage] = (timings[stage] ?? 0) + (now() - t0);
    return res;
  };
}

/** Lists the data set and refuses what no method can run on, before any task is published. */
async function openJob(
  job: CompressionJob,
  params: CompressParams,
  deps: CoordinatorDeps,
  run: StageRunner,
): Promise<JobContext> {
  const reader = await openDataset(job.dataset.path, { skipBadFiles: params.skipBadFiles });
  const desc = await reader.describe();
  checkDataset(desc, params);
  const N = desc.size;
  const labels = Int32Array.from(desc.items, (it) => it.label);
  const plan = planJob(params);
  if (plan.model && !job.model)
    throw new InvalidArgumentError("model", `method ${params.method} needs a feature model`);
  const fp = await fingerprint(desc);
  const cache = job.cachePrefix ?? "cache";
  assertValidKey(cache);
  // inputSize 0 asks for the run side by image size (`--model-input-size auto`); an unset one
  // does too once AUTO_RUN_SIDE_BY_DEFAULT is on.
  const auto = job.model?.inputSize === 0 || (AUTO_RUN_SIDE_BY_DEFAULT && job.model?.inputSize === undefined);
  const sized = plan.model && job.model && auto ? await withRunSide(job, job.model, reader, desc) : job;
  return { job: sized, params, plan, store: deps.store, desc, N, labels, fp, cache, run };
}

/**
 * THE DEFAULT SWITCH of the fast default (issue 33): whether a job that names no model input
 * side runs as `--model-input-size auto` (small images at runSideFor's side: CIFAR-10 at 128)
 * instead of at the model's own side (224 for EfficientNet-Lite0). Off until the paired quality
 * runs (bench/quality/runs-fast, RESULTS.md) show that 128 keeps CCS's held-out quality; turning
 * it on changes the default's features, hence its selection and every cache key (the model spec
 * then records the side), and `adq compress --help`, README and bench/README must say so.
 */
export const AUTO_RUN_SIDE_BY_DEFAULT = false;

/**
 * The job with its model's run side, when asked for (`--model-input-size auto`): a model that can
 * run at several sides (`adq.input.size_multiple`, e.g. EfficientNet-Lite0) runs small images at
 * runSideFor's side (CIFAR-10's 32×32 at 128, not 224: ≈ 3× less work, bench/RESULTS-fast-default.md), recorded
 * in the model spec, hence in every cache key and the manifest. Other models, and images large
 * enough for the full side, keep the job as it is. Reads the model's metadata and one image.
 */
async function withRunSide(
  job: CompressionJob,
  model: ModelSpec,
  reader: Awaited<ReturnType<typeof openDataset>>,
  desc: DatasetDescription,
): Promise<CompressionJob> {
  const { inputSize: _auto, ...own } = model;
  job = { ...job, model: own }; // the model's own side unless the rule below picks another
  let meta: Record<string, string>;
  try {
    meta = readOnnxMetadata(new Uint8Array(await readFile(model.file)));
  } catch {
    return job; // unreadable or not ONNX: the features stage reports it, naming the file
  }
  if (meta["adq.input.size_multiple"] === undefined || meta["adq.input.size"] === undefined) return job;
  const defaultSize = Number(meta["adq.input.size"]);
  const sizeMultiple = Number(meta["adq.input.size_multiple"]);
  if (!(defaultSize > 0) || !(sizeMultiple > 0)) return job; // the loader names the bad value
  let side = 0;
  const first = Array.from({ length: Math.min(desc.size, 8) }, (_, i) => i);
  for await (const b of reader.batches(1, { indices: first })) {
    const im = b.images[0];
    if (im) {
      side = Math.max(im.width, im.height);
      break;
    }
  }
  const inputSize = runSideFor(side, { defaultSize, sizeMultiple });
  return inputSize === defaultSize ? job : { ...job, model: { ...own, inputSize } };
}

/** 1. Features, by shards of images (nothing to run for random selection without dropping). */
async function runFeatures(ctx: JobContext): Promise<FeaturesOutput> {
  const { job, params, N, fp, cache } = ctx;
  const out: FeaturesOutput = { shards: [], featureResults: [], skippedIdx: new Set(), skipped: [] };
  if (!ctx.plan.stages.features) return out;
  const shardSize = job.shardSize ?? 2048;
  const tasks: Array<{ taskKey: string; payload: FeaturesTask }> = [];
  const views = ctx.plan.spec.views;
  const fparams = {
    // The seed only draws the augmented views; without them a shard's features are the same
    // for every seed, so another seed's DQ/CCS run reuses them (0 keeps the cache key seed-free).
    seed: views ? params.seed : 0,
    textureL: params.textureL,
    patchGrid: params.patchGrid,
    views,
    cam: ctx.plan.cam,
    skipBadFiles: params.skipBadFiles,
  };
  for (let s = 0, i = 0; s < N; s += shardSize, i++) {
    const shard = { index: i, start: s, end: Math.min(N, s + shardSize) };
    const prefix = `${cache}/features/${contentKey({ v: 2, fp, model: job.model!.sha256, names: job.model!.outputs, side: job.model!.inputSize, shard, ...fparams })}`;
    tasks.push({
      taskKey: `shard-${i}`,
      payload: {
        dataset: job.dataset,
        model: job.model!,
        shard,
        ...fparams,
        batchSize: job.batchSize ?? 256,
        out: prefix,
      },
    });
  }
  const results = await ctx.run<FeaturesTask, FeaturesResult>("features", tasks);
  out.featureResults = results;
  out.shards = tasks.map((t, i) => ({ ...t.payload.shard, prefix: results[i]!.out }));
  for (const r of results) {
    for (const s of r.skipped) {
      out.skippedIdx.add(s.index);
      out.skipped.push({ id: s.id, reason: s.reason });
    }
  }
  return out;
}

/**
 * Valid members per class (skipped images leave the data set), stored once per data set and
 * skip set; refuses a class left with fewer readable images than bins.
 */
async function storeMembers(ctx: JobContext, skippedIdx: Set<number>): Promise<Members> {
  const { desc, N, labels, fp, cache, store, params } = ctx;
  const members: number[][] = desc.classes.map(() => []);
  for (let i = 0; i < N; i++) if (!skippedIdx.has(i)) members[labels[i]!]!.push(i);
  const skippedSorted = [...skippedIdx].sort((a, b) => a - b);
  const memberKeys: string[] = [];
  for (let c = 0; c < members.length; c++) {
    const key = `${cache}/members/${contentKey({ fp, skipped: skippedSorted })}/class-${c}.npy`;
    if (!(await store.stat(key))) {
      await store.put(
        key,
        encodeNpy({ data: Int32Array.from(members[c]!), shape: [members[c]!.length] }),
        "application/x-npy",
      );
    }
    memberKeys.push(key);
  }
  const validSizes = members.map((m) => m.length);
  if (ctx.plan.spec.bins && Math.min(...validSizes) < params.bins) {
    throw new InvalidArgumentError(
      "bins",
      `a class has fewer readable images (${Math.min(...validSizes)}) than bins (${params.bins})`,
    );
  }
  return { members, memberKeys, skippedSorted };
}

/**
 * The cross-fitted softmax head (head.ts) on every readable item's embedding: held-out p over
 * the data set's classes, for p − y when the model's classes are not the data set's, and for
 * CCS's difficulty scores. It runs on the binning queue.
 */
async function fitHead(ctx: JobContext, shards: ShardRef[], m: Members, reason: string): Promise<HeadResult> {
  const { desc, N, labels, fp, cache, store, params } = ctx;
  const labelsKey = `${cache}/members/${contentKey({ fp })}/labels.npy`;
  const valid = Int32Array.from(m.members.flat().sort((a, b) => a - b));
  const itemsKey = `${cache}/members/${contentKey({ fp, skipped: m.skippedSorted })}/items.npy`;
  if (!(await store.stat(labelsKey)))
    await store.put(labelsKey, encodeNpy({ data: labels, shape: [N] }), "application/x-npy");
  if (!(await store.stat(itemsKey)))
    await store.put(itemsKey, encodeNpy({ data: valid, shape: [valid.length] }), "application/x-npy");
  const h = { ...HEAD_SETTINGS, classes: desc.classes.length, seed: params.seed };
  const shardKeys = shards.map((s) => s.prefix);
  const [head] = await ctx.run<HeadTask, HeadResult>("binning", [
    {
      taskKey: "head",
      payload: {
        kind: "head",
        labelsKey,
        itemsKey,
        shards,
        reason,
        ...h,
        out: `${cache}/head/${contentKey({ v: 1, shardKeys, items: itemsKey, labels: labelsKey, ...h })}`,
      },
    },
  ]);
  // The fitted head is shared (cached) by every run that needs it; the reason is this run's.
  return { ...head!, reason };
}

/**
 * 2. Binning, by class — on p − y over the data set's classes: the model's logits when its
 * classes are the data set's, else a cross-fitted head's (never a mix; see class-match.ts).
 * CCS bins nothing but ranks each class's items by held-out difficulty: the head is fitted
 * whatever the model.
 */
async function runBinning(ctx: JobContext, features: FeaturesOutput, m: Members): Promise<BinningOutput> {
  const { desc, params, cache } = ctx;
  const { shards } = features;
  const out: BinningOutput = { binsKeys: [], binSizes: [], gradient: null, headPrefix: undefined };
  if (ctx.plan.spec.bins) {
    let logitClass: number[] | undefined;
    const info = features.featureResults[0]!.model;
    const match = matchClasses(desc.classes, info.classNames, info.classes);
    if (match.match) {
      out.gradient = { source: "model", modelClasses: info.classes, classMap: match.map };
      logitClass = match.map;
    } else {
      const { prefix, ...record } = await fitHead(ctx, shards, m, match.reason);
      out.gradient = record;
      out.headPrefix = prefix;
    }
    const shardKeys = shards.map((s) => s.prefix);
    const tasks = desc.classes.map((_, c) => {
      const p = {
        classIndex: c,
        bins: params.bins,
        lambda: params.lambda,
        embedding: "gradient" as const,
        // Only when it differs, so the content keys (cached bins) of matching runs stay the same.
        ...(logitClass && logitClass[c] !== c ? { logitClass: logitClass[c]! } : {}),
        ...(out.headPrefix ? { headPrefix: out.headPrefix } : {}),
      };
      return {
        taskKey: `class-${c}`,
        payload: {
          ...p,
          membersKey: m.memberKeys[c]!,
          shards,
          out: `${cache}/bins/${contentKey({ v: 1, shardKeys, members: m.memberKeys[c], ...p })}`,
        } satisfies BinningTask,
      };
    });
    const results = await ctx.run<BinningTask, BinningResult>("binning", tasks);
    out.binsKeys = results.map((r) => r.key);
    out.binSizes = results.map((r) => r.sizes);
  }
  // CCS ranks by held-out difficulty: the head is its p − y source. A bin method on held-out
  // difficulty whose bins used the model's own logits fits it for the sampler only (after the
  // bins, so their tasks and content keys are unchanged).
  const held = ctx.plan.spec.head
    ? { field: "gradient" as const, ranks: "CCS ranks" }
    : ctx.plan.difficulty && !out.headPrefix
      ? { field: "difficultyHead" as const, ranks: "adqBeta/adqStrata rank" }
      : undefined;
  if (held) {
    const reason = `${held.ranks} items by held-out difficulty ‖p − y‖₂ (EL2N), so p comes from a cross-fitted head`;
    const { prefix, ...record } = await fitHead(ctx, shards, m, reason);
    out[held.field] = record;
    out.headPrefix = prefix;
  }
  return out;
}

/** 3. Scoring (RS, DS), by bin (ADQ only); the results grouped by class. */
async function runScoring(
  ctx: JobContext,
  shards: ShardRef[],
  binning: BinningOutput,
): Promise<ScoringResult[][]> {
  const { desc, params, cache } = ctx;
  const { binsKeys, binSizes } = binning;
  const shardKeys = shards.map((s) => s.prefix);
  const tasks: Array<{ taskKey: string; payload: ScoringTask }> = [];
  desc.classes.forEach((_, c) => {
    for (let b = 0; b < binSizes[c]!.length; b++) {
      const p = { classIndex: c, bin: b, diversity: params.diversity, tau: params.tau, seed: params.seed };
      tasks.push({
        taskKey: `class-${c}-bin-${b}`,
        payload: {
          ...p,
          binsKey: binsKeys[c]!,
          shards,
          out: `${cache}/scores/${contentKey({ v: 1, shardKeys, bins: binsKeys[c], ...p })}`,
        },
      });
    }
  });
  const flat = await ctx.run<ScoringTask, ScoringResult>("scoring", tasks);
  const scores: ScoringResult[][] = [];
  let k = 0;
  for (let c = 0; c < desc.classes.length; c++) {
    scores.push(flat.slice(k, k + binSizes[c]!.length));
    k += binSizes[c]!.length;
  }
  return scores;
}

/** 4. Sampling (allocation inside the class, selection, CAM patch masks), by class. */
async function runSampling(
  ctx: JobContext,
  shards: ShardRef[],
  m: Members,
  binning: BinningOutput,
  budgets: Int32Array,
  scores: ScoringResult[][] | undefined,
): Promise<SamplingResult[]> {
  const { desc, params, cache } = ctx;
  const { bins: binMethod, sampler } = ctx.plan.spec;
  const { binsKeys, headPrefix } = binning;
  const shardKeys = shards.map((s) => s.prefix);
  const tasks = desc.classes.map((_, c) => {
    const p = {
      classIndex: c,
      method: params.method,
      budget: budgets[c]!,
      alpha: params.alpha,
      rsWeight: params.rsWeight,
      dsWeight: params.dsWeight,
      strength: params.strength,
      seed: params.seed,
      drop: params.drop,
      patchGrid: params.patchGrid,
      ...(scores ? { scores: scores[c]! } : {}),
      // The strata sampler reads each item's held-out difficulty from the fitted head.
      ...(sampler === "strata"
        ? { headPrefix: headPrefix!, ccsBeta: params.ccsBeta, ccsStrata: params.ccsStrata }
        : {}),
      // A bin method on held-out difficulty: each lever only when on, so the paper's runs keep
      // their content keys (and every cached selection).
      ...(sampler === "bins" && ctx.plan.difficulty
        ? {
            headPrefix: headPrefix!,
            ...(params.adqBeta > 0 ? { adqBeta: params.adqBeta } : {}),
            ...(params.adqStrata > 0 ? { adqStrata: params.adqStrata } : {}),
          }
        : {}),
    };
    return {
      taskKey: `class-${c}`,
      payload: {
        ...p,
        membersKey: m.memberKeys[c]!,
        ...(binMethod ? { binsKey: binsKeys[c]! } : {}),
        shards,
        out: `${cache}/select/${contentKey({ v: 1, shardKeys, members: m.memberKeys[c], bins: binsKeys[c], ...p })}`,
      } satisfies SamplingTask,
    };
  });
  return ctx.run<SamplingTask, SamplingResult>("sampling", tasks);
}

/** 5. Assemble the outputs (manifest, bins, store, report) under the job's result prefix. */
async function runAssemble(
  ctx: JobContext,
  features: FeaturesOutput,
  binning: BinningOutput,
  selections: SamplingResult[],
  scores: ScoringResult[][] | undefined,
  timings: Partial<Record<StageName, number>>,
): Promise<string[]> {
  const { job, params, desc, N, fp } = ctx;
  const binMethod = ctx.plan.spec.bins;
  const [assembled] = await ctx.run<AssembleTask, AssembleResult>("assemble", [
    {
      taskKey: "result",
      payload: {
        dataset: job.dataset,
        datasetInfo: {
          path: job.dataset.path,
          format: desc.format,
          size: N,
          classes: [...desc.classes],
          fingerprint: fp,
        },
        model: job.model,
        params,
        method: params.method,
        selectionKeys: selections.map((s) => s.key),
        ...(binMethod ? { binSizes: binning.binSizes } : {}),
        ...(scores ? { scores } : {}),
        skipped: features.skipped,
        gradient: binning.gradient,
        ...(binning.difficultyHead ? { difficultyHead: binning.difficultyHead } : {}),
        patchScores: features.featureResults[0]?.patchScores ?? null,
        timings,
        thumbnails: 120,
        out: job.resultPrefix,
      },
    },
  ]);
  return assembled!.files;
}
