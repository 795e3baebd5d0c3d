import { describe, expect, it } from "vitest";
import { expectNoViolations } from "../../../test/support/property.ts";
import { allocateAcrossClasses, allocateBins, DEFAULT_ALPHA } from "./allocation.ts";
import { Rng } from "./rng.ts";
import { largestRemainder } from "./rounding.ts";

const sum = (a: ArrayLike<number>) => Array.from(a).reduce((x, y) => x + y, 0);

function randomCase(rng: Rng) {
  const m = 1 + rng.nextInt(15);
  const sizes = Int32Array.from({ length: m }, () => (rng.nextInt(8) === 0 ? 0 : rng.nextInt(600)));
  const importance = Float64Array.from({ length: m }, () => 1.5 * rng.nextNormal());
  const alpha = rng.nextInt(4) === 0 ? 0 : rng.nextInt(4) === 0 ? 1 : rng.nextFloat();
  const budget = rng.nextInt(sum(sizes) + 1);
  const strength = rng.nextFloat() * 1.5;
  const map = rng.nextInt(2) === 0 ? ("exp" as const) : ("linear" as const);
  return { sizes, importance, alpha, budget, options: { strength, map } };
}

describe("allocateBins", () => {
  it("Σq = B exactly, 0 ≤ q ≤ N(n), deterministic (property)", () => {
    const rng = new Rng(31);
    expectNoViolations(3000, (fail) => {
      const { sizes, importance, alpha, budget, options } = randomCase(rng);
      const a = allocateBins(sizes, importance, alpha, budget, options);
      if (sum(a.counts) !== budget) fail(`Σq = ${sum(a.counts)} ≠ ${budget}`);
      if (a.counts.some((q, i) => q < 0 || q > sizes[i]!)) fail("q outside [0, N]");
      if (allocateBins(sizes, importance, alpha, budget, options).counts.join() !== a.counts.join())
        fail("not deterministic");
    });
  });

  it("keeps each count within floor/ceil of its share when no cap binds (property)", () => {
    const rng = new Rng(32);
    let checked = 0;
    expectNoViolations(3000, (fail) => {
      const { sizes, importance, alpha, budget, options } = randomCase(rng);
      const a = allocateBins(sizes, importance, alpha, budget, options);
      if (Array.from(a.shares).some((s, i) => s > sizes[i]!)) return;
      checked++;
      if (Math.abs(sum(a.shares) - budget) > 1e-6) fail("Σ shares");
      for (let i = 0; i < sizes.length; i++)
        if (a.counts[i]! < Math.floor(a.shares[i]!) || a.counts[i]! > Math.ceil(a.shares[i]!))
          fail(`bin ${i} ${a.counts[i]} vs share ${a.shares[i]}`);
    });
    expect(checked).toBeGreaterThan(1500);
  });

  it("α = 0 reproduces DQ: counts proportional to bin sizes, whatever the importance (property)", () => {
    const rng = new Rng(33);
    expectNoViolations(1000, (fail) => {
      const { sizes, importance, budget } = randomCase(rng);
      const total = sum(sizes);
      const dq = largestRemainder(
        Array.from(sizes, (n) => (n * budget) / total || 0),
        budget,
      );
      const a = allocateBins(sizes, importance, 0, budget);
      if (
        a.counts.join() !== dq.join() ||
        allocateBins(sizes, undefined, 0, budget).counts.join() !== dq.join() ||
        !a.multipliers.every((x) => x === 1)
      )
        fail("not DQ's proportional counts");
    });
  });

  it("with equal bin sizes a larger IS never gets fewer items (property; both maps)", () => {
    const rng = new Rng(34);
    expectNoViolations(2000, (fail) => {
      const m = 2 + rng.nextInt(14);
      const size = 1 + rng.nextInt(700);
      const sizes = new Int32Array(m).fill(size);
      const is = Array.from({ length: m }, () => 2 * rng.nextNormal());
      const budget = rng.nextInt(m * size + 1);
      const alpha = rng.nextFloat();
      const options = {
        strength: rng.nextFloat() * 2,
        map: rng.nextInt(2) ? ("exp" as const) : ("linear" as const),
      };
      const q = allocateBins(sizes, is, alpha, budget, options).counts;
      // The linear map clips every IS ≤ −1/s to the same g = 0: those bins tie, whatever their IS.
      const clipped = (z: number) => options.map === "linear" && 1 + options.strength * z <= 0;
      for (let i = 0; i < m; i++)
        for (let j = 0; j < m; j++)
          if (is[i]! > is[j]! && !(clipped(is[i]!) && clipped(is[j]!)) && q[i]! < q[j]!)
            fail(`bins ${i}, ${j}`);
    });
  });

  it("interpolates linearly in α between DQ (α = 0) and the importance shares (α = 1), Eq. 9", () => {
    const sizes = [500, 480, 510, 505, 490, 500, 495, 520, 500, 500];
    const is = [-1.2, 0.3, 2.1, -0.4, 0.9, 1.5, -2.0, 0.1, -0.8, -0.5];
    const B = 500;
    const s0 = allocateBins(sizes, is, 0, B).shares;
    const s1 = allocateBins(sizes, is, 1, B).shares;
    for (const alpha of [0.25, 0.5, DEFAULT_ALPHA]) {
      const s = allocateBins(sizes, is, alpha, B).shares;
      for (let i = 0; i < sizes.length; i++)
        expect(s[i]).toBeCloseTo((1 - alpha) * s0[i]! + alpha * s1[i]!, 9);
    }
  });

  it("exp map is invariant to a constant offset of IS; multipliers have size-weighted mean 1", () => {
    const sizes = [100, 300, 200, 50];
    const is = [0.5, -1, 0.2, 1.3];
    const a = allocateBins(sizes, is, 0.7, 123);
    const b = allocateBins(
      sizes,
      is.map((x) => x + 5),
      0.7,
      123,
    );
    expect(b.counts).toEqual(a.counts);
    const wMean = sum(sizes.map((n, i) => n * a.multipliers[i]!)) / sum(sizes);
    expect(wMean).toBeCloseTo(1, 12);
  });

  it("water-fills past full bins at high keep ratios", () => {
    const q = allocateBins([10, 10, 10], [3, 0, -3], 1, 28, { strength: 3 }).counts;
    expect(Array.from(q)).toEqual([10, 10, 8]);
    expect(Array.from(allocateBins([10, 10, 10], [3, 0, -3], 1, 30).counts)).toEqual([10, 10, 10]);
  });

  it("linear map can empty a bin but still meets the budget", () => {
    const q = allocateBins([10, 10], [-2, 2], 1, 15, { map: "linear", strength: 1 }).counts;
    expect(Array.from(q)).toEqual([5, 10]);
    expect(Array.from(allocateBins([10, 10], [-2, 2], 1, 6, { map: "linear", strength: 1 }).counts)).toEqual([
      0, 6,
    ]);
  });

  it("validates its parameters with RangeErrors naming them", () => {
    expect(() => allocateBins([10], [0], -0.1, 1)).toThrow(/alpha/);
    expect(() => allocateBins([10], [0], 1.1, 1)).toThrow(/alpha/);
    expect(() => allocateBins([10], [0], Number.NaN, 1)).toThrow(/alpha/);
    expect(() => allocateBins([10, -1], [0, 0], 0.5, 1)).toThrow(/sizes\[1\]/);
    expect(() => allocateBins([10, 1.5], [0, 0], 0.5, 1)).toThrow(/sizes\[1\]/);
    expect(() => allocateBins([10], [0], 0.5, 11)).toThrow(/budget/);
    expect(() => allocateBins([10], [0], 0.5, 1.5)).toThrow(/budget/);
    expect(() => allocateBins([10], undefined, 0.5, 1)).toThrow(/importance/);
    expect(() => allocateBins([10, 10], [0], 0.5, 1)).toThrow(/importance/);
    expect(() => allocateBins([10], [Number.NaN], 0.5, 1)).toThrow(/importance\[0\]/);
    expect(() => allocateBins([10], [0], 0.5, 1, { strength: -1 })).toThrow(/strength/);
  });
});

