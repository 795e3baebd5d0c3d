import { describe, expect, it } from "vitest";
import { Rng } from "./rng.ts";

describe("Rng", () => {
  it("is deterministic per seed and differs across seeds", () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const sa = Array.from({ length: 8 }, () => a.nextU32());
    const sb = Array.from({ length: 8 }, () => b.nextU32());
    const sc = Array.from({ length: 8 }, () => c.nextU32());
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
  });

  it("derives independent, order-free streams", () => {
    const x = Rng.derive(7, "sample", 3, 1).nextU32();
    expect(Rng.derive(7, "sample", 3, 1).nextU32()).toBe(x);
    expect(Rng.derive(7, "sample", 3, 2).nextU32()).not.toBe(x);
    expect(Rng.derive(7, "sample", 31).nextU32()).not.toBe(Rng.derive(7, "sample", 3, 1).nextU32());
  });

  it("nextFloat is in [0,1) with mean near 1/2", () => {
    const r = new Rng(1);
    let s = 0;
    for (let i = 0; i < 20000; i++) {
      const f = r.nextFloat();
      expect(f).toBeGreaterThanOrEqual(0);
      expect(f).toBeLessThan(1);
      s += f;
    }
    expect(Math.abs(s / 20000 - 0.5)).toBeLessThan(0.01);
  });

  it("nextInt is unbiased enough over a small range", () => {
    const r = new Rng(2);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 60000; i++) counts[r.nextInt(6)]++;
    for (const c of counts) expect(Math.abs(c - 10000)).toBeLessThan(400);
  });

  it("sampleIndices returns k distinct sorted indices", () => {
    const r = new Rng(3);
    const s = r.sampleIndices(100, 30);
    expect(s.length).toBe(30);
    expect(new Set(s).size).toBe(30);
    for (let i = 1; i < s.length; i++) expect(s[i]!).toBeGreaterThan(s[i - 1]!);
    expect(() => r.sampleIndices(3, 4)).toThrow(RangeError);
  });

  it("nextNormal has mean 0 and variance 1", () => {
    const r = new Rng(4);
    let s = 0;
    let s2 = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const z = r.nextNormal();
      s += z;
      s2 += z * z;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.03);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.05);
  });
});
