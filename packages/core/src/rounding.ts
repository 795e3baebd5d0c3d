/**
 * Integer apportionment: turning real-valued shares into integer counts with an exact total.
 *
 * Every count ADQ keeps (per class, per bin) comes from here, so the guarantees are stated once:
 *
 * - **exact total**: the counts sum to the requested integer total;
 * - **quota**: each count is ⌊share⌋ or ⌈share⌉ (an integral share is met exactly);
 * - **deterministic**: a pure function of its inputs (no randomness, no dependence on anything else);
 * - **caps** (`apportion`): count ≤ cap, the excess water-filled onto the uncapped items.
 *
 * Two rounding rules are offered.
 *
 * `"cumulative"` (running-total rounding): count_i = round(S_{i+1}) − round(S_i) over the prefix
 * sums S of the shares. The total telescopes to exactly T and every count is within floor/ceil of its
 * share. Its point is ties: plain largest remainder breaks equal remainders by lowest index, so with
 * equal shares (equal class sizes, equal bins) *every* round-up lands on the first items — class 0,
 * bin 0 — in every class and every run, a systematic bias (docs/algorithm.md §11.7). The running total
 * spreads round-ups evenly along the sequence instead. Its weakness: it is not monotone —
 * shares [0.5, 0.7, 0.8] with total 2 give [1, 0, 1], so an item with a larger share can get fewer.
 *
 * `"largest-remainder"` (the default): Hamilton's method — floors first, then the remaining units go
 * to the largest fractional remainders — which *is* monotone (a larger share never gets a smaller
 * count), with the tie problem fixed the cumulative way: among items whose remainders are exactly
 * equal at the cut, the units are spread evenly over the tied group by running-total rounding of
 * equal shares, not handed to the lowest indices. For equal shares (the only case where the lowest-
 * index bias arises) both rules give the same counts. ADQ uses this default so that, within a class
 * of equal-sized bins, a bin with a higher importance score is never given fewer items than one with
 * a lower score.
 */

export type RoundingMethod = "largest-remainder" | "cumulative";

/** Relative slack allowed between Σ shares and the integer total (float summation error). */
const SUM_TOLERANCE = 1e-9;

function checkShares(shares: ArrayLike<number>, name: string): void {
  for (let i = 0; i < shares.length; i++) {
    const s = shares[i]!;
    if (!Number.isFinite(s) || s < 0)
      throw new RangeError(`${name}[${i}] must be a finite non-negative number, got ${s}`);
  }
}

function checkTotal(total: number): void {
  if (!Number.isSafeInteger(total) || total < 0)
    throw new RangeError(`total must be a non-negative integer, got ${total}`);
}

/**
 * Counts for `k` units spread evenly over `g` equal slots: running-total rounding of g equal shares
 * k/g, in exact integer arithmetic. Slot j gets one iff ⌊((j+1)k + g/2)/g⌋ > ⌊(jk + g/2)/g⌋.
 */
function spreadEvenly(g: number, k: number): Uint8Array {
  const out = new Uint8Array(g);
  let prev = 0; // the j = 0 prefix: ⌊g / 2g⌋
  for (let j = 0; j < g; j++) {
    const next = Math.floor((2 * (j + 1) * k + g) / (2 * g));
    out[j] = next - prev;
    prev = next;
  }
  return out;
}

/** ⌊s⌋ of every share and Σ⌊s⌋: where both roundings start before handing out the remainder. */
function floorsOf(shares: ArrayLike<number>): { counts: Int32Array; floorSum: number } {
  const counts = new Int32Array(shares.length);
  let floorSum = 0;
  for (let i = 0; i < shares.length; i++) {
    const f = Math.floor(shares[i]!);
    counts[i] = f;
    floorSum += f;
  }
  return { counts, floorSum };
}

/**
 * Largest-remainder apportionment with evenly spread ties (see module comment).
 *
 * `shares` need not sum to `total` exactly: any total with Σ⌊s⌋ ≤ total ≤ Σ⌈s⌉ is accepted, and each
 * count is still within floor/ceil of its own share. That lets a caller round quotas ρ·N_c whose sum
 * ρ·N is not an integer to the total round(ρ·N) without distorting the quotas.
 */
