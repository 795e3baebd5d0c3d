/**
 * Benchmarks that time a subset of a data set take `limit` items spread evenly over it (every
 * step-th item, in the data set's order), so the subset has every class in its proportion.
 */
export function spreadIndices(size: number, limit: number): number[] {
  const step = Math.max(1, Math.floor(size / limit));
  const out: number[] = [];
  for (let i = 0; i < size && out.length < limit; i += step) out.push(i);
  return out;
}
