/**
 * How many items to keep: per class (`allocateAcrossClasses`) and per bin (`allocateBins`).
 *
 * ## Class level
 * The total kept is round(ρ·N_total) exactly — the user asked for ρ of the data set, so the total
 * wins over per-class rounding (Σ_c round(ρ·N_c) can differ from it by a few items, e.g. at
 * ρ = 0.12345). It is split over classes by largest remainder on the quotas ρ·N_c (`rounding.ts`),
 * so every class gets ⌊ρ·N_c⌋ or ⌈ρ·N_c⌉, a larger class never gets fewer, and equal classes share
 * the round-ups evenly rather than class 0 taking them all.
 *
 * ## Bin level: the paper's Eq. 9–10 and what we compute instead
 * The paper writes r_n = α·Î_n + (1 − α)·N(n)/ΣN and q_n = ⌊r_n·N(n)⌋, with Î_n the z-scored
 * importance. Taken literally this cannot be used: Î_n sums to 0 and is of order ±2, so r_n is
 * negative for about half the bins at α = 0.6; q_n never sees the keep ratio ρ (at α = 0 with m equal
 * bins it keeps N/m² per bin, i.e. ρ = 1/m whatever was asked); and the floors lose up to m items.
 * What Eq. 9 evidently intends is a convex mix of two *shares* of the class budget B — a size share
 * N(n)/ΣN (DQ's uniform sampling) and an importance share — with α = 0 giving back DQ.
 * We make that precise:
 *
 *   g_n  = exp(s·Î_n)                  (positive, monotone; s = `strength`)
 *   ĝ_n  = g_n / (Σ_k N(k)·g_k / ΣN)   (size-weighted mean of ĝ is 1)
 *   π_n  = N(n)·ĝ_n / ΣN              (importance share, Σπ = 1)
 *   r_n  = α·π_n + (1 − α)·N(n)/ΣN     (Eq. 9 with π_n in place of Î_n)
 *   q_n  = B·r_n, made integer with Σq = B exactly and q_n ≤ N(n)   (Eq. 10 with B in place of N(n))
 *
 * Equivalently bin n's weight is w_n = N(n)·[(1 − α) + α·ĝ_n] and q_n ∝ w_n: the bin's keep rate is
 * ρ_class·[(1 − α) + α·ĝ_n], a per-bin multiplier of DQ's uniform rate. That is exactly the form of
 * the authors' code, w_n = N(n)·importance_n with importance_n hard-coded in 0.985–1.18: their
 * constants play the role of (1 − α) + α·ĝ_n (docs/algorithm.md §5.2). Here they come from the scores.
 *
 * Why exp: it is positive for any Î (no bin is emptied by a clip at 0 — emptying a bin would undo the
 * DQ coverage argument), and it is invariant to adding a constant to all Î_n of a class, so the
 * allocation does not depend on where the normalisation put its zero (e.g. with the "global" scope
 * of `importanceByClass`). One unit of Î multiplies a bin's importance share by e^s. A linear map
 * g = max(0, 1 + s·Î) is available (`map: "linear"`) for comparison with the paper's additive form;
 * it treats every bin with Î ≤ −1/s alike (g = 0: such bins keep only their (1 − α) DQ part).
 * Default s = 0.2 (≈ +22% per unit of Î at α = 1); with α = 0.65 and Î spread over ±2.5 the
 * multipliers span about 0.73–1.37 (max/min ≈ 1.9). The code's 0.985–1.18 (max/min ≈ 1.2) matches
 * s ≈ 0.056 at α = 0.65 (s ≈ 0.036 at α = 1); docs/algorithm.md §11.6 records that such weak tilts move
 * only ~10% of a bin, within seed noise — hence the stronger default, which the benchmark should tune.
 *
 * Integer counts: largest remainder with water-filling (`apportion`): every q_n is within floor/ceil
 * of its share B·r_n unless that share exceeds N(n), in which case q_n = N(n) and the excess goes to
 * the other bins in proportion to their weights. Deterministic; α = 0 is exactly DQ's allocation.
 */

import { apportion, largestRemainder, type RoundingMethod } from "./rounding.ts";

/** The paper's best α range is 0.6–0.7 (Fig. 6). */
export const DEFAULT_ALPHA = 0.65;
/** Default strength s of the importance map (see module comment). */
export const DEFAULT_STRENGTH = 0.2;

export type ImportanceMap = "exp" | "linear";

export interface BinAllocationOptions {
  /** s in g = exp(s·Î) or max(0, 1 + s·Î); default DEFAULT_STRENGTH. Must be ≥ 0. */
  strength?: number;
  /** Default "exp". */
  map?: ImportanceMap;
  /** Default "largest-remainder"; "cumulative" gives running-total rounding (not monotone). */
  rounding?: RoundingMethod;
}

