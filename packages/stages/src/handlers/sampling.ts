import { allocateBins, ccsSelect, el2nScores, importanceScores, sampleUnit, topKMask } from "@adq/core";
import type { ArtifactStore } from "@adq/platform";
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
 * Sampling stage, one class per task: importance (z-scored RS and DS across the class's
 * bins, Eq. 6–8), adaptive allocation of the class budget over its bins (Eq. 9–10, see
 * packages/core/src/allocation.ts), uniform sampling inside each bin from a stream derived
 * from (seed, class, bin) — so the result is the same whichever worker runs which class —
 * and CAM patch dropping for the kept images. DQ is α = 0; random ignores bins.
 */
export async function handleSampling(task: SamplingTask, store: ArtifactStore): Promise<SamplingResult> {
  const key = `${task.out}/selection.json`;
  if (await store.stat(key)) {
    return { key, selected: (await getJson<ClassSelection>(store, key)).indices.length };
  }
  const c = task.classIndex;
  let selection: ClassSelection;
  if (task.method === "random") {
    const members = (await getNpy(store, task.membersKey)).data as Int32Array;
    const idx = sampleUnit(members, task.budget, task.seed, "class", c);
    selection = { classIndex: c, indices: Array.from(idx), bins: Array.from(idx, () => -1) };
  } else if (task.method === "ccs") {
    // CCS on held-out difficulty: EL2N of the cross-fitted head's p for each member of the class.
    if (!task.headPrefix) throw new Error("sampling ccs needs headPrefix (the fitted head)");
    const members = (await getNpy(store, task.membersKey)).data as Int32Array;
    const logits = await gatherRows(store, [headShard(task.headPrefix, task.shards)], "headLogits", members);
    const r = ccsSelect(members, el2nScores(logits.data, logits.width, c), task.budget, {
      beta: task.ccsBeta ?? 0.1,
      strata: task.ccsStrata ?? 50,
      seed: task.seed,
      unit: c,
    });
    selection = {
      classIndex: c,
      indices: Array.from(r.indices),
      bins: Array.from(r.indices, () => -1),
      ccs: { pruned: r.pruned, strataSizes: r.strataSizes, strataCounts: r.strataCounts },
    };
  } else {
    if (!task.binsKey) throw new Error(`sampling ${task.method} needs binsKey`);
    const { bins } = await getJson<BinsArtifact>(store, task.binsKey);
    const sizes = bins.map((b) => b.length);
    let importance: Float64Array | undefined;
    let rsZ: number[] | undefined;
    let dsZ: number[] | undefined;
    const alpha = task.method === "adq" ? task.alpha : 0;
    if (task.method === "adq") {
      if (!task.scores || task.scores.length !== bins.length)
        throw new Error(`class ${c}: one score per bin is required`);
      const imp = importanceScores(
        task.scores.map((s) => s.rs),
        task.scores.map((s) => s.ds),
        { wRs: task.rsWeight, wDs: task.dsWeight },
      );
      importance = imp.importance;
      rsZ = Array.from(imp.rs.z);
      dsZ = Array.from(imp.ds.z);
    }
    const alloc = allocateBins(sizes, importance, alpha, task.budget, {
      ...(task.strength !== undefined ? { strength: task.strength } : {}),
    });
    const picked: Array<[number, number]> = [];
    bins.forEach((members, b) => {
      // Ascending members, as core's groupByBin gives them: the pipeline then samples exactly
      // what core's selectors (adqSelector/dqSelector) select for the same bins and seed.
      const sorted = Int32Array.from(members).sort();
      for (const g of sampleUnit(sorted, alloc.counts[b]!, task.seed, "sample", c, b)) picked.push([g, b]);
    });
    picked.sort((x, y) => x[0] - y[0]);
    selection = {
      classIndex: c,
      indices: picked.map((p) => p[0]),
      bins: picked.map((p) => p[1]),
      binCounts: Array.from(alloc.counts),
      binSizes: sizes,
      ...(rsZ ? { rsZ, dsZ, importance: Array.from(importance!) } : {}),
    };
  }
  // A class allocated no images has nothing to mask (and its CAM gather would be empty).
  if (task.drop > 0 && selection.indices.length === 0) selection.masks = [];
  else if (task.drop > 0) {
    const patches = task.patchGrid * task.patchGrid;
    const cam = await gatherRows(store, task.shards, "cam", selection.indices);
    if (cam.width !== patches) throw new Error(`CAM scores have ${cam.width} patches, expected ${patches}`);
    const keep = Math.round((1 - task.drop) * patches);
    selection.masks = selection.indices.map((_, i) =>
      maskToHex(topKMask(cam.data.subarray(i * patches, (i + 1) * patches), keep)),
    );
  }
  await putJson(store, key, selection);
  return { key, selected: selection.indices.length };
}
