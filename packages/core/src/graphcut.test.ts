import { describe, expect, it } from "vitest";
import {
  type CosineSpace,
  cosineSpaceFor,
  DenseCosineSpace,
  FactorisedGradientSpace,
  type LastLayerOutputs,
} from "./gradient-embedding.ts";
import { graphCut, referenceGraphCut } from "./graphcut.ts";
import { randomOutputs } from "./outputs.fixtures.ts";
import { Rng } from "./rng.ts";
import { range } from "./similarity.ts";

/** Counts cosRow calls, to check the fast path's row budget. */
class CountingSpace implements CosineSpace {
  rows = 0;
  sums = 0;
  constructor(private readonly inner: CosineSpace) {}
  get n() {
    return this.inner.n;
  }
  get pairCost() {
    return this.inner.pairCost;
  }
  cosRow(i: number, out: Float64Array, cols?: Int32Array) {
    this.rows++;
    this.inner.cosRow(i, out, cols);
  }
  cosSums(pool: Int32Array, out: Float64Array, targets?: Int32Array) {
    this.sums++;
    this.inner.cosSums(pool, out, targets);
  }
  get sumCost() {
    return this.inner.sumCost;
  }
  cosineSum() {
    return this.inner.cosineSum();
  }
}

describe("graphCut", () => {
  it("matches a hand-computed example", () => {
    // [1,0], [0,1], [1,1]: column sums 2.354, 2.354, 2.707 → pick 2; then x0 and x1 tie at
    // 2.354 − 2·0.854 and the lower index wins; then 1.
    const s = new DenseCosineSpace(new Float64Array([1, 0, 0, 1, 1, 1]), 3);
    expect(Array.from(graphCut(s, range(3), 3))).toEqual([2, 0, 1]);
    expect(Array.from(referenceGraphCut(s, range(3), 3))).toEqual([2, 0, 1]);
    expect(Array.from(graphCut(s, range(3), 0))).toEqual([]);
    // λ = 0: every first gain is 0 → index 0, then the item least similar to it.
    expect(Array.from(graphCut(s, range(3), 2, { lambda: 0 }))).toEqual([0, 1]);
  });

  it("picks exactly what the O(n·k²) reference picks (seeds, sizes, λ, spaces)", () => {
    let cases = 0;
    for (let seed = 0; seed < 6; seed++) {
      const r = new Rng(1000 + seed);
      const n = 20 + r.nextInt(150);
      const C = 2 + r.nextInt(10);
      const D = 1 + r.nextInt(24);
      const o = randomOutputs(seed, n, C, D);
      for (const kind of ["gradient", "gradient-explicit", "features"] as const) {
        const s = cosineSpaceFor(o, kind);
        for (const lambda of [1, 0.5, 2.5, 0, -0.75]) {
          const k = 1 + r.nextInt(n);
          expect(Array.from(graphCut(s, range(n), k, { lambda }))).toEqual(
            Array.from(referenceGraphCut(s, range(n), k, { lambda })),
          );
          cases++;
        }
      }
    }
    expect(cases).toBe(90);
  });

  it("works on a pool that is a subset of the items, returning item indices", () => {
    const o = randomOutputs(77, 120, 10, 16);
    const s = FactorisedGradientSpace.fromOutputs(o);
    const pool = new Rng(78).sampleIndices(120, 50);
    const got = graphCut(s, pool, 20, { lambda: 1.3 });
    expect(Array.from(got)).toEqual(Array.from(referenceGraphCut(s, pool, 20, { lambda: 1.3 })));
    const inPool = new Set(pool);
    for (const x of got) expect(inPool.has(x)).toBe(true);
    expect(new Set(got).size).toBe(20);
  });

  it("breaks ties to the lowest index with duplicated rows", () => {
    // Every item identical: all gains tie at every step → 0, 1, 2, …
    const same = new DenseCosineSpace(new Float64Array(12).fill(0.3), 6);
    expect(Array.from(graphCut(same, range(6), 6))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Array.from(referenceGraphCut(same, range(6), 6))).toEqual([0, 1, 2, 3, 4, 5]);

    // Each row duplicated (items 2i and 2i+1 equal): the copy with the lower index always goes first.
    const r = new Rng(11);
    const base = Array.from({ length: 30 * 8 }, () => r.nextNormal());
    const v = new Float64Array(60 * 8);
    for (let i = 0; i < 30; i++)
      for (let t = 0; t < 8; t++) {
        v[2 * i * 8 + t] = base[i * 8 + t]!;
        v[(2 * i + 1) * 8 + t] = base[i * 8 + t]!;
      }
    const dup = new DenseCosineSpace(v, 60);
    for (const lambda of [1, 3]) {
      const picks = Array.from(graphCut(dup, range(60), 45, { lambda }));
      expect(picks).toEqual(Array.from(referenceGraphCut(dup, range(60), 45, { lambda })));
      const at = new Map(picks.map((x, t) => [x, t]));
      for (let i = 0; i < 30; i++) {
        const odd = at.get(2 * i + 1);
        if (odd !== undefined) expect(at.get(2 * i)).toBeLessThan(odd);
      }
    }

    // Duplicated gradient embeddings: identical logits/embeddings/labels in both copies.
    const o = randomOutputs(12, 25, 4, 3);
    const C = 4;
    const D = 3;
    const o2: LastLayerOutputs = {
      logits: new Float32Array(50 * C),
      embeddings: new Float32Array(50 * D),
      labels: new Int32Array(50),
      numClasses: C,
    };
    for (let i = 0; i < 25; i++)
      for (const j of [i, i + 25]) {
        o2.logits.set(o.logits.subarray(i * C, (i + 1) * C), j * C);
        o2.embeddings.set(o.embeddings.subarray(i * D, (i + 1) * D), j * D);
        o2.labels[j] = o.labels[i]!;
      }
    const g = FactorisedGradientSpace.fromOutputs(o2);
    const picks = Array.from(graphCut(g, range(50), 40));
    expect(picks).toEqual(Array.from(referenceGraphCut(g, range(50), 40)));
    const at = new Map(picks.map((x, t) => [x, t]));
    for (let i = 0; i < 25; i++) {
      const hi = at.get(i + 25);
      if (hi !== undefined) expect(at.get(i)).toBeLessThan(hi);
    }
  });

  it("uses one column-sum pass and k − 1 similarity rows, never a matrix", () => {
    const s = new CountingSpace(FactorisedGradientSpace.fromOutputs(randomOutputs(5, 200, 10, 8)));
    graphCut(s, range(200), 37);
    expect(s.sums).toBe(1);
    expect(s.rows).toBe(36);
  });

  it("validates k, λ and the pool", () => {
    const s = FactorisedGradientSpace.fromOutputs(randomOutputs(1, 10, 3, 2));
    for (const f of [graphCut, referenceGraphCut]) {
      expect(() => f(s, range(10), 11)).toThrow(/k must be/);
      expect(() => f(s, range(10), -1)).toThrow(/k must be/);
      expect(() => f(s, range(10), 1.5)).toThrow(/k must be/);
      expect(() => f(s, range(10), 2, { lambda: Number.NaN })).toThrow(/lambda/);
      expect(() => f(s, Int32Array.from([1, 1]), 1)).toThrow(/twice/);
      expect(() => f(s, Int32Array.from([10]), 1)).toThrow(/pool\[0\] = 10/);
    }
  });
});
