/**
 * Diversity score (DS) of a bin — ADQ paper Eq. 4–5, plus the reference code's variant.
 *
 * Input: two augmented views of every image of one bin, each view already turned into a feature
 * vector by the caller (penultimate embedding ⊕ globally pooled intermediate features, F values),
 * as row-major Float32Array [n, F]: row i of `views1` and row i of `views2` are the same image.
 *
 * Method "infonce" (the paper, default). A discriminator d: Linear(F→H) → ReLU → Linear(H→O) →
 * L2-normalise is trained inside the bin with NT-Xent (SimCLR's InfoNCE): each of the 2m views of a
 * minibatch of m images is an anchor, its twin view is the positive and the 2(m−1) views of the other
 * images are the negatives; loss = mean over anchors of −log softmax_τ(positive | all 2m−1 others).
 * Forward and backward are written by hand in float64; Adam; seeded init and minibatch order; a fixed
 * number of steps. The score is then Eq. 5 evaluated on the whole bin with the trained d:
 *
 *   Div = −(1/N(x⁻)) · E_a [ Σ_{b ∈ neg(a)} exp(cos(a, b)/τ) / exp(cos(a, a⁺)/τ) ]
 *
 * where the anchors a range over all 2n views (view 1 and view 2 of every image), a⁺ is a's twin view
 * and neg(a) is both views of every other image, so N(x⁻) = 2(n − 1). Using both views as anchors and
 * as negatives is the same convention as the training loss, and averages the augmentation noise of the
 * two views instead of privileging one. Div ≤ 0; a bin whose images the discriminator can tell apart
 * (cos to negatives ≪ cos to the twin) scores near 0, a bin of near-duplicates near −1 or below.
 *
 * Method "untrained-head" (the reference code). The same MLP shape, randomly initialised and never
 * trained (in → hidden → 128 by default, hidden = in, mirroring their 512 → 512 → 128), applied to
 * both views; DS = 1 / mean of the full (2n × 2n, diagonal included) cosine-similarity matrix of all
 * views. Since the rows are unit vectors that mean is ‖Σ_a u_a‖² / (2n)², so it costs O(n·O) after the
 * forward pass instead of O(n²·O). Note 1/mean is unbounded when the mean cosine approaches 0; with
 * non-negative (post-ReLU) inputs and a ReLU hidden layer the mean stays well above 0 in practice.
 *
 * Stability (docs/algorithm.md §11.4: a trained discriminator gave per-bin z-scores correlating only
 * 0.14–0.47 across seeds). Measured on 10 synthetic CIFAR-shaped bins (n = 500, F = 112, spread
 * ±10 %, bench/diversity.bench.ts --stability), cross-seed Pearson of DS:
 * 1. Common random numbers — the decisive choice. Initial weights and minibatch permutations depend
 *    only on (seed, restart, n), never on a bin, so every bin is measured with the same starting
 *    discriminators and the same schedule, and seed effects common to all bins cancel in the
 *    cross-bin comparison. The same defaults with a different seed per bin gave −0.62 / −0.09 / 0.36;
 *    with one seed for all bins 0.94–0.97. Callers must pass the SAME seed for every bin of a run.
 * 2. Short, gentle training (8 Adam steps, lr 1e-3, minibatches of 64 images ≈ one epoch of a
 *    500-image bin). Adam's first steps are sign steps that move every weight by ≈ lr whatever its
 *    gradient's signal-to-noise, so longer or faster training makes d a chaotic function of the bin:
 *    150 steps at lr 3e-3 gave 0.24–0.79 even with common random numbers. The short schedule still
 *    cuts the whole-bin NT-Xent loss from ≈ 6.26 to ≈ 5.5 (ln(2n − 1) = 6.9; ≈ 5.1 after long
 *    training), i.e. d is an early-stopped instance discriminator, not a random projection.
 * 3. Eq. 5 is evaluated once on the whole bin after training (all 2n views), not on minibatches, so
 *    the score has no sampling noise of its own.
 * 4. Four restarts with independent inits are averaged (noise variance ÷ 4): one restart gave
 *    0.87–0.92, four 0.94–0.97.
 * 5. τ = 0.5 (SimCLR's CIFAR value): every ratio in Eq. 5 lies in [e⁻⁴, e⁴], so the mean is not
 *    dominated by the one or two hardest negatives as it would be at τ = 0.1.
 * 6. O = 32 rather than 16 (16 gave 0.83–0.91): the output width sets how much a random projection
 *    distorts cosines. H = 32 keeps the first layer, the dominant MLP cost, small.
 * With a spread of only ±3 % every estimator tested, the untrained head included, fell to 0.5–0.9.
 *
 * Cost per restart, 2m views a step: forward + backward ≈ 2m·(3·F·H + 3·H·O) + 1.5·(2m)²·O
 * multiply-adds and (2m)²/2 exp a step, plus one whole-bin evaluation ≈ 2n·(F·H + H·O) + (2n)²·O/2
 * and (2n)²/2 exp. A CIFAR-10 bin (n = 500, F = 112) with the defaults: 8 steps ≈ 18 M, evaluation
 * ≈ 21 M (+ 0.5 M exp), so ≈ 160 M multiply-adds for 4 restarts; bench/diversity.bench.ts measures it.
 */
