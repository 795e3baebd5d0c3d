import { describe, expect, it } from "vitest";
import { expectNoViolations } from "../../../test/support/property.ts";
import { Rng } from "./rng.ts";
import { apportion, cumulativeRound, largestRemainder, roundShares, waterFill } from "./rounding.ts";

/** Random non-negative shares scaled to sum to an integer total (some zero, some integral). */
function randomShares(rng: Rng): { shares: Float64Array; total: number } {
  const n = 1 + rng.nextInt(20);
  const total = rng.nextInt(500);
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const kind = rng.nextInt(6);
    w[i] = kind === 0 ? 0 : kind === 1 ? 1 : rng.nextFloat();
  }
  let s = 0;
  for (const x of w) s += x;
  if (s === 0) w[0] = s = 1;
  for (let i = 0; i < n; i++) w[i] = (w[i]! * total) / s;
  return { shares: w, total };
}

const sum = (a: ArrayLike<number>) => Array.from(a).reduce((x, y) => x + y, 0);

/** Indices whose count is outside floor/ceil of the share (property loops collect, then expect once). */
function quotaViolations(counts: Int32Array, shares: ArrayLike<number>): number[] {
  const bad: number[] = [];
  for (let i = 0; i < counts.length; i++)
    if (counts[i]! < Math.floor(shares[i]!) || counts[i]! > Math.ceil(shares[i]!)) bad.push(i);
  return bad;
}

describe.each([
  { name: "largestRemainder", round: largestRemainder, seed: 11 },
  { name: "cumulativeRound", round: cumulativeRound, seed: 13 },
])("$name", ({ round, seed }) => {
  it("keeps the exact total and every count within floor/ceil, deterministically (property)", () => {
    const rng = new Rng(seed);
    expectNoViolations(2000, (fail) => {
      const { shares, total } = randomShares(rng);
      const c = round(shares, total);
      if (sum(c) !== total) fail(`total ${sum(c)} ≠ ${total}`);
      if (quotaViolations(c, shares).length > 0) fail("quota");
      if (round(shares, total).join() !== c.join()) fail("not deterministic");
    });
  });
});

describe("largestRemainder", () => {
  it("is monotone: a larger share never gets a smaller count (property)", () => {
    const rng = new Rng(12);
    expectNoViolations(2000, (fail) => {
      const { shares, total } = randomShares(rng);
      const c = largestRemainder(shares, total);
      for (let i = 0; i < c.length; i++)
        for (let j = 0; j < c.length; j++)
          if (shares[i]! > shares[j]! && c[i]! < c[j]!) fail(`items ${i}, ${j}`);
    });
  });

  it("spreads round-ups of equal shares evenly instead of giving them to the first items", () => {
    const c = largestRemainder(new Array(10).fill(1.3), 13);
    expect(Array.from(c)).toEqual([1, 2, 1, 1, 2, 1, 1, 1, 2, 1]);
    // Same as running-total rounding on equal shares.
    expect(c).toEqual(cumulativeRound(new Array(10).fill(1.3), 13));
  });

  it("spreads only within the tied group; strictly larger remainders go first", () => {
    // 0.9 and 0.5 beat the four tied 0.4s; the 1 unit left goes inside the tie group, not to its first.
    const c = largestRemainder([0.9, 0.4, 0.4, 0.4, 0.4, 0.5], 3);
    expect(Array.from(c)).toEqual([1, 0, 1, 0, 0, 1]);
    // 2 units over 4 tied items: every other one, as running-total rounding of 0.5s gives.
    const d = largestRemainder([0.9, 0.4, 0.4, 0.4, 0.4], 3);
    expect(Array.from(d)).toEqual([1, 1, 0, 1, 0]);
  });

  it("accepts a total within [Σ⌊s⌋, Σ⌈s⌉] when Σ s is not an integer", () => {
    const quotas = [2.4, 2.4, 2.4]; // Σ = 7.2
    expect(sum(largestRemainder(quotas, 7))).toBe(7);
    expect(sum(largestRemainder(quotas, 9))).toBe(9);
    expect(() => largestRemainder(quotas, 10)).toThrow(RangeError);
    expect(() => largestRemainder(quotas, 5)).toThrow(RangeError);
  });

  it("rejects bad shares and totals", () => {
    expect(() => largestRemainder([-1, 2], 1)).toThrow(/shares\[0\]/);
    expect(() => largestRemainder([Number.NaN], 0)).toThrow(/shares\[0\]/);
    expect(() => largestRemainder([1.5], 1.5)).toThrow(/total/);
  });
});

