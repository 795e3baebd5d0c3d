/**
 * The cross-fitted softmax head as it was first written: plain loops, one accumulator at a time.
 * It is the oracle of softmax-head.ts's blocked loops, which must give the same bits (every
 * sum in the same order; softmax-head.test.ts, bench/head.bench.ts): a change of those bits
 * would change CCS's selection for the same input and seed. Not used by the pipeline.
 */
import type { FloatRows } from "./gradient-embedding.ts";
import { Rng } from "./rng.ts";
import type { CrossFitOptions, CrossFitResult, SoftmaxHead, SoftmaxHeadOptions } from "./softmax-head.ts";

/**
 * x (n×D) times a seeded Gaussian D×d matrix with entries N(0, 1/d): n×d float64. O(n·D·d).
 */
export function referenceRandomProjection(
  x: FloatRows,
  n: number,
  D: number,
  d: number,
  seed: number,
): Float64Array {
  const rng = Rng.derive(seed, "head-projection", D, d);
  const R = new Float64Array(D * d);
  const scale = 1 / Math.sqrt(d);
  for (let i = 0; i < R.length; i += 2) {
    // Box–Muller: two normals per pair of uniforms.
    const u = 1 - rng.nextFloat();
    const v = rng.nextFloat();
    const r = Math.sqrt(-2 * Math.log(u)) * scale;
    R[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < R.length) R[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < D; j++) {
      const v = x[i * D + j]!;
      if (v === 0) continue;
      const ro = j * d;
      const oo = i * d;
      for (let t = 0; t < d; t++) out[oo + t]! += v * R[ro + t]!;
    }
  return out;
}

const POWER_ITERATIONS = 30;

function check(x: FloatRows, labels: Int32Array, C: number): { n: number; D: number } {
  const n = labels.length;
  if (!Number.isInteger(C) || C < 2) throw new RangeError(`C must be an integer ≥ 2, got ${C}`);
  if (n < 1) throw new RangeError("a head needs at least one item");
  const D = x.length / n;
  if (!Number.isInteger(D) || D < 1)
    throw new RangeError(`embeddings length ${x.length} is not a positive multiple of n = ${n}`);
  for (let i = 0; i < n; i++) {
    const y = labels[i]!;
    if (!Number.isInteger(y) || y < 0 || y >= C)
      throw new RangeError(`labels[${i}] = ${y} is outside [0, ${C})`);
  }
  for (let i = 0; i < x.length; i++)
    if (!Number.isFinite(x[i]!)) throw new RangeError(`embeddings[${i}] is not finite (${x[i]})`);
  return { n, D };
}

function resolveOptions(o: SoftmaxHeadOptions): { l2: number; epochs: number } {
  const l2 = o.l2 ?? 1e-3;
  const epochs = o.epochs ?? 100;
  if (!(l2 >= 0) || !Number.isFinite(l2)) throw new RangeError(`l2 must be a finite number ≥ 0, got ${l2}`);
  if (!Number.isInteger(epochs) || epochs < 1)
    throw new RangeError(`epochs must be an integer ≥ 1, got ${epochs}`);
  return { l2, epochs };
}

/** Mean and 1/std per dimension over the rows `rows` of x (n×D). O(|rows|·D). */
function standardiser(
  x: FloatRows,
  D: number,
  rows: Int32Array,
): { mean: Float64Array; invStd: Float64Array } {
  const mean = new Float64Array(D);
  const invStd = new Float64Array(D);
  const m = rows.length;
  for (const i of rows) for (let j = 0; j < D; j++) mean[j]! += x[i * D + j]!;
  for (let j = 0; j < D; j++) mean[j]! /= m;
  const v = new Float64Array(D);
  for (const i of rows)
    for (let j = 0; j < D; j++) {
      const d = x[i * D + j]! - mean[j]!;
      v[j]! += d * d;
    }
  for (let j = 0; j < D; j++) {
    const sd = Math.sqrt(v[j]! / m);
    // A (numerically) constant dimension carries no information: weight it 0, not 1/ε.
    invStd[j] = sd > 1e-12 * (1 + Math.abs(mean[j]!)) ? 1 / sd : 0;
  }
  return { mean, invStd };
}

/** Writes x̃ rows (standardised + trailing 1) of `rows` into z (|rows|×(D+1)). */
function fillStandardised(
  x: FloatRows,
  D: number,
  rows: Int32Array,
  s: { mean: Float64Array; invStd: Float64Array },
  z: Float64Array,
): void {
  const Db = D + 1;
  for (let r = 0; r < rows.length; r++) {
    const i = rows[r]!;
    for (let j = 0; j < D; j++) z[r * Db + j] = (x[i * D + j]! - s.mean[j]!) * s.invStd[j]!;
    z[r * Db + D] = 1;
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
  loss = m > 0 ? loss / m : 0;
  let reg = 0;
  for (let c = 0; c < C; c++)
    for (let t = 0; t < D; t++) {
      const w = W[c * Db + t]!;
      reg += w * w;
      if (grad) grad[c * Db + t]! += l2 * w;
    }
  return loss + 0.5 * l2 * reg;
}

/** Largest eigenvalue of zᵀz/m (z: m×Db) by power iteration from the all-ones vector. */
function gramMaxEigen(z: Float64Array, m: number, Db: number): number {
  let v = new Float64Array(Db).fill(1 / Math.sqrt(Db));
  let lambda = 0;
  const u = new Float64Array(m);
  for (let it = 0; it < POWER_ITERATIONS; it++) {
    for (let i = 0; i < m; i++) {
      let s = 0;
      for (let t = 0; t < Db; t++) s += z[i * Db + t]! * v[t]!;
      u[i] = s;
    }
    const w = new Float64Array(Db);
    for (let i = 0; i < m; i++) {
      const ui = u[i]!;
      for (let t = 0; t < Db; t++) w[t]! += ui * z[i * Db + t]!;
    }
    let norm = 0;
    for (let t = 0; t < Db; t++) {
      w[t]! /= m;
      norm += w[t]! * w[t]!;
    }
    norm = Math.sqrt(norm);
    lambda = norm;
    if (norm === 0) break;
    for (let t = 0; t < Db; t++) w[t]! /= norm;
    v = w;
  }
  return lambda;
}

/** Fits W on standardised rows z (m×(D+1)) with labels y. O((epochs + 30)·m·D·C). */
function fitStandardised(
  z: Float64Array,
  y: Int32Array,
  D: number,
  C: number,
  l2: number,
  epochs: number,
): Float64Array {
  const Db = D + 1;
  const m = y.length;
  const L = 0.5 * 1.1 * gramMaxEigen(z, m, Db) + l2;
  const step = L > 0 ? 1 / L : 1;
  const W = new Float64Array(C * Db);
  let prev = new Float64Array(C * Db);
  const look = new Float64Array(C * Db);
  const g = new Float64Array(C * Db);
  for (let t = 1; t <= epochs; t++) {
    const beta = (t - 1) / (t + 2);
    for (let q = 0; q < W.length; q++) look[q] = W[q]! + beta * (W[q]! - prev[q]!);
    referenceSoftmaxHeadObjective(look, z, y, C, l2, g);
    prev = Float64Array.from(W);
    for (let q = 0; q < W.length; q++) W[q] = look[q]! - step * g[q]!;
  }
  return W;
}

/** Fits one head on all n items (no held-out rows): O((epochs + 30)·n·D·C). */
export function referenceFitSoftmaxHead(
  x: FloatRows,
  labels: Int32Array,
  C: number,
  opts: SoftmaxHeadOptions = {},
): SoftmaxHead {
  const { n, D } = check(x, labels, C);
  const { l2, epochs } = resolveOptions(opts);
  const rows = Int32Array.from({ length: n }, (_, i) => i);
  const s = standardiser(x, D, rows);
  const z = new Float64Array(n * (D + 1));
  fillStandardised(x, D, rows, s, z);
  return { D, C, ...s, weight: fitStandardised(z, labels, D, C, l2, epochs) };
}

/** n×C logits of a head for the rows of x (n×D). O(n·D·C). */
export function referenceHeadLogits(head: SoftmaxHead, x: FloatRows, n: number): Float64Array {
  const { D, C } = head;
  if (x.length !== n * D) throw new RangeError(`x must have n×D = ${n * D} entries, got ${x.length}`);
  const Db = D + 1;
  const out = new Float64Array(n * C);
  const zr = new Float64Array(Db);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < D; j++) zr[j] = (x[i * D + j]! - head.mean[j]!) * head.invStd[j]!;
    zr[D] = 1;
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let t = 0; t < Db; t++) s += head.weight[c * Db + t]! * zr[t]!;
      out[i * C + c] = s;
    }
  }
  return out;
}

