import { describe, expect, it } from "vitest";
import { pearson, rowCosine } from "../../../test/support/stats.ts";
import { type Bin, classBins } from "./contrastive.fixtures.ts";
import {
  diversityDetails,
  diversityScore,
  eq5Diversity,
  headEmbed,
  headLayout,
  infoNceLoss,
  initHead,
  meanCosineDiversity,
  trainInfoNce,
} from "./contrastive.ts";
import { Rng } from "./rng.ts";

// ---------------------------------------------------------------------------------------------
// Helpers: brute-force definitions straight from the formulas, and synthetic bins.

/** Anchor a's positive among 2n rows: the other view of the same image (views in rows j and j + n). */
const positiveOf = (a: number, n: number): number => (a < n ? a + n : a - n);

/** NT-Xent exactly as written: mean over 2m anchors of −log(e^{s(a,a⁺)/τ} / Σ_{b≠a} e^{s(a,b)/τ}). */
function bruteNtXent(u: Float64Array, m: number, out: number, tau: number): number {
  const rows = 2 * m;
  let loss = 0;
  for (let a = 0; a < rows; a++) {
    let den = 0;
    for (let b = 0; b < rows; b++) if (b !== a) den += Math.exp(rowCosine(u, out, a, b) / tau);
    loss -= Math.log(Math.exp(rowCosine(u, out, a, positiveOf(a, m)) / tau) / den);
  }
  return loss / rows;
}

/** Eq. 5 exactly as written, anchors = all 2n views, negatives = both views of the other images. */
function bruteEq5(u: Float64Array, n: number, out: number, tau: number): number {
  const rows = 2 * n;
  let total = 0;
  for (let a = 0; a < rows; a++) {
    const pos = positiveOf(a, n);
    let s = 0;
    for (let b = 0; b < rows; b++) {
      if (b === a || b === pos) continue;
      s += Math.exp(rowCosine(u, out, a, b) / tau) / Math.exp(rowCosine(u, out, a, pos) / tau);
    }
    total += s / (2 * (n - 1));
  }
  return -total / rows;
}

// ---------------------------------------------------------------------------------------------

describe("NT-Xent loss and its hand-written gradient", () => {
  it("equals the loss written out from its definition", () => {
    const rng = new Rng(1);
    const head = initHead(6, 5, 4, rng);
    const m = 4;
    const x = Float64Array.from({ length: 2 * m * 6 }, () => rng.nextNormal());
    const u = headEmbed(head, x, 2 * m);
    for (const tau of [0.5, 0.1, 2])
      expect(infoNceLoss(head, x, m, tau)).toBeCloseTo(bruteNtXent(u, m, 4, tau), 12);
  });

  it("matches central finite differences for every parameter tensor (float64, rel. error < 1e-5)", () => {
    const f = 5;
    const H = 4;
    const O = 3;
    const m = 3;
    const L = headLayout(f, H, O);
    const tensors = [
      ["W1", L.w1, L.b1],
      ["b1", L.b1, L.w2],
      ["W2", L.w2, L.b2],
      ["b2", L.b2, L.size],
    ] as const;
    for (const [seed, tau] of [
      [2, 0.5],
      [3, 0.2],
      [4, 1.5],
    ] as const) {
      const rng = new Rng(seed);
      const head = initHead(f, H, O, rng);
      // Some exact zeros exercise the sparse-input shortcut in forward and backward.
      const x = Float64Array.from({ length: 2 * m * f }, (_, i) => (i % 7 === 3 ? 0 : rng.nextNormal()));
      const grad = new Float64Array(L.size);
      infoNceLoss(head, x, m, tau, grad);
      const p = head.params;
      const h = 1e-6;
      for (const [name, lo, hi] of tensors) {
        let diff2 = 0;
        let ref2 = 0;
        for (let i = lo; i < hi; i++) {
          const keep = p[i]!;
          p[i] = keep + h;
          const lp = infoNceLoss(head, x, m, tau);
          p[i] = keep - h;
          const lm = infoNceLoss(head, x, m, tau);
          p[i] = keep;
          const fd = (lp - lm) / (2 * h);
          const g = grad[i]!;
          diff2 += (g - fd) ** 2;
          ref2 += Math.max(g * g, fd * fd);
          expect(Math.abs(g - fd), `${name}[${i - lo}] τ=${tau}`).toBeLessThanOrEqual(
            1e-5 * Math.max(Math.abs(g), Math.abs(fd)) + 1e-9,
          );
        }
        expect(ref2, `${name} has a non-zero gradient`).toBeGreaterThan(0);
        expect(Math.sqrt(diff2 / ref2), `${name} τ=${tau}`).toBeLessThan(1e-5);
      }
    }
  });

  it("adds into the gradient buffer rather than overwriting it", () => {
    const rng = new Rng(5);
    const head = initHead(4, 3, 2, rng);
    const x = Float64Array.from({ length: 2 * 3 * 4 }, () => rng.nextNormal());
    const g1 = new Float64Array(head.params.length);
    infoNceLoss(head, x, 3, 0.5, g1);
    const g2 = new Float64Array(head.params.length).fill(1);
    infoNceLoss(head, x, 3, 0.5, g2);
    for (let i = 0; i < g1.length; i++) expect(g2[i]).toBeCloseTo(g1[i]! + 1, 14);
  });
});

