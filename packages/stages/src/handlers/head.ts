import { crossFitSoftmaxHead } from "@adq/core";
import type { ArtifactStore } from "@adq/platform";
import { gatherRows, getJson, getNpy, putJson, putNpy, SHARD_ARRAYS } from "../shard-arrays.ts";
import type { GradientSource, HeadTask } from "../tasks.ts";

export type HeadResult = Extract<GradientSource, { source: "fitted-head" }> & { prefix: string };

/**
 * Head stage (runs on the binning queue, once per job, before the class tasks): when the
 * model's classes are not the data set's, fits a softmax head on the frozen embeddings of
 * every readable item, cross-fitted over k folds (packages/core/src/softmax-head.ts), and
 * writes its held-out logits as one [N, classes] float32 array (rows of unreadable items are
 * zeros and never read). Cost O(k·(epochs + 30)·n·D·C) time, O(n·(D + C)) memory.
 */
export async function handleHead(task: HeadTask, store: ArtifactStore): Promise<HeadResult> {
  const doneKey = `${task.out}/head.json`;
  if (await store.stat(doneKey)) return getJson<HeadResult>(store, doneKey);
  const items = (await getNpy(store, task.itemsKey)).data as Int32Array;
  const all = (await getNpy(store, task.labelsKey)).data as Int32Array;
  const N = all.length;
  const emb = await gatherRows(store, task.shards, "embedding", items);
  const labels = Int32Array.from(items, (i) => all[i]!);
  const fit = crossFitSoftmaxHead(emb.data, labels, task.classes, {
    folds: task.folds,
    epochs: task.epochs,
    l2: task.l2,
    seed: task.seed,
  });
  const C = task.classes;
  const logits = new Float32Array(N * C);
  items.forEach((g, r) => {
    for (let c = 0; c < C; c++) logits[g * C + c] = fit.logits[r * C + c]!;
  });
  await putNpy(store, `${task.out}/${SHARD_ARRAYS.headLogits}`, { data: logits, shape: [N, C] });
  const result: HeadResult = {
    source: "fitted-head",
    reason: task.reason,
    folds: fit.k,
    epochs: fit.epochs,
    l2: fit.l2,
    heldOutAccuracy: fit.heldOutAccuracy,
    items: items.length,
    ...(fit.dim < emb.width ? { projectedDim: fit.dim } : {}),
    prefix: task.out,
  };
  await putJson(store, doneKey, result);
  return result;
}
