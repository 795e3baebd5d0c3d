import { describe, expect, it } from "vitest";
import { rowCosine } from "../../../test/support/stats.ts";
import {
  biasGradients,
  type CosineSpace,
  cosineSpaceFor,
  DenseCosineSpace,
  FactorisedGradientSpace,
  gradientEmbeddings,
  type LastLayerOutputs,
  softmax,
} from "./gradient-embedding.ts";
import { Rng } from "./rng.ts";
import { range } from "./similarity.ts";

function randomOutputs(seed: number, n: number, C: number, D: number, scale = 2): LastLayerOutputs {
  const r = new Rng(seed);
  return {
    logits: Float32Array.from({ length: n * C }, () => r.nextNormal() * scale),
    embeddings: Float32Array.from({ length: n * D }, () => r.nextNormal()),
    labels: Int32Array.from({ length: n }, () => r.nextInt(C)),
    numClasses: C,
  };
}

describe("softmax", () => {
  it("matches hand-computed values", () => {
    const p = softmax(new Float64Array([0, 0, 0, Math.log(3), 1, 1]), 3, 2);
    expect(p[0]).toBeCloseTo(0.5, 15);
    expect(p[1]).toBeCloseTo(0.5, 15);
    expect(p[2]).toBeCloseTo(0.25, 15);
    expect(p[3]).toBeCloseTo(0.75, 15);
    expect(p[4]).toBeCloseTo(0.5, 15);
  });

  it("is numerically stable for huge logits", () => {
    const p = softmax(new Float64Array([1000, 0, 1e30, 1e30 - 1e15]), 2, 2);
    expect(p[0]).toBe(1);
    expect(p[1]).toBe(0);
    expect(Array.from(p).every(Number.isFinite)).toBe(true);
    const q = softmax(new Float64Array([-1000, -1000 + Math.log(3)]), 1, 2);
    // −1000 + ln 3 is itself rounded to ~1e-13, hence 12 digits.
    expect(q[0]).toBeCloseTo(0.25, 12);
    expect(q[1]).toBeCloseTo(0.75, 12);
  });

  it("rows sum to 1 on random data", () => {
    const r = new Rng(5);
    const n = 50;
    const C = 7;
    const p = softmax(
      Float64Array.from({ length: n * C }, () => r.nextNormal() * 10),
      n,
      C,
    );
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let c = 0; c < C; c++) s += p[i * C + c]!;
      expect(s).toBeCloseTo(1, 14);
    }
  });

  it("validates its inputs", () => {
    expect(() => softmax(new Float64Array(5), 2, 2)).toThrow(RangeError);
    expect(() => softmax(new Float64Array([0, Number.NaN]), 1, 2)).toThrow(/logits\[1\]/);
    expect(() => softmax(new Float64Array(0), 0, 0)).toThrow(/C must be/);
  });
});

