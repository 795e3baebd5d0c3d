/** What the reader tests share. */
import type { DatasetBatch, DatasetReader } from "./dataset.ts";

/** Every batch a reader yields (of `indices`, or of the whole data set). */
export async function batchesOf(
  reader: DatasetReader,
  batchSize: number,
  indices?: number[],
): Promise<DatasetBatch[]> {
  const out: DatasetBatch[] = [];
  for await (const b of reader.batches(batchSize, indices ? { indices } : {})) out.push(b);
  return out;
}
