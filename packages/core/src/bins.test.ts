import { describe, expect, it } from "vitest";
import { binClass, binDataset, binIndexOf, binItems, binSizes, referenceBinClass } from "./bins.ts";
import { cosineSpaceFor, FactorisedGradientSpace, type LastLayerOutputs } from "./gradient-embedding.ts";
import { graphCut } from "./graphcut.ts";
import { randomOutputs } from "./outputs.fixtures.ts";
import { Rng } from "./rng.ts";
import { range } from "./similarity.ts";

/** The rows of `o` listed in `rows`, as a new outputs object. */
function take(o: LastLayerOutputs, rows: Int32Array, D: number): LastLayerOutputs {
  const C = o.numClasses;
  const out: LastLayerOutputs = {
    logits: new Float32Array(rows.length * C),
    embeddings: new Float32Array(rows.length * D),
    labels: new Int32Array(rows.length),
    numClasses: C,
  };
  rows.forEach((i, j) => {
    out.logits.set(o.logits.subarray(i * C, (i + 1) * C), j * C);
    out.embeddings.set(o.embeddings.subarray(i * D, (i + 1) * D), j * D);
    out.labels[j] = o.labels[i]!;
  });
  return out;
}

function expectPartition(bins: Int32Array[], items: Iterable<number>): void {
  const all = bins.flatMap((b) => Array.from(b));
  expect(new Set(all).size).toBe(all.length); // disjoint
  expect(all.slice().sort((a, b) => a - b)).toEqual(Array.from(items).sort((a, b) => a - b)); // coverage
}

describe("binSizes", () => {
  it("follows the reference rule: round(n/m) each, the last takes the rest", () => {
    expect(Array.from(binSizes(5000, 10))).toEqual(Array(10).fill(500));
    expect(Array.from(binSizes(5001, 10))).toEqual([...Array(9).fill(500), 501]);
    expect(Array.from(binSizes(5006, 10))).toEqual([...Array(9).fill(501), 497]);
    // Python rounds halves to even: 500.5 → 500, 501.5 → 502.
    expect(Array.from(binSizes(5005, 10))).toEqual([...Array(9).fill(500), 505]);
    expect(Array.from(binSizes(5015, 10))).toEqual([...Array(9).fill(502), 497]);
    expect(Array.from(binSizes(3, 1))).toEqual([3]);
    expect(Array.from(binSizes(7, 7))).toEqual(Array(7).fill(1));
  });

  it("falls back to floor(n/m) rather than leave the last bin empty", () => {
    expect(Array.from(binSizes(9, 6))).toEqual([1, 1, 1, 1, 1, 4]); // round(1.5) = 2 would need 10
    expect(Array.from(binSizes(10, 6))).toEqual([1, 1, 1, 1, 1, 5]); // round(1.67) = 2 would leave 0
    for (let n = 1; n <= 60; n++)
      for (let m = 1; m <= n; m++) {
        const s = binSizes(n, m);
        expect(s.reduce((a, b) => a + b, 0)).toBe(n);
        expect(Math.min(...s)).toBeGreaterThanOrEqual(1);
      }
  });

  it("rejects bad m and n with messages naming them", () => {
    expect(() => binSizes(10, 0)).toThrow(/m \(number of bins\)/);
    expect(() => binSizes(10, 2.5)).toThrow(/m \(number of bins\)/);
    expect(() => binSizes(10, 11)).toThrow(/m \(number of bins\) = 11 must not exceed the class size n = 10/);
    expect(() => binSizes(-1, 1)).toThrow(/n \(class size\)/);
  });
});

