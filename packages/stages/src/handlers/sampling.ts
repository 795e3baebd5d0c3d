import {
  allocateBins,
  ccsSelect,
  el2nScores,
  importanceScores,
  pruneBins,
  sampleUnit,
  strataDrawsInBins,
  topKMask,
} from "@adq/core";
import type { ArtifactStore } from "@adq/platform";
import { METHODS, type Sampler } from "../methods.ts";
import { DEFAULT_PARAMS } from "../params.ts";
import { gatherRows, getJson, getNpy, putJson } from "../shard-arrays.ts";
import type { ClassSelection, SamplingResult, SamplingTask } from "../tasks.ts";
import { type BinsArtifact, headShard } from "./binning.ts";

/** Mask (1 = kept) as hex of its bits, LSB first per byte, row-major patches. */
export function maskToHex(mask: Uint8Array): string {
  const bytes = new Uint8Array(Math.ceil(mask.length / 8));
  for (let i = 0; i < mask.length; i++) if (mask[i]) bytes[i >> 3]! |= 1 << (i & 7);
  return Buffer.from(bytes).toString("hex");
}

export function maskFromHex(hex: string, patches: number): Uint8Array {
  const bytes = Buffer.from(hex, "hex");
  const mask = new Uint8Array(patches);
  for (let i = 0; i < patches; i++) mask[i] = (bytes[i >> 3]! >> (i & 7)) & 1;
  return mask;
}

/**
 * Importance of a class's bins (z-scored RS and DS, Eq. 6–8) and the adaptive allocation of
 * the class budget over them (Eq. 9–10, packages/core/src/allocation.ts). Without scores
 * (DQ, random) α is 0: the allocation follows bin sizes only. Shared by the sampling stage
 * and the Allocate stage RPC.
 */
export function allocateClass(
  sizes: readonly number[],
  scores: ReadonlyArray<{ rs: number; ds: number }> | undefined,
  o: { alpha: number; rsWeight: number; dsWeight: number; strength?: number | undefined },
  budget: number,
): {
  counts: Int32Array;
  z?: { rs: Float64Array; ds: Float64Array; importance: Float64Array };
} {
  let z: { rs: Float64Array; ds: Float64Array; importance: Float64Array } | undefined;
  if (scores) {
    const imp = importanceScores(
      scores.map((s) => s.rs),
      scores.map((s) => s.ds),
      { wRs: o.rsWeight, wDs: o.dsWeight },
    );
    z = { rs: Float64Array.from(imp.rs.z), ds: Float64Array.from(imp.ds.z), importance: imp.importance };
  }
  const alloc = allocateBins(sizes, z?.importance, scores ? o.alpha : 0, budget, {
    ...(o.strength !== undefined ? { strength: o.strength } : {}),
  });
  return { counts: alloc.counts, ...(z ? { z } : {}) };
}

/**
 * Uniform draws of `counts[b]` items inside each bin b from the stream (seed, "sample", class,
 * bin), ascending per bin — so the result is the same whichever worker runs which class.
 * Members are sorted first, as core's groupByBin gives them: the pipeline then samples exactly
 * what core's selectors (adqSelector/dqSelector) select for the same bins and seed.
 */
export function sampleBins(
  bins: readonly (readonly number[])[],
  counts: ArrayLike<number>,
  seed: number,
  classIndex: number,
): number[][] {
  return bins.map((members, b) => {
    const sorted = Int32Array.from(members).sort();
    return Array.from(sampleUnit(sorted, counts[b]!, seed, "sample", classIndex, b)).sort((x, y) => x - y);
  });
}

/** The kept-patch mask (1 = kept) of one image: its round((1 − drop)·patches) highest-scored patches. */
export function dropMask(scores: ArrayLike<number>, drop: number): Uint8Array {
  return topKMask(scores, Math.round((1 - drop) * scores.length));
}

/** Uniform draws from the whole class (stream (seed, "class", class)): random selection. */
async function sampleClassUniform(task: SamplingTask, store: ArtifactStore): Promise<ClassSelection> {
  const c = task.classIndex;
  const members = (await getNpy(store, task.membersKey)).data as Int32Array;
  const idx = sampleUnit(members, task.budget, task.seed, "class", c);
  return { classIndex: c, indices: Array.from(idx), bins: Array.from(idx, () => -1) };
}

/** CCS on held-out difficulty: EL2N of the cross-fitted head's p for each member of the class. */
async function sampleStrata(task: SamplingTask, store: ArtifactStore): Promise<ClassSelection> {
  const c = task.classIndex;
  if (!task.headPrefix) throw new Error(`sampling ${task.method} needs headPrefix (the fitted head)`);
  const members = (await getNpy(store, task.membersKey)).data as Int32Array;
  const logits = await gatherRows(store, [headShard(task.headPrefix, task.shards)], "headLogits", members);
  const r = ccsSelect(members, el2nScores(logits.data, logits.width, c), task.budget, {
    beta: task.ccsBeta ?? DEFAULT_PARAMS.ccsBeta,
    strata: task.ccsStrata ?? DEFAULT_PARAMS.ccsStrata,
    seed: task.seed,
    unit: c,
  });
  return {
    classIndex: c,
    indices: Array.from(r.indices),
    bins: Array.from(r.indices, () => -1),
    ccs: { pruned: r.pruned, strataSizes: r.strataSizes, strataCounts: r.strataCounts },
  };
}