export function largestRemainder(shares: ArrayLike<number>, total: number): Int32Array {
  checkShares(shares, "shares");
  checkTotal(total);
  const n = shares.length;
  const { counts, floorSum } = floorsOf(shares);
  let ceilSum = 0;
  for (let i = 0; i < n; i++) ceilSum += Math.ceil(shares[i]!);
  if (total < floorSum || total > ceilSum)
    throw new RangeError(
      `total ${total} cannot be met within floor/ceil of the shares (Σ⌊s⌋ = ${floorSum}, Σ⌈s⌉ = ${ceilSum})`,
    );
  const extra = total - floorSum;
  if (extra === 0) return counts;

  // Candidates: items with a non-zero remainder, largest first, index order among equals.
  const cand: number[] = [];
  for (let i = 0; i < n; i++) if (shares[i]! - counts[i]! > 0) cand.push(i);
  const rem = (i: number) => shares[i]! - Math.floor(shares[i]!);
  cand.sort((a, b) => rem(b) - rem(a) || a - b);

  // The cut falls inside the group of remainders equal to the extra-th largest one.
  const cut = rem(cand[extra - 1]!);
  let above = 0;
  while (rem(cand[above]!) > cut) above++;
  let end = above;
  while (end < cand.length && rem(cand[end]!) === cut) end++;
  for (let j = 0; j < above; j++) counts[cand[j]!]!++;
  // Tied group members are already in ascending index order (sort key falls back to the index).
  const spread = spreadEvenly(end - above, extra - above);
  for (let j = above; j < end; j++) counts[cand[j]!]! += spread[j - above]!;
  return counts;
}

/**
 * Running-total rounding (see module comment). Requires Σ shares = total up to float error.
 *
 * Implemented on the fractional remainders (the integer parts are exact), so each item gets ⌊s⌋ plus
 * 0 or 1; the rare flip of a prefix sum across a .5 boundary by float error is clipped and repaired so
 * the quota and the total still hold exactly.
 */
export function cumulativeRound(shares: ArrayLike<number>, total: number): Int32Array {
  checkShares(shares, "shares");
  checkTotal(total);
  const n = shares.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += shares[i]!;
  if (Math.abs(sum - total) > SUM_TOLERANCE * Math.max(1, total))
    throw new RangeError(`shares must sum to total ${total}, got ${sum}`);

  const { counts, floorSum } = floorsOf(shares);
  const frac = new Float64Array(n);
  let fracSum = 0;
  for (let i = 0; i < n; i++) {
    frac[i] = shares[i]! - Math.floor(shares[i]!);
    fracSum += frac[i]!;
  }
  const extra = total - floorSum;
  if (extra === 0) return counts;
  // Σ shares ≈ total and Σ⌊s⌋ ≤ Σ s, so extra > 0 here and the remainders carry it.
  if (fracSum <= 0) return largestRemainder(shares, total);
  const scale = extra / fracSum;
  let acc = 0;
  let given = 0;
  for (let i = 0; i < n; i++) {
    acc += frac[i]!;
    // Force the last prefix to land exactly on `extra` so the running total telescopes to it.
    const target = i === n - 1 ? extra : Math.floor(acc * scale + 0.5);
    const step = Math.min(1, Math.max(0, target - given));
    if (step > 0 && frac[i]! > 0) {
      counts[i]!++;
      given++;
    }
  }
  // Float error can only make the loop fall short by clipping; finish with largest remainder on the rest.
  if (given !== extra) return largestRemainder(shares, total);
  return counts;
}

/** Round shares with the chosen rule. */
export function roundShares(
  shares: ArrayLike<number>,
  total: number,
  method: RoundingMethod = "largest-remainder",
): Int32Array {
  return method === "cumulative" ? cumulativeRound(shares, total) : largestRemainder(shares, total);
}

