import { describe, expect, it } from "vitest";
import { Rng } from "./rng.ts";
import { referenceCrossFitSoftmaxHead, referenceSoftmaxHeadObjective } from "./softmax-head.reference.ts";
import {
  crossFitSoftmaxHead,
  fitSoftmaxHead,
  foldAssignment,
  headLogits,
  softmaxHeadObjective,
} from "./softmax-head.ts";

/** The exact bits of a float64 array (toEqual would take −0 for +0). */
const bits = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("hex");

/** n items in C Gaussian clusters in D dims (centres ±2 on a few coordinates), seeded. */
function clusters(n: number, D: number, C: number, seed: number, spread = 1) {
  const rng = new Rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng.nextFloat())) * Math.cos(2 * Math.PI * rng.nextFloat());
  const x = new Float32Array(n * D);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % C;
    y[i] = c;
    for (let j = 0; j < D; j++) x[i * D + j] = (j % C === c ? 2 : 0) + spread * gauss() + 5;
  }
  return { x, y };
}

describe("softmax head objective", () => {
  it("has the gradient its finite differences give (weights and biases, with L2)", () => {
    const { x, y } = clusters(30, 4, 3, 1);
    const D = 4;
    const Db = D + 1;
    const z = new Float64Array(30 * Db);
    for (let i = 0; i < 30; i++) {
      for (let j = 0; j < D; j++) z[i * Db + j] = (x[i * D + j]! - 5) / 2;
      z[i * Db + D] = 1;
    }
    const rng = new Rng(3);
    const W = Float64Array.from({ length: 3 * Db }, () => rng.nextFloat() - 0.5);
    const g = new Float64Array(W.length);
    const l2 = 0.3;
    softmaxHeadObjective(W, z, y, 3, l2, g);
    const h = 1e-6;
    for (let q = 0; q < W.length; q++) {
      const wp = Float64Array.from(W);
      const wm = Float64Array.from(W);
      wp[q]! += h;
      wm[q]! -= h;
      const fd = (softmaxHeadObjective(wp, z, y, 3, l2) - softmaxHeadObjective(wm, z, y, 3, l2)) / (2 * h);
      expect(Math.abs(fd - g[q]!)).toBeLessThan(1e-7);
    }
    // The bias column is not penalised: with l2 only, its gradient is the data term alone.
    const g0 = new Float64Array(W.length);
    softmaxHeadObjective(W, z, y, 3, 0, g0);
    for (let c = 0; c < 3; c++) expect(g[c * Db + D]).toBe(g0[c * Db + D]);
  });

  it("fitting lowers the objective and separates separable clusters", () => {
    const { x, y } = clusters(120, 6, 3, 2, 0.5);
    const head = fitSoftmaxHead(x, y, 3, { epochs: 100 });
    const logits = headLogits(head, x, 120);
    let correct = 0;
    for (let i = 0; i < 120; i++) {
      let best = 0;
      for (let c = 1; c < 3; c++) if (logits[i * 3 + c]! > logits[i * 3 + best]!) best = c;
      if (best === y[i]) correct++;
    }
    expect(correct).toBe(120);
  });
});

describe("fold assignment", () => {
  it("is a seeded, balanced partition that depends on (n, k, seed) only", () => {
    const f = foldAssignment(23, 5, 7);
    const sizes = [0, 0, 0, 0, 0];
    for (const v of f) sizes[v]!++;
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    expect(foldAssignment(23, 5, 7)).toEqual(f);
    expect(foldAssignment(23, 5, 8)).not.toEqual(f);
  });
});

