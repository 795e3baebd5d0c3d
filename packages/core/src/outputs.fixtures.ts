/** What the binning and GraphCut tests share. */
import type { LastLayerOutputs } from "./gradient-embedding.ts";
import { Rng } from "./rng.ts";

/** Seeded random last-layer outputs: n items, C classes, D embedding dimensions. */
export function randomOutputs(seed: number, n: number, C: number, D: number): LastLayerOutputs {
  const r = new Rng(seed);
  return {
    logits: Float32Array.from({ length: n * C }, () => r.nextNormal() * 2),
    embeddings: Float32Array.from({ length: n * D }, () => r.nextNormal()),
    labels: Int32Array.from({ length: n }, () => r.nextInt(C)),
    numClasses: C,
  };
}
