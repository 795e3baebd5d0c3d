/**
 * The common interface of every subset-selection method (ADQ, DQ, class-balanced random) and the
 * machinery they share: grouping items by class and bin, per-unit seeded sampling, and ADQ itself.
 *
 * Items are identified by their global index (position in `labels`). Bins are given per item as a
 * bin index *within its class* (DQ/ADQ bin each class separately). Every unit of random work — one
 * (class, bin) or one class — draws from its own stream `Rng.derive(seed, stream, class, bin)`, so a
 * unit's sample never depends on the order units are processed in, and a distributed sampling stage
 * can call `sampleUnit` per unit and get the same subset as the embedded run. DQ and ADQ use the same
 * "sample" stream: where they keep the same count from a bin they keep the same items (common random
 * numbers), so their difference is the allocation alone.
 */

import {
  allocateAcrossClasses,
  allocateBins,
  type BinAllocationOptions,
  checkRatio,
  DEFAULT_ALPHA,
} from "./allocation.ts";
import { Rng } from "./rng.ts";

export interface SelectionInput {
  /** Class of each item; values in [0, numClasses). */
  labels: ArrayLike<number>;
  /** Keep ratio ρ ∈ (0, 1]; the subset has round(ρ·N) items. */
  ratio: number;
  /** Base seed of every random draw. */
  seed: number;
  /** Bin of each item within its class (needed by bin-based methods). */
  bins?: ArrayLike<number>;
  /** importance[c][n]: importance score of bin n of class c (needed by ADQ with α > 0). */
  importance?: ReadonlyArray<ArrayLike<number>>;
  /** Number of classes; default max(label) + 1. */
  numClasses?: number;
}

export interface SelectionResult {
  /** Kept global indices, ascending, no duplicates. */
  indices: Int32Array;
  /** Items kept per class. */
  classCounts: Int32Array;
  /** Items kept per class and bin (when bins are given; also for methods that ignore bins). */
  binCounts?: Int32Array[];
  /** Items per class and bin (when bins are given). */
  binSizes?: Int32Array[];
  /** Per-bin keep-rate multipliers relative to DQ (bin-based methods). */
  binMultipliers?: Float64Array[];
}

export interface Selector {
  /** Method name as reported in manifests: "random", "dq", "adq". */
  readonly method: string;
  select(input: SelectionInput): SelectionResult;
}

/** Which random stream a method's draws come from. */
export type SampleStream = "sample" | "class";

/** Seeds are integers (`Rng.derive` hashes their decimal form, so 1.5 would silently be a new seed). */
export function checkSeed(seed: number): void {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
}

/**
 * `count` distinct members of one unit (a class, or a bin of a class), uniformly at random from the
 * stream `Rng.derive(seed, stream, classIndex[, binIndex])`; returned ascending.
 */
export function sampleUnit(
  members: Int32Array,
  count: number,
  seed: number,
  stream: SampleStream,
  classIndex: number,
  binIndex?: number,
): Int32Array {
  checkSeed(seed);
  const rng =
    binIndex === undefined
      ? Rng.derive(seed, stream, classIndex)
      : Rng.derive(seed, stream, classIndex, binIndex);
  const picks = rng.sampleIndices(members.length, count);
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) out[i] = members[picks[i]!]!;
  return out.sort();
}

function checkIntegers(values: ArrayLike<number>, name: string): number {
  let max = -1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isSafeInteger(v) || v < 0)
      throw new RangeError(`${name}[${i}] must be a non-negative integer, got ${v}`);
    if (v > max) max = v;
  }
  return max;
}

export interface ClassGroups {
  numClasses: number;
  /** Members of each class, ascending global index. */
  members: Int32Array[];
}

/** Validates labels and groups item indices by class. */
export function groupByClass(labels: ArrayLike<number>, numClasses?: number): ClassGroups {
  const maxLabel = checkIntegers(labels, "labels");
  const c = numClasses ?? maxLabel + 1;
  if (!Number.isSafeInteger(c) || c < 0 || c <= maxLabel)
    throw new RangeError(`numClasses must be an integer > max label ${maxLabel}, got ${numClasses}`);
  const sizes = new Int32Array(c);
  for (let i = 0; i < labels.length; i++) sizes[labels[i]!]!++;
  const members = Array.from(sizes, (s) => new Int32Array(s));
  const fill = new Int32Array(c);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    members[l]![fill[l]!++] = i;
  }
  return { numClasses: c, members };
}

