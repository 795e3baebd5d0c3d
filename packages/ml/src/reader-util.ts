/** Helpers shared by the dataset readers. */

const utf8 = new TextEncoder();

/**
 * Byte-wise comparison of the UTF-8 encodings: the same order on every machine and locale
 * (unlike localeCompare), and the order of Python's sorted() on str for all BMP names, so
 * ids and labels match a torchvision ImageFolder over the same tree.
 */
export function byteCompare(a: string, b: string): number {
  return Buffer.compare(utf8.encode(a), utf8.encode(b));
}

export function checkBatchSize(batchSize: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`batch size must be a positive integer, got ${batchSize}`);
}

/** The item indices a pass visits: the caller's subset in the caller's order, or all items. */
export function resolveIndices(indices: readonly number[] | undefined, size: number): readonly number[] {
  if (indices === undefined) return Array.from({ length: size }, (_, i) => i);
  for (const i of indices)
    if (!Number.isInteger(i) || i < 0 || i >= size)
      throw new RangeError(`item index ${i} is out of range for a dataset of ${size} items`);
  return indices;
}
