/** Descriptive statistics for tests and benchmarks (pure; NaN where a value is undefined). */

export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return xs.length ? s / xs.length : Number.NaN;
}

export function std(xs: ArrayLike<number>): number {
  if (xs.length < 2) return Number.NaN;
  const m = mean(xs);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (xs[i]! - m) ** 2;
  return Math.sqrt(s / (xs.length - 1));
}

export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError("pearson: lengths differ");
  const ma = mean(a);
  const mb = mean(b);
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : Number.NaN;
}

/** Ranks with ties averaged (1-based). */
export function ranks(xs: ArrayLike<number>): Float64Array {
  const order = Array.from({ length: xs.length }, (_, i) => i).sort((i, j) => xs[i]! - xs[j]!);
  const r = new Float64Array(xs.length);
  for (let k = 0; k < order.length; ) {
    let e = k;
    while (e + 1 < order.length && xs[order[e + 1]!] === xs[order[k]!]) e++;
    for (let q = k; q <= e; q++) r[order[q]!] = (k + e) / 2 + 1;
    k = e + 1;
  }
  return r;
}

export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return pearson(ranks(a), ranks(b));
}

/**
 * Cosine of rows i and j of a row-major matrix with d columns, the textbook way (one pass, no
 * normalisation first); 0 when either row is zero. The reference the fast kernels are tested on.
 */
export function rowCosine(v: ArrayLike<number>, d: number, i: number, j: number): number {
  let dot = 0;
  let ni = 0;
  let nj = 0;
  for (let t = 0; t < d; t++) {
    dot += v[i * d + t]! * v[j * d + t]!;
    ni += v[i * d + t]! ** 2;
    nj += v[j * d + t]! ** 2;
  }
  return ni === 0 || nj === 0 ? 0 : dot / Math.sqrt(ni * nj);
}
