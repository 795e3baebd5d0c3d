import {
  binItems,
  cosineSpaceFor,
  range,
  STOCHASTIC_BINNING_ABOVE,
  STOCHASTIC_BINNING_EPSILON,
} from "@adq/core";
import type { ArtifactStore } from "@adq/platform";
import { gatherRows, getJson, getNpy, putJson } from "../shard-arrays.ts";
import type { BinningResult, BinningTask, ShardRef } from "../tasks.ts";

/** The head's logits are one array over all N items: a single "shard" [0, N). */
export function headShard(prefix: string, shards: readonly ShardRef[]): ShardRef {
  return { index: 0, start: 0, end: shards.length ? shards[shards.length - 1]!.end : 0, prefix };
}

export interface BinsArtifact {
  classIndex: number;
  /** Global indices per bin, each in GraphCut pick order. */
  bins: number[][];
  /**
   * How the bins were built: exact greedy, or stochastic greedy above STOCHASTIC_BINNING_ABOVE
   * items (ε, and the seed: the class index, so bins stay independent of the job's seed and are
   * reused across seeds like exact ones). Absent in older artifacts: exact.
   */
  builder?: { kind: "exact" } | { kind: "stochastic-greedy"; epsilon: number; seed: number };
}

/**
 * Binning stage, one class per task: DQ bin generation by greedy GraphCut over the
 * class's gradient embeddings (docs/algorithm.md §3). O(n²·(C+D)) time, O(n·(C+D)) memory
 * for a class of n items (no n×n matrix; see packages/core/src/graphcut.ts); above
 * STOCHASTIC_BINNING_ABOVE items stochastic greedy, O(n·ln(1/ε)·C·(D+1)).
 */
export async function handleBinning(task: BinningTask, store: ArtifactStore): Promise<BinningResult> {
  const key = `${task.out}/bins.json`;
  if (await store.stat(key)) {
    const done = await getJson<BinsArtifact>(store, key);
    return { key, sizes: done.bins.map((b) => b.length) };
  }
  const members = (await getNpy(store, task.membersKey)).data as Int32Array;
  const n = members.length;
  if (task.bins < 1 || task.bins > n) {
    throw new RangeError(
      `bins must be in [1, ${n}] for class ${task.classIndex} (${n} items), got ${task.bins}`,
    );
  }
  const emb = await gatherRows(store, task.shards, "embedding", members);
  // p − y over the model's classes (class = its logit `logitClass`) or, when the model's classes
  // are not the data set's, over the data set's classes from the cross-fitted head (head.ts).
  const logits = task.headPrefix
    ? await gatherRows(store, [headShard(task.headPrefix, task.shards)], "headLogits", members)
    : await gatherRows(store, task.shards, "logits", members);
  const numClasses = logits.width;
  const y = task.headPrefix ? task.classIndex : (task.logitClass ?? task.classIndex);
  if (y < 0 || y >= numClasses)
    throw new RangeError(`class ${task.classIndex}: logit ${y} is outside the ${numClasses} logits`);
  // Each class is binned on its own, so every row carries the class label.
  const labels = new Int32Array(n).fill(y);
  const space = cosineSpaceFor(
    { logits: logits.data, embeddings: emb.data, labels, numClasses },
    task.embedding === "features" ? "features" : "gradient",
  );
  // Exact greedy is O(n²): large classes get the linear-time stochastic builder (bins.ts).
  const builder: NonNullable<BinsArtifact["builder"]> =
    n > STOCHASTIC_BINNING_ABOVE
      ? { kind: "stochastic-greedy", epsilon: STOCHASTIC_BINNING_EPSILON, seed: task.classIndex }
      : { kind: "exact" };
  const local = binItems(space, range(n), task.bins, {
    lambda: task.lambda,
    ...(builder.kind === "stochastic-greedy"
      ? { stochastic: { epsilon: builder.epsilon, seed: builder.seed } }
      : {}),
  });
  const bins = local.map((b) => Array.from(b, (i) => members[i]!));
  await putJson(store, key, { classIndex: task.classIndex, bins, builder } satisfies BinsArtifact);
  return { key, sizes: bins.map((b) => b.length) };
}