describe("cumulativeRound", () => {
  it("is not monotone (documented counterexample), unlike largest remainder", () => {
    expect(Array.from(cumulativeRound([0.5, 0.7, 0.8], 2))).toEqual([1, 0, 1]);
    expect(Array.from(largestRemainder([0.5, 0.7, 0.8], 2))).toEqual([0, 1, 1]);
    expect(Array.from(roundShares([0.5, 0.7, 0.8], 2, "cumulative"))).toEqual([1, 0, 1]);
  });

  it("requires Σ shares = total", () => {
    expect(() => cumulativeRound([0.5, 0.7], 2)).toThrow(/sum to total/);
  });
});

describe("waterFill / apportion with caps", () => {
  function randomCase(rng: Rng) {
    const n = 1 + rng.nextInt(15);
    const weights = Float64Array.from({ length: n }, () => (rng.nextInt(5) === 0 ? 0 : rng.nextFloat() * 3));
    const caps = Int32Array.from({ length: n }, () => rng.nextInt(60));
    const total = rng.nextInt(sum(caps) + 1);
    return { weights, caps, total };
  }

  it("meets the total exactly, respects caps, rounds within floor/ceil of the water-filled shares", () => {
    const rng = new Rng(14);
    expectNoViolations(2000, (fail) => {
      const { weights, caps, total } = randomCase(rng);
      const shares = waterFill(weights, total, caps);
      if (Math.abs(sum(shares) - total) > 1e-9 * Math.max(1, total)) fail("Σ shares");
      if (shares.some((x, i) => x > caps[i]!)) fail("share above cap");
      for (const method of ["largest-remainder", "cumulative"] as const) {
        const c = apportion(weights, total, { caps, method });
        if (sum(c) !== total) fail(`${method}: total`);
        if (c.some((x, i) => x < 0 || x > caps[i]!)) fail(`${method}: outside [0, cap]`);
        if (quotaViolations(c, shares).length > 0) fail(`${method}: quota`);
        if (apportion(weights, total, { caps, method }).join() !== c.join())
          fail(`${method}: not deterministic`);
      }
    });
  });

  it("moves the excess of a capped item to the others in proportion to their weights", () => {
    const s = waterFill([8, 1, 1], 10, [4, 100, 100]);
    expect(Array.from(s)).toEqual([4, 3, 3]);
    expect(Array.from(apportion([8, 1, 3], 10, { caps: [4, 100, 100] }))).toEqual([4, 2, 4]);
  });

  it("uses zero-weight capacity only once every positive-weight item is full", () => {
    expect(Array.from(waterFill([1, 0, 0], 2, [5, 5, 5]))).toEqual([2, 0, 0]);
    expect(Array.from(apportion([1, 0, 0], 9, { caps: [5, 2, 6] }))).toEqual([5, 1, 3]);
  });

  it("without caps is plain proportional apportionment", () => {
    expect(Array.from(apportion([1, 1, 2], 8))).toEqual([2, 2, 4]);
  });

  it("rejects impossible requests", () => {
    expect(() => apportion([1, 1], 11, { caps: [5, 5] })).toThrow(/exceeds the sum of caps/);
    expect(() => apportion([0, 0], 1)).toThrow(/all weights are zero/);
    expect(() => apportion([1, 1], 1, { caps: [1.5, 1] })).toThrow(/caps\[0\]/);
    expect(() => apportion([1], 1, { caps: [1, 1] })).toThrow(/caps has length/);
  });
});
