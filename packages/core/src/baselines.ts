/**
 * Baselines ADQ is measured against, behind the same `Selector` interface:
 *
 * - class-balanced random: per-class counts from `allocateAcrossClasses`, uniform random within the
 *   class (stream "class"); ignores bins, but reports how its picks fell into them when bins are given;
 * - DQ (Zhou et al., ICCV 2023): the same per-class counts, split over the class's bins in proportion
 *   to their sizes (ADQ with α = 0), uniform random within each bin (stream "sample", shared with ADQ).
 */

import { allocateAcrossClasses, checkRatio } from "./allocation.ts";
import {
  checkSeed,
  countPerBin,
  groupByBin,
  groupByClass,
  mergeSorted,
  type SelectionInput,
  type SelectionResult,
  type Selector,
  sampleUnit,
  selectByBins,
} from "./selection.ts";

function selectRandom(input: SelectionInput): SelectionResult {
  checkRatio(input.ratio);
  checkSeed(input.seed);
  const { labels, seed, bins } = input;
  const binGroups = bins === undefined ? undefined : groupByBin(labels, bins, input.numClasses);
  const groups = binGroups ?? groupByClass(labels, input.numClasses);
  const classCounts = allocateAcrossClasses(
    groups.members.map((m) => m.length),
    input.ratio,
  );
  const indices = mergeSorted(
    groups.members.map((mem, c) => sampleUnit(mem, classCounts[c]!, seed, "class", c)),
  );
  if (bins === undefined || binGroups === undefined) return { indices, classCounts };
  return {
    indices,
    classCounts,
    binCounts: countPerBin(indices, labels, binGroups, bins),
    binSizes: binGroups.binSizes,
  };
}

/** Class-balanced uniform random selection. */
export function randomSelector(): Selector {
  return { method: "random", select: selectRandom };
}

/** DQ: uniform sampling over bins (per-bin counts ∝ bin sizes). */
export function dqSelector(): Selector {
  return { method: "dq", select: (input) => selectByBins(input, 0) };
}