export interface BinGroups extends ClassGroups {
  /** binMembers[c][n]: members of bin n of class c, ascending global index. */
  binMembers: Int32Array[][];
  /** binSizes[c][n] = binMembers[c][n].length. */
  binSizes: Int32Array[];
}

/**
 * Groups items by class and bin. Class c has max(bin in c) + 1 bins, or `minBins[c]` if larger
 * (so that empty trailing bins still line up with a per-bin score array).
 */
export function groupByBin(
  labels: ArrayLike<number>,
  bins: ArrayLike<number>,
  numClasses?: number,
  minBins?: ReadonlyArray<number>,
): BinGroups {
  if (bins.length !== labels.length)
    throw new RangeError(`bins must have one entry per item (${labels.length}), got ${bins.length}`);
  checkIntegers(bins, "bins");
  const groups = groupByClass(labels, numClasses);
  const binMembers: Int32Array[][] = [];
  const binSizes: Int32Array[] = [];
  for (let c = 0; c < groups.numClasses; c++) {
    const mem = groups.members[c]!;
    let m = minBins?.[c] ?? 0;
    for (const i of mem) m = Math.max(m, bins[i]! + 1);
    const sizes = new Int32Array(m);
    for (const i of mem) sizes[bins[i]!]!++;
    const out = Array.from(sizes, (s) => new Int32Array(s));
    const fill = new Int32Array(m);
    for (const i of mem) {
      const b = bins[i]!;
      out[b]![fill[b]!++] = i;
    }
    binMembers.push(out);
    binSizes.push(sizes);
  }
  return { ...groups, binMembers, binSizes };
}

/** Concatenates index arrays and sorts ascending. */
export function mergeSorted(parts: ReadonlyArray<Int32Array>): Int32Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Int32Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out.sort();
}

/** Per-class, per-bin counts of the kept indices (for reporting). */
export function countPerBin(
  indices: Int32Array,
  labels: ArrayLike<number>,
  groups: BinGroups,
  bins: ArrayLike<number>,
) {
  const counts = groups.binSizes.map((s) => new Int32Array(s.length));
  for (const i of indices) counts[labels[i]!]![bins[i]!]!++;
  return counts;
}

export interface BinSelectorOptions extends BinAllocationOptions {
  /** α ∈ [0, 1]; default DEFAULT_ALPHA for ADQ. DQ is α = 0. */
  alpha?: number;
}

/**
 * Bin-based selection (DQ and ADQ): class budgets from `allocateAcrossClasses`, bin counts from
 * `allocateBins`, then q_n items uniformly at random inside each bin (paper Alg. 1 line 11).
 */
export function selectByBins(
  input: SelectionInput,
  alpha: number,
  options: BinAllocationOptions = {},
): SelectionResult {
  checkRatio(input.ratio);
  checkSeed(input.seed);
  if (input.bins === undefined) throw new RangeError("bins are required for bin-based selection");
  const { labels, bins, seed, importance } = input;
  if (alpha > 0 && importance === undefined) throw new RangeError("importance is required when alpha > 0");
  const groups = groupByBin(
    labels,
    bins,
    input.numClasses,
    alpha > 0 ? importance?.map((s) => s.length) : undefined,
  );
  if (alpha > 0 && importance!.length !== groups.numClasses)
    throw new RangeError(
      `importance must have one entry per class (${groups.numClasses}), got ${importance!.length}`,
    );
  const classCounts = allocateAcrossClasses(
    groups.members.map((m) => m.length),
    input.ratio,
  );
  const parts: Int32Array[] = [];
  const binCounts: Int32Array[] = [];
  const binMultipliers: Float64Array[] = [];
  for (let c = 0; c < groups.numClasses; c++) {
    const alloc = allocateBins(
      groups.binSizes[c]!,
      alpha > 0 ? importance![c] : undefined,
      alpha,
      classCounts[c]!,
      options,
    );
    binCounts.push(alloc.counts);
    binMultipliers.push(alloc.multipliers);
    const mem = groups.binMembers[c]!;
    for (let n = 0; n < mem.length; n++)
      parts.push(sampleUnit(mem[n]!, alloc.counts[n]!, seed, "sample", c, n));
  }
  return { indices: mergeSorted(parts), classCounts, binCounts, binSizes: groups.binSizes, binMultipliers };
}

/** ADQ: adaptive per-bin allocation from the bins' importance scores. */
export function adqSelector(options: BinSelectorOptions = {}): Selector {
  const { alpha = DEFAULT_ALPHA, ...rest } = options;
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`alpha must be in [0, 1], got ${alpha}`);
  return { method: "adq", select: (input) => selectByBins(input, alpha, rest) };
}
