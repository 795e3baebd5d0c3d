/**
 * Importance score of bins (paper Eq. 6–8): z-score the representativeness (RS) and diversity (DS)
 * scores across bins and add them, IS_n = w_rs·RS^_n + w_ds·DS^_n (paper: w_rs = w_ds = 1).
 *
 * Scope. DQ/ADQ bin each class separately (docs/algorithm.md §3.2), so the natural set a bin is
 * compared with is the other bins *of the same class*: `importanceScores` normalises whatever
 * array it is given, and `importanceByClass` applies it per class (`scope: "class"`, default) or
 * pools all (class, bin) scores into one mean and standard deviation (`scope: "global"`), which is
 * steadier when a class has only a few bins but lets a class-wide offset through (harmless for the
 * default exponential allocation map, which is offset-invariant within a class).
 *
 * Normalisation uses the population standard deviation (divide by n), as batch normalisation —
 * which the paper cites for "Norm" — does. With zero spread every z is 0 (all bins equally
 * important), never NaN.
 *
 * Why more than a z-score. A z-score stretches whatever spread exists to unit variance, so a score
 * whose bins differ only by estimation noise weighs as much as one with a real signal
 * (docs/algorithm.md §11.5: bin RS varied by ±0.8% yet z spanned ±2). Each normalised score therefore
 * reports its raw spread (standard deviation and coefficient of variation) beside the z-scores, and
 * the caller can give a noise floor — the spread expected from noise alone, e.g. measured from
 * repeated runs with `replicateNoiseStd` — to shrink the z-scores toward 0 with the positive-part
 * James–Stein factor max(0, 1 − noise²/observed²): the fraction of the observed between-bin
 * variance not explained by noise. Without a floor, the plain z-scores of the paper are returned.
 */

export interface NoiseFloor {
  /** Spread expected from noise alone. */
  value: number;
  /**
   * "cv": `value` is a coefficient of variation (std / |mean|), fitting ratio-scale scores such as
   * the texture level; "std": `value` is in the score's own units. Default "cv".
   */
  kind?: "cv" | "std";
}

export interface NormalisedScore {
  /** The raw scores, copied. */
  raw: Float64Array;
  /** Normalised scores (z-scores, multiplied by `shrink`). */
  z: Float64Array;
  mean: number;
  /** Population standard deviation of the raw scores. */
  std: number;
  /** Coefficient of variation std / |mean|; 0 when std = 0, +∞ when the mean is 0 but std is not. */
  cv: number;
  /** Factor applied to the plain z-scores: 1 without a noise floor, in [0, 1] with one. */
  shrink: number;
}

function toChecked(values: ArrayLike<number>, name: string): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) throw new RangeError(`${name}[${i}] must be finite, got ${v}`);
    out[i] = v;
  }
  return out;
}

function shrinkFactor(std: number, cv: number, floor: NoiseFloor | undefined): number {
  if (floor === undefined) return 1;
  const { value, kind = "cv" } = floor;
  if (!Number.isFinite(value) || value < 0)
    throw new RangeError(`noise floor must be a finite non-negative number, got ${value}`);
  const observed = kind === "cv" ? cv : std;
  if (observed === 0) return 0;
  if (!Number.isFinite(observed)) return 1; // cv = ∞ (mean 0): relative noise is meaningless; keep z
  return Math.max(0, 1 - (value * value) / (observed * observed));
}

/**
 * Z-scores of `values` (population std), with the raw spread and optional noise-floor shrinkage.
 * Values that are all equal give z = 0.
 */
export function normaliseScores(
  values: ArrayLike<number>,
  noiseFloor?: NoiseFloor,
  name = "values",
): NormalisedScore {
  const raw = toChecked(values, name);
  const n = raw.length;
  const z = new Float64Array(n);
  if (n === 0) return { raw, z, mean: Number.NaN, std: 0, cv: 0, shrink: shrinkFactor(0, 0, noiseFloor) };
  let mean = 0;
  for (let i = 0; i < n; i++) mean += raw[i]!;
  mean /= n;
  // Two-pass variance: accurate for small spreads around a large mean (RS ≈ 0.32 ± 0.8%).
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (raw[i]! - mean) ** 2;
  let std = Math.sqrt(ss / n);
  // Spread at rounding-error level relative to the mean is "all equal", not a signal to blow up.
  if (std <= 1e-12 * Math.abs(mean)) std = 0;
  const cv = std === 0 ? 0 : mean === 0 ? Number.POSITIVE_INFINITY : std / Math.abs(mean);
  const shrink = shrinkFactor(std, cv, noiseFloor);
  if (std > 0 && shrink > 0) for (let i = 0; i < n; i++) z[i] = (shrink * (raw[i]! - mean)) / std;
  return { raw, z, mean, std, cv, shrink };
}

export interface ImportanceOptions {
  /** Weight of the normalised RS (default 1, the paper's Eq. 8). */
  wRs?: number;
  /** Weight of the normalised DS (default 1). */
  wDs?: number;
  /** Noise floor for RS; omit for plain z-scores. */
  rsNoise?: NoiseFloor;
  /** Noise floor for DS; omit for plain z-scores. */
  dsNoise?: NoiseFloor;
}

