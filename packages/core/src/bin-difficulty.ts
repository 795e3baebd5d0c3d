/**
 * ADQ (and DQ) on held-out difficulty: the two levers that made CCS beat random sampling
 * (ccs.ts), applied to the bin methods without changing their allocation (allocation.ts).
 *
 *  - Hard-example pruning (β): before the allocation, the hardest ⌊β·n⌋ members of a class
 *    (n = its members over all bins) leave their bins — exactly CCS's cut-off (`hardCutoff`:
 *    the same score order and tie rule), so at equal β and difficulty both methods drop the
 *    same items. The allocation then runs over the bins' remaining sizes and each bin draws
 *    from its remaining members. Budget: as in CCS, the cut never leaves fewer than the class
 *    budget (it is capped at n − budget), so the budget is always met exactly.
 *  - Strata inside a bin (k > 0): a bin's allocated count is drawn by CCS's stratified
 *    sampling (β = 0, k equal-width strata over the bin's difficulty, smallest strata first)
 *    from the stream (seed, "adq-strata", class, bin, stratum), instead of uniformly.
 *
 * β = 0 and k = 0 are the paper's recipe: nothing here runs and the bins' uniform draws
 * (selection.ts sampleUnit) are unchanged.
 */
import { ccsSelect, checkScores, hardCutoff } from "./ccs.ts";

export interface PrunedBins {
  /** Each bin's members that survive the cut, ascending. */
  bins: number[][];
  /** Members removed from each bin. */
  prunedPerBin: number[];
  /** Members removed in all: min(⌊β·n⌋, n − budget). */
  pruned: number;
}

/**
 * Removes a class's hardest members from its bins. `difficulty(member)` is the member's
 * score (higher = harder; EL2N of held-out p in the pipeline). O(n log n).
 * @throws RangeError on β outside [0, 1), a budget outside [0, n], a non-finite score
 */
export function pruneBins(
  bins: readonly (readonly number[])[],
  difficulty: (member: number) => number,
  beta: number,
  budget: number,
): PrunedBins {
  if (!(beta >= 0 && beta < 1)) throw new RangeError(`adq beta must be in [0, 1), got ${beta}`);
  const members = bins.flat();
  const n = members.length;
  if (!(Number.isSafeInteger(budget) && budget >= 0 && budget <= n))
    throw new RangeError(`budget must be an integer in [0, ${n}], got ${budget}`);
  const scores = members.map(difficulty);
  checkScores(members, scores, "adq beta");
  const { order, pruned } = hardCutoff(members, scores, beta, budget);
  const dropped = new Set<number>();
  for (let i = n - pruned; i < n; i++) dropped.add(members[order[i]!]!);
  const out = bins.map((b) => [...b].filter((g) => !dropped.has(g)).sort((x, y) => x - y));
  return { bins: out, prunedPerBin: bins.map((b, i) => b.length - out[i]!.length), pruned };
}

/**
 * `counts[b]` members of each bin b by CCS's stratified sampling over their difficulty (β = 0,
 * `strata` strata), each bin from its own stream (seed, "adq-strata", classIndex, b);
 * ascending per bin. O(Σ |bin| log |bin|).
 * @throws RangeError on strata < 1, a count outside [0, |bin|], a non-finite score
 */
export function strataDrawsInBins(
  bins: readonly (readonly number[])[],
  counts: ArrayLike<number>,
  difficulty: (member: number) => number,
  o: { strata: number; seed: number; classIndex: number },
): number[][] {
  if (counts.length !== bins.length) throw new RangeError(`${counts.length} counts for ${bins.length} bins`);
  return bins.map((members, b) => {
    const sorted = Int32Array.from(members).sort();
    const r = ccsSelect(sorted, Float64Array.from(sorted, difficulty), counts[b]!, {
      beta: 0,
      strata: o.strata,
      seed: o.seed,
      unit: o.classIndex,
      stream: ["adq-strata", o.classIndex, b],
    });
    return Array.from(r.indices);
  });
}