describe("cross-fitted head", () => {
  const { x, y } = clusters(90, 8, 3, 5, 1.5);

  it("is deterministic for a seed and scores every item held-out", () => {
    const a = crossFitSoftmaxHead(x, y, 3, { seed: 0, folds: 5, epochs: 60 });
    const b = crossFitSoftmaxHead(x, y, 3, { seed: 0, folds: 5, epochs: 60 });
    expect(b.logits).toEqual(a.logits);
    expect(a.k).toBe(5);
    expect(a.heldOutAccuracy).toBeGreaterThan(0.6); // chance is 1/3
    expect(a.logits.every(Number.isFinite)).toBe(true);
    const c = crossFitSoftmaxHead(x, y, 3, { seed: 1, folds: 5, epochs: 60 });
    expect(c.folds).not.toEqual(a.folds);
  });

  it("gives an item the same p whatever its own label (held-out), and changes others' only through training", () => {
    const base = crossFitSoftmaxHead(x, y, 3, { seed: 0, folds: 4, epochs: 40 });
    for (const i of [0, 17, 89]) {
      const y2 = Int32Array.from(y);
      y2[i] = (y[i]! + 1) % 3;
      const moved = crossFitSoftmaxHead(x, y2, 3, { seed: 0, folds: 4, epochs: 40 });
      expect(moved.folds).toEqual(base.folds);
      expect(moved.logits.subarray(i * 3, i * 3 + 3)).toEqual(base.logits.subarray(i * 3, i * 3 + 3));
      // Items of i's own fold were scored by the same head: unchanged too.
      for (let j = 0; j < 90; j++)
        if (base.folds[j] === base.folds[i])
          expect(moved.logits.subarray(j * 3, j * 3 + 3)).toEqual(base.logits.subarray(j * 3, j * 3 + 3));
      // Items of other folds were scored by heads that trained on i's new label.
      let changed = false;
      for (let j = 0; j < 90; j++)
        if (base.folds[j] !== base.folds[i] && moved.logits[j * 3] !== base.logits[j * 3]) changed = true;
      expect(changed).toBe(true);
    }
  });

  it("is not the in-sample fit: held-out accuracy is below the memorising fit on noise", () => {
    // Random labels: a head can fit them in-sample, never out of sample.
    const rng = new Rng(11);
    const n = 60;
    const D = 30;
    const xr = Float32Array.from({ length: n * D }, () => rng.nextFloat());
    const yr = Int32Array.from({ length: n }, () => rng.nextInt(2));
    const inSample = headLogits(fitSoftmaxHead(xr, yr, 2, { epochs: 300, l2: 0 }), xr, n);
    let fitCorrect = 0;
    for (let i = 0; i < n; i++) if ((inSample[i * 2 + 1]! > inSample[i * 2]! ? 1 : 0) === yr[i]) fitCorrect++;
    const held = crossFitSoftmaxHead(xr, yr, 2, { seed: 0, epochs: 300, l2: 0 });
    expect(fitCorrect / n).toBeGreaterThan(0.9);
    expect(held.heldOutAccuracy).toBeLessThan(0.75);
  });

  it("rejects bad input with the field named", () => {
    expect(() => crossFitSoftmaxHead(x, y, 1, { seed: 0 })).toThrow(/C must be/);
    expect(() => crossFitSoftmaxHead(x.subarray(1), y, 3, { seed: 0 })).toThrow(/multiple of n/);
    expect(() =>
      crossFitSoftmaxHead(
        x,
        Int32Array.from(y, () => 3),
        3,
        { seed: 0 },
      ),
    ).toThrow(/labels\[0\]/);
    expect(() => crossFitSoftmaxHead(x, y, 3, { seed: 0, epochs: 0 })).toThrow(/epochs/);
    expect(() => crossFitSoftmaxHead(x, y, 3, { seed: 0, folds: 1 })).toThrow(/folds/);
    expect(() => crossFitSoftmaxHead(x.subarray(0, 8), y.subarray(0, 1), 3, { seed: 0 })).toThrow(
      /at least 2/,
    );
  });
});

describe("wide embeddings", () => {
  it("are projected to maxDim dimensions (seeded), keeping the clusters separable", () => {
    const { x, y } = clusters(90, 40, 3, 12, 1);
    const wide = crossFitSoftmaxHead(x, y, 3, { seed: 0, epochs: 60, maxDim: 16 });
    expect(wide.dim).toBe(16);
    expect(wide.heldOutAccuracy).toBeGreaterThan(0.6);
    expect(crossFitSoftmaxHead(x, y, 3, { seed: 0, epochs: 60, maxDim: 16 }).logits).toEqual(wide.logits);
    expect(crossFitSoftmaxHead(x, y, 3, { seed: 0, epochs: 60 }).dim).toBe(40);
    expect(() => crossFitSoftmaxHead(x, y, 3, { seed: 0, maxDim: 0 })).toThrow(/maxDim/);
  });
});

describe("blocked loops", () => {
  // CCS's selection is a function of these logits: the fast loops must keep the reference's
  // bits (softmax-head.reference.ts), or the same input and seed would select other items.
  it("give the reference's objective and gradient bit for bit, with underflowing softmax terms", () => {
    for (const [m, D, C, scale] of [
      [37, 6, 3, 1],
      [40, 9, 10, 1],
      [13, 4, 2, 400], // logits far apart: exp underflows to 0, residuals exactly 0
    ] as const) {
      const rng = new Rng(m * 31 + C);
      const Db = D + 1;
      const z = Float64Array.from({ length: m * Db }, (_, q) => (q % Db === D ? 1 : rng.nextFloat() * 4 - 2));
      const y = Int32Array.from({ length: m }, () => rng.nextInt(C));
      const W = Float64Array.from({ length: C * Db }, () => (rng.nextFloat() - 0.5) * scale);
      const g = new Float64Array(W.length);
      const gr = new Float64Array(W.length);
      const l = softmaxHeadObjective(W, z, y, C, 0.01, g);
      const lr = referenceSoftmaxHeadObjective(W, z, y, C, 0.01, gr);
      expect(Object.is(l, lr)).toBe(true);
      expect(bits(g)).toBe(bits(gr));
    }
  });

  it("give the reference's held-out logits bit for bit (row and class tails, projection)", () => {
    for (const [n, D, C, maxDim] of [
      [37, 6, 3, 128],
      [50, 21, 4, 8], // projected, D not a multiple of the 4 rows per block
      [64, 130, 10, 128], // the demo's shape in small: EfficientNet's width projected to 128
    ] as const) {
      const { x, y } = clusters(n, D, C, n + D, 1.2);
      const opts = { seed: 3, folds: 5, epochs: 30, maxDim };
      const fast = crossFitSoftmaxHead(x, y, C, opts);
      const ref = referenceCrossFitSoftmaxHead(x, y, C, opts);
      expect(bits(fast.logits)).toBe(bits(ref.logits));
      expect(fast.heldOutAccuracy).toBe(ref.heldOutAccuracy);
    }
  });
});
