/**
 * A softmax-regression head on frozen embeddings, cross-fitted so that every item's class
 * probabilities are held-out.
 *
 * Why: the gradient embedding (gradient-embedding.ts) needs p = softmax(z) over the data
 * set's own classes. When the feature model was trained on other classes (CIFAR-10's ResNet-20
 * on satellite tiles), its logits are over the wrong classes and p − y compares unrelated
 * ones. Fitting a linear head W on the model's embeddings e gives logits z = W·[ê, 1] over the
 * right classes (ê = e standardised per dimension). Fitting it on all items and then scoring
 * the same items would make p close to y for every memorised item (p − y ≈ 0, the gradient
 * embedding degenerates); cross-fitting over k folds scores each item with a head that never
 * saw it, as its gradient would look to a model that has not trained on it.
 *
 * Objective per fold (training rows T, |T| = m):
 *   L(W) = (1/m)·Σ_{i∈T} −log softmax(W·x̃_i)[y_i] + (l2/2)·‖W_weights‖²   (biases unpenalised)
 * with x̃_i = [(e_i − μ)/σ, 1] (μ, σ from T only). Minimised by full-batch accelerated gradient
 * descent (Nesterov/FISTA momentum (t−1)/(t+2)) with step 1/L, where
 * L = ½·λ_max(X̃ᵀX̃/m)·1.1 + l2 bounds the Hessian (the softmax cross-entropy Hessian in the
 * logits is ≼ ½·I; λ_max by 30 power iterations, ×1.1 for their underestimate).
 *
 * Fold assignment: a seeded permutation of 0..n−1, item at rank r goes to fold r mod k. It
 * depends on (seed, n) only — not on the labels — so an item's held-out p is a function of the
 * features and of the other items' labels, never its own (tested).
 *
 * Wide embeddings (D > maxDim, default 128; EfficientNet-Lite0 has 1,280) are first projected
 * to maxDim dimensions by a seeded Gaussian matrix (entries N(0, 1/maxDim), Johnson–Lindenstrauss):
 * the fit's cost is linear in the width, and a linear head on a random projection keeps most of
 * the separability. D ≤ maxDim is used as is.
 *
 * Cost: O(n·D·maxDim) for a projection, then O(k·(epochs + 30)·n·D'·C) time with D' = min(D,
 * maxDim), O(n·D') memory (one standardised copy of the embeddings, float64). Everything runs
 * in float64 in a fixed order: deterministic.
 */
import type { FloatRows } from "./gradient-embedding.ts";
import { Rng } from "./rng.ts";

export interface SoftmaxHeadOptions {
  /** L2 penalty on the weights (not the biases), in units of the standardised features. Default 1e-3. */
  l2?: number;
  /** Full-batch gradient iterations per fit. Default 100. */
  epochs?: number;
}

export interface SoftmaxHead {
  readonly D: number;
  readonly C: number;
  /** Per-dimension mean and 1/std of the training rows (1/std = 0 for a constant dimension). */
  readonly mean: Float64Array;
  readonly invStd: Float64Array;
  /** C×(D+1) row-major: row c = [w_c (D entries, standardised units), b_c]. */
  readonly weight: Float64Array;
}

export interface CrossFitOptions extends SoftmaxHeadOptions {
  /** Folds k ≥ 2 (capped at n). Default 5. */
  folds?: number;
  /** Seed of the fold assignment (and of the projection). */
  seed: number;
  /** Project wider embeddings to this many dimensions first. Default 128. */
  maxDim?: number;
}

export interface CrossFitResult {
  /** n×C held-out logits: row i from the head fitted without item i's fold. */
  readonly logits: Float64Array;
  /** Fold of each item, in [0, k). */
  readonly folds: Int32Array;
  readonly k: number;
  readonly epochs: number;
  readonly l2: number;
  /** Share of items whose held-out argmax (lowest index on ties) is their label. */
  readonly heldOutAccuracy: number;
  /** Width the head was fitted on: D, or maxDim after a projection. */
  readonly dim: number;
}