/**
 * Fold of each of n items: a seeded permutation, rank r → fold r mod k. Depends on (n, k, seed)
 * only. O(n).
 */
export function referenceFoldAssignment(n: number, k: number, seed: number): Int32Array {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`folds must be an integer ≥ 2, got ${k}`);
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  const rng = Rng.derive(seed, "head-folds", n);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  const folds = new Int32Array(n);
  for (let r = 0; r < n; r++) folds[perm[r]!] = r % k;
  return folds;
}

/**
 * Cross-fitted head: for each fold f, a head fitted on the other folds (standardised with their
 * statistics) scores the items of f. Every row of `logits` is held-out.
 * O(k·(epochs + 30)·n·D·C) time, O(n·D) memory. Needs n ≥ 2 (k is capped at n).
 */
export function referenceCrossFitSoftmaxHead(
  x: FloatRows,
  labels: Int32Array,
  C: number,
  opts: CrossFitOptions,
): CrossFitResult {
  const checked = check(x, labels, C);
  const n = checked.n;
  const { l2, epochs } = resolveOptions(opts);
  if (n < 2) throw new RangeError(`cross-fitting needs at least 2 items, got ${n}`);
  const maxDim = opts.maxDim ?? 128;
  if (!Number.isInteger(maxDim) || maxDim < 1)
    throw new RangeError(`maxDim must be an integer ≥ 1, got ${maxDim}`);
  const D = Math.min(checked.D, maxDim);
  if (checked.D > maxDim) x = referenceRandomProjection(x, n, checked.D, maxDim, opts.seed);
  const k = Math.min(opts.folds ?? 5, n);
  const folds = referenceFoldAssignment(n, k, opts.seed);
  const logits = new Float64Array(n * C);
  const z = new Float64Array(n * (D + 1));
  for (let f = 0; f < k; f++) {
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < n; i++) (folds[i] === f ? test : train).push(i);
    const trainRows = Int32Array.from(train);
    const s = standardiser(x, D, trainRows);
    const zt = z.subarray(0, train.length * (D + 1));
    fillStandardised(x, D, trainRows, s, zt);
    const W = fitStandardised(
      zt,
      Int32Array.from(train, (i) => labels[i]!),
      D,
      C,
      l2,
      epochs,
    );
    const head: SoftmaxHead = { D, C, ...s, weight: W };
    const testRows = Int32Array.from(test);
    const xt = new Float64Array(test.length * D);
    for (let r = 0; r < test.length; r++)
      for (let j = 0; j < D; j++) xt[r * D + j] = x[testRows[r]! * D + j]!;
    const lt = referenceHeadLogits(head, xt, test.length);
    for (let r = 0; r < test.length; r++) logits.set(lt.subarray(r * C, (r + 1) * C), testRows[r]! * C);
  }
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (logits[i * C + c]! > logits[i * C + best]!) best = c;
    if (best === labels[i]) correct++;
  }
  return { logits, folds, k, epochs, l2, heldOutAccuracy: correct / n, dim: D };
}