describe("binClass", () => {
  it("makes m disjoint bins of the reference sizes that cover the class", () => {
    const s = FactorisedGradientSpace.fromOutputs(randomOutputs(1, 203, 10, 16));
    const bins = binClass(s, 10);
    expect(bins.map((b) => b.length)).toEqual(Array.from(binSizes(203, 10)));
    expectPartition(bins, range(203));
    // Bin 0 is the plain GraphCut of the whole class, in pick order.
    expect(Array.from(bins[0]!)).toEqual(Array.from(graphCut(s, range(203), 20)));
    // The last bin is what is left, in index order.
    const last = Array.from(bins[9]!);
    expect(last).toEqual(last.slice().sort((a, b) => a - b));
  });

  it("equals the reference binning (explicit matrix, from-scratch sums) exactly", () => {
    for (let seed = 0; seed < 4; seed++) {
      const r = new Rng(500 + seed);
      const n = 30 + r.nextInt(120);
      const m = 1 + r.nextInt(8);
      const o = randomOutputs(seed, n, 2 + r.nextInt(9), 1 + r.nextInt(16));
      for (const kind of ["gradient", "features"] as const) {
        const s = cosineSpaceFor(o, kind);
        for (const lambda of [1, 0.7, 2]) {
          const fast = binClass(s, m, { lambda }).map((b) => Array.from(b));
          const ref = referenceBinClass(s, m, { lambda }).map((b) => Array.from(b));
          expect(fast).toEqual(ref);
        }
      }
    }
  });

  it("is deterministic and independent of how the space was built", () => {
    const o = randomOutputs(3, 150, 10, 8);
    const a = binClass(cosineSpaceFor(o), 10);
    const b = binClass(cosineSpaceFor(o), 10);
    const c = binClass(cosineSpaceFor(o, "gradient-explicit"), 10);
    expect(a.map((x) => Array.from(x))).toEqual(b.map((x) => Array.from(x)));
    expect(a.map((x) => Array.from(x))).toEqual(c.map((x) => Array.from(x)));
  });

  it("handles m = 1 and m = n", () => {
    const s = cosineSpaceFor(randomOutputs(4, 12, 3, 2));
    const one = binClass(s, 1);
    expect(one.length).toBe(1);
    expect(Array.from(one[0]!)).toEqual(Array.from(range(12)));
    const each = binClass(s, 12);
    expect(each.every((b) => b.length === 1)).toBe(true);
    expectPartition(each, range(12));
  });

  it("validates its inputs with messages naming the parameter", () => {
    const s = cosineSpaceFor(randomOutputs(4, 12, 3, 2));
    expect(() => binClass(s, 0)).toThrow(/m \(number of bins\)/);
    expect(() => binClass(s, 13)).toThrow(/m \(number of bins\) = 13/);
    expect(() => binClass(s, 3, { lambda: Number.POSITIVE_INFINITY })).toThrow(/lambda/);
    expect(() => binItems(s, Int32Array.from([0, 1, 1]), 2)).toThrow(/items contains item 1 twice/);
    expect(() => binItems(s, Int32Array.from([0, 12]), 2)).toThrow(/items\[1\] = 12/);
    const bad = randomOutputs(4, 12, 3, 2);
    bad.logits[7] = Number.NaN;
    expect(() => binClass(cosineSpaceFor(bad), 3)).toThrow(/logits\[7\]/);
  });
});

describe("binDataset", () => {
  it("bins each class on its own and maps back to global indices", () => {
    const D = 6;
    const o = randomOutputs(8, 240, 3, D);
    const space = cosineSpaceFor(o);
    const perClass = binDataset(space, o.labels, 5);
    expect(perClass.length).toBe(3);
    const binOf = binIndexOf(perClass, 240);
    expect(Array.from(binOf).every((r) => r >= 0 && r < 5)).toBe(true);
    for (let c = 0; c < 3; c++) {
      const members = Int32Array.from(range(240).filter((i) => o.labels[i] === c));
      const bins = perClass[c]!;
      expectPartition(bins, members);
      for (const b of bins) for (const i of b) expect(o.labels[i]).toBe(c);
      // Same as binning a class-only space built from just that class's rows.
      const local = binClass(cosineSpaceFor(take(o, members, D)), 5);
      expect(bins.map((b) => Array.from(b))).toEqual(local.map((b) => Array.from(b, (j) => members[j]!)));
    }
  });

  it("gives absent classes no bins and rejects a class smaller than m", () => {
    const o = randomOutputs(9, 40, 2, 3);
    const s = cosineSpaceFor(o);
    const r = binDataset(s, o.labels, 4, { numClasses: 4 });
    expect(r.length).toBe(4);
    expect(r[2]).toEqual([]);
    expect(r[3]).toEqual([]);
    const labels = new Int32Array(40);
    labels[39] = 1; // class 1 has a single item
    expect(() => binDataset(s, labels, 2)).toThrow(
      /m \(number of bins\) = 2 must not exceed the size 1 of class 1/,
    );
    expect(() => binDataset(s, labels, 0)).toThrow(/m \(number of bins\)/);
    expect(() => binDataset(s, labels.subarray(1), 2)).toThrow(/labels length/);
    expect(() => binDataset(s, labels, 2, { numClasses: 1 })).toThrow(/labels\[39\] = 1/);
  });
});

