/**
 * Features-stage throughput: decode + preprocess + ResNet-20 (ONNX Runtime, all four contract
 * outputs) over an ImageFolder, with the small-JPEG fast path (the default) and with sharp
 * only (the baseline decoder), against the same model in PyTorch (PIL decode) on the same
 * machine in the same run.
 *
 *   npx tsx bench/features.bench.ts [--data /tmp/cifar/cifar10/train] [--limit N] [--batch 256]
 *                                   [--checkpoint resnet20.pt] [--decoder both|fast|sharp]
 *                                   [--int8 models/resnet20-cifar10-int8.onnx | --int8 ""]
 *
 * Prints a table and a JSON line. The ratio is ONNX-path images/s over PyTorch images/s.
 */
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { FeatureModel, openDataset, toNchw } from "@adq/ml";

const { values } = parseArgs({
  options: {
    data: { type: "string", default: "/tmp/cifar/cifar10/train" },
    limit: { type: "string", default: "0" },
    batch: { type: "string", default: "256" },
    model: { type: "string", default: resolve("models/resnet20-cifar10.onnx") },
    checkpoint: { type: "string", default: "" },
    decoder: { type: "string", default: "both" },
    // The int8 quantization of the model (models/README.md), measured too; "" skips it.
    int8: { type: "string", default: resolve("models/resnet20-cifar10-int8.onnx") },
    // Skip the PyTorch baseline (quick A/B runs of our own paths only).
    "no-torch": { type: "boolean", default: false },
  },
});
if (!["both", "fast", "sharp"].includes(values.decoder!))
  throw new Error(`--decoder must be both, fast or sharp, got ${values.decoder}`);
const limit = Number(values.limit);
const batchSize = Number(values.batch);

async function onnxPath(
  fastJpeg: boolean,
  modelFile = values.model!,
): Promise<{ images: number; seconds: number; maxRssMiB: number }> {
  const model = await FeatureModel.load(modelFile);
  const reader = await openDataset(values.data!, { fastJpeg });
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
async function inferenceOnly(
  images: number,
  modelFile = values.model!,
): Promise<{ images: number; seconds: number }> {
  const model = await FeatureModel.load(modelFile);
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

// The baseline decoder first, so the fast path's peak RSS (process-wide) is not flattered.
const sharpOnly = values.decoder !== "fast" ? await onnxPath(false) : null;
const fast = values.decoder !== "sharp" ? await onnxPath(true) : null;
const ort = (fast ?? sharpOnly)!;
const inf = await inferenceOnly(Math.min(ort.images, 10_000));
const int8 = values.int8 ? await onnxPath(values.decoder !== "sharp", values.int8) : null;
const inf8 = values.int8 ? await inferenceOnly(Math.min(ort.images, 10_000), values.int8) : null;
const torch = values["no-torch"] ? null : torchPath();
const ips = ort.images / ort.seconds;
const row = (label: string, r: { images: number; seconds: number; maxRssMiB?: number }) =>
  `| ${label} | ${r.images} | ${r.seconds.toFixed(1)} | ${(r.images / r.seconds).toFixed(0)} | ${r.maxRssMiB?.toFixed(0) ?? "–"} |`;
const rows = [`| path | images | seconds | images/s | peak RSS MiB |`, `| --- | ---: | ---: | ---: | ---: |`];
if (fast) rows.push(row("small-JPEG fast path + ONNX Runtime (this project, default)", fast));
if (sharpOnly) rows.push(row("sharp decode + ONNX Runtime (baseline decoder)", sharpOnly));
rows.push(row(`ONNX Runtime inference only (no decode), batch ${batchSize}`, inf));
if (int8) rows.push(row("small-JPEG fast path + int8 model (builtin://resnet20-cifar10-int8)", int8));
if (inf8) rows.push(row(`int8 model inference only (no decode), batch ${batchSize}`, inf8));
if (torch)
  rows.push(
    `| PIL decode + PyTorch (same model) | ${torch.images} | ${torch.seconds.toFixed(1)} | ${torch.images_per_s.toFixed(0)} | ${torch.max_rss_mib.toFixed(0)} |`,
  );
process.stdout.write(`${rows.join("\n")}\n`);
if (fast && sharpOnly)
  process.stdout.write(
    `ratio (fast path / sharp images/s): ${(fast.images / fast.seconds / (sharpOnly.images / sharpOnly.seconds)).toFixed(2)}×\n`,
  );
if (torch)
  process.stdout.write(`ratio (ours / PyTorch images/s): ${(ips / torch.images_per_s).toFixed(2)}×\n`);
if (torch && int8)
  process.stdout.write(
    `ratio (int8 model / PyTorch float32 images/s): ${(int8.images / int8.seconds / torch.images_per_s).toFixed(2)}×\n`,
  );
process.stdout.write(
  `${JSON.stringify({ bench: "features", onnx: { ...ort, imagesPerSecond: ips }, fast, sharpOnly, int8, inferenceOnlyInt8: inf8, inferenceOnly: { ...inf, imagesPerSecond: inf.images / inf.seconds }, torch, ratio: torch ? ips / torch.images_per_s : null })}\n`,
);
