import { describe, expect, it } from "vitest";
import { allocateBins } from "./allocation.ts";
import { dqSelector, randomSelector } from "./baselines.ts";
import { Rng } from "./rng.ts";
import { checkSelection, randomDataset } from "./selection.fixtures.ts";
import { groupByBin, groupByClass, sampleUnit } from "./selection.ts";

describe("class-balanced random selector", () => {
  it("keeps exact per-class counts, no duplicates, deterministic (property)", () => {
    const rng = new Rng(51);
    for (let t = 0; t < 150; t++) {
      const ds = randomDataset(rng);
      const input = { labels: ds.labels, ratio: 1 - rng.nextFloat(), seed: rng.nextInt(1000) };
      const r = randomSelector().select(input);
      checkSelection(input, r);
      expect(r.binCounts).toBeUndefined();
      expect(randomSelector().select(input).indices).toEqual(r.indices);
    }
  });

  it("reports how its picks fell into bins when bins are given, without changing the picks", () => {
    const rng = new Rng(52);
    const ds = randomDataset(rng);
    const input = { ...ds, ratio: 0.4, seed: 3 };
    const r = randomSelector().select(input);
    checkSelection(input, r);
    expect(r.binCounts).toBeDefined();
    expect(r.indices).toEqual(randomSelector().select({ labels: ds.labels, ratio: 0.4, seed: 3 }).indices);
  });

  it("samples each class from its own stream", () => {
    const rng = new Rng(53);
    const ds = randomDataset(rng);
    const r = randomSelector().select({ labels: ds.labels, ratio: 0.3, seed: 11 });
    const kept = new Set(r.indices);
    groupByClass(ds.labels).members.forEach((mem, c) => {
      const unit = sampleUnit(mem, r.classCounts[c]!, 11, "class", c);
      expect(Array.from(mem).filter((i) => kept.has(i))).toEqual(Array.from(unit));
    });
  });

  it("draws roughly uniformly within a class", () => {
    const labels = new Int32Array(20);
    const hits = new Array(20).fill(0);
    for (let seed = 0; seed < 2000; seed++)
      for (const i of randomSelector().select({ labels, ratio: 0.25, seed }).indices) hits[i]++;
    for (const h of hits) expect(Math.abs(h - 500)).toBeLessThan(90);
  });
});

describe("DQ selector", () => {
  it("keeps exact counts, bin counts ∝ bin sizes, within-bin membership, deterministic (property)", () => {
    const rng = new Rng(54);
    for (let t = 0; t < 150; t++) {
      const ds = randomDataset(rng);
      const input = { labels: ds.labels, bins: ds.bins, ratio: 1 - rng.nextFloat(), seed: rng.nextInt(1000) };
      const r = dqSelector().select(input);
      checkSelection(input, r);
      const groups = groupByBin(ds.labels, ds.bins);
      for (let c = 0; c < groups.numClasses; c++)
        expect(r.binCounts![c]).toEqual(
          allocateBins(groups.binSizes[c]!, undefined, 0, r.classCounts[c]!).counts,
        );
      expect(dqSelector().select(input).indices).toEqual(r.indices);
      expect(r.binMultipliers!.every((m) => m.every((x) => x === 1))).toBe(true);
    }
  });

  it("needs bins but not importance", () => {
    expect(() => dqSelector().select({ labels: [0, 1], ratio: 0.5, seed: 1 })).toThrow(/bins/);
    expect(
      dqSelector().select({ labels: [0, 0, 1, 1], bins: [0, 1, 0, 1], ratio: 0.5, seed: 1 }).indices.length,
    ).toBe(2);
  });

  it("keeps everything at ratio 1", () => {
    const r = dqSelector().select({ labels: [0, 1, 0, 1, 2], bins: [0, 0, 1, 1, 0], ratio: 1, seed: 0 });
    expect(Array.from(r.indices)).toEqual([0, 1, 2, 3, 4]);
  });
});