describe("Eq. 5 and the reference code's statistic", () => {
  it("eq5Diversity equals Eq. 5 written out", () => {
    const rng = new Rng(6);
    const n = 7;
    const O = 5;
    const raw = Float64Array.from({ length: 2 * n * O }, () => rng.nextNormal());
    const u = headEmbed(initHead(O, 6, O, rng), raw, 2 * n);
    for (const tau of [0.5, 0.07, 3])
      expect(eq5Diversity(u, n, O, tau)).toBeCloseTo(bruteEq5(u, n, O, tau), 12);
  });

  it("is exactly −1 when every view of every image is the same vector", () => {
    const n = 5;
    const u = new Float64Array(2 * n * 3);
    for (let a = 0; a < 2 * n; a++) u.set([0.6, 0, 0.8], a * 3);
    expect(eq5Diversity(u, n, 3, 0.5)).toBeCloseTo(-1, 15);
  });

  it("meanCosineDiversity is 1 / mean of the full cosine matrix, diagonal included", () => {
    const rng = new Rng(7);
    const rows = 9;
    const O = 4;
    const u = headEmbed(
      initHead(3, 8, O, rng),
      Float64Array.from({ length: rows * 3 }, () => rng.nextFloat()),
      rows,
    );
    let s = 0;
    for (let a = 0; a < rows; a++) for (let b = 0; b < rows; b++) s += rowCosine(u, O, a, b);
    expect(meanCosineDiversity(u, rows, O)).toBeCloseTo(1 / (s / (rows * rows)), 12);
  });
});

