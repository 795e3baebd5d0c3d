import { type ArtifactStore, encodeNpy } from "@adq/platform";
import type { CompressionOutcome } from "./coordinator.ts";
import { headShard } from "./handlers/binning.ts";
import { gatherRows, getJson } from "./shard-arrays.ts";

/**
 * The stage outputs a user may audit or reuse (`adq compress --keep-intermediates`, the
 * gateway's `outputs.keep_intermediates`), as `.npy` (the field's interchange format) and JSON
 * index lists, each handed to `put(name, bytes)`: embeddings, logits, labels, per-image texture
 * levels, the cross-fitted head's held-out logits over the data set's classes when one was
 * fitted (`head-logits.npy`; rows of unreadable items are zeros), and every class's bins in
 * GraphCut pick order. Returns the names, in the order written.
 */
export async function exportIntermediates(
  store: ArtifactStore,
  outcome: Pick<CompressionOutcome, "stageOutputs">,
  put: (name: string, data: Uint8Array) => Promise<void>,
): Promise<string[]> {
  const { shards, binsKeys, labels, headPrefix } = outcome.stageOutputs;
  const written: string[] = [];
  const emit = async (name: string, data: Uint8Array) => {
    await put(name, data);
    written.push(name);
  };
  const N = labels.length;
  await emit("labels.npy", encodeNpy({ data: Int32Array.from(labels), shape: [N] }));
  if (shards.length > 0) {
    const all = Int32Array.from({ length: N }, (_, i) => i);
    for (const [name, file] of [
      ["embedding", "embeddings.npy"],
      ["logits", "logits.npy"],
      ["texture", "texture.npy"],
    ] as const) {
      const { data, width } = await gatherRows(store, shards, name, all);
      await emit(file, encodeNpy({ data, shape: name === "texture" ? [N] : [N, width] }));
    }
    if (headPrefix) {
      const { data, width } = await gatherRows(store, [headShard(headPrefix, shards)], "headLogits", all);
      await emit("head-logits.npy", encodeNpy({ data, shape: [N, width] }));
    }
  }
  for (let c = 0; c < binsKeys.length; c++) {
    const bins = await getJson<{ bins: number[][] }>(store, binsKeys[c]!);
    await emit(`bins/class-${c}.json`, new TextEncoder().encode(`${JSON.stringify(bins.bins)}\n`));
  }
  return written;
}
