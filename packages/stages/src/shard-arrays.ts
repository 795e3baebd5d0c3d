import { type ArtifactStore, decodeNpy, encodeNpy, type NpyTensor } from "@adq/platform";
import type { ShardRef } from "./tasks.ts";

/** Artifact names a features shard writes under its prefix. */
export const SHARD_ARRAYS = {
  embedding: "embedding.npy",
  logits: "logits.npy",
  pooled: "pooled.npy",
  texture: "texture.npy",
  view: "view.npy",
  cam: "cam.npy",
  /** Held-out logits of a fitted head (handlers/head.ts): one [N, classes] array, not per shard. */
  headLogits: "head-logits.npy",
} as const;
export type ShardArray = keyof typeof SHARD_ARRAYS;

export async function putNpy(store: ArtifactStore, key: string, t: NpyTensor): Promise<void> {
  await store.put(key, encodeNpy(t), "application/x-npy");
}

export async function getNpy(store: ArtifactStore, key: string): Promise<NpyTensor> {
  return decodeNpy(await store.get(key), key);
}

export async function putJson(store: ArtifactStore, key: string, value: unknown): Promise<void> {
  await store.put(key, new TextEncoder().encode(JSON.stringify(value)), "application/json");
}

export async function getJson<T>(store: ArtifactStore, key: string): Promise<T> {
  return JSON.parse(new TextDecoder().decode(await store.get(key))) as T;
}

/**
 * Gathers rows of a per-item array from the feature shards for a set of global indices.
 * Loads only the shards the indices fall in; memory O(rows·width + one shard).
 */
export async function gatherRows(
  store: ArtifactStore,
  shards: readonly ShardRef[],
  name: ShardArray,
  indices: ArrayLike<number>,
): Promise<{ data: Float32Array; width: number }> {
  const byShard = new Map<number, number[]>();
  const shardOf = (g: number): number => {
    let lo = 0;
    let hi = shards.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = shards[mid]!;
      if (g < s.start) hi = mid - 1;
      else if (g >= s.end) lo = mid + 1;
      else return mid;
    }
    throw new RangeError(`item ${g} is in no feature shard`);
  };
  for (let i = 0; i < indices.length; i++) {
    const s = shardOf(indices[i]!);
    const list = byShard.get(s);
    if (list) list.push(i);
    else byShard.set(s, [i]);
  }
  let out: Float32Array | undefined;
  let width = 0;
  for (const [s, positions] of [...byShard.entries()].sort((a, b) => a[0] - b[0])) {
    const shard = shards[s]!;
    const t = await getNpy(store, `${shard.prefix}/${SHARD_ARRAYS[name]}`);
    const rows = t.shape[0]!;
    const w = rows === 0 ? 0 : t.data.length / rows;
    if (!out) {
      width = w;
      out = new Float32Array(indices.length * width);
    } else if (w !== width) throw new Error(`${name}: shard ${s} has width ${w}, expected ${width}`);
    const src = t.data as Float32Array | Float64Array;
    for (const i of positions) {
      const r = indices[i]! - shard.start;
      for (let k = 0; k < width; k++) out[i * width + k] = src[r * width + k]!;
    }
  }
  return { data: out ?? new Float32Array(0), width };
}