import { Rng } from "./rng.ts";

export type DiversityMethod = "infonce" | "untrained-head";

export interface DiversityOptions {
  /** "infonce" (paper, default) or "untrained-head" (reference code). */
  method?: DiversityMethod;
  /** Temperature τ of Eq. 5 and of the training loss (default 0.5). Ignored by "untrained-head". */
  tau?: number;
  /** Adam steps per restart (default 8). "infonce" only. */
  steps?: number;
  /** Hidden width (default 32 for "infonce", F for "untrained-head"). */
  hidden?: number;
  /** Output (embedding) width (default 32 for "infonce", 128 for "untrained-head"). */
  out?: number;
  /** Adam learning rate (default 1e-3, relative to PyTorch's default init scale 1/√fan_in). "infonce" only. */
  lr?: number;
  /** Base seed (default 0). Use the same seed for every bin of a run (see "common random numbers"). */
  seed?: number;
  /** Images per minibatch, at most (default 64; each epoch splits the bin into equal batches). "infonce" only. */
  batchSize?: number;
  /** Independent trainings averaged into the score (default 4). "infonce" only. */
  restarts?: number;
}

export interface DiversityDetails {
  /** The diversity score (mean of `perRestart` for "infonce"). */
  score: number;
  /** Eq. 5 per restart ("infonce"); a single entry for "untrained-head". */
  perRestart: number[];
  /** NT-Xent loss on the whole bin (all n images in one batch) before and after training, per restart
   * ("infonce" only, else empty). */
  lossBefore: number[];
  lossAfter: number[];
}

export const DIVERSITY_DEFAULTS = {
  tau: 0.5,
  steps: 8,
  hidden: 32,
  out: 32,
  lr: 1e-3,
  seed: 0,
  batchSize: 64,
  restarts: 4,
  untrainedOut: 128,
} as const;

// ---------------------------------------------------------------------------------------------
// The MLP head: parameters in one Float64Array [W1 (F×H) | b1 (H) | W2 (H×O) | b2 (O)], so the
// optimiser and the gradient checks treat them as one vector.

export interface MlpHead {
  readonly f: number;
  readonly hidden: number;
  readonly out: number;
  readonly params: Float64Array;
}

export interface HeadLayout {
  w1: number;
  b1: number;
  w2: number;
  b2: number;
  size: number;
}

export function headLayout(f: number, hidden: number, out: number): HeadLayout {
  const w1 = 0;
  const b1 = f * hidden;
  const w2 = b1 + hidden;
  const b2 = w2 + hidden * out;
  return { w1, b1, w2, b2, size: b2 + out };
}

/** PyTorch's nn.Linear default init: weights and biases U(−1/√fan_in, 1/√fan_in). */
export function initHead(f: number, hidden: number, out: number, rng: Rng): MlpHead {
  for (const [name, v] of [
    ["f", f],
    ["hidden", hidden],
    ["out", out],
  ] as const)
    if (!Number.isInteger(v) || v <= 0) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  const L = headLayout(f, hidden, out);
  const p = new Float64Array(L.size);
  const a1 = 1 / Math.sqrt(f);
  const a2 = 1 / Math.sqrt(hidden);
  for (let i = L.w1; i < L.w2; i++) p[i] = (2 * rng.nextFloat() - 1) * a1;
  for (let i = L.w2; i < L.size; i++) p[i] = (2 * rng.nextFloat() - 1) * a2;
  return { f, hidden, out, params: p };
}

