import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import { allocateAcrossClasses } from "@adq/core";
import { type DatasetDescription, openDataset } from "@adq/ml";
import { type ArtifactStore, assertValidKey, type Bus, encodeNpy, InvalidArgumentError } from "@adq/platform";
import { matchClasses } from "./class-match.ts";
import { contentKey } from "./content-key.ts";
import { checkDataset, usesBins } from "./dataset-check.ts";
import { fanOut } from "./fan-out.ts";
import type { AssembleResult, AssembleTask } from "./handlers/assemble.ts";
import type { HeadResult } from "./handlers/head.ts";
import type { CompressParams } from "./outputs.ts";
import { validateParams } from "./params.ts";
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
}

/** A fingerprint of the data set's content as listed: ids, labels and source sizes/mtimes. */
async function fingerprint(desc: DatasetDescription): Promise<string> {
  const h = createHash("sha256");
  h.update(desc.format);
  h.update(JSON.stringify(desc.classes));
  const sources = new Set<string>();
  for (const it of desc.items) {
    h.update(`${it.id}\0${it.label}\n`);
    sources.add(it.source);
  }
  for (const s of [...sources].sort()) {
    const st = await stat(s);
    h.update(`${s}\0${st.size}\0${Math.floor(st.mtimeMs)}\n`);
  }
  return h.digest("hex");
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
  const params = validateParams({ ...job.params });
  const now = deps.now ?? Date.now;
  const timings: Partial<Record<StageName, number>> = {};
  const { bus, store } = deps;
  const reader = await openDataset(job.dataset.path, { skipBadFiles: params.skipBadFiles });
  const desc = await reader.describe();
  checkDataset(desc, params);
  const N = desc.size;
  const labels = Int32Array.from(desc.items, (it) => it.label);
  const classSizes = desc.classes.map(() => 0);
  for (const l of labels) classSizes[l]!++;
  const binMethod = usesBins(params.method);
  const ccs = params.method === "ccs";
  const needFeatures = binMethod || ccs || params.drop > 0;
  if (needFeatures && !job.model)
    throw new InvalidArgumentError("model", `method ${params.method} needs a feature model`);
  const fp = await fingerprint(desc);
  const datasetInfo = {
    path: job.dataset.path,
    format: desc.format,
    size: N,
    classes: [...desc.classes],
    fingerprint: fp,
  };
  const common = { jobId: job.jobId, signal: deps.signal };
  const cache = job.cachePrefix ?? "cache";
  assertValidKey(cache);
  const stageRun = async <P, R>(
    stage: StageName,
    tasks: Array<{ taskKey: string; payload: P }>,
  ): Promise<R[]> => {
    const t0 = now();
    deps.onStage?.(stage, tasks.length);
    const res = await fanOut<P, R>(bus, common.jobId, stage, tasks, {
      ...(deps.signal ? { signal: deps.signal } : {}),
      onProgress: (done, total) => deps.onProgress?.({ stage, done, total }),
    });
    // Accumulated: the binning queue runs the head task and then the class tasks.
    timings[stage] = (timings[stage] ?? 0) + (now() - t0);
    return res;
  };

  // 1. Features, by shards of images.
  let shards: ShardRef[] = [];
  let featureResults: FeaturesResult[] = [];
  const skippedIdx = new Set<number>();
  const skipped: Array<{ id: string; reason: string }> = [];
  if (needFeatures) {
    const shardSize = job.shardSize ?? 2048;
    const tasks: Array<{ taskKey: string; payload: FeaturesTask }> = [];
    for (let s = 0, i = 0; s < N; s += shardSize, i++) {
      const shard = { index: i, start: s, end: Math.min(N, s + shardSize) };
      const fparams = {
        seed: params.seed,
        textureL: params.textureL,
        patchGrid: params.patchGrid,
        views: params.method === "adq",
        cam: params.drop > 0,
        skipBadFiles: params.skipBadFiles,
      };
      const out = `${cache}/features/${contentKey({ v: 2, fp, model: job.model!.sha256, names: job.model!.outputs, shard, ...fparams })}`;
      tasks.push({
        taskKey: `shard-${i}`,
        payload: {
          dataset: job.dataset,
          model: job.model!,
          shard,
          ...fparams,
          batchSize: job.batchSize ?? 256,
          out,
        },
      });
    }
    const results = await stageRun<FeaturesTask, FeaturesResult>("features", tasks);
    featureResults = results;
    shards = tasks.map((t, i) => ({ ...t.payload.shard, prefix: results[i]!.out }));
    for (const r of results) {
      for (const s of r.skipped) {
        skippedIdx.add(s.index);
        skipped.push({ id: s.id, reason: s.reason });
      }
    }
  }

  // Valid members per class (skipped images leave the data set).
  const members: number[][] = desc.classes.map(() => []);
  for (let i = 0; i < N; i++) if (!skippedIdx.has(i)) members[labels[i]!]!.push(i);
  const memberKeys: string[] = [];
  for (let c = 0; c < members.length; c++) {
    const key = `${cache}/members/${contentKey({ fp, skipped: [...skippedIdx].sort((a, b) => a - b) })}/class-${c}.npy`;
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
  if (binMethod && Math.min(...validSizes) < params.bins) {
    throw new InvalidArgumentError(
      "bins",
      `a class has fewer readable images (${Math.min(...validSizes)}) than bins (${params.bins})`,
    );
  }
  const budgets = allocateAcrossClasses(validSizes, params.ratio);
  const shardKeys = shards.map((s) => s.prefix);

  /**
   * The cross-fitted softmax head (head.ts) on every readable item's embedding: held-out p over
   * the data set's classes, for p − y when the model's classes are not the data set's, and for
   * CCS's difficulty scores.
   */
  const fitHead = async (reason: string): Promise<HeadResult> => {
    const labelsKey = `${cache}/members/${contentKey({ fp })}/labels.npy`;
    const valid = Int32Array.from(members.flat().sort((a, b) => a - b));
    const itemsKey = `${cache}/members/${contentKey({ fp, skipped: [...skippedIdx].sort((a, b) => a - b) })}/items.npy`;
    if (!(await store.stat(labelsKey)))
      await store.put(labelsKey, encodeNpy({ data: labels, shape: [N] }), "application/x-npy");
    if (!(await store.stat(itemsKey)))
      await store.put(itemsKey, encodeNpy({ data: valid, shape: [valid.length] }), "application/x-npy");
    const h = { ...HEAD_SETTINGS, classes: desc.classes.length, seed: params.seed };
    const [head] = await stageRun<HeadTask, HeadResult>("binning", [
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
  };

  // 2. Binning, by class — on p − y over the data set's classes: the model's logits when its
  // classes are the data set's, else a cross-fitted head's (never a mix; see class-match.ts).
  let binsKeys: string[] = [];
  let binSizes: number[][] = [];
  let gradient: GradientSource | null = null;
  let headPrefix: string | undefined;
  let logitClass: number[] | undefined;
  if (binMethod) {
    const info = featureResults[0]!.model;
    const match = matchClasses(desc.classes, info.classNames, info.classes);
    if (match.match) {
      gradient = { source: "model", modelClasses: info.classes, classMap: match.map };
      logitClass = match.map;
    } else {
      const { prefix, ...record } = await fitHead(match.reason);
      gradient = record;
      headPrefix = prefix;
    }
    const tasks = desc.classes.map((_, c) => {
      const p = {
        classIndex: c,
        bins: params.bins,
        lambda: params.lambda,
        embedding: "gradient" as const,
        // Only when it differs, so the content keys (cached bins) of matching runs stay the same.
        ...(logitClass && logitClass[c] !== c ? { logitClass: logitClass[c]! } : {}),
        ...(headPrefix ? { headPrefix } : {}),
      };
      return {
        taskKey: `class-${c}`,
        payload: {
          ...p,
          membersKey: memberKeys[c]!,
          shards,
          out: `${cache}/bins/${contentKey({ v: 1, shardKeys, members: memberKeys[c], ...p })}`,
        } satisfies BinningTask,
      };
    });
    const results = await stageRun<BinningTask, BinningResult>("binning", tasks);
    binsKeys = results.map((r) => r.key);
    binSizes = results.map((r) => r.sizes);
  }

  // CCS ranks each class's items by held-out difficulty: the head is fitted whatever the model.
  if (ccs) {
    const { prefix, ...record } = await fitHead(
      "CCS ranks items by held-out difficulty ‖p − y‖₂ (EL2N), so p comes from a cross-fitted head",
    );
    gradient = record;
    headPrefix = prefix;
  }

  // 3. Scoring, by bin (ADQ only).
  let scores: ScoringResult[][] | undefined;
  if (params.method === "adq") {
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
    const flat = await stageRun<ScoringTask, ScoringResult>("scoring", tasks);
    scores = [];
    let k = 0;
    for (let c = 0; c < desc.classes.length; c++) {
      scores.push(flat.slice(k, k + binSizes[c]!.length));
      k += binSizes[c]!.length;
    }
  }

  // 4. Sampling (+ CAM patch masks), by class.
  const sampleTasks = desc.classes.map((_, c) => {
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
      ...(ccs ? { headPrefix: headPrefix!, ccsBeta: params.ccsBeta, ccsStrata: params.ccsStrata } : {}),
    };
    return {
      taskKey: `class-${c}`,
      payload: {
        ...p,
        membersKey: memberKeys[c]!,
        ...(binMethod ? { binsKey: binsKeys[c]! } : {}),
        shards,
        out: `${cache}/select/${contentKey({ v: 1, shardKeys, members: memberKeys[c], bins: binsKeys[c], ...p })}`,
      } satisfies SamplingTask,
    };
  });
  const selections = await stageRun<SamplingTask, SamplingResult>("sampling", sampleTasks);

  // 5. Assemble the outputs.
  const [assembled] = await stageRun<AssembleTask, AssembleResult>("assemble", [
    {
      taskKey: "result",
      payload: {
        dataset: job.dataset,
        datasetInfo,
        model: job.model,
        params,
        method: params.method,
        selectionKeys: selections.map((s) => s.key),
        ...(binMethod ? { binSizes } : {}),
        ...(scores ? { scores } : {}),
        skipped,
        gradient,
        patchScores: featureResults[0]?.patchScores ?? null,
        timings: { ...timings },
        thumbnails: 120,
        out: job.resultPrefix,
      },
    },
  ]);
  return {
    resultPrefix: job.resultPrefix,
    files: assembled!.files,
    selected: selections.reduce((a, s) => a + s.selected, 0),
    total: N,
    timings,
    stageOutputs: { shards, binsKeys, labels: Array.from(labels), ...(headPrefix ? { headPrefix } : {}) },
  };
}
