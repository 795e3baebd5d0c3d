/**
 * DQ's similarity sim(a, b) = 0.5 + 0.5·cos(a, b) (cosine mapped to [0, 1]), computed from a
 * CosineSpace in blocks so that memory stays bounded.
 *
 * Memory bounds: simRow / simColumnSums use only the caller's output array (plus O(d) scratch);
 * forEachSimBlock holds one blockRows × |cols| float64 block; similarityMatrix holds exactly one
 * |items|² float64 matrix (8·n_c² bytes for a class of n_c items: 200 MB at n_c = 5,000), so
 * callers build it for one class at a time. The fast GraphCut never needs the matrix at all.
 */
import type { CosineSpace } from "./gradient-embedding.ts";

/** sim = 0.5 + 0.5·cos. */
export function simFromCos(cos: number): number {
  return 0.5 + 0.5 * cos;
}

/** out[j] = sim(i, cols[j]) (or sim(i, j) for all j < n). O(len·pairCost), no allocation. */
export function simRow(space: CosineSpace, i: number, out: Float64Array, cols?: Int32Array): void {
  space.cosRow(i, out, cols);
  const len = cols ? cols.length : space.n;
  for (let j = 0; j < len; j++) out[j] = 0.5 + 0.5 * out[j]!;
}

/**
 * out[j] = Σ_{p ∈ pool} sim(p, targets[j]) = 0.5·|pool| + 0.5·Σ_p cos(p, targets[j]), float64.
 * O((|pool| + |targets|)·d) time through CosineSpace.cosSums; no matrix.
 */
export function simColumnSums(
  space: CosineSpace,
  pool: Int32Array,
  out: Float64Array,
  targets: Int32Array = pool,
): void {
  space.cosSums(pool, out, targets);
  const half = 0.5 * pool.length;
  for (let j = 0; j < targets.length; j++) out[j] = half + 0.5 * out[j]!;
}

/**
 * Stream the similarity matrix rows × cols in blocks of at most blockRows rows:
 * fn(block, r0, r1) receives block[(r − r0)·|cols| + j] = sim(rows[r], cols[j]) for r0 ≤ r < r1.
 * The block buffer is reused between calls (copy what you keep). Memory: blockRows·|cols|·8 bytes.
 */
export function forEachSimBlock(
  space: CosineSpace,
  rows: Int32Array,
  cols: Int32Array,
  blockRows: number,
  fn: (block: Float64Array, r0: number, r1: number) => void,
): void {
  if (!Number.isInteger(blockRows) || blockRows < 1)
    throw new RangeError(`blockRows must be an integer ≥ 1, got ${blockRows}`);
  const w = cols.length;
  const block = new Float64Array(Math.min(blockRows, Math.max(rows.length, 1)) * w);
  for (let r0 = 0; r0 < rows.length; r0 += blockRows) {
    const r1 = Math.min(rows.length, r0 + blockRows);
    for (let r = r0; r < r1; r++)
      simRow(space, rows[r]!, block.subarray((r - r0) * w, (r - r0 + 1) * w), cols);
    fn(block, r0, r1);
  }
}

/**
 * The full |items|×|items| similarity matrix (row-major float64), for one class at a time.
 * O(|items|²·pairCost) time, 8·|items|² bytes. Only the reference GraphCut and tests use it.
 */
export function similarityMatrix(space: CosineSpace, items: Int32Array): Float64Array {
  const m = items.length;
  const S = new Float64Array(m * m);
  for (let r = 0; r < m; r++) simRow(space, items[r]!, S.subarray(r * m, (r + 1) * m), items);
  return S;
}

/** Int32Array [0, 1, …, n−1]. */
export function range(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}
