/**
 * Coverage-centric coreset selection (CCS; Zheng, Liu, Li, Prakash, ICLR 2023, Algorithm 1),
 * the score-based baseline a subset method has to beat at small budgets.
 *
 * Given a difficulty score per item (higher = harder, e.g. EL2N ‖p − y‖₂ from held-out
 * predictions, or a negated area-under-the-margin):
 *  1. hard cut-off: drop the ⌊β·n⌋ hardest items (mislabelled or ambiguous examples), but never
 *     so many that fewer than `budget` remain;
 *  2. split the remaining score range [min, max] into k strata of equal width (the last one
 *     closed at max), so every difficulty level is represented;
 *  3. visit strata from the smallest to the largest and give each min(|stratum|, ⌊B / strata
 *     left⌋) of the budget B still open — small strata are taken whole, the rest share evenly;
 *  4. sample uniformly inside each stratum from the stream Rng.derive(seed, "ccs", unit, stratum).
 *
 * Departure from the paper: the paper runs CCS over the whole data set; here it runs per class on
 * the class budget of `allocateAcrossClasses`, so the counting rule (exactly round(ρ·N), class
 * counts ⌊ρ·N_c⌋ or ⌈ρ·N_c⌉) is the same as for random, DQ and ADQ, and a comparison of methods
 * differs only in which items of a class are picked. In step 3 the remainder that ⌊·⌋ leaves
 * is carried to the later (larger) strata, so the budget is always met exactly.
 *
 * Cost: O(n log n) for the hard cut-off sort, O(n + k log k) for the strata and O(budget) draws.
 */
import { Rng } from "./rng.ts";

export interface CcsOptions {
  /** Share of the hardest items dropped before stratifying, in [0, 1). */
  beta: number;
  /** Number of equal-width strata over the remaining score range, ≥ 1. */
  strata: number;
  seed: number;
  /** Names the unit (e.g. the class index) so each unit draws from its own stream. */
  unit: number;
  /**
   * The unit's stream path under `seed` (stratum j draws from Rng.derive(seed, ...stream, j));
   * default ["ccs", unit]. ADQ's in-bin strata name (class, bin) here (bin-difficulty.ts).
   */
  stream?: ReadonlyArray<string | number>;
}

export interface CcsResult {
  /** Selected members, ascending. */
  indices: Int32Array;
  /** Members dropped by the hard cut-off. */
  pruned: number;
  /** Per stratum (ascending difficulty): members after the cut-off, and how many were picked. */
  strataSizes: number[];
  strataCounts: number[];
}

export function checkCcsOptions(o: CcsOptions): void {
  if (!(o.beta >= 0 && o.beta < 1)) throw new RangeError(`ccs beta must be in [0, 1), got ${o.beta}`);
  if (!(Number.isSafeInteger(o.strata) && o.strata >= 1))
    throw new RangeError(`ccs strata must be an integer ≥ 1, got ${o.strata}`);
  if (!Number.isSafeInteger(o.seed)) throw new RangeError(`seed must be an integer, got ${o.seed}`);
}

/**
 * CCS's hard cut-off, shared with ADQ's hard-example pruning (bin-difficulty.ts): positions
 * of `members` ordered easiest first (by score, ties by member index), and how many of the
 * hardest — the tail of that order — are dropped: ⌊β·n⌋, but never so many that fewer than
 * `budget` remain. `scores` must be finite. O(n log n).
 */
export function hardCutoff(
  members: ArrayLike<number>,
  scores: ArrayLike<number>,
  beta: number,
  budget: number,
): { order: number[]; pruned: number } {
  const n = members.length;
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => scores[a]! - scores[b]! || members[a]! - members[b]!,
  );
  return { order, pruned: Math.max(0, Math.min(Math.floor(beta * n), n - budget)) };
}

/** Throws unless every score is finite (naming the member). */
export function checkScores(members: ArrayLike<number>, scores: ArrayLike<number>, what: string): void {
  if (scores.length !== members.length)
    throw new RangeError(`${what}: ${scores.length} scores for ${members.length} members`);
  for (let i = 0; i < members.length; i++)
    if (!Number.isFinite(scores[i]!))
      throw new RangeError(`${what}: score of member ${members[i]} is not finite`);
}

