/** Synthetic bins for the diversity-score tests and bench/diversity.bench.ts. */
import type { Rng } from "./rng.ts";

export interface Bin {
  v1: Float32Array;
  v2: Float32Array;
}

/**
 * CIFAR-shaped synthetic bin: non-negative features = class mean + spread·(low-rank structure +
 * isotropic part), two views = features + augmentation noise `aug`.
 */
export function classBins(rng: Rng, n: number, f: number, spreads: number[], aug = 0.25): Bin[] {
  const rank = 12;
  const basis = Float64Array.from({ length: rank * f }, () => rng.nextNormal() / Math.sqrt(rank));
  const mu = Float64Array.from({ length: f }, () => 1 + 0.5 * rng.nextNormal());
  const c = new Float64Array(rank);
  return spreads.map((s) => {
    const v1 = new Float32Array(n * f);
    const v2 = new Float32Array(n * f);
    for (let i = 0; i < n; i++) {
      for (let r = 0; r < rank; r++) c[r] = rng.nextNormal();
      for (let k = 0; k < f; k++) {
        let x = mu[k]!;
        for (let r = 0; r < rank; r++) x += s * c[r]! * basis[r * f + k]!;
        x += 0.3 * s * rng.nextNormal();
        v1[i * f + k] = Math.max(0, x + aug * rng.nextNormal());
        v2[i * f + k] = Math.max(0, x + aug * rng.nextNormal());
      }
    }
    return { v1, v2 };
  });
}
