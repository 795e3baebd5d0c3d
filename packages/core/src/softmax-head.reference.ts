/**
 * The cross-fitted softmax head's loops as they were first written: plain, one accumulator at a
 * time. They are the oracle of softmax-head.ts's blocked loops, which must give the same bits
 * (every sum in the same order; softmax-head.test.ts, bench/head.bench.ts): a change of those
 * bits would change CCS's selection for the same input and seed. The rest of the head (checks,
 * standardising, folds, the fit's driver) is softmax-head.ts's own, shared through HeadKernels.
 * Not used by the pipeline.
 */
import type { FloatRows } from "./gradient-embedding.ts";
import {
  type CrossFitOptions,
  type CrossFitResult,
  crossFitSoftmaxHeadWith,
  type HeadKernels,
  withPenalty,
} from "./softmax-head.ts";

/** out (n×d, zeroed) = x (n×D) · R (D×d): one row, one j at a time. O(n·D·d). */
function project(x: FloatRows, n: number, D: number, R: Float64Array, d: number, out: Float64Array): void {
  for (let i = 0; i < n; i++)
    for (let j = 0; j < D; j++) {
      const v = x[i * D + j]!;
      if (v === 0) continue;
      const ro = j * d;
      const oo = i * d;
      for (let t = 0; t < d; t++) out[oo + t]! += v * R[ro + t]!;
    }
}

/**
 * The objective L(W) above and, when `grad` is given, its gradient (C×(D+1), written there).
 * z: m×(D+1) standardised rows with the trailing 1; y: their labels. O(m·D·C).
 * Exported for the finite-difference check of the gradient.
 */
export function referenceSoftmaxHeadObjective(
  W: Float64Array,
  z: Float64Array,
  y: Int32Array,
  C: number,
  l2: number,
  grad?: Float64Array,
): number {
  const m = y.length;
  const Db = z.length / Math.max(1, m);
  const D = Db - 1;
  if (W.length !== C * Db) throw new RangeError(`W must have C×(D+1) = ${C * Db} entries, got ${W.length}`);
  if (grad) grad.fill(0);
  const zl = new Float64Array(C);
  let loss = 0;
  for (let i = 0; i < m; i++) {
    const zo = i * Db;
    let mx = -Infinity;
    for (let c = 0; c < C; c++) {
      const wo = c * Db;
      let s = 0;
      for (let t = 0; t < Db; t++) s += W[wo + t]! * z[zo + t]!;
      zl[c] = s;
      if (s > mx) mx = s;
    }
    let se = 0;
    for (let c = 0; c < C; c++) {
      const e = Math.exp(zl[c]! - mx);
      zl[c] = e;
      se += e;
    }
    const yi = y[i]!;
    loss += Math.log(se) - Math.log(zl[yi]!);
    if (grad) {
      for (let c = 0; c < C; c++) {
        const r = (zl[c]! / se - (c === yi ? 1 : 0)) / m;
        if (r === 0) continue;
        const go = c * Db;
        for (let t = 0; t < Db; t++) grad[go + t]! += r * z[zo + t]!;
      }
    }
  }
  return withPenalty(m > 0 ? loss / m : 0, W, C, D, l2, grad);
}

/** u = z·v, then w = zᵀu (zeroed): the power iteration's step, one row at a time. O(m·Db). */
function gram(
  z: Float64Array,
  m: number,
  Db: number,
  v: Float64Array,
  u: Float64Array,
  w: Float64Array,
): void {
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let t = 0; t < Db; t++) s += z[i * Db + t]! * v[t]!;
    u[i] = s;
  }
  for (let i = 0; i < m; i++) {
    const ui = u[i]!;
    for (let t = 0; t < Db; t++) w[t]! += ui * z[i * Db + t]!;
  }
}

const PLAIN: HeadKernels = {
  project,
  gram,
  gradient: (W, z, y, C, l2, grad) => {
    referenceSoftmaxHeadObjective(W, z, y, C, l2, grad);
  },
};

/** crossFitSoftmaxHead over the plain loops. */
export function referenceCrossFitSoftmaxHead(
  x: FloatRows,
  labels: Int32Array,
  C: number,
  opts: CrossFitOptions,
): CrossFitResult {
  return crossFitSoftmaxHeadWith(PLAIN, x, labels, C, opts);
}
