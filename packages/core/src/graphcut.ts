/**
 * Greedy GraphCut selection (DQ's bin objective), fast and reference forms.
 *
 * Picks k items from a pool one at a time, each maximising
 *   gain(x) = λ·Σ_{p ∈ pool} sim(p, x) − 2·Σ_{s ∈ selected} sim(s, x),
 * ties to the earliest pool position (numpy argmax semantics; the lowest index for an ascending
 * pool). All sums are float64 (docs/algorithm.md §11.1: float32 sums flip near-ties).
 *
 * Fast form: the pool column sums come from CosineSpace.cosSums in O(|pool|·d) without any matrix,
 * and the selected sums are kept as running sums: each pick adds one similarity row. Per pick
 * O(|pool|·pairCost) time; O(|pool|) memory besides the space. The running sum adds the rows in
 * pick order, exactly as a from-scratch sum in pick order would, so the picks equal
 * referenceGraphCut's bit for bit whenever both see the same column sums.
 *
 * Reference form (referenceGraphCut): the DQ code's behaviour — an explicit |pool|² similarity
 * matrix and Σ_{s ∈ selected} recomputed from scratch at every step: O(|pool|·k²) time,
 * 8·|pool|² bytes. For tests and the benchmark baseline only.
 */
import type { CosineSpace } from "./gradient-embedding.ts";
import { simColumnSums, similarityMatrix } from "./similarity.ts";

export interface GraphCutOptions {
  /** Weight of the pool-coverage term; default 1 (DQ). Any finite value. */
  lambda?: number;
}

/** Validate and return λ. */
export function checkLambda(lambda: number | undefined): number {
  const l = lambda ?? 1;
  if (typeof l !== "number" || !Number.isFinite(l)) throw new RangeError(`lambda must be finite, got ${l}`);
  return l;
}

/** Check that pool holds distinct item indices of the space. O(n) time and memory. */
export function checkPool(space: CosineSpace, pool: Int32Array, name = "pool"): void {
  const seen = new Uint8Array(space.n);
  for (let j = 0; j < pool.length; j++) {
    const x = pool[j]!;
    if (x < 0 || x >= space.n) throw new RangeError(`${name}[${j}] = ${x} is outside [0, n = ${space.n})`);
    if (seen[x]) throw new RangeError(`${name} contains item ${x} twice`);
    seen[x] = 1;
  }
}

function checkK(k: number, poolSize: number): void {
  if (!Number.isInteger(k) || k < 0 || k > poolSize)
    throw new RangeError(`k must be an integer in [0, pool size = ${poolSize}], got ${k}`);
}

/**
 * The position j < R of the largest gain λ·colSums[j] − 2·selSums[j] among those not taken.
 * Strict ">" keeps the earliest position on ties; best === −1 guards a −∞ first gain. O(R).
 */
function bestGain(
  lambda: number,
  colSums: Float64Array,
  selSums: Float64Array,
  taken: Uint8Array,
  R: number,
): number {
  let best = -1;
  let bestGain = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < R; j++) {
    if (taken[j]) continue;
    const g = lambda * colSums[j]! - 2 * selSums[j]!;
    if (g > bestGain || best === -1) {
      bestGain = g;
      best = j;
    }
  }
  return best;
}

/**
 * The greedy loop on prepared column sums. Returns the picked pool positions in pick order and
 * marks them in `taken`. colSums[j] = Σ_{p ∈ pool} sim(p, pool[j]); selSums must be zeros on
 * entry (it ends holding Σ_{s ∈ picked} sim(s, pool[j])). `row` is scratch of length ≥ |pool|.
 * Per pick: one cosRow over the pool plus two O(|pool|) passes.
 */
export function greedyGraphCutPositions(
  space: CosineSpace,
  pool: Int32Array,
  k: number,
  lambda: number,
  colSums: Float64Array,
  selSums: Float64Array,
  taken: Uint8Array,
  row: Float64Array,
): Int32Array {
  const R = pool.length;
  const picks = new Int32Array(k);
  for (let step = 0; step < k; step++) {
    const best = bestGain(lambda, colSums, selSums, taken, R);
    picks[step] = best;
    taken[best] = 1;
    if (step + 1 === k) break; // the last pick's row is never needed
    space.cosRow(pool[best]!, row, pool);
    for (let j = 0; j < R; j++) selSums[j]! += 0.5 + 0.5 * row[j]!;
  }
  return picks;
}

/**
 * A greedy GraphCut: k items of `pool` (item indices of `space`) in pick order. graphCut and
 * referenceGraphCut are two implementations of it that pick the same items.
 */
export type GraphCutFn = (
  space: CosineSpace,
  pool: Int32Array,
  k: number,
  options?: GraphCutOptions,
) => Int32Array;

/** Checks a GraphCutFn's arguments (λ, then the pool, then k); returns λ. */
function checkArgs(space: CosineSpace, pool: Int32Array, k: number, options: GraphCutOptions): number {
  const lambda = checkLambda(options.lambda);
  checkPool(space, pool);
  checkK(k, pool.length);
  return lambda;
}

/**
 * Greedy GraphCut on running sums.
 * O(|pool|·d) for the column sums + O(k·|pool|·pairCost) for the picks; O(|pool|) memory.
 */
export const graphCut: GraphCutFn = (space, pool, k, options = {}) => {
  const lambda = checkArgs(space, pool, k, options);
  const R = pool.length;
  const colSums = new Float64Array(R);
  simColumnSums(space, pool, colSums);
  const pos = greedyGraphCutPositions(
    space,
    pool,
    k,
    lambda,
    colSums,
    new Float64Array(R),
    new Uint8Array(R),
    new Float64Array(R),
  );
  return pos.map((p) => pool[p]!);
};

/**
 * Reference GraphCut, written as the DQ code behaves: explicit |pool|² similarity matrix, column
 * sums read off it, and Σ_{s ∈ selected} sim(s, x) recomputed from scratch (in pick order) at every
 * step. O(|pool|²·pairCost + |pool|·k²) time, 8·|pool|² bytes. Same result type as graphCut.
 */
export const referenceGraphCut: GraphCutFn = (space, pool, k, options = {}) => {
  const lambda = checkArgs(space, pool, k, options);
  const R = pool.length;
  const S = similarityMatrix(space, pool);
  const col = new Float64Array(R);
  for (let p = 0; p < R; p++) for (let x = 0; x < R; x++) col[x]! += S[p * R + x]!;
  const taken = new Uint8Array(R);
  const picked: number[] = [];
  const sel = new Float64Array(R);
  for (let step = 0; step < k; step++) {
    // From scratch: each x's sum runs over the picks in pick order (row-wise for cache locality).
    sel.fill(0);
    for (const q of picked) {
      const o = q * R;
      for (let x = 0; x < R; x++) sel[x]! += S[o + x]!;
    }
    const best = bestGain(lambda, col, sel, taken, R);
    picked.push(best);
    taken[best] = 1;
  }
  return Int32Array.from(picked, (p) => pool[p]!);
};
