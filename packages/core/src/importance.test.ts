import { describe, expect, it } from "vitest";
import { importanceByClass, importanceScores, normaliseScores, replicateNoiseStd } from "./importance.ts";
import { Rng } from "./rng.ts";

const mean = (a: ArrayLike<number>) => Array.from(a).reduce((x, y) => x + y, 0) / a.length;
const popStd = (a: ArrayLike<number>) => {
  const m = mean(a);
  return Math.sqrt(Array.from(a).reduce((s, x) => s + (x - m) ** 2, 0) / a.length);
};

describe("normaliseScores", () => {
  it("gives z-scores with mean 0 and population std 1 (property)", () => {
    const rng = new Rng(21);
    for (let t = 0; t < 500; t++) {
      const n = 2 + rng.nextInt(20);
      const offset = rng.nextNormal() * 100;
      const scale = 10 ** (rng.nextFloat() * 6 - 4);
      const v = Array.from({ length: n }, () => offset + scale * rng.nextNormal());
      const r = normaliseScores(v);
      expect(Math.abs(mean(r.z))).toBeLessThan(1e-9);
      expect(popStd(r.z)).toBeCloseTo(1, 9);
      expect(r.shrink).toBe(1);
      expect(r.std).toBeCloseTo(popStd(v), 12);
      // Order is preserved.
      for (let i = 1; i < n; i++) expect(Math.sign(r.z[i]! - r.z[0]!)).toBe(Math.sign(v[i]! - v[0]!));
    }
  });

  it("maps zero variance to z = 0, not NaN, with cv = 0", () => {
    const r = normaliseScores([0.32, 0.32, 0.32]);
    expect(Array.from(r.z)).toEqual([0, 0, 0]);
    expect(r.std).toBe(0);
    expect(r.cv).toBe(0);
    expect(Array.from(normaliseScores([0, 0]).z)).toEqual([0, 0]);
    expect(normaliseScores([5]).z[0]).toBe(0);
  });

  it("reports the coefficient of variation beside the z-scores", () => {
    const r = normaliseScores([0.9, 1.1]);
    expect(r.mean).toBeCloseTo(1, 12);
    expect(r.std).toBeCloseTo(0.1, 12);
    expect(r.cv).toBeCloseTo(0.1, 12);
    expect(normaliseScores([-1, 1]).cv).toBe(Number.POSITIVE_INFINITY);
    expect(normaliseScores([-2, -1]).cv).toBeCloseTo(0.5 / 1.5, 12);
  });

  it("shrinks z toward 0 when the spread is within the noise floor (James–Stein factor)", () => {
    // RS varying by ±0.8% (docs/algorithm.md §11.5) with a 1% noise floor: pure noise, z = 0.
    const rs = [0.3188, 0.32, 0.321, 0.3237, 0.3205];
    expect(Array.from(normaliseScores(rs, { value: 0.01 }).z)).toEqual([0, 0, 0, 0, 0]);
    // A spread well above the floor keeps nearly its full z.
    const strong = normaliseScores([1, 2, 3], { value: 0.01 });
    expect(strong.shrink).toBeGreaterThan(0.999);
    // Exact factor: cv = std/mean; shrink = 1 − (floor/cv)².
    const r = normaliseScores([0.9, 1.1], { value: 0.05 });
    expect(r.shrink).toBeCloseTo(1 - (0.05 / 0.1) ** 2, 12);
    expect(r.z[1]).toBeCloseTo(r.shrink, 12);
    // Absolute floor in the score's own units.
    const a = normaliseScores([0.9, 1.1], { value: 0.05, kind: "std" });
    expect(a.shrink).toBeCloseTo(0.75, 12);
  });

  it("rejects non-finite values and bad floors", () => {
    expect(() => normaliseScores([1, Number.NaN], undefined, "rs")).toThrow(/rs\[1\]/);
    expect(() => normaliseScores([1, 2], { value: -1 })).toThrow(/noise floor/);
  });
});