export interface ImportanceResult {
  rs: NormalisedScore;
  ds: NormalisedScore;
  /** IS_n = wRs·RS^_n + wDs·DS^_n. */
  importance: Float64Array;
}

function checkWeight(w: number, name: string): void {
  if (!Number.isFinite(w)) throw new RangeError(`${name} must be finite, got ${w}`);
}

/** Importance scores of one set of bins (normally the bins of one class). */
export function importanceScores(
  rs: ArrayLike<number>,
  ds: ArrayLike<number>,
  options: ImportanceOptions = {},
): ImportanceResult {
  if (rs.length !== ds.length)
    throw new RangeError(`rs and ds must have one entry per bin, got ${rs.length} and ${ds.length}`);
  const { wRs = 1, wDs = 1 } = options;
  checkWeight(wRs, "wRs");
  checkWeight(wDs, "wDs");
  const r = normaliseScores(rs, options.rsNoise, "rs");
  const d = normaliseScores(ds, options.dsNoise, "ds");
  const importance = new Float64Array(rs.length);
  for (let i = 0; i < importance.length; i++) importance[i] = wRs * r.z[i]! + wDs * d.z[i]!;
  return { rs: r, ds: d, importance };
}

export type NormalisationScope = "class" | "global";

export interface ImportanceByClassOptions extends ImportanceOptions {
  /** "class" (default): normalise each class's bins among themselves; "global": pool all bins. */
  scope?: NormalisationScope;
}

/**
 * Importance scores for every class's bins: `rs[c][n]`, `ds[c][n]` are the scores of bin n of class c.
 * Returns one ImportanceResult per class; with scope "global" each result's statistics (mean, std,
 * cv, shrink) are the pooled ones and its z-scores are its slice of the pooled z-scores.
 */
export function importanceByClass(
  rs: ReadonlyArray<ArrayLike<number>>,
  ds: ReadonlyArray<ArrayLike<number>>,
  options: ImportanceByClassOptions = {},
): ImportanceResult[] {
  if (rs.length !== ds.length)
    throw new RangeError(`rs and ds must have one entry per class, got ${rs.length} and ${ds.length}`);
  const { scope = "class" } = options;
  if (scope !== "class" && scope !== "global")
    throw new RangeError(`scope must be "class" or "global", got ${String(scope)}`);
  if (scope === "class") return rs.map((r, c) => importanceScores(r, ds[c]!, options));

  const lengths = rs.map((r, c) => {
    if (r.length !== ds[c]!.length)
      throw new RangeError(`class ${c}: rs and ds have ${r.length} and ${ds[c]!.length} bins`);
    return r.length;
  });
  const flat = (parts: ReadonlyArray<ArrayLike<number>>) => {
    const out: number[] = [];
    for (const p of parts) for (let i = 0; i < p.length; i++) out.push(p[i]!);
    return out;
  };
  const pooled = importanceScores(flat(rs), flat(ds), options);
  const results: ImportanceResult[] = [];
  let off = 0;
  for (const len of lengths) {
    const slice = (s: NormalisedScore): NormalisedScore => ({
      ...s,
      raw: s.raw.slice(off, off + len),
      z: s.z.slice(off, off + len),
    });
    results.push({
      rs: slice(pooled.rs),
      ds: slice(pooled.ds),
      importance: pooled.importance.slice(off, off + len),
    });
    off += len;
  }
  return results;
}

/**
 * Noise standard deviation of a per-bin score from repeated runs (e.g. different seeds):
 * `replicates[r][n]` is run r's score of bin n. Returns the pooled within-bin standard deviation
 * sqrt(Σ_n Σ_r (x_rn − x̄_n)² / (m·(R − 1))) — the spread one run's score has around its bin's mean,
 * to pass as `{ value, kind: "std" }`. (If the scores used are averages of k runs, divide by √k.)
 */
export function replicateNoiseStd(replicates: ReadonlyArray<ArrayLike<number>>): number {
  const runs = replicates.length;
  if (runs < 2) throw new RangeError(`replicates needs at least 2 runs, got ${runs}`);
  const m = replicates[0]!.length;
  for (let r = 0; r < runs; r++)
    if (replicates[r]!.length !== m)
      throw new RangeError(`replicates[${r}] has ${replicates[r]!.length} bins, expected ${m}`);
  if (m === 0) return 0;
  let ss = 0;
  for (let n = 0; n < m; n++) {
    let mean = 0;
    for (let r = 0; r < runs; r++) {
      const v = replicates[r]![n]!;
      if (!Number.isFinite(v)) throw new RangeError(`replicates[${r}][${n}] must be finite, got ${v}`);
      mean += v;
    }
    mean /= runs;
    for (let r = 0; r < runs; r++) ss += (replicates[r]![n]! - mean) ** 2;
  }
  return Math.sqrt(ss / (m * (runs - 1)));
}