/**
 * Selects `budget` of `members` (global indices) by CCS on their `scores` (same order).
 * Ties in the cut-off are broken by member index (the larger index is dropped first), so the
 * result is a function of the inputs alone.
 */
export function ccsSelect(
  members: ArrayLike<number>,
  scores: ArrayLike<number>,
  budget: number,
  options: CcsOptions,
): CcsResult {
  checkCcsOptions(options);
  const n = members.length;
  if (scores.length !== n) throw new RangeError(`ccs: ${scores.length} scores for ${n} members`);
  if (!(Number.isSafeInteger(budget) && budget >= 0 && budget <= n))
    throw new RangeError(`ccs budget must be an integer in [0, ${n}], got ${budget}`);
  checkScores(members, scores, "ccs");
  const strataSizes = new Array<number>(options.strata).fill(0);
  const strataCounts = new Array<number>(options.strata).fill(0);
  if (budget === 0) return { indices: new Int32Array(0), pruned: 0, strataSizes, strataCounts };

  // 1. Hard cut-off, easiest first; ties by member index.
  const { order, pruned } = hardCutoff(members, scores, options.beta, budget);
  const kept = order.slice(0, n - pruned);

  // 2. Equal-width strata over the kept scores.
  const k = options.strata;
  const lo = scores[kept[0]!]!;
  const hi = scores[kept[kept.length - 1]!]!;
  const width = (hi - lo) / k;
  const strata: number[][] = Array.from({ length: k }, () => []);
  for (const i of kept) {
    const s = width > 0 ? Math.min(k - 1, Math.floor((scores[i]! - lo) / width)) : 0;
    strata[s]!.push(members[i]!);
  }
  strata.forEach((s, j) => {
    strataSizes[j] = s.length;
  });

  // 3. Smallest strata first, each min(size, ⌊B / strata left⌋); ties by stratum index.
  const visit = strata
    .map((_s, j) => j)
    .filter((j) => strata[j]!.length > 0)
    .sort((a, b) => strata[a]!.length - strata[b]!.length || a - b);
  let open = budget;
  visit.forEach((j, v) => {
    const left = visit.length - v;
    const m = Math.min(strata[j]!.length, v === visit.length - 1 ? open : Math.floor(open / left));
    strataCounts[j] = m;
    open -= m;
  });
  // ⌊·⌋ can leave a remainder when the last strata are full: hand it to strata with room, easiest first.
  for (let j = 0; open > 0 && j < k; j++) {
    const room = strata[j]!.length - strataCounts[j]!;
    const add = Math.min(room, open);
    strataCounts[j]! += add;
    open -= add;
  }

  // 4. Uniform draws inside each stratum.
  const picked: number[] = [];
  strata.forEach((s, j) => {
    const count = strataCounts[j]!;
    if (count === 0) return;
    const sorted = Int32Array.from(s).sort();
    const rng = Rng.derive(options.seed, ...(options.stream ?? ["ccs", options.unit]), j);
    for (const p of rng.sampleIndices(sorted.length, count)) picked.push(sorted[p]!);
  });
  return { indices: Int32Array.from(picked).sort(), pruned, strataSizes, strataCounts };
}

/**
 * EL2N difficulty (Paul et al., 2021) of rows of logits that all belong to class `y`:
 * ‖softmax(z) − e_y‖₂ per row, in [0, √2]. With held-out logits (a cross-fitted head) an item's
 * score does not depend on its own label's fit. O(rows · width).
 */
export function el2nScores(logits: ArrayLike<number>, width: number, y: number): Float64Array {
  if (!(Number.isInteger(width) && width >= 1 && logits.length % width === 0))
    throw new RangeError(`el2n: ${logits.length} logits are not rows of width ${width}`);
  if (!(Number.isInteger(y) && y >= 0 && y < width))
    throw new RangeError(`el2n: class ${y} outside ${width} logits`);
  const rows = logits.length / width;
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let k = 0; k < width; k++) max = Math.max(max, logits[r * width + k]!);
    let sum = 0;
    for (let k = 0; k < width; k++) sum += Math.exp(logits[r * width + k]! - max);
    let sq = 0;
    for (let k = 0; k < width; k++) {
      const d = Math.exp(logits[r * width + k]! - max) / sum - (k === y ? 1 : 0);
      sq += d * d;
    }
    out[r] = Math.sqrt(sq);
  }
  return out;
}