describe("stochastic greedy bins (large classes)", () => {
  /** One class (every label 0) of n items with a clustered embedding, as a binning stage sees it. */
  function classSpace(seed: number, n: number) {
    const o = randomOutputs(seed, n, 5, 12);
    o.labels.fill(0);
    return cosineSpaceFor(o);
  }
  const binOf = (bins: Int32Array[], n: number) => {
    const b = new Int32Array(n).fill(-1);
    bins.forEach((bin, r) => {
      for (const i of bin) b[i] = r;
    });
    return b;
  };

  it("keeps the exact budget: binSizes per bin, every item in exactly one bin", () => {
    const s = classSpace(1, 503);
    const bins = binItems(s, range(503), 10, { stochastic: { epsilon: 0.01, seed: 7 } });
    expect(bins.map((b) => b.length)).toEqual(Array.from(binSizes(503, 10)));
    const b = binOf(bins, 503);
    expect(b.every((x) => x >= 0)).toBe(true);
    expect(bins.reduce((a, x) => a + x.length, 0)).toBe(503);
  });

  it("is deterministic for a seed; another seed gives other bins", () => {
    const s = classSpace(2, 400);
    const o = { stochastic: { epsilon: 0.1, seed: 3 } };
    const a = binItems(s, range(400), 8, o).map((x) => Array.from(x));
    expect(binItems(s, range(400), 8, o).map((x) => Array.from(x))).toEqual(a);
    const other = binItems(s, range(400), 8, { stochastic: { epsilon: 0.1, seed: 4 } }).map((x) =>
      Array.from(x),
    );
    expect(other).not.toEqual(a);
  });

  it("with a sample as large as the pool (tiny ε) it is exact greedy, pick for pick", () => {
    const s = classSpace(3, 300);
    const exact = binItems(s, range(300), 6).map((x) => Array.from(x));
    const full = binItems(s, range(300), 6, { stochastic: { epsilon: 1e-300, seed: 0 } }).map((x) =>
      Array.from(x),
    );
    expect(full).toEqual(exact);
  });

  it("agrees with exact greedy far above chance (same bin for most items)", () => {
    const n = 2000;
    const s = classSpace(4, n);
    const exact = binOf(binItems(s, range(n), 10), n);
    const stoch = binOf(binItems(s, range(n), 10, { stochastic: { epsilon: 0.01, seed: 1 } }), n);
    let same = 0;
    for (let i = 0; i < n; i++) if (exact[i] === stoch[i]) same++;
    // Chance (a random partition of the same sizes) is 1/10; measured here ≈ see bench/scale.
    expect(same / n).toBeGreaterThan(0.3);
  });

  it("refuses ε outside (0, 1) and a non-integer seed", () => {
    const s = classSpace(5, 50);
    expect(() => binItems(s, range(50), 5, { stochastic: { epsilon: 0, seed: 0 } })).toThrow(/epsilon/);
    expect(() => binItems(s, range(50), 5, { stochastic: { epsilon: 0.1, seed: 0.5 } })).toThrow(/seed/);
  });
});
