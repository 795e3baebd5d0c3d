import { describe, expect, it } from "vitest";
import { DenseCosineSpace, FactorisedGradientSpace } from "./gradient-embedding.ts";
import { Rng } from "./rng.ts";
import { forEachSimBlock, range, simColumnSums, simFromCos, similarityMatrix, simRow } from "./similarity.ts";

function randomSpace(seed: number, n: number, C = 5, D = 6): FactorisedGradientSpace {
  const r = new Rng(seed);
  return FactorisedGradientSpace.fromOutputs({
    logits: Float64Array.from({ length: n * C }, () => r.nextNormal()),
    embeddings: Float64Array.from({ length: n * D }, () => r.nextNormal()),
    labels: Int32Array.from({ length: n }, () => r.nextInt(C)),
    numClasses: C,
  });
}

describe("similarity", () => {
  it("maps cosine to [0, 1]", () => {
    expect(simFromCos(1)).toBe(1);
    expect(simFromCos(-1)).toBe(0);
    expect(simFromCos(0)).toBe(0.5);
  });

  it("simRow is 0.5 + 0.5·cos, on all items or a column subset", () => {
    const s = new DenseCosineSpace(new Float64Array([1, 0, 0, 1, 1, 1, -1, 0]), 4);
    const row = new Float64Array(4);
    simRow(s, 0, row);
    expect(row[0]).toBeCloseTo(1, 15);
    expect(row[1]).toBe(0.5);
    expect(row[2]).toBeCloseTo(0.5 + 0.5 * Math.SQRT1_2, 15);
    expect(row[3]).toBe(0);
    const sub = new Float64Array(2);
    simRow(s, 0, sub, Int32Array.from([3, 1]));
    expect(Array.from(sub)).toEqual([0, 0.5]);
  });

  it("the matrix is symmetric with unit diagonal, and blocks rebuild it", () => {
    const s = randomSpace(3, 23);
    const items = range(23);
    const S = similarityMatrix(s, items);
    for (let i = 0; i < 23; i++) {
      expect(S[i * 23 + i]).toBeCloseTo(1, 14);
      for (let j = 0; j < 23; j++) {
        expect(S[i * 23 + j]).toBe(S[j * 23 + i]);
        expect(S[i * 23 + j]).toBeGreaterThanOrEqual(0);
        expect(S[i * 23 + j]).toBeLessThanOrEqual(1 + 1e-15);
      }
    }
    const rebuilt = new Float64Array(23 * 23);
    let calls = 0;
    forEachSimBlock(s, items, items, 5, (block, r0, r1) => {
      calls++;
      expect(r1 - r0).toBeLessThanOrEqual(5);
      rebuilt.set(block.subarray(0, (r1 - r0) * 23), r0 * 23);
    });
    expect(calls).toBe(5);
    expect(Array.from(rebuilt)).toEqual(Array.from(S));
    expect(() => forEachSimBlock(s, items, items, 0, () => {})).toThrow(/blockRows/);
  });

  it("column sums match the explicit matrix without building it", () => {
    const s = randomSpace(4, 40);
    const pool = Int32Array.from([0, 2, 4, 8, 16, 32, 39, 1]);
    const S = similarityMatrix(s, pool);
    const got = new Float64Array(pool.length);
    simColumnSums(s, pool, got);
    for (let x = 0; x < pool.length; x++) {
      let want = 0;
      for (let p = 0; p < pool.length; p++) want += S[p * pool.length + x]!;
      expect(Math.abs(got[x]! - want)).toBeLessThan(1e-12);
    }
    const targets = Int32Array.from([5, 6]);
    const t = new Float64Array(2);
    simColumnSums(s, pool, t, targets);
    const row = new Float64Array(2);
    let want5 = 0;
    for (const p of pool) {
      simRow(s, p, row, targets);
      want5 += row[0]!;
    }
    expect(Math.abs(t[0]! - want5)).toBeLessThan(1e-12);
  });
});