export interface BinAllocation {
  /** q_n: items to keep from bin n; Σ = budget, 0 ≤ q_n ≤ N(n). */
  counts: Int32Array;
  /** The real-valued target B·r_n before capping and rounding. */
  shares: Float64Array;
  /** Keep-rate multiplier of bin n relative to DQ: (1 − α) + α·ĝ_n (1 for every bin at α = 0). */
  multipliers: Float64Array;
}

function checkSizes(sizes: ArrayLike<number>, name: string): number {
  let sum = 0;
  for (let i = 0; i < sizes.length; i++) {
    const s = sizes[i]!;
    if (!Number.isSafeInteger(s) || s < 0)
      throw new RangeError(`${name}[${i}] must be a non-negative integer, got ${s}`);
    sum += s;
  }
  return sum;
}

function checkAlpha(alpha: number): void {
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`alpha must be in [0, 1], got ${alpha}`);
}

/** ρ must be in (0, 1]. */
export function checkRatio(ratio: number): void {
  if (!(ratio > 0 && ratio <= 1)) throw new RangeError(`ratio must be in (0, 1], got ${ratio}`);
}

/**
 * Per-class keep counts: total round(ratio·ΣN_c) exactly, class c within ⌊ratio·N_c⌋..⌈ratio·N_c⌉.
 */
export function allocateAcrossClasses(classSizes: ArrayLike<number>, ratio: number): Int32Array {
  checkRatio(ratio);
  const n = checkSizes(classSizes, "classSizes");
  const quotas = new Float64Array(classSizes.length);
  for (let c = 0; c < quotas.length; c++) quotas[c] = ratio * classSizes[c]!;
  // |ratio·N − round(ratio·N)| ≤ 1/2 keeps the total inside [Σ⌊quota⌋, Σ⌈quota⌉] (see rounding.ts).
  return largestRemainder(quotas, Math.round(ratio * n));
}

/**
 * Adaptive per-bin allocation of one class's budget (see module comment for the mapping from Eq. 9–10).
 *
 * @param sizes      N(n), items in each bin of the class
 * @param importance Î_n, the (normalised) importance score of each bin; ignored when alpha = 0
 * @param alpha      α ∈ [0, 1]; 0 = DQ's uniform sampling
 * @param budget     B, items to keep from the class; 0 ≤ B ≤ ΣN(n)
 */
export function allocateBins(
  sizes: ArrayLike<number>,
  importance: ArrayLike<number> | undefined,
  alpha: number,
  budget: number,
  options: BinAllocationOptions = {},
): BinAllocation {
  const total = checkSizes(sizes, "sizes");
  checkAlpha(alpha);
  if (!Number.isSafeInteger(budget) || budget < 0 || budget > total)
    throw new RangeError(`budget must be an integer in [0, ${total}], got ${budget}`);
  const { strength = DEFAULT_STRENGTH, map = "exp", rounding = "largest-remainder" } = options;
  if (!(strength >= 0 && Number.isFinite(strength)))
    throw new RangeError(`strength must be a finite non-negative number, got ${strength}`);
  if (map !== "exp" && map !== "linear")
    throw new RangeError(`map must be "exp" or "linear", got ${String(map)}`);
  const m = sizes.length;

  const multipliers = new Float64Array(m).fill(1);
  if (alpha > 0) {
    if (importance === undefined) throw new RangeError("importance is required when alpha > 0");
    if (importance.length !== m)
      throw new RangeError(`importance must have one entry per bin (${m}), got ${importance.length}`);
    const g = new Float64Array(m);
    let maxZ = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < m; i++) {
      const z = importance[i]!;
      if (!Number.isFinite(z)) throw new RangeError(`importance[${i}] must be finite, got ${z}`);
      if (sizes[i]! > 0 && z > maxZ) maxZ = z;
    }
    // exp(s·(Î − max Î)) instead of exp(s·Î): same after normalisation, never overflows.
    for (let i = 0; i < m; i++)
      g[i] =
        map === "exp"
          ? Math.exp(strength * (importance[i]! - maxZ))
          : Math.max(0, 1 + strength * importance[i]!);
    let weighted = 0;
    for (let i = 0; i < m; i++) weighted += sizes[i]! * g[i]!;
    // Only possible with the linear map when every bin is clipped to 0: fall back to DQ (ĝ = 1).
    if (weighted > 0) {
      const norm = total / weighted;
      for (let i = 0; i < m; i++) multipliers[i] = 1 - alpha + alpha * g[i]! * norm;
    }
  }

  const weights = new Float64Array(m);
  let wSum = 0;
  for (let i = 0; i < m; i++) {
    weights[i] = sizes[i]! * multipliers[i]!;
    wSum += weights[i]!;
  }
  const shares = new Float64Array(m);
  if (wSum > 0) for (let i = 0; i < m; i++) shares[i] = (budget * weights[i]!) / wSum;
  const counts = apportion(weights, budget, { caps: sizes, method: rounding });
  return { counts, shares, multipliers };
}
