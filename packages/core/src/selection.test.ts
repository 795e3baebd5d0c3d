import { describe, expect, it } from "vitest";
import { allocateBins } from "./allocation.ts";
import { dqSelector, randomSelector } from "./baselines.ts";
import { Rng } from "./rng.ts";
import { checkSelection, randomDataset } from "./selection.fixtures.ts";
import { adqSelector, groupByBin, sampleUnit } from "./selection.ts";

describe("ADQ selector", () => {
  it("keeps exact counts, no duplicates, per-bin counts equal to allocateBins (property)", () => {
    const rng = new Rng(41);
    for (let t = 0; t < 150; t++) {
      const ds = randomDataset(rng);
      if (ds.labels.length === 0) continue;
      const alpha = rng.nextFloat();
      const input = { ...ds, ratio: 1 - rng.nextFloat(), seed: rng.nextInt(1000) };
      const r = adqSelector({ alpha }).select(input);
      checkSelection(input, r);
      const groups = groupByBin(
        ds.labels,
        ds.bins,
        ds.numClasses,
        ds.importance.map((s) => s.length),
      );
      for (let c = 0; c < ds.numClasses; c++) {
        const expected = allocateBins(groups.binSizes[c]!, ds.importance[c], alpha, r.classCounts[c]!).counts;
        expect(r.binCounts![c]).toEqual(expected);
      }
      expect(adqSelector({ alpha }).select(input).indices).toEqual(r.indices);
    }
  });

  it("samples each (class, bin) from its own stream: a unit's picks do not depend on other units", () => {
    const rng = new Rng(42);
    const ds = randomDataset(rng);
    const input = { ...ds, ratio: 0.3, seed: 5 };
    const r = adqSelector().select(input);
    const groups = groupByBin(
      ds.labels,
      ds.bins,
      ds.numClasses,
      ds.importance.map((s) => s.length),
    );
    const keptSet = new Set(r.indices);
    for (let c = 0; c < ds.numClasses; c++)
      groups.binMembers[c]!.forEach((mem, n) => {
        const unit = sampleUnit(mem, r.binCounts![c]![n]!, 5, "sample", c, n);
        expect(Array.from(mem).filter((i) => keptSet.has(i))).toEqual(Array.from(unit));
      });
  });

  it("with α = 0 equals DQ item for item", () => {
    const rng = new Rng(43);
    for (let t = 0; t < 30; t++) {
      const ds = randomDataset(rng);
      const input = { ...ds, ratio: 0.2, seed: t };
      expect(adqSelector({ alpha: 0 }).select(input).indices).toEqual(dqSelector().select(input).indices);
    }
  });

  it("keeps the same items as DQ in bins where both keep the same count (common random numbers)", () => {
    const rng = new Rng(44);
    const ds = randomDataset(rng);
    const input = { ...ds, ratio: 0.25, seed: 9 };
    const a = adqSelector({ alpha: 0.8 }).select(input);
    const d = dqSelector().select(input);
    const aSet = new Set(a.indices);
    const dSet = new Set(d.indices);
    for (let i = 0; i < ds.labels.length; i++) {
      const c = ds.labels[i]!;
      const n = ds.bins[i]!;
      if (a.binCounts![c]![n] === d.binCounts![c]![n]) expect(aSet.has(i)).toBe(dSet.has(i));
    }
  });

  it("shifts items toward high-importance bins", () => {
    // One class, two equal bins; bin 1 far more important.
    const labels = new Int32Array(200);
    const bins = Int32Array.from({ length: 200 }, (_, i) => (i < 100 ? 0 : 1));
    const r = adqSelector({ alpha: 1, strength: 1 }).select({
      labels,
      bins,
      importance: [[-1, 1]],
      ratio: 0.3,
      seed: 1,
    });
    expect(r.binCounts![0]![1]!).toBeGreaterThan(r.binCounts![0]![0]!);
    expect(r.indices.length).toBe(60);
  });

  it("differs across seeds", () => {
    const rng = new Rng(45);
    const ds = randomDataset(rng);
    const a = adqSelector().select({ ...ds, ratio: 0.3, seed: 1 });
    const b = adqSelector().select({ ...ds, ratio: 0.3, seed: 2 });
    expect(a.indices.length).toBe(b.indices.length);
    expect(a.indices).not.toEqual(b.indices);
  });

  it("validates its inputs", () => {
    const labels = [0, 0, 1, 1];
    const bins = [0, 1, 0, 1];
    const importance = [
      [0, 0],
      [0, 0],
    ];
    expect(() => adqSelector({ alpha: 2 })).toThrow(/alpha/);
    expect(() => adqSelector().select({ labels, ratio: 0.5, seed: 1, importance })).toThrow(/bins/);
    expect(() => adqSelector().select({ labels, bins, ratio: 0.5, seed: 1 })).toThrow(/importance/);
    expect(() => adqSelector().select({ labels, bins, importance: [[0, 0]], ratio: 0.5, seed: 1 })).toThrow(
      /importance/,
    );
    expect(() => adqSelector().select({ labels, bins, importance, ratio: 0, seed: 1 })).toThrow(/ratio/);
    expect(() =>
      adqSelector().select({ labels: [0, -1, 1, 1], bins, importance, ratio: 0.5, seed: 1 }),
    ).toThrow(/labels\[1\]/);
    expect(() => adqSelector().select({ labels, bins: [0, 1, 0], importance, ratio: 0.5, seed: 1 })).toThrow(
      /bins/,
    );
    expect(() =>
      adqSelector().select({ labels, bins, importance, ratio: 0.5, seed: 1, numClasses: 1 }),
    ).toThrow(/numClasses/);
    expect(() => randomSelector().select({ labels, ratio: 0.5, seed: 1.5 })).toThrow(/seed/);
  });
});
