/**
 * Last-layer gradient embeddings (DQ's similarity space) and the cosine spaces GraphCut runs in.
 *
 * For a sample with logits z (dim C), penultimate embedding e (dim D) and label y, the gradient of
 * the cross-entropy loss w.r.t. the last linear layer is
 *   g_bias = p − onehot(y)            (p = softmax(z)),   g_weight = g_bias ⊗ e  (C×D, row-major)
 * and DQ compares samples by cos([g_bias, g_weight], ·). The explicit vector has C + C·D entries
 * (650 for C = 10, D = 64), but because g = (p − y) ⊗ [1, e] up to a permutation of coordinates,
 *   cos(g, g') = cos(p−y, p'−y') · cos([1,e], [1,e'])                       (docs/algorithm.md §2.1)
 * so a pair costs C + D + 1 multiply-adds instead of C·(D + 1). Both forms are provided; the
 * factorised one is the default, the explicit one exists for checking and for the benchmark.
 *
 * Zero vectors: a row whose norm is 0 (p exactly one-hot, or a zero feature vector) gets cosine 0
 * with everything, itself included (the reference code would produce NaN there).
 */

/** Row-major float data (float32 from a model, or float64). */
export type FloatRows = Float32Array | Float64Array;

/** The model outputs the gradient embedding is computed from. n = labels.length. */
export interface LastLayerOutputs {
  /** n×C logits, row-major. */
  readonly logits: FloatRows;
  /** n×D penultimate embeddings, row-major (D is inferred as embeddings.length / n). */
  readonly embeddings: FloatRows;
  /** n class labels in [0, C). */
  readonly labels: Int32Array;
  /** C. */
  readonly numClasses: number;
}

/**
 * A set of n items with a cosine similarity between any two of them, computed on demand.
 * Implementations hold O(n·d) numbers for their own representation and never an n×n matrix.
 */
export interface CosineSpace {
  /** Number of items. */
  readonly n: number;
  /** Multiply-adds per pairwise cosine (C + D + 1 factorised, d explicit), for cost estimates. */
  readonly pairCost: number;
  /**
   * out[j] = cos(i, cols[j]) for j < cols.length, or cos(i, j) for j < n when cols is omitted.
   * O(len · pairCost) time, no allocation.
   */
  cosRow(i: number, out: Float64Array, cols?: Int32Array): void;
  /**
   * out[j] = Σ_{p ∈ pool} cos(p, targets[j]) (targets defaults to pool), accumulated in float64.
   * O((|pool| + |targets|) · d) time via the sum of the pool's normalised vectors (or its
   * factor-product matrix), O(d) extra memory: never forms the |pool|×|targets| matrix.
   */
  cosSums(pool: Int32Array, out: Float64Array, targets?: Int32Array): void;
  /**
   * An empty running sum of normalised item vectors: after add(s) for s ∈ S, dot(x) =
   * Σ_{s ∈ S} cos(s, x). Both O(sumCost) (stochastic greedy binning's per-candidate cost).
   */
  cosineSum(): CosineSum;
  /** Multiply-adds of one CosineSum add or dot. */
  readonly sumCost: number;
}

/** A running Σ_{s ∈ S} u_s over a space's normalised vectors (CosineSpace.cosineSum). */
export interface CosineSum {
  add(i: number): void;
  dot(x: number): number;
}

function assertFinite(a: ArrayLike<number>, name: string): void {
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i]!)) throw new RangeError(`${name}[${i}] is not finite (${a[i]})`);
  }
}

/**
 * out[jj] = Σ_t q[qo + t]·m[row·len + t] for row = cols[jj] (or jj), jj < count: the dot products
 * of one row against many rows of a row-major matrix. Rows are processed four at a time so each
 * q[qo + t] load feeds four independent sums (a single running sum is bound by floating-point add
 * latency; this is ~1.5–2× faster). Each sum still runs t = 0, 1, … in order with one
 * accumulator, so a value depends only on the two rows — not on the blocking — and is symmetric.
 */