/**
 * Real shares proportional to `weights`, summing to `total`, with share_i ≤ caps[i] (water-filling).
 *
 * Items whose proportional share exceeds their cap are fixed at the cap and the excess is re-spread
 * over the rest in proportion to their weights, repeatedly, until no share exceeds its cap. If every
 * positive-weight item is capped and units remain, the rest goes to zero-weight items in proportion to
 * their caps (otherwise the total could not be met although capacity exists).
 */
export function waterFill(weights: ArrayLike<number>, total: number, caps?: ArrayLike<number>): Float64Array {
  checkShares(weights, "weights");
  if (!Number.isFinite(total) || total < 0)
    throw new RangeError(`total must be a finite non-negative number, got ${total}`);
  const n = weights.length;
  if (caps !== undefined) {
    if (caps.length !== n) throw new RangeError(`caps has length ${caps.length}, expected ${n}`);
    checkShares(caps, "caps");
  }
  const shares = new Float64Array(n);
  if (total === 0) return shares;
  const capOf = (i: number) => (caps === undefined ? Number.POSITIVE_INFINITY : caps[i]!);
  let capSum = 0;
  for (let i = 0; i < n; i++) capSum += capOf(i);
  if (total > capSum) throw new RangeError(`total ${total} exceeds the sum of caps ${capSum}`);

  const fixed = new Uint8Array(n);
  let remaining = total;
  for (const pass of ["weights", "caps"] as const) {
    // Without caps there is no capacity to spread over zero-weight items by.
    if (pass === "caps" && caps === undefined) break;
    const w = (i: number) => (pass === "weights" ? weights[i]! : weights[i]! === 0 ? capOf(i) : 0);
    for (;;) {
      let wSum = 0;
      for (let i = 0; i < n; i++) if (!fixed[i]) wSum += w(i);
      if (wSum <= 0 || remaining <= 0) break;
      let overflow = false;
      for (let i = 0; i < n; i++) {
        if (fixed[i] || w(i) === 0) continue;
        if ((w(i) * remaining) / wSum > capOf(i)) {
          fixed[i] = 1;
          shares[i] = capOf(i);
          overflow = true;
        }
      }
      if (overflow) {
        remaining = total;
        for (let i = 0; i < n; i++) if (fixed[i]) remaining -= shares[i]!;
        continue;
      }
      for (let i = 0; i < n; i++) if (!fixed[i] && w(i) > 0) shares[i] = (w(i) * remaining) / wSum;
      remaining = 0;
      break;
    }
    if (remaining <= 0) break;
    // Pass 1 could not place everything: positive-weight items are now full; free the rest for pass 2.
    for (let i = 0; i < n; i++) if (!fixed[i] && weights[i]! > 0) shares[i] = 0;
  }
  if (remaining > SUM_TOLERANCE * Math.max(1, total))
    throw new RangeError(`cannot place total ${total}: all weights are zero`);
  return shares;
}

export interface ApportionOptions {
  /** Upper bound per item (integers); the excess is water-filled onto uncapped items. */
  caps?: ArrayLike<number>;
  /** Rounding rule; default "largest-remainder" (monotone, ties spread). */
  method?: RoundingMethod;
}

/**
 * Integer counts proportional to `weights`, summing to `total` exactly, each within floor/ceil of its
 * water-filled share and never above its cap.
 *
 * Capped items have an integral share (the cap) and so get exactly the cap; uncapped shares are below
 * their cap, so rounding up cannot exceed it.
 */
export function apportion(
  weights: ArrayLike<number>,
  total: number,
  options: ApportionOptions = {},
): Int32Array {
  checkTotal(total);
  const { caps, method = "largest-remainder" } = options;
  if (caps !== undefined)
    for (let i = 0; i < caps.length; i++)
      if (!Number.isSafeInteger(caps[i]!) || caps[i]! < 0)
        throw new RangeError(`caps[${i}] must be a non-negative integer, got ${caps[i]}`);
  const shares = waterFill(weights, total, caps);
  if (method === "cumulative") {
    // Running-total rounding needs Σ = total up to float error, which water-filling provides.
    return cumulativeRound(shares, total);
  }
  return largestRemainder(shares, total);
}
