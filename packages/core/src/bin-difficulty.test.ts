import { describe, expect, it } from "vitest";
import { allocateBins } from "./allocation.ts";
import { pruneBins, strataDrawsInBins } from "./bin-difficulty.ts";
import { ccsSelect } from "./ccs.ts";
import { Rng } from "./rng.ts";

/** Three bins of a 60-member class (global indices 100…159), random difficulty per member. */
function fixture(seed = 3) {
  const r = new Rng(seed);
  const members = Array.from({ length: 60 }, (_, i) => 100 + i);
  const score = new Map(members.map((g) => [g, r.nextU32() / 2 ** 32]));
  const bins = [
    members.filter((g) => g % 3 === 0),
    members.filter((g) => g % 3 === 1),
    members.filter((g) => g % 3 === 2),
  ];
  return { members, bins, difficulty: (g: number) => score.get(g)! };
}

describe("pruneBins", () => {
  it("removes exactly CCS's cut-off: the same ⌊β·n⌋ hardest members, ties by member index", () => {
    const { members, bins, difficulty } = fixture();
    const p = pruneBins(bins, difficulty, 0.3, 6);
    expect(p.pruned).toBe(18);
    expect(p.prunedPerBin.reduce((a, b) => a + b, 0)).toBe(18);
    const kept = new Set(p.bins.flat());
    const byDifficulty = [...members].sort((a, b) => difficulty(a) - difficulty(b) || a - b);
    expect([...kept].sort((a, b) => a - b)).toEqual(byDifficulty.slice(0, 42).sort((a, b) => a - b));
    // CCS with one stratum and the whole remainder as budget keeps the same members.
    const ccs = ccsSelect(Int32Array.from(members), Float64Array.from(members, difficulty), 42, {
      beta: 0.3,
      strata: 1,
      seed: 0,
      unit: 0,
    });
    expect(Array.from(ccs.indices)).toEqual([...kept].sort((a, b) => a - b));
    p.bins.forEach((b, i) => {
      expect(b.length).toBe(bins[i]!.length - p.prunedPerBin[i]!);
      for (let j = 1; j < b.length; j++) expect(b[j]!).toBeGreaterThan(b[j - 1]!);
    });
  });

  it("breaks score ties by member index (the larger is dropped first)", () => {
    const bins = [
      [5, 1],
      [3, 9],
    ];
    const p = pruneBins(bins, () => 0.5, 0.5, 0);
    expect(p.bins).toEqual([[1], [3]]);
  });

  it("never leaves fewer than the budget: the cut is capped at n − budget", () => {
    const { bins, difficulty } = fixture();
    const p = pruneBins(bins, difficulty, 0.9, 50);
    expect(p.pruned).toBe(10);
    expect(p.bins.flat().length).toBe(50);
    expect(pruneBins(bins, difficulty, 0.5, 60).pruned).toBe(0);
  });

  it("β = 0 keeps every bin as it is (sorted)", () => {
    const { bins, difficulty } = fixture();
    const p = pruneBins(bins, difficulty, 0, 10);
    expect(p.pruned).toBe(0);
    expect(p.bins).toEqual(bins);
  });

  it("refuses β outside [0, 1), a budget above n, a non-finite score", () => {
    const { bins, difficulty } = fixture();
    expect(() => pruneBins(bins, difficulty, 1, 5)).toThrow(/adq beta must be in \[0, 1\), got 1/);
    expect(() => pruneBins(bins, difficulty, 0.1, 61)).toThrow(
      /budget must be an integer in \[0, 60\], got 61/,
    );
    expect(() => pruneBins(bins, (g) => (g === 130 ? Number.NaN : 0), 0.1, 5)).toThrow(
      /score of member 130 is not finite/,
    );
  });
});

describe("strataDrawsInBins", () => {
  const o = { strata: 4, seed: 7, classIndex: 2 };

  it("draws exactly each bin's count from its own members, ascending", () => {
    const { bins, difficulty } = fixture();
    const counts = [0, 7, 20];
    const d = strataDrawsInBins(bins, counts, difficulty, o);
    d.forEach((picks, b) => {
      expect(picks.length).toBe(counts[b]);
      expect(new Set(picks).size).toBe(picks.length);
      for (const g of picks) expect(bins[b]).toContain(g);
      for (let j = 1; j < picks.length; j++) expect(picks[j]!).toBeGreaterThan(picks[j - 1]!);
    });
  });

  it("is deterministic, and its stream is (seed, class, bin)", () => {
    const { bins, difficulty } = fixture();
    const counts = [5, 5, 5];
    const a = strataDrawsInBins(bins, counts, difficulty, o);
    expect(strataDrawsInBins(bins, counts, difficulty, o)).toEqual(a);
    expect(strataDrawsInBins(bins, counts, difficulty, { ...o, seed: 8 })).not.toEqual(a);
    expect(strataDrawsInBins(bins, counts, difficulty, { ...o, classIndex: 3 })).not.toEqual(a);
    // The members' order inside a bin does not matter.
    expect(
      strataDrawsInBins(
        bins.map((b) => [...b].reverse()),
        counts,
        difficulty,
        o,
      ),
    ).toEqual(a);
  });

  it("covers the difficulty range: with k = count, one pick per equal-width stratum", () => {
    // Bin of 40 members with difficulty = rank: 4 strata of 10; 4 picks = one per stratum.
    const bin = Array.from({ length: 40 }, (_, i) => i);
    const [picks] = strataDrawsInBins([bin], [4], (g) => g, { ...o, strata: 4 });
    expect(picks!.map((g) => Math.floor(g / 10))).toEqual([0, 1, 2, 3]);
  });

  it("a bin the cut emptied draws nothing; the allocation over remaining sizes still meets the budget", () => {
    // Bin 0 holds the 4 hardest members: β = 0.2 of 20 removes exactly them.
    const bins = [[16, 17, 18, 19], Array.from({ length: 16 }, (_, i) => i)];
    const p = pruneBins(bins, (g) => g, 0.2, 5);
    expect(p.bins[0]).toEqual([]);
    expect(p.prunedPerBin).toEqual([4, 0]);
    const sizes = p.bins.map((b) => b.length);
    const counts = allocateBins(sizes, undefined, 0, 5).counts;
    expect(Array.from(counts)).toEqual([0, 5]);
    const d = strataDrawsInBins(p.bins, counts, (g) => g, o);
    expect(d[0]).toEqual([]);
    expect(d[1]).toHaveLength(5);
  });

  it("refuses counts not aligned with the bins or larger than a bin", () => {
    const { bins, difficulty } = fixture();
    expect(() => strataDrawsInBins(bins, [1, 1], difficulty, o)).toThrow(/2 counts for 3 bins/);
    expect(() => strataDrawsInBins(bins, [1, 1, 21], difficulty, o)).toThrow(
      /budget must be an integer in \[0, 20\]/,
    );
  });
});
