import { describe, expect, it } from "vitest";
import { ccsSelect, el2nScores } from "./ccs.ts";
import { Rng } from "./rng.ts";

const opts = { beta: 0.1, strata: 5, seed: 7, unit: 0 };

function scoresOf(n: number, seed = 1): Float64Array {
  const r = new Rng(seed);
  return Float64Array.from({ length: n }, () => r.nextU32() / 2 ** 32);
}

describe("ccsSelect", () => {
  it("selects exactly the budget, distinct members, ascending, for every budget", () => {
    const n = 97;
    const members = Int32Array.from({ length: n }, (_, i) => 1000 + 3 * i);
    const scores = scoresOf(n);
    for (let b = 0; b <= n; b++) {
      const r = ccsSelect(members, scores, b, opts);
      expect(r.indices.length, `budget ${b}`).toBe(b);
      expect(new Set(r.indices).size).toBe(b);
      for (let i = 1; i < b; i++) expect(r.indices[i]!).toBeGreaterThan(r.indices[i - 1]!);
      for (const x of r.indices) expect(members).toContain(x);
      expect(r.strataCounts.reduce((s, x) => s + x, 0)).toBe(b);
      for (const [j, c] of r.strataCounts.entries()) expect(c).toBeLessThanOrEqual(r.strataSizes[j]!);
    }
  });

  it("drops the ⌊β·n⌋ hardest first and never picks them", () => {
    const n = 100;
    const members = Int32Array.from({ length: n }, (_, i) => i);
    const scores = Float64Array.from({ length: n }, (_, i) => i); // item i has difficulty i
    const r = ccsSelect(members, scores, 30, { ...opts, beta: 0.2 });
    expect(r.pruned).toBe(20);
    expect(Math.max(...r.indices)).toBeLessThan(80);
    expect(r.strataSizes.reduce((s, x) => s + x, 0)).toBe(80);
    // Equal-width strata over [0, 79] with 5 strata: 16 each; 30 = 6 per stratum.
    expect(r.strataSizes).toEqual([16, 16, 16, 16, 16]);
    expect(r.strataCounts).toEqual([6, 6, 6, 6, 6]);
  });

  it("the cut-off never leaves fewer items than the budget", () => {
    const members = Int32Array.from({ length: 10 }, (_, i) => i);
    const r = ccsSelect(members, scoresOf(10), 9, { ...opts, beta: 0.5 });
    expect(r.pruned).toBe(1);
    expect(r.indices.length).toBe(9);
  });

  it("takes small strata whole and shares the rest evenly (the paper's smallest-first order)", () => {
    // Scores: 2 items near 0, 50 items in the middle, 48 near 1.
    const scores = [0, 0.01, ...Array.from({ length: 50 }, (_, i) => 0.4 + i * 0.002), ...Array(48).fill(1)];
    const members = Int32Array.from(scores, (_, i) => i);
    const r = ccsSelect(members, Float64Array.from(scores), 20, { beta: 0, strata: 4, seed: 1, unit: 0 });
    expect(r.strataSizes).toEqual([2, 50, 0, 48]);
    // Smallest first: 2 (whole), then ⌊18/2⌋ = 9 of 48, then the last takes the open 9.
    expect(r.strataCounts).toEqual([2, 9, 0, 9]);
  });

  it("is deterministic in (seed, unit) and the same for any member order of equal content", () => {
    const n = 60;
    const members = Int32Array.from({ length: n }, (_, i) => i * 2);
    const scores = scoresOf(n, 5);
    const a = ccsSelect(members, scores, 12, opts);
    expect(ccsSelect(members, scores, 12, opts).indices).toEqual(a.indices);
    expect(ccsSelect(members, scores, 12, { ...opts, seed: 8 }).indices).not.toEqual(a.indices);
    expect(ccsSelect(members, scores, 12, { ...opts, unit: 1 }).indices).not.toEqual(a.indices);
    const perm = Array.from({ length: n }, (_, i) => (i * 7) % n);
    const b = ccsSelect(
      Int32Array.from(perm, (i) => members[i]!),
      Float64Array.from(perm, (i) => scores[i]!),
      12,
      opts,
    );
    expect(b.indices).toEqual(a.indices);
  });

  it("equal scores form one stratum; bad options and inputs are refused", () => {
    const members = Int32Array.from({ length: 8 }, (_, i) => i);
    const r = ccsSelect(members, new Float64Array(8).fill(0.5), 3, opts);
    expect(r.strataSizes[0]).toBe(8 - r.pruned);
    expect(r.indices.length).toBe(3);
    expect(() => ccsSelect(members, new Float64Array(8), 3, { ...opts, beta: 1 })).toThrow(/beta/);
    expect(() => ccsSelect(members, new Float64Array(8), 3, { ...opts, strata: 0 })).toThrow(/strata/);
    expect(() => ccsSelect(members, new Float64Array(7), 3, opts)).toThrow(/7 scores for 8 members/);
    expect(() => ccsSelect(members, new Float64Array(8), 9, opts)).toThrow(/budget/);
    expect(() => ccsSelect(members, Float64Array.from([0, 0, 0, 0, 0, 0, 0, Number.NaN]), 3, opts)).toThrow(
      /not finite/,
    );
  });
});

describe("el2nScores", () => {
  it("is ‖softmax(z) − e_y‖₂: 0 for a certain right answer, √2 for a certain wrong one", () => {
    const s = el2nScores([50, 0, 0, 0, 50, 0, 0, 0, 0], 3, 0);
    expect(s[0]).toBeCloseTo(0, 10);
    expect(s[1]).toBeCloseTo(Math.SQRT2, 10);
    // Uniform over 3 classes: (1/3 − 1)² + 2·(1/3)² = 6/9.
    expect(s[2]).toBeCloseTo(Math.sqrt(6 / 9), 12);
    expect(() => el2nScores([1, 2, 3], 2, 0)).toThrow(/width 2/);
    expect(() => el2nScores([1, 2], 2, 2)).toThrow(/class 2/);
  });
});