/**
 * The loops the blocked code below and its plain reference (softmax-head.reference.ts) differ
 * in; everything else (checks, standardising, folds, the fit's driver) is shared, so the
 * reference pins exactly these loops' bits.
 */
export interface HeadKernels {
  /** out (n×d, zeroed) = x (n×D) · R (D×d), each out[t] summed over j ascending. */
  project(x: FloatRows, n: number, D: number, R: Float64Array, d: number, out: Float64Array): void;
  /** One power-iteration step before normalising: u = z·v (m), then w = zᵀu (Db, zeroed). */
  gram(z: Float64Array, m: number, Db: number, v: Float64Array, u: Float64Array, w: Float64Array): void;
  /** The objective's gradient at W into `grad` (the loss is not needed). `p`: ROWS×C scratch. */
  gradient(
    W: Float64Array,
    z: Float64Array,
    y: Int32Array,
    C: number,
    l2: number,
    grad: Float64Array,
    p: Float64Array,
  ): void;
}

/** A seeded Gaussian D×d matrix with entries N(0, 1/d) (Box–Muller). O(D·d). */
function projectionMatrix(D: number, d: number, seed: number): Float64Array {
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
  return R;
}

/**
 * x (n×D) times a seeded Gaussian D×d matrix with entries N(0, 1/d): n×d float64. O(n·D·d).
 */
export function randomProjection(x: FloatRows, n: number, D: number, d: number, seed: number): Float64Array {
  return projectWith(BLOCKED, x, n, D, d, seed);
}

function projectWith(
  k: HeadKernels,
  x: FloatRows,
  n: number,
  D: number,
  d: number,
  seed: number,
): Float64Array {
  const out = new Float64Array(n * d);
  k.project(x, n, D, projectionMatrix(D, d, seed), d, out);
  return out;
}

