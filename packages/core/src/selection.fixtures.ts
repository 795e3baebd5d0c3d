// Shared fixtures of the selector tests (a plain module, so importing it re-runs no suites).
import { expect } from "vitest";
import { allocateAcrossClasses } from "./allocation.ts";
import type { Rng } from "./rng.ts";
import type { SelectionInput, SelectionResult } from "./selection.ts";

/** A random labelled data set with per-class bins and importance scores; items in shuffled order. */
export function randomDataset(rng: Rng) {
  const numClasses = 1 + rng.nextInt(6);
  const labels: number[] = [];
  const bins: number[] = [];
  const importance: Float64Array[] = [];
  for (let c = 0; c < numClasses; c++) {
    const m = 1 + rng.nextInt(8);
    importance.push(Float64Array.from({ length: m }, () => rng.nextNormal()));
    for (let n = 0; n < m; n++) {
      const size = rng.nextInt(5) === 0 ? 0 : rng.nextInt(80);
      for (let k = 0; k < size; k++) {
        labels.push(c);
        bins.push(n);
      }
    }
  }
  // Shuffle item order so global indices interleave classes and bins.
  const order = rng.shuffle(Int32Array.from(labels, (_, i) => i));
  return {
    labels: Int32Array.from(order, (i) => labels[i]!),
    bins: Int32Array.from(order, (i) => bins[i]!),
    importance,
    numClasses,
  };
}

/** Checks shared by every selector: exact counts, sorted, unique, per-class and per-bin membership. */
export function checkSelection(input: SelectionInput, r: SelectionResult): void {
  const { labels, bins, ratio } = input;
  const n = labels.length;
  expect(r.indices.length).toBe(Math.round(ratio * n));
  // Strictly ascending ⇒ sorted and free of duplicates.
  expect(r.indices.every((v, k) => v >= 0 && v < n && (k === 0 || v > r.indices[k - 1]!))).toBe(true);
  const classSizes = new Array(r.classCounts.length).fill(0);
  for (let i = 0; i < n; i++) classSizes[labels[i]!]++;
  expect(r.classCounts).toEqual(allocateAcrossClasses(classSizes, ratio));
  const kept = new Array(r.classCounts.length).fill(0);
  for (const i of r.indices) kept[labels[i]!]++;
  expect(kept).toEqual(Array.from(r.classCounts));
  if (bins !== undefined && r.binCounts !== undefined && r.binSizes !== undefined) {
    const got = r.binSizes.map((s) => new Array(s.length).fill(0));
    for (const i of r.indices) got[labels[i]!]![bins[i]!]++;
    expect(got).toEqual(r.binCounts.map((c) => Array.from(c)));
    expect(r.binCounts.every((c, k) => c.every((q, b) => q <= r.binSizes![k]![b]!))).toBe(true);
  }
}
