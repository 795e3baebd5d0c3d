import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type ArtifactStore, encodeNpy } from "@adq/platform";

import { type CompressionOutcome, gatherRows, getJson, headShard } from "@adq/stages";

/**
 * `--keep-intermediates`: the stage outputs a user may audit or reuse, as `.npy` (the field's
 * interchange format) and JSON index lists: embeddings, logits, labels, per-image texture
 * levels, the cross-fitted head's held-out logits over the data set's classes when one was
 * fitted (`head-logits.npy`; rows of unreadable items are zeros), and every class's bins in
 * GraphCut pick order.
 */
export async function writeIntermediates(
  store: ArtifactStore,
  outcome: Pick<CompressionOutcome, "stageOutputs">,
  dir: string,
): Promise<string[]> {
  const { shards, binsKeys, labels, headPrefix } = outcome.stageOutputs;
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  const N = labels.length;
  await writeFile(join(dir, "labels.npy"), encodeNpy({ data: Int32Array.from(labels), shape: [N] }));
  written.push("labels.npy");
  if (shards.length > 0) {
    const all = Int32Array.from({ length: N }, (_, i) => i);
    for (const [name, file] of [
      ["embedding", "embeddings.npy"],
      ["logits", "logits.npy"],
      ["texture", "texture.npy"],
    ] as const) {
      const { data, width } = await gatherRows(store, shards, name, all);
      const shape = name === "texture" ? [N] : [N, width];
      await writeFile(join(dir, file), encodeNpy({ data, shape }));
      written.push(file);
    }
    if (headPrefix) {
      const { data, width } = await gatherRows(store, [headShard(headPrefix, shards)], "headLogits", all);
      await writeFile(join(dir, "head-logits.npy"), encodeNpy({ data, shape: [N, width] }));
      written.push("head-logits.npy");
    }
  }
  if (binsKeys.length > 0) {
    await mkdir(join(dir, "bins"), { recursive: true });
    for (let c = 0; c < binsKeys.length; c++) {
      const bins = await getJson<{ bins: number[][] }>(store, binsKeys[c]!);
      await writeFile(join(dir, "bins", `class-${c}.json`), `${JSON.stringify(bins.bins)}\n`);
      written.push(`bins/class-${c}.json`);
    }
  }
  return written;
}
