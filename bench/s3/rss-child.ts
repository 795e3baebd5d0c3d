/**
 * Child of bench/s3/run.ts: lists and streams a data set once (describe, then every image
 * decoded in batches of 256), then prints one JSON line with its peak RSS. A process of its own
 * so that the peak belongs to this data set alone.
 */
import { openDataset } from "@adq/ml";

const uri = process.argv[2]!;
const t0 = Date.now();
const reader = await openDataset(uri);
const desc = await reader.describe();
const listedMs = Date.now() - t0;
let n = 0;
for await (const b of reader.batches(256)) n += b.images.length;
process.stdout.write(
  `${JSON.stringify({ uri, items: desc.size, decoded: n, listedMs, totalMs: Date.now() - t0, maxRssMiB: process.resourceUsage().maxRSS / 1024 })}\n`,
);
