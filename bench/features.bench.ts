/**
 * Features-stage throughput: decode (sharp) + preprocess + ResNet-20 (ONNX Runtime, all four
 * contract outputs) over an ImageFolder, against the same model in PyTorch (PIL decode) on the
 * same machine in the same run.
 *
 *   npx tsx bench/features.bench.ts [--data /tmp/cifar/cifar10/train] [--limit N] [--batch 256]
 *
 * Prints a table and a JSON line. The ratio is ONNX-path images/s over PyTorch images/s.
 */
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { FeatureModel, openDataset, toNchw } from "#ml";

const { values } = parseArgs({
  options: {
    data: { type: "string", default: "/tmp/cifar/cifar10/train" },
    limit: { type: "string", default: "0" },
    batch: { type: "string", default: "256" },
    model: { type: "string", default: resolve("models/resnet20-cifar10.onnx") },
    checkpoint: { type: "string", default: "" },
  },
});
const limit = Number(values.limit);
const batchSize = Number(values.batch);

async function onnxPath(): Promise<{ images: number; seconds: number; maxRssMiB: number }> {
  const model = await FeatureModel.load(values.model!);
  const reader = await openDataset(values.data!);
  const desc = await reader.describe();
  const n = limit > 0 ? Math.min(limit, desc.size) : desc.size;
  const indices = Array.from({ length: n }, (_, i) => i);
  const norm = { mean: model.mean as [number, number, number], std: model.std as [number, number, number] };
  const t0 = process.hrtime.bigint();
  let done = 0;
  // Overlap: while batch k runs in ONNX Runtime's threads, the reader decodes batch k+1.
  let pending: Promise<unknown> = Promise.resolve();
  for await (const batch of reader.batches(batchSize, { indices })) {
    const input = toNchw(batch.images, norm).data;
    await pending;
    pending = model.run(input, batch.images.length);
    done += batch.images.length;
  }
  await pending;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await model.release();
  return { images: done, seconds, maxRssMiB: process.resourceUsage().maxRSS / 1024 };
}

/** The model alone on one pre-built batch, repeated: the ceiling the decode path is held to. */
async function inferenceOnly(images: number): Promise<{ images: number; seconds: number }> {
  const model = await FeatureModel.load(values.model!);
  const input = new Float32Array(batchSize * 3 * model.inputSize * model.inputSize).fill(0.1);
  const rounds = Math.max(1, Math.round(images / batchSize));
  await model.run(input, batchSize); // warm-up
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) await model.run(input, batchSize);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await model.release();
  return { images: rounds * batchSize, seconds };
}

function torchPath(): { images: number; seconds: number; images_per_s: number; max_rss_mib: number } | null {
  try {
    const args = ["bench/features_torch.py", values.data!, "--batch", String(batchSize)];
    if (limit > 0) args.push("--limit", String(limit));
    if (values.checkpoint) args.push("--checkpoint", values.checkpoint);
    const out = execFileSync("/usr/bin/python3", args, { encoding: "utf8" });
    return JSON.parse(out.trim().split("\n").at(-1)!);
  } catch (e) {
    process.stderr.write(`PyTorch baseline unavailable: ${(e as Error).message.split("\n")[0]}\n`);
    return null;
  }
}

const ort = await onnxPath();
const inf = await inferenceOnly(Math.min(ort.images, 10_000));
const torch = torchPath();
const ips = ort.images / ort.seconds;
const rows = [
  `| path | images | seconds | images/s | peak RSS MiB |`,
  `| --- | ---: | ---: | ---: | ---: |`,
  `| sharp decode + ONNX Runtime (this project) | ${ort.images} | ${ort.seconds.toFixed(1)} | ${ips.toFixed(0)} | ${ort.maxRssMiB.toFixed(0)} |`,
  `| ONNX Runtime inference only (no decode), batch ${batchSize} | ${inf.images} | ${inf.seconds.toFixed(1)} | ${(inf.images / inf.seconds).toFixed(0)} | – |`,
];
if (torch)
  rows.push(
    `| PIL decode + PyTorch ${"(same model)"} | ${torch.images} | ${torch.seconds.toFixed(1)} | ${torch.images_per_s.toFixed(0)} | ${torch.max_rss_mib.toFixed(0)} |`,
  );
process.stdout.write(`${rows.join("\n")}\n`);
if (torch)
  process.stdout.write(`ratio (ours / PyTorch images/s): ${(ips / torch.images_per_s).toFixed(2)}×\n`);
process.stdout.write(
  `${JSON.stringify({ bench: "features", onnx: { ...ort, imagesPerSecond: ips }, inferenceOnly: { ...inf, imagesPerSecond: inf.images / inf.seconds }, torch, ratio: torch ? ips / torch.images_per_s : null })}\n`,
);