/** Each member's held-out difficulty, EL2N of the cross-fitted head's p (CCS's score), by global index. */
async function binDifficulty(
  task: SamplingTask,
  store: ArtifactStore,
  bins: readonly (readonly number[])[],
): Promise<(member: number) => number> {
  if (!task.headPrefix)
    throw new Error(`sampling ${task.method} on difficulty needs headPrefix (the fitted head)`);
  const members = Int32Array.from(bins.flat()).sort();
  const logits = await gatherRows(store, [headShard(task.headPrefix, task.shards)], "headLogits", members);
  const scores = el2nScores(logits.data, logits.width, task.classIndex);
  const at = new Map<number, number>();
  for (let i = 0; i < members.length; i++) at.set(members[i]!, scores[i]!);
  return (g) => at.get(g)!;
}

/**
 * Allocation over the class's GraphCut bins (by importance when the method scores bins), then
 * draws per bin: uniform (the paper), or by difficulty strata (adqStrata > 0); with adqBeta > 0
 * the hardest members leave their bins first and the allocation runs over what remains
 * (packages/core/src/bin-difficulty.ts). Importance stays the bins' RS/DS.
 */
async function sampleByBins(task: SamplingTask, store: ArtifactStore): Promise<ClassSelection> {
  const c = task.classIndex;
  if (!task.binsKey) throw new Error(`sampling ${task.method} needs binsKey`);
  const { bins: allBins } = await getJson<BinsArtifact>(store, task.binsKey);
  const sizes = allBins.map((b) => b.length);
  const scored = METHODS[task.method].scores;
  if (scored && (!task.scores || task.scores.length !== allBins.length))
    throw new Error(`class ${c}: one score per bin is required`);
  const beta = task.adqBeta ?? 0;
  const strata = task.adqStrata ?? 0;
  const difficulty = beta > 0 || strata > 0 ? await binDifficulty(task, store, allBins) : undefined;
  const pruning = difficulty && beta > 0 ? pruneBins(allBins, difficulty, beta, task.budget) : undefined;
  const bins = pruning?.bins ?? allBins;
  const alloc = allocateClass(
    pruning ? bins.map((b) => b.length) : sizes,
    scored ? task.scores : undefined,
    task,
    task.budget,
  );
  const draws =
    difficulty && strata > 0
      ? strataDrawsInBins(bins, alloc.counts, difficulty, { strata, seed: task.seed, classIndex: c })
      : sampleBins(bins, alloc.counts, task.seed, c);
  const picked: Array<[number, number]> = [];
  draws.forEach((members, b) => {
    for (const g of members) picked.push([g, b]);
  });
  picked.sort((x, y) => x[0] - y[0]);
  return {
    classIndex: c,
    indices: picked.map((p) => p[0]),
    bins: picked.map((p) => p[1]),
    binCounts: Array.from(alloc.counts),
    binSizes: sizes,
    ...(difficulty
      ? { adq: { pruned: pruning?.pruned ?? 0, prunedPerBin: pruning?.prunedPerBin ?? sizes.map(() => 0) } }
      : {}),
    ...(alloc.z
      ? {
          rsZ: Array.from(alloc.z.rs),
          dsZ: Array.from(alloc.z.ds),
          importance: Array.from(alloc.z.importance),
        }
      : {}),
  };
}

/** The samplers of the method table (methods.ts: `sampler`). */
const SAMPLERS: Record<Sampler, (task: SamplingTask, store: ArtifactStore) => Promise<ClassSelection>> = {
  class: sampleClassUniform,
  strata: sampleStrata,
  bins: sampleByBins,
};

/**
 * Sampling stage, one class per task: the method's sampler (the method table's `sampler`) —
 * for the bin methods importance (z-scored RS and DS across the class's bins, Eq. 6–8),
 * adaptive allocation of the class budget over its bins (Eq. 9–10, see
 * packages/core/src/allocation.ts), uniform sampling inside each bin from a stream derived
 * from (seed, class, bin), so the result is the same whichever worker runs which class —
 * and CAM patch dropping for the kept images.
 */
export async function handleSampling(task: SamplingTask, store: ArtifactStore): Promise<SamplingResult> {
  const key = `${task.out}/selection.json`;
  if (await store.stat(key)) {
    return { key, selected: (await getJson<ClassSelection>(store, key)).indices.length };
  }
  const selection = await SAMPLERS[METHODS[task.method].sampler](task, store);
  // A class allocated no images has nothing to mask (and its CAM gather would be empty).
  if (task.drop > 0 && selection.indices.length === 0) selection.masks = [];
  else if (task.drop > 0) {
    const patches = task.patchGrid * task.patchGrid;
    const cam = await gatherRows(store, task.shards, "cam", selection.indices);
    if (cam.width !== patches) throw new Error(`CAM scores have ${cam.width} patches, expected ${patches}`);
    selection.masks = selection.indices.map((_, i) =>
      maskToHex(dropMask(cam.data.subarray(i * patches, (i + 1) * patches), task.drop)),
    );
  }
  await putJson(store, key, selection);
  return { key, selected: selection.indices.length };
}