describe("importanceScores", () => {
  it("is w_rs·RS^ + w_ds·DS^ (default weights 1, 1)", () => {
    const rng = new Rng(22);
    for (let t = 0; t < 200; t++) {
      const n = 2 + rng.nextInt(12);
      const rs = Array.from({ length: n }, () => rng.nextFloat());
      const ds = Array.from({ length: n }, () => rng.nextNormal());
      const r = importanceScores(rs, ds);
      const w = importanceScores(rs, ds, { wRs: 0.3, wDs: 2 });
      for (let i = 0; i < n; i++) {
        expect(r.importance[i]).toBeCloseTo(r.rs.z[i]! + r.ds.z[i]!, 12);
        expect(w.importance[i]).toBeCloseTo(0.3 * r.rs.z[i]! + 2 * r.ds.z[i]!, 12);
      }
      expect(Math.abs(mean(r.importance))).toBeLessThan(1e-9);
    }
  });

  it("cancels scores moving in opposite directions (docs/algorithm.md §11.3)", () => {
    const rs = [5, 4, 3, 2, 1];
    const ds = [1.1, 1.2, 1.3, 1.4, 1.5];
    for (const v of importanceScores(rs, ds).importance) expect(Math.abs(v)).toBeLessThan(1e-12);
  });

  it("validates lengths and weights", () => {
    expect(() => importanceScores([1, 2], [1])).toThrow(/one entry per bin/);
    expect(() => importanceScores([1, 2], [1, 2], { wDs: Number.NaN })).toThrow(/wDs/);
  });
});

describe("importanceByClass", () => {
  const rs = [
    [1, 2, 3],
    [10, 20, 30, 40],
  ];
  const ds = [
    [3, 1, 2],
    [1, 1, 1, 2],
  ];

  it("normalises within each class by default", () => {
    const res = importanceByClass(rs, ds);
    expect(res).toHaveLength(2);
    expect(Array.from(res[0]!.importance)).toEqual(Array.from(importanceScores(rs[0]!, ds[0]!).importance));
    expect(Array.from(res[1]!.importance)).toEqual(Array.from(importanceScores(rs[1]!, ds[1]!).importance));
  });

  it("pools statistics with scope global", () => {
    const res = importanceByClass(rs, ds, { scope: "global" });
    const pooled = importanceScores([...rs[0]!, ...rs[1]!], [...ds[0]!, ...ds[1]!]);
    expect([...res[0]!.importance, ...res[1]!.importance]).toEqual(Array.from(pooled.importance));
    expect(res[0]!.rs.std).toBe(pooled.rs.std);
    expect(Array.from(res[1]!.rs.raw)).toEqual(rs[1]);
  });

  it("validates shapes and scope", () => {
    expect(() => importanceByClass([[1]], [])).toThrow(/one entry per class/);
    expect(() => importanceByClass([[1, 2]], [[1]], { scope: "global" })).toThrow(/class 0/);
    // biome-ignore lint/suspicious/noExplicitAny: deliberately invalid input
    expect(() => importanceByClass([[1]], [[1]], { scope: "bins" as any })).toThrow(/scope/);
  });
});

describe("replicateNoiseStd", () => {
  it("is the pooled within-bin standard deviation across runs", () => {
    // Bin 0 runs: 1, 3 (var 2); bin 1 runs: 5, 5 (var 0) → pooled var 1.
    expect(
      replicateNoiseStd([
        [1, 5],
        [3, 5],
      ]),
    ).toBeCloseTo(1, 12);
  });

  it("recovers a known noise level", () => {
    const rng = new Rng(23);
    const signal = Array.from({ length: 10 }, (_, i) => i);
    const runs = Array.from({ length: 50 }, () => signal.map((s) => s + 0.3 * rng.nextNormal()));
    expect(replicateNoiseStd(runs)).toBeGreaterThan(0.27);
    expect(replicateNoiseStd(runs)).toBeLessThan(0.33);
  });

  it("needs two runs of equal length", () => {
    expect(() => replicateNoiseStd([[1]])).toThrow(/at least 2/);
    expect(() => replicateNoiseStd([[1], [1, 2]])).toThrow(/replicates\[1\]/);
  });
});