export function rowDots(
  q: Float64Array,
  qo: number,
  m: Float64Array,
  len: number,
  out: Float64Array,
  count: number,
  cols?: Int32Array,
): void {
  let jj = 0;
  for (; jj + 3 < count; jj += 4) {
    const o0 = (cols ? cols[jj]! : jj) * len;
    const o1 = (cols ? cols[jj + 1]! : jj + 1) * len;
    const o2 = (cols ? cols[jj + 2]! : jj + 2) * len;
    const o3 = (cols ? cols[jj + 3]! : jj + 3) * len;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let t = 0; t < len; t++) {
      const v = q[qo + t]!;
      s0 += v * m[o0 + t]!;
      s1 += v * m[o1 + t]!;
      s2 += v * m[o2 + t]!;
      s3 += v * m[o3 + t]!;
    }
    out[jj] = s0;
    out[jj + 1] = s1;
    out[jj + 2] = s2;
    out[jj + 3] = s3;
  }
  for (; jj < count; jj++) {
    const o = (cols ? cols[jj]! : jj) * len;
    let s = 0;
    for (let t = 0; t < len; t++) s += q[qo + t]! * m[o + t]!;
    out[jj] = s;
  }
}

interface Shape {
  n: number;
  C: number;
  D: number;
}

function checkOutputs(o: LastLayerOutputs): Shape {
  const n = o.labels.length;
  const C = o.numClasses;
  if (!Number.isInteger(C) || C < 1) throw new RangeError(`numClasses must be an integer ≥ 1, got ${C}`);
  if (o.logits.length !== n * C)
    throw new RangeError(
      `logits must have labels.length × numClasses = ${n * C} entries, got ${o.logits.length}`,
    );
  let D = 0;
  if (n > 0) {
    D = o.embeddings.length / n;
    if (!Number.isInteger(D))
      throw new RangeError(
        `embeddings length ${o.embeddings.length} is not a multiple of labels.length ${n}`,
      );
  } else if (o.embeddings.length !== 0) {
    throw new RangeError(`embeddings must be empty when labels is empty`);
  }
  for (let i = 0; i < n; i++) {
    const y = o.labels[i]!;
    if (y < 0 || y >= C) throw new RangeError(`labels[${i}] = ${y} is outside [0, numClasses = ${C})`);
  }
  assertFinite(o.logits, "logits");
  assertFinite(o.embeddings, "embeddings");
  return { n, C, D };
}

/**
 * Row-wise softmax of n×C logits in float64, numerically stable (max subtracted first).
 * O(n·C) time and output memory.
 */