function blockedProject(
  x: FloatRows,
  n: number,
  D: number,
  R: Float64Array,
  d: number,
  out: Float64Array,
): void {
  for (let i = 0; i < n; i++) {
    const oo = i * d;
    const xo = i * D;
    // out[t] summed over j ascending, four j per load and store of out[t] (the sums' order is
    // the reference's; its skip of v = 0 adds ±0, which leaves a sum started at +0 unchanged).
    let j = 0;
    for (; j + 4 <= D; j += 4) {
      const v0 = x[xo + j]!;
      const v1 = x[xo + j + 1]!;
      const v2 = x[xo + j + 2]!;
      const v3 = x[xo + j + 3]!;
      const r0 = j * d;
      const r1 = r0 + d;
      const r2 = r1 + d;
      const r3 = r2 + d;
      for (let t = 0; t < d; t++) {
        let o = out[oo + t]!;
        o += v0 * R[r0 + t]!;
        o += v1 * R[r1 + t]!;
        o += v2 * R[r2 + t]!;
        o += v3 * R[r3 + t]!;
        out[oo + t] = o;
      }
    }
    for (; j < D; j++) {
      const v = x[xo + j]!;
      const ro = j * d;
      for (let t = 0; t < d; t++) out[oo + t]! += v * R[ro + t]!;
    }
  }
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
export function softmaxHeadObjective(
  W: Float64Array,
  z: Float64Array,
  y: Int32Array,
  C: number,
  l2: number,
  grad?: Float64Array,
): number {
  const m = y.length;
  const Db = z.length / Math.max(1, m);
  if (W.length !== C * Db) throw new RangeError(`W must have C×(D+1) = ${C * Db} entries, got ${W.length}`);
  return objective(W, z, y, C, l2, grad, true, new Float64Array(ROWS * C));
}

/**
 * Rows per block of the loops below. Every output keeps its own accumulator, summed in the
 * reference order (softmax-head.reference.ts: t ascending for a logit, i ascending for a
 * gradient entry), so the bits are the reference's; the blocking only gives the CPU several
 * independent additions at a time instead of one dependent chain (a float add's latency, not
 * its throughput, bounded the plain loops: ≈ 4 cycles per multiply-add). bench/head.bench.ts.
 */
const ROWS = 4;

/**
 * The objective (the loss only when `wantLoss`: the fit needs the gradient alone) with its
 * gradient into `grad` when given. `p`: ROWS×C scratch. O(m·D·C).
 */
function objective(
  W: Float64Array,
  z: Float64Array,
  y: Int32Array,
  C: number,
  l2: number,
  grad: Float64Array | undefined,
  wantLoss: boolean,
  p: Float64Array,
): number {
  const m = y.length;
  const Db = z.length / Math.max(1, m);
  const D = Db - 1;
  if (grad) grad.fill(0);
  let loss = 0;
  let i = 0;
  for (; i + ROWS <= m; i += ROWS) {
    const z0 = i * Db;
    const z1 = z0 + Db;
    const z2 = z1 + Db;
    const z3 = z2 + Db;
    // Logits of the 4 rows: two classes at a time, 8 independent sums over t.
    let c = 0;
    for (; c + 2 <= C; c += 2) {
      const wa = c * Db;
      const wb = wa + Db;
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let b0 = 0;
      let b1 = 0;
      let b2 = 0;
      let b3 = 0;
      for (let t = 0; t < Db; t++) {
        const u = W[wa + t]!;
        const v = W[wb + t]!;
        const x0 = z[z0 + t]!;
        const x1 = z[z1 + t]!;
        const x2 = z[z2 + t]!;
        const x3 = z[z3 + t]!;
        a0 += u * x0;
        a1 += u * x1;
        a2 += u * x2;
        a3 += u * x3;
        b0 += v * x0;
        b1 += v * x1;
        b2 += v * x2;
        b3 += v * x3;
      }
      p[c] = a0;
      p[C + c] = a1;
      p[2 * C + c] = a2;
      p[3 * C + c] = a3;
      p[c + 1] = b0;
      p[C + c + 1] = b1;
      p[2 * C + c + 1] = b2;
      p[3 * C + c + 1] = b3;
    }
    if (c < C) {
      const wa = c * Db;
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      for (let t = 0; t < Db; t++) {
        const u = W[wa + t]!;
        a0 += u * z[z0 + t]!;
        a1 += u * z[z1 + t]!;
        a2 += u * z[z2 + t]!;
        a3 += u * z[z3 + t]!;
      }
      p[c] = a0;
      p[C + c] = a1;
      p[2 * C + c] = a2;
      p[3 * C + c] = a3;
    }
    for (let k = 0; k < ROWS; k++) loss += residuals(p, k * C, C, y[i + k]!, m, wantLoss);
    if (grad) {
      // grad[c][t] += r_ic·z_it for i = i..i+3 in that order: the reference's sum over i.
      // (The reference skips r = 0; adding r·z = ±0 instead leaves every sum as it was: a
      // sum that starts at +0 never becomes −0 in round-to-nearest, and x + ±0 = x otherwise.)
      // Two classes per pass share the loads of z.
      let c = 0;
      for (; c + 2 <= C; c += 2) {
        const r0 = p[c]!;
        const r1 = p[C + c]!;
        const r2 = p[2 * C + c]!;
        const r3 = p[3 * C + c]!;
        const q0 = p[c + 1]!;
        const q1 = p[C + c + 1]!;
        const q2 = p[2 * C + c + 1]!;
        const q3 = p[3 * C + c + 1]!;
        const ga = c * Db;
        const gb = ga + Db;
        for (let t = 0; t < Db; t++) {
          const x0 = z[z0 + t]!;
          const x1 = z[z1 + t]!;
          const x2 = z[z2 + t]!;
          const x3 = z[z3 + t]!;
          let g = grad[ga + t]!;
          let h = grad[gb + t]!;
          g += r0 * x0;
          h += q0 * x0;
          g += r1 * x1;
          h += q1 * x1;
          g += r2 * x2;
          h += q2 * x2;
          g += r3 * x3;
          h += q3 * x3;
          grad[ga + t] = g;
          grad[gb + t] = h;
        }
      }
      if (c < C) {
        const r0 = p[c]!;
        const r1 = p[C + c]!;
        const r2 = p[2 * C + c]!;
        const r3 = p[3 * C + c]!;
        const go = c * Db;
        for (let t = 0; t < Db; t++) {
          let g = grad[go + t]!;
          g += r0 * z[z0 + t]!;
          g += r1 * z[z1 + t]!;
          g += r2 * z[z2 + t]!;
          g += r3 * z[z3 + t]!;
          grad[go + t] = g;
        }
      }
    }
  }
  for (; i < m; i++) {
    const zo = i * Db;
    for (let c = 0; c < C; c++) {
      const wo = c * Db;
      let s = 0;
      for (let t = 0; t < Db; t++) s += W[wo + t]! * z[zo + t]!;
      p[c] = s;
    }
    loss += residuals(p, 0, C, y[i]!, m, wantLoss);
    if (grad)
      for (let c = 0; c < C; c++) {
        const r = p[c]!;
        const go = c * Db;
        for (let t = 0; t < Db; t++) grad[go + t]! += r * z[zo + t]!;
      }
  }
  return withPenalty(m > 0 ? loss / m : 0, W, C, D, l2, grad);
}

/**
 * The objective from its mean data loss: + (l2/2)·‖weights‖² (biases unpenalised), and l2·w
 * added to the gradient when given. Not blocked: the reference shares it. O(C·D).
 */
export function withPenalty(
  loss: number,
  W: Float64Array,
  C: number,
  D: number,
  l2: number,
  grad: Float64Array | undefined,
): number {
  const Db = D + 1;
  let reg = 0;
  for (let c = 0; c < C; c++)
    for (let t = 0; t < D; t++) {
      const w = W[c * Db + t]!;
      reg += w * w;
      if (grad) grad[c * Db + t]! += l2 * w;
    }
  return loss + 0.5 * l2 * reg;
}

/**
 * Turns the C logits at p[o..o+C) into the row's gradient weights (softmax − one-hot)/m, in
 * place, and returns its loss term (0 unless `wantLoss`). The reference's arithmetic, in its order.
 */
function residuals(p: Float64Array, o: number, C: number, yi: number, m: number, wantLoss: boolean): number {
  let mx = -Infinity;
  for (let c = 0; c < C; c++) if (p[o + c]! > mx) mx = p[o + c]!;
  let se = 0;
  for (let c = 0; c < C; c++) {
    const e = Math.exp(p[o + c]! - mx);
    p[o + c] = e;
    se += e;
  }
  const loss = wantLoss ? Math.log(se) - Math.log(p[o + yi]!) : 0;
  for (let c = 0; c < C; c++) p[o + c] = (p[o + c]! / se - (c === yi ? 1 : 0)) / m;
  return loss;
}

/** Largest eigenvalue of zᵀz/m (z: m×Db) by power iteration from the all-ones vector. */
function gramMaxEigen(k: HeadKernels, z: Float64Array, m: number, Db: number): number {
  let v = new Float64Array(Db).fill(1 / Math.sqrt(Db));
  let lambda = 0;
  const u = new Float64Array(m);
  for (let it = 0; it < POWER_ITERATIONS; it++) {
    const w = new Float64Array(Db);
    k.gram(z, m, Db, v, u, w);
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

function blockedGram(
  z: Float64Array,
  m: number,
  Db: number,
  v: Float64Array,
  u: Float64Array,
  w: Float64Array,
): void {
  // u = z·v, four rows' sums over t at a time (each in the reference's order).
  let i = 0;
  for (; i + ROWS <= m; i += ROWS) {
    const z0 = i * Db;
    const z1 = z0 + Db;
    const z2 = z1 + Db;
    const z3 = z2 + Db;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let t = 0; t < Db; t++) {
      const vt = v[t]!;
      s0 += z[z0 + t]! * vt;
      s1 += z[z1 + t]! * vt;
      s2 += z[z2 + t]! * vt;
      s3 += z[z3 + t]! * vt;
    }
    u[i] = s0;
    u[i + 1] = s1;
    u[i + 2] = s2;
    u[i + 3] = s3;
  }
  for (; i < m; i++) {
    let s = 0;
    for (let t = 0; t < Db; t++) s += z[i * Db + t]! * v[t]!;
    u[i] = s;
  }
  // w = zᵀu: w[t] summed over i ascending, four rows per load and store of w[t].
  i = 0;
  for (; i + ROWS <= m; i += ROWS) {
    const z0 = i * Db;
    const z1 = z0 + Db;
    const z2 = z1 + Db;
    const z3 = z2 + Db;
    const u0 = u[i]!;
    const u1 = u[i + 1]!;
    const u2 = u[i + 2]!;
    const u3 = u[i + 3]!;
    for (let t = 0; t < Db; t++) {
      let s = w[t]!;
      s += u0 * z[z0 + t]!;
      s += u1 * z[z1 + t]!;
      s += u2 * z[z2 + t]!;
      s += u3 * z[z3 + t]!;
      w[t] = s;
    }
  }
  for (; i < m; i++) {
    const ui = u[i]!;
    for (let t = 0; t < Db; t++) w[t]! += ui * z[i * Db + t]!;
  }
}

/** The blocked loops: bench/head.bench.ts measures them against the reference's. */
const BLOCKED: HeadKernels = {
  project: blockedProject,
  gram: blockedGram,
  gradient: (W, z, y, C, l2, grad, p) => {
    objective(W, z, y, C, l2, grad, false, p);
  },
};

/** Fits W on standardised rows z (m×(D+1)) with labels y. O((epochs + 30)·m·D·C). */
function fitStandardised(
  k: HeadKernels,
  z: Float64Array,
  y: Int32Array,
  D: number,
  C: number,
  l2: number,
  epochs: number,
): Float64Array {
  const Db = D + 1;
  const m = y.length;
  const L = 0.5 * 1.1 * gramMaxEigen(k, z, m, Db) + l2;
  const step = L > 0 ? 1 / L : 1;
  const W = new Float64Array(C * Db);
  const prev = new Float64Array(C * Db);
  const look = new Float64Array(C * Db);
  const g = new Float64Array(C * Db);
  const p = new Float64Array(ROWS * C);
  for (let t = 1; t <= epochs; t++) {
    const beta = (t - 1) / (t + 2);
    for (let q = 0; q < W.length; q++) look[q] = W[q]! + beta * (W[q]! - prev[q]!);
    k.gradient(look, z, y, C, l2, g, p);
    prev.set(W);
    for (let q = 0; q < W.length; q++) W[q] = look[q]! - step * g[q]!;
  }
  return W;
}

/** Fits one head on all n items (no held-out rows): O((epochs + 30)·n·D·C). */
export function fitSoftmaxHead(
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
  return { D, C, ...s, weight: fitStandardised(BLOCKED, z, labels, D, C, l2, epochs) };
}

/** n×C logits of a head for the rows of x (n×D). O(n·D·C). */
export function headLogits(head: SoftmaxHead, x: FloatRows, n: number): Float64Array {
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
export function foldAssignment(n: number, k: number, seed: number): Int32Array {
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
export function crossFitSoftmaxHead(
  x: FloatRows,
  labels: Int32Array,
  C: number,
  opts: CrossFitOptions,
): CrossFitResult {
  return crossFitSoftmaxHeadWith(BLOCKED, x, labels, C, opts);
}

/** crossFitSoftmaxHead with the given loops (the reference's: softmax-head.reference.ts). */
export function crossFitSoftmaxHeadWith(
  kernels: HeadKernels,
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
  if (checked.D > maxDim) x = projectWith(kernels, x, n, checked.D, maxDim, opts.seed);
  const k = Math.min(opts.folds ?? 5, n);
  const folds = foldAssignment(n, k, opts.seed);
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
      kernels,
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
    const lt = headLogits(head, xt, test.length);
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