/** Dot product of v[i..i+len) and v[j..j+len); four accumulators let the CPU overlap the adds (≈1.3–1.5× on the O(n²) loops). */
function dot(v: Float64Array, i: number, j: number, len: number): number {
  let d0 = 0;
  let d1 = 0;
  let d2 = 0;
  let d3 = 0;
  let o = 0;
  for (; o + 3 < len; o += 4) {
    d0 += v[i + o]! * v[j + o]!;
    d1 += v[i + o + 1]! * v[j + o + 1]!;
    d2 += v[i + o + 2]! * v[j + o + 2]!;
    d3 += v[i + o + 3]! * v[j + o + 3]!;
  }
  for (; o < len; o++) d0 += v[i + o]! * v[j + o]!;
  return d0 + d1 + (d2 + d3);
}

/** Buffers for a forward/backward pass over up to `rows` inputs; allocated once per training run. */
class Workspace {
  readonly a1: Float64Array; // pre-activations [rows × H]
  readonly h: Float64Array; // ReLU(a1)
  readonly z: Float64Array; // head output [rows × O]
  readonly u: Float64Array; // z / ‖z‖
  readonly r: Float64Array; // ‖z‖ per row
  readonly s: Float64Array; // exp((cos − 1)/τ), upper triangle of [rows × rows]
  readonly den: Float64Array; // softmax denominators per row
  readonly posCos: Float64Array; // cosine of each row with its positive
  readonly du: Float64Array;
  readonly dh: Float64Array;
  constructor(
    readonly rows: number,
    hidden: number,
    out: number,
    mode: "forward" | "loss" | "backward",
  ) {
    this.a1 = new Float64Array(rows * hidden);
    this.h = new Float64Array(rows * hidden);
    this.z = new Float64Array(rows * out);
    this.u = new Float64Array(rows * out);
    this.r = new Float64Array(rows);
    this.s = new Float64Array(mode === "forward" ? 0 : rows * rows);
    this.den = new Float64Array(rows);
    this.posCos = new Float64Array(rows);
    this.du = new Float64Array(mode === "backward" ? rows * out : 0);
    this.dh = new Float64Array(mode === "backward" ? rows * hidden : 0);
  }
}

/**
 * u = normalise(ReLU(x·W1 + b1)·W2 + b2) for `rows` inputs x [rows × F], into ws.u (and caches).
 * O(rows·(F·H + H·O)).
 */
function forward(head: MlpHead, x: ArrayLike<number>, rows: number, ws: Workspace): void {
  const { f, hidden: H, out: O, params: p } = head;
  const L = headLayout(f, H, O);
  const { a1, h, z, u, r } = ws;
  for (let i = 0; i < rows; i++) {
    const ai = i * H;
    for (let j = 0; j < H; j++) a1[ai + j] = p[L.b1 + j]!;
    const xi = i * f;
    for (let k = 0; k < f; k++) {
      const xv = x[xi + k]!;
      if (xv === 0) continue; // post-ReLU features are often sparse
      const wk = L.w1 + k * H;
      for (let j = 0; j < H; j++) a1[ai + j] = a1[ai + j]! + xv * p[wk + j]!;
    }
    for (let j = 0; j < H; j++) {
      const v = a1[ai + j]!;
      h[ai + j] = Math.max(v, 0); // ReLU
    }
    const zi = i * O;
    for (let o = 0; o < O; o++) z[zi + o] = p[L.b2 + o]!;
    for (let j = 0; j < H; j++) {
      const hv = h[ai + j]!;
      if (hv === 0) continue;
      const wj = L.w2 + j * O;
      for (let o = 0; o < O; o++) z[zi + o] = z[zi + o]! + hv * p[wj + o]!;
    }
    let nn = 0;
    for (let o = 0; o < O; o++) nn += z[zi + o]! * z[zi + o]!;
    // A zero output has no direction; a tiny floor keeps it finite (its cosines are then 0).
    const norm = Math.sqrt(nn) || 1e-300;
    r[i] = norm;
    const inv = 1 / norm;
    for (let o = 0; o < O; o++) u[zi + o] = z[zi + o]! * inv;
  }
}

