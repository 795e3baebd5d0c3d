import { diversityScore } from "@adq/core";
import type { ArtifactStore } from "@adq/platform";
import { gatherRows, getJson, putJson } from "../shard-arrays.ts";
import type { ScoringResult, ScoringTask } from "../tasks.ts";
import type { BinsArtifact } from "./binning.ts";

/** Concatenates row-aligned [n,a] and [n,b] matrices into [n,a+b]. */
function concatRows(a: Float32Array, wa: number, b: Float32Array, wb: number, n: number): Float32Array {
  const out = new Float32Array(n * (wa + wb));
  for (let i = 0; i < n; i++) {
    out.set(a.subarray(i * wa, (i + 1) * wa), i * (wa + wb));
    out.set(b.subarray(i * wb, (i + 1) * wb), i * (wa + wb) + wa);
  }
  return out;
}

/**
 * Scoring stage, one bin per task: representativeness RS = mean texture level of the bin's
 * images (per-image levels come from the features stage), diversity DS from the
 * contrastive discriminator over (original, augmented) view features — the paper's x and
 * x⁺ (Eq. 5). Cost is dominated by DS: see packages/core/src/contrastive.ts.
 */
export async function handleScoring(task: ScoringTask, store: ArtifactStore): Promise<ScoringResult> {
  const key = `${task.out}/scores.json`;
  if (await store.stat(key)) return getJson<ScoringResult>(store, key);
  const { bins } = await getJson<BinsArtifact>(store, task.binsKey);
  const members = bins[task.bin];
  if (!members) throw new RangeError(`bin ${task.bin} does not exist in ${task.binsKey}`);
  const n = members.length;
  const texture = await gatherRows(store, task.shards, "texture", members);
  let rs = 0;
  for (let i = 0; i < n; i++) rs += texture.data[i]!;
  rs = n > 0 ? rs / n : 0;
  const emb = await gatherRows(store, task.shards, "embedding", members);
  const pooled = await gatherRows(store, task.shards, "pooled", members);
  const view = await gatherRows(store, task.shards, "view", members);
  const original = concatRows(emb.data, emb.width, pooled.data, pooled.width, n);
  const f = emb.width + pooled.width;
  if (view.width !== f) throw new Error(`view features have width ${view.width}, expected ${f}`);
  const ds =
    n >= 2
      ? diversityScore(original, view.data, n, f, { method: task.diversity, tau: task.tau, seed: task.seed })
      : 0;
  const result: ScoringResult = { rs, ds };
  await putJson(store, key, result);
  return result;
}