describe("gradient embeddings", () => {
  it("matches a hand-computed example", () => {
    // p = [0.25, 0.75], y = 1 → g_bias = [0.25, −0.25]; e = [2, −1].
    const o: LastLayerOutputs = {
      logits: new Float64Array([0, Math.log(3)]),
      embeddings: new Float64Array([2, -1]),
      labels: new Int32Array([1]),
      numClasses: 2,
    };
    const gb = biasGradients(o);
    expect(gb[0]).toBeCloseTo(0.25, 15);
    expect(gb[1]).toBeCloseTo(-0.25, 15);
    const g = gradientEmbeddings(o);
    const want = [0.25, -0.25, 0.5, -0.25, -0.5, 0.25];
    expect(g.length).toBe(6);
    for (let t = 0; t < want.length; t++) expect(g[t]).toBeCloseTo(want[t]!, 15);
  });

  it("factorised cosine equals the explicit dense cosine to 1e-12", () => {
    for (const [seed, n, C, D] of [
      [1, 40, 10, 64],
      [2, 30, 3, 5],
      [3, 25, 2, 1],
      [4, 20, 100, 8],
    ] as const) {
      const o = randomOutputs(seed, n, C, D, seed === 4 ? 8 : 2);
      const f = FactorisedGradientSpace.fromOutputs(o);
      const g = gradientEmbeddings(o);
      const d = C + C * D;
      const dense = new DenseCosineSpace(g, n);
      const rf = new Float64Array(n);
      const rd = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        f.cosRow(i, rf);
        dense.cosRow(i, rd);
        for (let j = 0; j < n; j++) {
          expect(Math.abs(rf[j]! - rd[j]!)).toBeLessThan(1e-12);
          expect(Math.abs(rf[j]! - rowCosine(g, d, i, j))).toBeLessThan(1e-12);
        }
      }
      expect(f.pairCost).toBe(C + D + 1);
      expect(dense.pairCost).toBe(d);
    }
  });

  it("gives cosine 0 (not NaN) for an exactly one-hot softmax", () => {
    const o: LastLayerOutputs = {
      logits: new Float64Array([1000, 0, 0, 1, 5, -2]),
      embeddings: new Float64Array([1, 2, 3, 4, 5, 6]),
      labels: new Int32Array([0, 1, 0]),
      numClasses: 2,
    };
    expect(Array.from(biasGradients(o).subarray(0, 2))).toEqual([0, 0]);
    for (const kind of ["gradient", "gradient-explicit"] as const) {
      const s = cosineSpaceFor(o, kind);
      const row = new Float64Array(3);
      s.cosRow(0, row);
      expect(Array.from(row)).toEqual([0, 0, 0]);
      s.cosRow(1, row);
      expect(row[0]).toBe(0);
      expect(row[1]).toBeCloseTo(1, 14);
      const sums = new Float64Array(3);
      s.cosSums(range(3), sums);
      expect(Array.from(sums).every(Number.isFinite)).toBe(true);
      expect(sums[0]).toBe(0);
    }
  });

  it("feature space compares normalised embeddings", () => {
    const o: LastLayerOutputs = {
      logits: new Float64Array(8),
      embeddings: new Float64Array([1, 0, 0, 3, 2, 2, 0, 0]),
      labels: new Int32Array([0, 1, 0, 1]),
      numClasses: 2,
    };
    const s = cosineSpaceFor(o, "features");
    const row = new Float64Array(4);
    s.cosRow(0, row);
    expect(row[0]).toBeCloseTo(1, 15);
    expect(row[1]).toBe(0);
    expect(row[2]).toBeCloseTo(Math.SQRT1_2, 15);
    expect(row[3]).toBe(0); // zero vector
  });

  it("cosSums equals summed rows, with and without targets", () => {
    const o = randomOutputs(9, 60, 10, 16);
    const spaces: CosineSpace[] = [
      cosineSpaceFor(o),
      cosineSpaceFor(o, "gradient-explicit"),
      cosineSpaceFor(o, "features"),
    ];
    const pool = Int32Array.from([3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 59, 0]);
    const targets = Int32Array.from([0, 1, 2, 3, 58, 59]);
    /** `sums` = Σ_{p ∈ pool} cos(p, t) for each target t, summed one cosRow at a time. */
    const expectSummedRows = (s: CosineSpace, sums: Float64Array, targets: Int32Array) => {
      const row = new Float64Array(targets.length);
      const want = new Float64Array(targets.length);
      for (const p of pool) {
        s.cosRow(p, row, targets);
        for (let j = 0; j < targets.length; j++) want[j]! += row[j]!;
      }
      for (let j = 0; j < targets.length; j++) expect(Math.abs(sums[j]! - want[j]!)).toBeLessThan(1e-12);
    };
    for (const s of spaces) {
      const got = new Float64Array(targets.length);
      s.cosSums(pool, got, targets);
      expectSummedRows(s, got, targets);
      // Default targets = the pool itself (self-similarity included).
      const self = new Float64Array(pool.length);
      s.cosSums(pool, self);
      expectSummedRows(s, self, pool);
    }
  });

  it("validates shapes, labels and finiteness with named parameters", () => {
    const good = randomOutputs(1, 4, 3, 2);
    expect(() => cosineSpaceFor({ ...good, logits: new Float32Array(11) })).toThrow(/logits/);
    expect(() => cosineSpaceFor({ ...good, embeddings: new Float32Array(7) })).toThrow(/embeddings/);
    expect(() => cosineSpaceFor({ ...good, labels: Int32Array.from([0, 1, 3, 0]) })).toThrow(/labels\[2\]/);
    expect(() => cosineSpaceFor({ ...good, numClasses: 0 })).toThrow(/numClasses/);
    const bad = Float32Array.from(good.embeddings);
    bad[5] = Number.POSITIVE_INFINITY;
    expect(() => cosineSpaceFor({ ...good, embeddings: bad })).toThrow(/embeddings\[5\]/);
    expect(() => new DenseCosineSpace(new Float64Array([1, Number.NaN]), 1)).toThrow(/vectors\[1\]/);
    expect(() => new DenseCosineSpace(new Float64Array(5), 2)).toThrow(RangeError);
    expect(() => new FactorisedGradientSpace(new Float64Array(4), new Float64Array(3), 2, 2)).toThrow(
      /b length/,
    );
    expect(() => cosineSpaceFor(good, "nope" as never)).toThrow(/unknown embedding kind/);
  });

  it("handles an empty class", () => {
    const o: LastLayerOutputs = {
      logits: new Float32Array(0),
      embeddings: new Float32Array(0),
      labels: new Int32Array(0),
      numClasses: 10,
    };
    expect(cosineSpaceFor(o).n).toBe(0);
    expect(cosineSpaceFor(o, "features").n).toBe(0);
    expect(gradientEmbeddings(o).length).toBe(0);
  });
});
