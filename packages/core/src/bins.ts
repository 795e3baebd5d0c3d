/**
 * DQ bin generation: each class is cut into m non-overlapping bins by repeated greedy GraphCut
 * (docs/algorithm.md §3.2).
 *
 * Round r (0 ≤ r < m−1) runs GraphCut over the pool of the class items still unbinned at the start
 * of the round — the column sums Σ_{p ∈ pool} sim(p, x) are over that pool — and takes the k_r
 * best; the last bin is everything left (kept in pool order, as the reference code does, since it
 * is never picked). Bin sizes follow binSizes(). Each round recomputes its pool column sums with
 * CosineSpace.cosSums, O(|pool|·d), rather than subtracting the previous bin's selected sums:
 * it costs ≪ 1% of the round's greedy and carries no rounding from earlier rounds.
 *
 * Cost for a class of n items, d-dimensional space: O(Σ_r k_r·|pool_r|·pairCost) ≈ O(n²·pairCost/2)
 * for k_r = n/m; memory O(n) besides the space. Determinism: no randomness; ties to the earliest
 * pool position, and pools stay in the given (ascending, for binClass/binDataset) order.
 */
import type { CosineSpace } from "./gradient-embedding.ts";
import {
  checkLambda,
  checkPool,
  type GraphCutOptions,
  greedyGraphCutPositions,
  referenceGraphCut,
} from "./graphcut.ts";
import { Rng } from "./rng.ts";
import { range, simColumnSums } from "./similarity.ts";

export interface BinOptions extends GraphCutOptions {
  /**
   * Build each round's bin by stochastic greedy (Mirzasoleiman et al., "Lazier than lazy
   * greedy", AAAI 2015) instead of exact greedy: each pick evaluates only a seeded random sample
   * of s = ⌈(|pool|/k)·ln(1/ε)⌉ remaining candidates (all of them when fewer), with the selected
   * sum read off a running CosineSum. Per round O(|pool|·ln(1/ε)·sumCost) instead of
   * O(k·|pool|·pairCost): linear in the class size, not quadratic. Same bin sizes (binSizes),
   * same partition property; deterministic for a seed. In expectation each round's GraphCut
   * value is within (1 − 1/e − ε) of the optimum for the monotone case; agreement with exact
   * greedy is measured in bench/scale (RESULTS.md).
   */
  stochastic?: { epsilon: number; seed: number };
}

/**
 * Classes larger than this are binned by stochastic greedy in the binning stage: exact greedy
 * costs O(n²) (≈ 18 s at 20k items on these cores, ≈ 10 min at 100k, bench/scale), stochastic
 * greedy O(n). At and below it — CIFAR-10's 5,000, ImageNet's ≈ 1,300 per class — exact.
 */
export const STOCHASTIC_BINNING_ABOVE = 20_000;
/** ε of the stochastic builder: s = (|pool|/k)·ln(100) ≈ 4.6 candidates per bin to fill. */
export const STOCHASTIC_BINNING_EPSILON = 0.01;

/** Python's round() (half to even) of n/m for non-negative integers, exact in integer arithmetic. */
function roundHalfEvenRatio(n: number, m: number): number {
  const q = Math.floor(n / m);
  const r2 = 2 * (n - q * m);
  if (r2 > m || (r2 === m && q % 2 === 1)) return q + 1;
  return q;
}

/**
 * Sizes of the m bins of a class of n items: every bin but the last takes k = round(n/m) (half to
 * even, as Python's round in the reference), the last takes the rest. When that would leave the
 * last bin empty or negative (only for tiny classes, m(m−1) ≳ 2n, e.g. n = 9, m = 6), k falls back
 * to floor(n/m), so every bin is non-empty; the reference code rejects such budgets outright.
 */