/**
 * NT-Xent loss of a batch laid out as rows [view1 of images 0..m−1 | view2 of images 0..m−1]
 * (row a's positive is row (a + m) mod 2m). When `grad` is given the loss gradient w.r.t. the head
 * parameters is ADDED to it. O((2m)²·O + 2m·(F·H + H·O)).
 */
function ntXent(
  head: MlpHead,
  x: ArrayLike<number>,
  m: number,
  tau: number,
  ws: Workspace,
  grad?: Float64Array,
): number {
  const rows = 2 * m;
  const { f, hidden: H, out: O, params: p } = head;
  const L = headLayout(f, H, O);
  forward(head, x, rows, ws);
  const { u, s, den, posCos } = ws;
  // Pairwise E_ab = exp((cos(a,b) − 1)/τ) for a < b (upper triangle only: E is symmetric). Cosines
  // are ≤ 1, so the shift by 1/τ replaces the usual max-subtraction and nothing can overflow.
  const inv = 1 / tau;
  den.fill(0, 0, rows);
  for (let a = 0; a < rows; a++) {
    const ua = a * O;
    const pos = a < m ? a + m : a - m;
    const row = a * rows;
    let acc = 0;
    for (let b = a + 1; b < rows; b++) {
      const d = dot(u, ua, b * O, O);
      if (b === pos) {
        posCos[a] = d;
        posCos[b] = d;
      }
      const e = Math.exp((d - 1) * inv);
      s[row + b] = e;
      acc += e;
      den[b] = den[b]! + e;
    }
    den[a] = den[a]! + acc;
  }
  // loss_a = −(cos(a,a⁺) − 1)/τ + log Σ_{b≠a} E_ab (the positive is in the denominator, as in NT-Xent).
  let loss = 0;
  for (let a = 0; a < rows; a++) loss += Math.log(den[a]!) - (posCos[a]! - 1) * inv;
  loss /= rows;
  if (grad === undefined) return loss;

  // dloss/dcos(a,b) from row a is M_ab = (P_ab − [b = a⁺]) / (τ·2m), P = row softmax; cos(a,b) = u_a·u_b
  // enters rows a and b, so dU = G·U with G = M + Mᵀ: G_ab = (E_ab/den_a + E_ab/den_b − 2·[b = a⁺]) / (τ·2m).
  const { du, z, r, h, a1, dh } = ws;
  const scale = 1 / (tau * rows);
  for (let a = 0; a < rows; a++) den[a] = scale / den[a]!; // den now holds scale / den
  du.fill(0, 0, rows * O);
  for (let a = 0; a < rows; a++) {
    const ua = a * O;
    const pos = a < m ? a + m : a - m;
    const row = a * rows;
    const ia = den[a]!;
    for (let b = a + 1; b < rows; b++) {
      let g = s[row + b]! * (ia + den[b]!);
      if (b === pos) g -= 2 * scale;
      const ub = b * O;
      for (let o = 0; o < O; o++) {
        du[ua + o] = du[ua + o]! + g * u[ub + o]!;
        du[ub + o] = du[ub + o]! + g * u[ua + o]!;
      }
    }
  }
  // Through u = z/‖z‖: dz = (du − u·(u·du)) / ‖z‖; then the second layer and the ReLU.
  for (let a = 0; a < rows; a++) {
    const ao = a * O;
    let ud = 0;
    for (let o = 0; o < O; o++) ud += u[ao + o]! * du[ao + o]!;
    const invR = 1 / r[a]!;
    for (let o = 0; o < O; o++) z[ao + o] = (du[ao + o]! - u[ao + o]! * ud) * invR; // z now holds dz
    const ah = a * H;
    for (let o = 0; o < O; o++) grad[L.b2 + o] = grad[L.b2 + o]! + z[ao + o]!;
    for (let j = 0; j < H; j++) {
      const hv = h[ah + j]!;
      const wj = L.w2 + j * O;
      let back = 0;
      for (let o = 0; o < O; o++) {
        const dzo = z[ao + o]!;
        back += dzo * p[wj + o]!;
        if (hv !== 0) grad[wj + o] = grad[wj + o]! + hv * dzo;
      }
      dh[ah + j] = a1[ah + j]! > 0 ? back : 0;
    }
    // First layer: dW1 += xᵀ·dA1, db1 += dA1.
    for (let j = 0; j < H; j++) grad[L.b1 + j] = grad[L.b1 + j]! + dh[ah + j]!;
    const xa = a * f;
    for (let k = 0; k < f; k++) {
      const xv = x[xa + k]!;
      if (xv === 0) continue;
      const wk = L.w1 + k * H;
      for (let j = 0; j < H; j++) grad[wk + j] = grad[wk + j]! + xv * dh[ah + j]!;
    }
  }
  return loss;
}