describe("allocateAcrossClasses", () => {
  it("keeps round(ρ·N) in total and each class within floor/ceil of ρ·N_c at ρ = 0.12345 (property)", () => {
    const rng = new Rng(35);
    const ratio = 0.12345;
    expectNoViolations(1000, (fail) => {
      const sizes = Array.from({ length: 1 + rng.nextInt(100) }, () =>
        rng.nextInt(rng.nextInt(2) ? 50 : 5000),
      );
      const q = allocateAcrossClasses(sizes, ratio);
      if (sum(q) !== Math.round(ratio * sum(sizes))) fail(`total ${sum(q)}`);
      sizes.forEach((n, c) => {
        if (q[c]! < Math.floor(ratio * n) || q[c]! > Math.ceil(ratio * n)) fail(`class ${c}`);
      });
      if (allocateAcrossClasses(sizes, ratio).join() !== q.join()) fail("not deterministic");
    });
  });

  it("random ratios: exact total, quota, larger class never fewer (property)", () => {
    const rng = new Rng(36);
    expectNoViolations(1000, (fail) => {
      const sizes = Array.from({ length: 1 + rng.nextInt(30) }, () => rng.nextInt(2000));
      const ratio = 1 - rng.nextFloat(); // (0, 1]
      const q = allocateAcrossClasses(sizes, ratio);
      if (sum(q) !== Math.round(ratio * sum(sizes))) fail("total");
      for (let i = 0; i < sizes.length; i++) {
        if (
          q[i]! < Math.floor(ratio * sizes[i]!) ||
          q[i]! > Math.ceil(ratio * sizes[i]!) ||
          q[i]! > sizes[i]!
        )
          fail(`class ${i} quota`);
        for (let j = 0; j < sizes.length; j++)
          if (sizes[i]! > sizes[j]! && q[i]! < q[j]!) fail(`classes ${i}, ${j}`);
      }
    });
  });

  it("CIFAR-10 at ρ = 0.12345: 6173 kept, the 3 extra items spread over classes, not classes 0–2", () => {
    const q = allocateAcrossClasses(new Array(10).fill(5000), 0.12345);
    expect(sum(q)).toBe(6173); // round(6172.5); Σ round(617.25) would give 6170
    expect(Array.from(q)).toEqual([617, 618, 617, 617, 618, 617, 617, 617, 618, 617]);
  });

  it("keeps everything at ρ = 1 and handles empty classes", () => {
    expect(Array.from(allocateAcrossClasses([3, 0, 7], 1))).toEqual([3, 0, 7]);
    expect(Array.from(allocateAcrossClasses([0, 0], 0.5))).toEqual([0, 0]);
  });

  it("validates ratio and sizes with RangeErrors naming them", () => {
    expect(() => allocateAcrossClasses([10], 0)).toThrow(/ratio/);
    expect(() => allocateAcrossClasses([10], 1.01)).toThrow(/ratio/);
    expect(() => allocateAcrossClasses([10], Number.NaN)).toThrow(/ratio/);
    expect(() => allocateAcrossClasses([10, -1], 0.5)).toThrow(/classSizes\[1\]/);
    expect(() => allocateAcrossClasses([2.5], 0.5)).toThrow(/classSizes\[0\]/);
    expect(() => allocateAcrossClasses([10], 0.5)).not.toThrow();
  });
});
