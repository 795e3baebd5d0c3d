// The signal analysis of the quality benchmark (bench/quality/analyze.ts): statistics checked by
// hand, and the whole report on two hand-made seeds written as the benchmark leaves them.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type BinRow,
  binsIdentical,
  crossSeedStability,
  loadSeeds,
  movedFraction,
  overlap,
  ranks,
  renderAnalysis,
  type SeedResult,
  spearman,
} from "../../bench/quality/analyze.ts";
import { tmp } from "../e2e/helpers.ts";

const row = (c: number, b: number, allocated: number, rs = 1, ds = 1): BinRow => ({
  class: c,
  bin: b,
  size: 10,
  rs,
  ds,
  importance: rs + ds,
  allocated,
});

describe("quality analysis statistics", () => {
  it("ranks ties by their average and computes Spearman's rho", () => {
    expect(Array.from(ranks([10, 20, 20, 5]))).toEqual([2, 3.5, 3.5, 1]);
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 40])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12);
    // Monotone but not linear: rank correlation is still 1.
    expect(spearman([1, 2, 3], [1, 10, 1000])).toBeCloseTo(1, 12);
  });

  it("counts items moved between bins and set overlap", () => {
    const dq = [row(0, 0, 5), row(0, 1, 5)];
    expect(movedFraction([row(0, 0, 7), row(0, 1, 3)], dq)).toBeCloseTo(0.2, 12);
    expect(movedFraction(dq, dq)).toBe(0);
    expect(overlap(new Set([1, 2, 3, 4]), new Set([3, 4, 5]))).toBe(0.5);
  });

  it("measures cross-seed stability bin by bin within each class", () => {
    const seed = (s: number, ds: number[]): SeedResult => ({
      seed: s,
      adqBins: ds.map((d, b) => row(0, b, 5, 1 + b, d)),
      dqBins: ds.map((_, b) => row(0, b, 5)),
      adqSelected: new Set(),
      dqSelected: new Set(),
    });
    const same = [seed(0, [1, 2, 3]), seed(1, [10, 20, 30])];
    expect(binsIdentical(same)).toBe(true);
    expect(crossSeedStability(same, (r) => r.ds!)).toBeCloseTo(1, 12);
    const flipped = [seed(0, [1, 2, 3]), seed(1, [3, 2, 1])];
    expect(crossSeedStability(flipped, (r) => r.ds!)).toBeCloseTo(-1, 12);
  });

  it("reads the benchmark's compressed results and renders the report", () => {
    const dir = tmp("adq-analysis-");
    const write = (name: string, bins: BinRow[], items: number[]) => {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, "bins.json"), JSON.stringify({ bins }));
      writeFileSync(
        join(dir, name, "manifest.json"),
        JSON.stringify({ items: items.map((index) => ({ index })) }),
      );
    };
    for (const s of [0, 1]) {
      write(`adq-r0.1-s${s}`, [row(0, 0, 6, 1, s), row(0, 1, 4, 2, 1 - s)], [1, 2, 3, 4 + s]);
      write(`dq-r0.1-s${s}`, [row(0, 0, 5), row(0, 1, 5)], [1, 2, 3, 9]);
    }
    write("random-r0.1-s0", [], []);
    const seeds = loadSeeds(dir, 0.1, null);
    expect(seeds.map((s) => s.seed)).toEqual([0, 1]);
    const md = renderAnalysis(seeds, 0.1, null);
    expect(md).toContain("| 0 | 10.0% | 75.0% | 4–6 | 5–5 |");
    expect(md).toContain("| DS (contrastive discriminator) | -1.000 |");
    expect(md).toContain("| RS (texture; deterministic) | 1.000 |");
  });
});