/**
 * NT-Xent loss (and, with `grad`, its gradient added into `grad`) of a batch of m images whose 2m
 * feature rows are laid out [view1 of 0..m−1 | view2 of 0..m−1]. Exposed for gradient checks.
 */
export function infoNceLoss(
  head: MlpHead,
  batch: ArrayLike<number>,
  m: number,
  tau: number,
  grad?: Float64Array,
): number {
  if (m < 2) throw new RangeError(`NT-Xent needs at least 2 images, got ${m}`);
  if (batch.length < 2 * m * head.f) throw new RangeError("batch is shorter than 2·m·F");
  if (grad !== undefined && grad.length !== head.params.length)
    throw new RangeError("grad has the wrong size");
  return ntXent(
    head,
    batch,
    m,
    tau,
    new Workspace(2 * m, head.hidden, head.out, grad ? "backward" : "loss"),
    grad,
  );
}

/** Unit-norm head outputs [rows × O] for rows inputs x [rows × F]. O(rows·(F·H + H·O)). */
export function headEmbed(head: MlpHead, x: ArrayLike<number>, rows: number): Float64Array {
  if (x.length < rows * head.f) throw new RangeError("input is shorter than rows·F");
  const ws = new Workspace(rows, head.hidden, head.out, "forward");
  forward(head, x, rows, ws);
  return ws.u;
}

/**
 * Eq. 5 on unit vectors u [2n × O] laid out [view1 of 0..n−1 | view2 of 0..n−1]: anchors = all 2n
 * views, positive = the twin view, negatives = both views of the n − 1 other images.
 * O((2n)²·O / 2) time, O(n) extra memory (the cosine matrix is never stored).
 */
export function eq5Diversity(u: Float64Array, n: number, out: number, tau: number): number {
  if (n < 2) throw new RangeError(`Eq. 5 needs at least 2 images, got ${n}`);
  const rows = 2 * n;
  if (u.length < rows * out) throw new RangeError("u is shorter than 2n·O");
  const inv = 1 / tau;
  const negSum = new Float64Array(rows); // Σ_{b ∈ neg(a)} exp((cos(a,b) − 1)/τ)
  const posCos = new Float64Array(rows);
  for (let a = 0; a < rows; a++) {
    const ua = a * out;
    const pos = a < n ? a + n : a - n;
    let acc = 0;
    for (let b = a + 1; b < rows; b++) {
      const d = dot(u, ua, b * out, out);
      if (b === pos) {
        posCos[a] = d;
        posCos[b] = d;
        continue;
      }
      const e = Math.exp((d - 1) * inv);
      acc += e;
      negSum[b] = negSum[b]! + e;
    }
    negSum[a] = negSum[a]! + acc;
  }
  let total = 0;
  for (let a = 0; a < rows; a++) total += negSum[a]! * Math.exp((1 - posCos[a]!) * inv);
  return -total / (rows * 2 * (n - 1));
}

/**
 * The reference code's statistic: 1 / mean of the full rows × rows cosine matrix (diagonal included)
 * of unit vectors u [rows × O]. For unit rows mean_{a,b} u_a·u_b = ‖Σ_a u_a‖² / rows², so this is
 * O(rows·O) instead of O(rows²·O).
 */
export function meanCosineDiversity(u: Float64Array, rows: number, out: number): number {
  if (rows < 1 || u.length < rows * out) throw new RangeError("u is shorter than rows·O");
  const sum = new Float64Array(out);
  for (let a = 0; a < rows; a++) for (let o = 0; o < out; o++) sum[o] = sum[o]! + u[a * out + o]!;
  let sq = 0;
  for (let o = 0; o < out; o++) sq += sum[o]! * sum[o]!;
  return (rows * rows) / sq;
}

// ---------------------------------------------------------------------------------------------
// Training