export function softmax(logits: FloatRows, n: number, C: number): Float64Array {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be an integer ≥ 0, got ${n}`);
  if (!Number.isInteger(C) || C < 1) throw new RangeError(`C must be an integer ≥ 1, got ${C}`);
  if (logits.length !== n * C)
    throw new RangeError(`logits must have n×C = ${n * C} entries, got ${logits.length}`);
  assertFinite(logits, "logits");
  const p = new Float64Array(n * C);
  for (let i = 0; i < n; i++) {
    const o = i * C;
    let mx = logits[o]!;
    for (let c = 1; c < C; c++) if (logits[o + c]! > mx) mx = logits[o + c]!;
    let s = 0;
    for (let c = 0; c < C; c++) {
      const v = Math.exp(logits[o + c]! - mx);
      p[o + c] = v;
      s += v;
    }
    // s ≥ 1 because the max entry contributes exp(0) = 1, so this never divides by 0.
    for (let c = 0; c < C; c++) p[o + c]! /= s;
  }
  return p;
}

/** p − onehot(y) per row (the bias gradient), n×C float64. */
export function biasGradients(outputs: LastLayerOutputs): Float64Array {
  const { n, C } = checkOutputs(outputs);
  const g = softmax(outputs.logits, n, C);
  for (let i = 0; i < n; i++) g[i * C + outputs.labels[i]!]! -= 1;
  return g;
}

/**
 * The explicit last-layer gradient embeddings [g_bias, g_weight], n × (C + C·D) float64, with
 * g_weight[c·D + j] = g_bias[c]·e[j] (the reference code's flattening order).
 * O(n·C·D) time and memory: meant for checks and baselines; binning uses the factorised form.
 */
export function gradientEmbeddings(outputs: LastLayerOutputs): Float64Array {
  const { n, C, D } = checkOutputs(outputs);
  const gb = biasGradients(outputs);
  const e = outputs.embeddings;
  const d = C + C * D;
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let c = 0; c < C; c++) {
      const b = gb[i * C + c]!;
      out[o + c] = b;
      const w = o + C + c * D;
      for (let j = 0; j < D; j++) out[w + j] = b * e[i * D + j]!;
    }
  }
  return out;
}

function dotSelf(x: Float64Array, o: number, len: number): number {
  let s = 0;
  for (let t = 0; t < len; t++) s += x[o + t]! * x[o + t]!;
  return s;
}

/** Normalise each of the n rows of `rows` (length n·d) to unit L2 norm in place; zero rows stay zero. */
function normaliseRowsInPlace(rows: Float64Array, n: number, d: number): void {
  for (let i = 0; i < n; i++) {
    const o = i * d;
    let s = 0;
    for (let j = 0; j < d; j++) s += rows[o + j]! * rows[o + j]!;
    if (s > 0) {
      const inv = 1 / Math.sqrt(s);
      for (let j = 0; j < d; j++) rows[o + j]! *= inv;
    }
  }
}

/**
 * The factorised gradient embedding: row-normalised A (n×C, rows (p−y)/‖p−y‖) and
 * B (n×(D+1), rows [1,e]/‖[1,e]‖), so that cos(g_i, g_j) = (A_i·A_j)(B_i·B_j).
 * O(n·(C + D)) time and memory.
 */
export class FactorisedGradientSpace implements CosineSpace {
  readonly n: number;
  readonly pairCost: number;
  /** Number of classes C (row length of a). */
  readonly C: number;
  /** Row length of b, D + 1. */
  readonly Db: number;
  /** Scratch for the B dot products of one row (grown on demand; cosRow is not reentrant). */
  private scratch = new Float64Array(0);

  /**
   * Use fromOutputs unless the factors are already at hand.
   * @param a n×C bias gradients, each row of unit norm or all zeros (checked to 1e-9)
   * @param b n×(D+1) rows [1, e] / ‖[1, e]‖, each of unit norm (checked to 1e-9)
   */
  constructor(
    readonly a: Float64Array,
    readonly b: Float64Array,
    n: number,
    C: number,
  ) {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be an integer ≥ 0, got ${n}`);
    if (!Number.isInteger(C) || C < 1) throw new RangeError(`C must be an integer ≥ 1, got ${C}`);
    if (a.length !== n * C) throw new RangeError(`a must have n×C = ${n * C} entries, got ${a.length}`);
    const Db = n > 0 ? b.length / n : 1;
    if (!Number.isInteger(Db) || Db < 1)
      throw new RangeError(`b length ${b.length} is not a positive multiple of n = ${n}`);
    assertFinite(a, "a");
    assertFinite(b, "b");
    for (let i = 0; i < n; i++) {
      const na = dotSelf(a, i * C, C);
      if (na !== 0 && Math.abs(na - 1) > 1e-9)
        throw new RangeError(`a row ${i} is neither unit-norm nor zero`);
      if (Math.abs(dotSelf(b, i * Db, Db) - 1) > 1e-9) throw new RangeError(`b row ${i} is not unit-norm`);
    }
    this.n = n;
    this.C = C;
    this.Db = Db;
    this.pairCost = C + Db;
    this.sumCost = C * Db;
  }

  readonly sumCost: number;

  /** M = Σ_s A_s B_sᵀ (C×(D+1)), as in cosSums: dot(x) = A_xᵀ M B_x. O(C·(D+1)) each. */
  cosineSum(): CosineSum {
    const { a, b, C, Db } = this;
    const M = new Float64Array(C * Db);
    return {
      add(i: number): void {
        for (let c = 0; c < C; c++) {
          const av = a[i * C + c]!;
          if (av === 0) continue;
          const mo = c * Db;
          for (let t = 0; t < Db; t++) M[mo + t]! += av * b[i * Db + t]!;
        }
      },
      dot(x: number): number {
        let s = 0;
        for (let c = 0; c < C; c++) {
          const av = a[x * C + c]!;
          if (av === 0) continue;
          const mo = c * Db;
          let r = 0;
          for (let t = 0; t < Db; t++) r += M[mo + t]! * b[x * Db + t]!;
          s += av * r;
        }
        return s;
      },
    };
  }

  /** Build the factors from model outputs: O(n·(C + D)) time and memory. */
  static fromOutputs(outputs: LastLayerOutputs): FactorisedGradientSpace {
    const { n, C, D } = checkOutputs(outputs);
    const a = biasGradients(outputs);
    normaliseRowsInPlace(a, n, C);
    const Db = D + 1;
    const b = new Float64Array(n * Db);
    const e = outputs.embeddings;
    for (let i = 0; i < n; i++) {
      b[i * Db] = 1;
      for (let j = 0; j < D; j++) b[i * Db + 1 + j] = e[i * D + j]!;
    }
    normaliseRowsInPlace(b, n, Db);
    return new FactorisedGradientSpace(a, b, n, C);
  }

  cosRow(i: number, out: Float64Array, cols?: Int32Array): void {
    const len = cols ? cols.length : this.n;
    if (dotSelf(this.a, i * this.C, this.C) === 0) {
      // Zero bias gradient (exactly one-hot softmax): cosine 0 with everything.
      out.fill(0, 0, len);
      return;
    }
    if (this.scratch.length < len) this.scratch = new Float64Array(Math.max(len, this.n));
    const sb = this.scratch;
    rowDots(this.a, i * this.C, this.a, this.C, out, len, cols);
    rowDots(this.b, i * this.Db, this.b, this.Db, sb, len, cols);
    for (let jj = 0; jj < len; jj++) {
      const sa = out[jj]!;
      // sa === 0 (a zero row j) gives +0, never −0 or NaN.
      out[jj] = sa === 0 ? 0 : sa * sb[jj]!;
    }
  }

  /**
   * Σ_p cos(p, x) = Σ_p (A_p·A_x)(B_p·B_x) = A_xᵀ M B_x with M = Σ_p A_p B_pᵀ (C×(D+1)).
   * O(|pool|·C·(D+1) + |targets|·C·(D+1)) time, O(C·(D+1)) extra memory.
   */
  cosSums(pool: Int32Array, out: Float64Array, targets: Int32Array = pool): void {
    const { a, b, C, Db } = this;
    const M = new Float64Array(C * Db);
    for (let pp = 0; pp < pool.length; pp++) {
      const p = pool[pp]!;
      const ap = p * C;
      const bp = p * Db;
      for (let c = 0; c < C; c++) {
        const av = a[ap + c]!;
        if (av === 0) continue;
        const mo = c * Db;
        for (let t = 0; t < Db; t++) M[mo + t]! += av * b[bp + t]!;
      }
    }
    for (let xx = 0; xx < targets.length; xx++) {
      const x = targets[xx]!;
      const ax = x * C;
      const bx = x * Db;
      let s = 0;
      for (let c = 0; c < C; c++) {
        const av = a[ax + c]!;
        if (av === 0) continue;
        const mo = c * Db;
        let r = 0;
        for (let t = 0; t < Db; t++) r += M[mo + t]! * b[bx + t]!;
        s += av * r;
      }
      out[xx] = s;
    }
  }
}