describe("diversityScore", () => {
  const rng = new Rng(8);
  const n = 120;
  const f = 24;
  // Near-duplicates: one base vector, tiny per-image jitter, nearly identical views.
  const base = Float64Array.from({ length: f }, () => Math.abs(rng.nextNormal()) + 0.5);
  const dup: Bin = { v1: new Float32Array(n * f), v2: new Float32Array(n * f) };
  // Well separated: independent images, moderate augmentation noise.
  const sep: Bin = { v1: new Float32Array(n * f), v2: new Float32Array(n * f) };
  for (let i = 0; i < n; i++)
    for (let k = 0; k < f; k++) {
      const d = base[k]! + 0.02 * rng.nextNormal();
      dup.v1[i * f + k] = d + 0.002 * rng.nextNormal();
      dup.v2[i * f + k] = d + 0.002 * rng.nextNormal();
      const x = Math.abs(rng.nextNormal()) * 2;
      sep.v1[i * f + k] = Math.max(0, x + 0.1 * rng.nextNormal());
      sep.v2[i * f + k] = Math.max(0, x + 0.1 * rng.nextNormal());
    }

  it("training lowers the NT-Xent loss of the bin", () => {
    const d = diversityDetails(sep.v1, sep.v2, n, f, { seed: 1 });
    expect(d.lossBefore).toHaveLength(4);
    for (let r = 0; r < 4; r++) expect(d.lossAfter[r]!).toBeLessThan(d.lossBefore[r]! - 0.1);
    // A longer run goes lower still, and its per-step minibatch losses fall.
    const head = initHead(f, 32, 32, new Rng(2));
    const all = new Float64Array(2 * n * f);
    all.set(sep.v1);
    all.set(sep.v2, n * f);
    const before = infoNceLoss(head, all, n, 0.5);
    const steps = trainInfoNce(
      head,
      sep.v1,
      sep.v2,
      n,
      { tau: 0.5, steps: 60, lr: 3e-3, batchSize: 40 },
      new Rng(3),
    );
    const after = infoNceLoss(head, all, n, 0.5);
    expect(after).toBeLessThan(Math.min(...d.lossAfter));
    expect(after).toBeLessThan(before - 0.5);
    const mean = (a: Float64Array) => a.reduce((x, y) => x + y, 0) / a.length;
    expect(mean(steps.subarray(45))).toBeLessThan(mean(steps.subarray(0, 15)));
  });

  it("is deterministic under a seed and changes with it", () => {
    for (const method of ["infonce", "untrained-head"] as const) {
      const a = diversityScore(sep.v1, sep.v2, n, f, { method, seed: 11 });
      expect(diversityScore(sep.v1, sep.v2, n, f, { method, seed: 11 })).toBe(a);
      expect(diversityScore(sep.v1, sep.v2, n, f, { method, seed: 12 })).not.toBe(a);
    }
  });

  it("ranks a bin of near-duplicates below a bin of distinct images, for both methods", () => {
    for (const seed of [0, 1]) {
      const dI = diversityScore(dup.v1, dup.v2, n, f, { seed });
      const sI = diversityScore(sep.v1, sep.v2, n, f, { seed });
      expect(dI).toBeLessThan(sI);
      expect(dI).toBeLessThanOrEqual(0);
      expect(sI).toBeLessThanOrEqual(0);
      const dU = diversityScore(dup.v1, dup.v2, n, f, { method: "untrained-head", seed });
      const sU = diversityScore(sep.v1, sep.v2, n, f, { method: "untrained-head", seed });
      expect(dU).toBeLessThan(sU);
      expect(dU).toBeGreaterThanOrEqual(1 - 1e-9); // 1 / mean cosine, mean cosine ≤ 1
    }
  });

  it("is stable across training seeds: DS of bins with a real spread correlates > 0.9", () => {
    // Eight bins of one synthetic class whose within-bin spread grows by 0.05 per bin (0.8 → 1.15):
    // a real but moderate difference in diversity, with the same augmentation noise everywhere.
    const spreads = Array.from({ length: 8 }, (_, i) => 0.8 + 0.05 * i);
    const nb = 300;
    const fb = 112;
    const bins = classBins(new Rng(21), nb, fb, spreads);
    const score = (seed: number, method: "infonce" | "untrained-head") =>
      bins.map((b) => diversityScore(b.v1, b.v2, nb, fb, { method, seed }));
    for (const method of ["infonce", "untrained-head"] as const) {
      const s1 = score(1, method);
      const s2 = score(2, method);
      const r = pearson(s1, s2);
      console.log(
        `DS ${method}: cross-seed Pearson ${r.toFixed(3)}, vs spread ${pearson(s1, spreads).toFixed(3)}`,
      );
      expect(r).toBeGreaterThan(0.9);
      // …and what is stable is the diversity: DS rises with the spread.
      expect(pearson(s1, spreads)).toBeGreaterThan(0.9);
      expect(pearson(s2, spreads)).toBeGreaterThan(0.9);
    }
  });

  it("validates its inputs", () => {
    const v = new Float32Array(6);
    expect(() => diversityScore(v, v, 1, 6)).toThrow(RangeError);
    expect(() => diversityScore(v, new Float32Array(5), 2, 3)).toThrow(RangeError);
    expect(() => diversityScore(new Float32Array([0, 0, Number.NaN, 0, 0, 0]), v, 2, 3)).toThrow(RangeError);
    expect(() => diversityScore(v, v, 2, 3, { tau: 0 })).toThrow(RangeError);
    expect(() => diversityScore(v, v, 2, 3, { restarts: 0 })).toThrow(RangeError);
    expect(() => diversityScore(v, v, 2, 3, { batchSize: 1 })).toThrow(RangeError);
    expect(() => diversityScore(v, v, 2, 3, { method: "nope" as "infonce" })).toThrow(RangeError);
  });
});