interface Adam {
  m: Float64Array;
  v: Float64Array;
  t: number;
}

function adamStep(p: Float64Array, g: Float64Array, st: Adam, lr: number): void {
  const b1 = 0.9;
  const b2 = 0.999;
  const eps = 1e-8;
  st.t++;
  const c1 = 1 / (1 - b1 ** st.t);
  const c2 = 1 / (1 - b2 ** st.t);
  const { m, v } = st;
  for (let i = 0; i < p.length; i++) {
    const gi = g[i]!;
    m[i] = b1 * m[i]! + (1 - b1) * gi;
    v[i] = b2 * v[i]! + (1 - b2) * gi * gi;
    p[i] = p[i]! - (lr * m[i]! * c1) / (Math.sqrt(v[i]! * c2) + eps);
  }
}

export interface TrainOptions {
  tau: number;
  steps: number;
  lr: number;
  batchSize: number;
}

/**
 * Trains `head` in place with NT-Xent on the bin's two views, Adam, `steps` steps. Each epoch is a
 * fresh `rng` permutation of the n images split into ⌈n / batchSize⌉ batches whose sizes differ by at
 * most one (no image twice in a batch, every image equally often; a bin of n ≤ batchSize is one
 * full batch, so its order does not matter). Returns the per-step minibatch losses.
 * O(steps · ((2m)²·O + 2m·(F·H + H·O))) with m ≈ min(n, batchSize).
 */
export function trainInfoNce(
  head: MlpHead,
  views1: ArrayLike<number>,
  views2: ArrayLike<number>,
  n: number,
  opts: TrainOptions,
  rng: Rng,
): Float64Array {
  const { f } = head;
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`NT-Xent needs at least 2 images, got n = ${n}`);
  if (views1.length < n * f || views2.length < n * f) throw new RangeError("views are shorter than n·F");
  // Batches of at least 2 images (a lone image has no negatives).
  const nb = Math.min(Math.ceil(n / Math.max(2, opts.batchSize)), Math.floor(n / 2));
  const maxM = Math.ceil(n / nb);
  const ws = new Workspace(2 * maxM, head.hidden, head.out, "backward");
  const batch = new Float64Array(2 * maxM * f);
  const grad = new Float64Array(head.params.length);
  const adam: Adam = { m: new Float64Array(grad.length), v: new Float64Array(grad.length), t: 0 };
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  const losses = new Float64Array(opts.steps);
  let bi = nb; // batch index within the epoch; nb forces a shuffle first
  for (let step = 0; step < opts.steps; step++) {
    if (bi === nb) {
      if (nb > 1) rng.shuffle(perm);
      bi = 0;
    }
    // Batch bi covers perm[⌊bi·n/nb⌋, ⌊(bi+1)·n/nb⌋).
    const lo = Math.floor((bi * n) / nb);
    const hi = Math.floor(((bi + 1) * n) / nb);
    bi++;
    const m = hi - lo;
    for (let t = 0; t < m; t++) {
      const src = perm[lo + t]! * f;
      for (let k = 0; k < f; k++) {
        batch[t * f + k] = views1[src + k]!;
        batch[(m + t) * f + k] = views2[src + k]!;
      }
    }
    grad.fill(0);
    losses[step] = ntXent(head, batch, m, opts.tau, ws, grad);
    adamStep(head.params, grad, adam, opts.lr);
  }
  return losses;
}

/** The two views stacked as [view1 rows | view2 rows] in float64, the layout every pass uses. */
function stackViews(
  views1: ArrayLike<number>,
  views2: ArrayLike<number>,
  n: number,
  f: number,
): Float64Array {
  const x = new Float64Array(2 * n * f);
  for (let i = 0; i < n * f; i++) {
    x[i] = views1[i]!;
    x[n * f + i] = views2[i]!;
  }
  return x;
}

function checkInputs(views1: Float32Array, views2: Float32Array, n: number, f: number): void {
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`a bin needs at least 2 images, got n = ${n}`);
  if (!Number.isInteger(f) || f <= 0) throw new RangeError(`f must be a positive integer, got ${f}`);
  if (views1.length !== n * f || views2.length !== n * f)
    throw new RangeError(`views must be [n, f] = ${n * f} values, got ${views1.length} and ${views2.length}`);
  for (let i = 0; i < n * f; i++)
    if (!Number.isFinite(views1[i]!) || !Number.isFinite(views2[i]!))
      throw new RangeError(`non-finite feature at flat index ${i}`);
}

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v <= 0) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  return v;
}