/**
 * Explicit vectors (any dimension d), stored row-normalised in float64: cos(i, j) = u_i·u_j.
 * Used for plain feature embeddings and for the explicit C + C·D gradient embedding.
 * O(n·d) memory.
 */
export class DenseCosineSpace implements CosineSpace {
  readonly n: number;
  readonly pairCost: number;
  /** Vector dimension. */
  readonly d: number;
  /** n×d unit rows (zero rows for zero vectors). */
  readonly u: Float64Array;

  /** @param vectors n×d row-major; copied, then rows are normalised (the input is not modified). */
  constructor(vectors: FloatRows, n: number) {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be an integer ≥ 0, got ${n}`);
    const d = n > 0 ? vectors.length / n : 0;
    if (!Number.isInteger(d) || (n > 0 && d < 1) || (n === 0 && vectors.length !== 0))
      throw new RangeError(`vectors length ${vectors.length} is not a positive multiple of n = ${n}`);
    assertFinite(vectors, "vectors");
    this.n = n;
    this.d = d;
    this.pairCost = d;
    this.sumCost = d;
    this.u = Float64Array.from(vectors);
    normaliseRowsInPlace(this.u, n, d);
  }

  readonly sumCost: number;

  /** s = Σ u_s: dot(x) = s·u_x. O(d) each. */
  cosineSum(): CosineSum {
    const { u, d } = this;
    const acc = new Float64Array(d);
    return {
      add(i: number): void {
        for (let t = 0; t < d; t++) acc[t]! += u[i * d + t]!;
      },
      dot(x: number): number {
        let r = 0;
        for (let t = 0; t < d; t++) r += acc[t]! * u[x * d + t]!;
        return r;
      },
    };
  }

  cosRow(i: number, out: Float64Array, cols?: Int32Array): void {
    rowDots(this.u, i * this.d, this.u, this.d, out, cols ? cols.length : this.n, cols);
  }

  /** Σ_p u_p·u_x = (Σ_p u_p)·u_x: O((|pool| + |targets|)·d) time, O(d) extra memory. */
  cosSums(pool: Int32Array, out: Float64Array, targets: Int32Array = pool): void {
    const { u, d } = this;
    const s = new Float64Array(d);
    for (let pp = 0; pp < pool.length; pp++) {
      const o = pool[pp]! * d;
      for (let t = 0; t < d; t++) s[t]! += u[o + t]!;
    }
    for (let xx = 0; xx < targets.length; xx++) {
      const o = targets[xx]! * d;
      let r = 0;
      for (let t = 0; t < d; t++) r += s[t]! * u[o + t]!;
      out[xx] = r;
    }
  }
}

/** Which vectors GraphCut compares. */
export type EmbeddingKind = "gradient" | "gradient-explicit" | "features";

/**
 * The cosine space for model outputs:
 * - "gradient" (default): factorised last-layer gradients, O(n·(C+D)) memory, C+D+1 per pair;
 * - "gradient-explicit": the same cosines from the explicit C + C·D vectors (O(n·C·D) memory);
 * - "features": plain penultimate embeddings e, rows normalised (logits and labels unused
 *   beyond validation).
 */
export function cosineSpaceFor(outputs: LastLayerOutputs, kind: EmbeddingKind = "gradient"): CosineSpace {
  switch (kind) {
    case "gradient":
      return FactorisedGradientSpace.fromOutputs(outputs);
    case "gradient-explicit":
      return new DenseCosineSpace(gradientEmbeddings(outputs), outputs.labels.length);
    case "features": {
      checkOutputs(outputs);
      return new DenseCosineSpace(outputs.embeddings, outputs.labels.length);
    }
    default:
      throw new RangeError(`unknown embedding kind ${String(kind)}`);
  }
}