export function binSizes(n: number, m: number): Int32Array {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n (class size) must be an integer ≥ 0, got ${n}`);
  if (!Number.isInteger(m) || m < 1)
    throw new RangeError(`m (number of bins) must be an integer ≥ 1, got ${m}`);
  if (m > n) throw new RangeError(`m (number of bins) = ${m} must not exceed the class size n = ${n}`);
  let k = roundHalfEvenRatio(n, m);
  if (k * (m - 1) >= n) k = Math.floor(n / m);
  const sizes = new Int32Array(m).fill(k);
  sizes[m - 1] = n - k * (m - 1);
  return sizes;
}

function pickBins(
  space: CosineSpace,
  items: Int32Array,
  m: number,
  options: BinOptions,
  select: (pool: Int32Array, k: number, lambda: number) => Int32Array,
): Int32Array[] {
  const lambda = checkLambda(options.lambda);
  checkPool(space, items, "items");
  const sizes = binSizes(items.length, m);
  const bins: Int32Array[] = [];
  let pool = Int32Array.from(items);
  for (let r = 0; r < m; r++) {
    if (r === m - 1) {
      bins.push(pool);
      break;
    }
    const k = sizes[r]!;
    const picked = select(pool, k, lambda); // pool positions, pick order
    bins.push(picked.map((p) => pool[p]!));
    const taken = new Uint8Array(pool.length);
    for (const p of picked) taken[p] = 1;
    const next = new Int32Array(pool.length - k);
    let w = 0;
    for (let j = 0; j < pool.length; j++) if (!taken[j]) next[w++] = pool[j]!;
    pool = next;
  }
  return bins;
}

/**
 * Bin the given items of a space (indices into it, distinct) into m bins; returns the bins as
 * item indices, each in pick order (the last bin in `items` order). Ties go to the earliest
 * position in `items`, i.e. the lowest index when items is ascending.
 */
export function binItems(
  space: CosineSpace,
  items: Int32Array,
  m = 10,
  options: BinOptions = {},
): Int32Array[] {
  const n = items.length;
  if (options.stochastic) return stochasticBinItems(space, items, m, options, options.stochastic);
  // Scratch shared by all rounds: O(n) float64 each.
  const colSums = new Float64Array(n);
  const selSums = new Float64Array(n);
  const row = new Float64Array(n);
  return pickBins(space, items, m, options, (pool, k, lambda) => {
    const R = pool.length;
    const cs = colSums.subarray(0, R);
    simColumnSums(space, pool, cs);
    const ss = selSums.subarray(0, R).fill(0);
    return greedyGraphCutPositions(space, pool, k, lambda, cs, ss, new Uint8Array(R), row);
  });
}

function stochasticBinItems(
  space: CosineSpace,
  items: Int32Array,
  m: number,
  options: BinOptions,
  { epsilon, seed }: { epsilon: number; seed: number },
): Int32Array[] {
  if (!(epsilon > 0 && epsilon < 1)) throw new RangeError(`epsilon must be in (0, 1), got ${epsilon}`);
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  const rng = new Rng(seed);
  const n = items.length;
  const colSums = new Float64Array(n);
  const rest = new Int32Array(n);
  const log = Math.log(1 / epsilon);
  return pickBins(space, items, m, options, (pool, k, lambda) => {
    const R = pool.length;
    const cs = colSums.subarray(0, R);
    simColumnSums(space, pool, cs);
    const sample = Math.max(1, Math.ceil((R / Math.max(1, k)) * log));
    const picks = new Int32Array(k);
    const sum = space.cosineSum();
    for (let j = 0; j < R; j++) rest[j] = j;
    let left = R;
    for (let step = 0; step < k; step++) {
      const sz = Math.min(left, sample);
      // Partial Fisher–Yates: rest[0, sz) becomes a uniform sample of the remaining positions.
      if (sz < left)
        for (let t = 0; t < sz; t++) {
          const j = t + rng.nextInt(left - t);
          const x = rest[t]!;
          rest[t] = rest[j]!;
          rest[j] = x;
        }
      let best = -1;
      let bestAt = -1;
      let bestGain = Number.NEGATIVE_INFINITY;
      for (let t = 0; t < sz; t++) {
        const p = rest[t]!;
        // sel(x) = Σ_s sim(s, x) = 0.5·|S| + 0.5·Σ_s cos(s, x), as the exact loop's running sums.
        const g = lambda * cs[p]! - 2 * (0.5 * step + 0.5 * sum.dot(pool[p]!));
        // Ties to the lowest pool position, as exact greedy (a full sample then picks the same).
        if (g > bestGain || best === -1 || (g === bestGain && p < best)) {
          bestGain = g;
          best = p;
          bestAt = t;
        }
      }
      picks[step] = best;
      sum.add(pool[best]!);
      rest[bestAt] = rest[left - 1]!;
      left--;
    }
    return picks;
  });
}

/** Bin every item of a class-level space into m bins (default 10). See binItems. */
export function binClass(space: CosineSpace, m = 10, options: BinOptions = {}): Int32Array[] {
  return binItems(space, range(space.n), m, options);
}

/**
 * binClass computed with referenceGraphCut in every round (explicit matrix per round, from-scratch
 * selected sums): O(Σ_r |pool_r|² + |pool_r|·k_r²) time, 8·n² bytes. Tests and benchmark only.
 */
export function referenceBinClass(space: CosineSpace, m = 10, options: BinOptions = {}): Int32Array[] {
  const items = range(space.n);
  return pickBins(space, items, m, options, (pool, k, lambda) => {
    // referenceGraphCut returns items; map back to positions in the (ascending) pool.
    const pos = new Map<number, number>();
    for (let j = 0; j < pool.length; j++) pos.set(pool[j]!, j);
    return referenceGraphCut(space, pool, k, { lambda }).map((x) => pos.get(x)!);
  });
}

export interface DatasetBinOptions extends BinOptions {
  /** Number of classes (result length); default max(label) + 1. */
  numClasses?: number;
}

/**
 * Per-class DQ binning of a whole data set: result[c][r] holds the global indices (into `space`
 * and `labels`) of bin r of class c, in pick order. Classes are binned independently over their
 * members in ascending index order; a class with no items gets no bins ([]), a class with fewer
 * than m items is an error. Memory O(n) besides the space; classes run one after another (to use
 * several cores, give each worker its own classes: results do not depend on the order).
 */
export function binDataset(
  space: CosineSpace,
  labels: Int32Array,
  m = 10,
  options: DatasetBinOptions = {},
): Int32Array[][] {
  if (!Number.isInteger(m) || m < 1)
    throw new RangeError(`m (number of bins) must be an integer ≥ 1, got ${m}`);
  if (labels.length !== space.n)
    throw new RangeError(`labels length ${labels.length} must equal the space's item count ${space.n}`);
  let C = options.numClasses;
  if (C === undefined) {
    C = 0;
    for (let i = 0; i < labels.length; i++) C = Math.max(C, labels[i]! + 1);
  }
  if (!Number.isInteger(C) || C < 0) throw new RangeError(`numClasses must be an integer ≥ 0, got ${C}`);
  const counts = new Int32Array(C);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (y < 0 || y >= C) throw new RangeError(`labels[${i}] = ${y} is outside [0, numClasses = ${C})`);
    counts[y]!++;
  }
  const members = Array.from(counts, (c) => new Int32Array(c));
  const fill = new Int32Array(C);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    members[y]![fill[y]!++] = i;
  }
  return members.map((items, c) => {
    if (items.length === 0) return [];
    if (m > items.length)
      throw new RangeError(
        `m (number of bins) = ${m} must not exceed the size ${items.length} of class ${c}`,
      );
    return binItems(space, items, m, options);
  });
}

/** Flatten per-class bins into a per-item bin index (−1 for items in no bin). O(n). */
export function binIndexOf(binsPerClass: readonly (readonly Int32Array[])[], n: number): Int32Array {
  const out = new Int32Array(n).fill(-1);
  for (const bins of binsPerClass) for (let r = 0; r < bins.length; r++) for (const i of bins[r]!) out[i] = r;
  return out;
}