/**
 * Diversity score with its per-restart values and the whole-bin training loss before and after
 * training (which costs one extra O((2n)²·O) pass per restart over `diversityScore`).
 */
export function diversityDetails(
  views1: Float32Array,
  views2: Float32Array,
  n: number,
  f: number,
  options: DiversityOptions = {},
): DiversityDetails {
  return compute(views1, views2, n, f, options, true);
}

function compute(
  views1: Float32Array,
  views2: Float32Array,
  n: number,
  f: number,
  options: DiversityOptions,
  withLosses: boolean,
): DiversityDetails {
  checkInputs(views1, views2, n, f);
  const method = options.method ?? "infonce";
  const seed = options.seed ?? DIVERSITY_DEFAULTS.seed;
  if (method === "untrained-head") {
    const hidden = positiveInt("hidden", options.hidden ?? f);
    const out = positiveInt("out", options.out ?? DIVERSITY_DEFAULTS.untrainedOut);
    const head = initHead(f, hidden, out, Rng.derive(seed, "diversity", "untrained-head"));
    const rows = 2 * n;
    const score = meanCosineDiversity(headEmbed(head, stackViews(views1, views2, n, f), rows), rows, out);
    return { score, perRestart: [score], lossBefore: [], lossAfter: [] };
  }
  if (method !== "infonce") throw new RangeError(`unknown diversity method ${String(method)}`);
  const tau = options.tau ?? DIVERSITY_DEFAULTS.tau;
  if (!(tau > 0) || !Number.isFinite(tau)) throw new RangeError(`tau must be > 0, got ${tau}`);
  const lr = options.lr ?? DIVERSITY_DEFAULTS.lr;
  if (!(lr >= 0) || !Number.isFinite(lr)) throw new RangeError(`lr must be ≥ 0, got ${lr}`);
  const steps = options.steps ?? DIVERSITY_DEFAULTS.steps;
  if (!Number.isInteger(steps) || steps < 0)
    throw new RangeError(`steps must be an integer ≥ 0, got ${steps}`);
  const hidden = positiveInt("hidden", options.hidden ?? DIVERSITY_DEFAULTS.hidden);
  const out = positiveInt("out", options.out ?? DIVERSITY_DEFAULTS.out);
  const batchSize = positiveInt("batchSize", options.batchSize ?? DIVERSITY_DEFAULTS.batchSize);
  if (batchSize < 2) throw new RangeError("batchSize must be at least 2");
  const restarts = positiveInt("restarts", options.restarts ?? DIVERSITY_DEFAULTS.restarts);

  const all = stackViews(views1, views2, n, f);
  const perRestart: number[] = [];
  const lossBefore: number[] = [];
  const lossAfter: number[] = [];
  for (let r = 0; r < restarts; r++) {
    // Streams depend on (seed, restart) only — the same for every bin (common random numbers).
    const head = initHead(f, hidden, out, Rng.derive(seed, "diversity", "infonce", r, "init"));
    if (withLosses) lossBefore.push(infoNceLoss(head, all, n, tau));
    trainInfoNce(
      head,
      views1,
      views2,
      n,
      { tau, steps, lr, batchSize },
      Rng.derive(seed, "diversity", "infonce", r, "order"),
    );
    const u = headEmbed(head, all, 2 * n);
    if (withLosses) lossAfter.push(infoNceLoss(head, all, n, tau));
    perRestart.push(eq5Diversity(u, n, out, tau));
  }
  const score = perRestart.reduce((a, b) => a + b, 0) / restarts;
  return { score, perRestart, lossBefore, lossAfter };
}

/**
 * Diversity score of one bin from two views' features [n, F] (row i = image i in both).
 * "infonce" returns Eq. 5 (≤ 0, higher = more diverse); "untrained-head" returns 1 / mean cosine
 * (≥ 1 in practice, higher = more diverse). Deterministic for a given seed.
 */
export function diversityScore(
  views1: Float32Array,
  views2: Float32Array,
  n: number,
  f: number,
  options: DiversityOptions = {},
): number {
  return compute(views1, views2, n, f, options, false).score;
}
