/**
 * Throughput of the ML data layer: JPEG decode (sharp) + NCHW normalisation, CIFAR-10 binary
 * reads, and contrastive views, over N CIFAR-10 training images.
 *
 *   npx tsx bench/ml-decode.bench.ts [/tmp/cifar/cifar10/train] [N=5000]
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import {
  CIFAR10_NORMALIZATION,
  Cifar10BinaryReader,
  contrastiveView,
  type DatasetReader,
  encodeCifarRecord,
  ImageFolderReader,
  toNchw,
} from "@adq/ml";
import sharp from "sharp";

const root = process.argv[2] ?? "/tmp/cifar/cifar10/train";
const n = Number(process.argv[3] ?? 5000);
const BATCH = 256;

let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 20);

async function timePass(
  label: string,
  reader: DatasetReader,
  indices: number[],
  work?: (imgs: import("@adq/ml").RasterImage[]) => void,
): Promise<void> {
  const t0 = performance.now();
  let count = 0;
  for await (const b of reader.batches(BATCH, { indices })) {
    work?.(b.images);
    count += b.images.length;
  }
  const s = (performance.now() - t0) / 1000;
  console.log(`${label.padEnd(52)} ${count} images  ${s.toFixed(2)} s  ${(count / s).toFixed(0)} img/s`);
}

const t0 = performance.now();
const folder = new ImageFolderReader(root);
const desc = await folder.describe();
console.log(
  `describe(): ${desc.size} items, ${desc.classes.length} classes in ${(performance.now() - t0).toFixed(0)} ms`,
);
// Every k-th item: all classes, files spread over the tree.
const step = Math.max(1, Math.floor(desc.size / n));
const indices = Array.from({ length: Math.min(n, desc.size) }, (_, i) => i * step);
console.log(
  `node ${process.version}, ${availableParallelism()} CPUs, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? "4 (default)"}`,
);

const buf = new Float32Array(BATCH * 3 * 32 * 32);
const nchw = (imgs: import("@adq/ml").RasterImage[]) => {
  toNchw(imgs, CIFAR10_NORMALIZATION, buf);
};
await timePass(
  "warm-up (ImageFolder decode, concurrency 8)",
  new ImageFolderReader(root),
  indices.slice(0, 500),
);
{
  // Baseline: bare readFile + sharp, 8 workers, no reader, no checks.
  const files = indices.map((i) => desc.items[i]!.source);
  const t = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const f = files[next++]!;
      await sharp(await readFile(f))
        .removeAlpha()
        .toColourspace("srgb")
        .raw()
        .toBuffer();
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  const s = (performance.now() - t) / 1000;
  console.log(
    `${"baseline: bare readFile + sharp, 8 workers".padEnd(52)} ${files.length} images  ${s.toFixed(2)} s  ${(files.length / s).toFixed(0)} img/s`,
  );
}
for (const c of [4, 8, 16]) {
  await timePass(
    `ImageFolder decode, concurrency ${c}`,
    new ImageFolderReader(root, { concurrency: c }),
    indices,
  );
}
await timePass("ImageFolder decode + toNchw (concurrency 8)", new ImageFolderReader(root), indices, nchw);

// A CIFAR binary batch of the same images, to time the record path.
const dir = await mkdtemp(join(tmpdir(), "adq-bench-"));
const records: Uint8Array[] = [];
for await (const b of new ImageFolderReader(root).batches(BATCH, { indices }))
  for (const [k, img] of b.images.entries()) records.push(encodeCifarRecord(b.items[k]!.label, img));
await writeFile(join(dir, "data_batch_1.bin"), Buffer.concat(records));
const bin = new Cifar10BinaryReader(dir);
await bin.describe();
await timePass(
  "CIFAR binary read + toNchw",
  bin,
  Array.from({ length: records.length }, (_, i) => i),
  nchw,
);
await rm(dir, { recursive: true, force: true });

await timePass(
  "ImageFolder decode + 1 view each + toNchw of both",
  new ImageFolderReader(root),
  indices,
  (imgs) => {
    const views = imgs.map((img, k) => contrastiveView(img, 0, String(k), 0));
    toNchw(imgs, CIFAR10_NORMALIZATION, buf);
    toNchw(views, CIFAR10_NORMALIZATION, buf);
  },
);

clearInterval(sampler);
console.log(`peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
