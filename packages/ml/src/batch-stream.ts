/**
 * The batch loop shared by the readers whose items are loaded one by one (ImageFolder on disk
 * or S3, WebDataset): bounded-concurrency ordered loads (pool.ts), bad files skipped or thrown, fixed
 * size batches. Memory: at most 4 × concurrency decoded images ahead of the batch.
 */
import type { BatchOptions, DatasetBatch, DatasetItem, SkippedFile } from "./dataset-types.ts";
import { BadImageError } from "./decode.ts";
import { orderedMap } from "./pool.ts";
import type { RasterImage } from "./raster.ts";
import { checkBatchSize, resolveIndices } from "./reader-util.ts";

export async function* batchStream(
  items: readonly DatasetItem[],
  batchSize: number,
  opts: BatchOptions,
  load: (item: DatasetItem) => Promise<RasterImage>,
  config: { concurrency: number; skipBadFiles: boolean; skipped: Map<string, SkippedFile> },
): AsyncGenerator<DatasetBatch, void, undefined> {
  checkBatchSize(batchSize);
  const order = resolveIndices(opts.indices, items.length);
  let batch: DatasetBatch = { indices: [], items: [], images: [] };
  for await (const r of orderedMap(order, (i) => load(items[i]!), { concurrency: config.concurrency })) {
    opts.signal?.throwIfAborted();
    const item = items[r.input]!;
    if (!r.ok) {
      if (config.skipBadFiles && r.error instanceof BadImageError) {
        if (!config.skipped.has(item.id))
          config.skipped.set(item.id, { id: item.id, path: item.source, reason: r.error.reason });
        continue;
      }
      throw r.error;
    }
    batch.indices.push(r.input);
    batch.items.push(item);
    batch.images.push(r.value);
    if (batch.images.length === batchSize) {
      yield batch;
      batch = { indices: [], items: [], images: [] };
    }
  }
  if (batch.images.length > 0) yield batch;
}
