/**
 * Features throughput of the general backbone (EfficientNet-Lite0, 224×224) on these cores:
 * decode + resize + ONNX Runtime, float32 and int8, against the same model in PyTorch (PIL
 * decode), all in one run, on every k-th EuroSAT tile (all classes).
 *
 *   npx tsx bench/features-general.bench.ts <eurosat/train> --limit 1000 \
 *     --float32 /tmp/effnet/efficientnet-lite0.onnx --python /tmp/effvenv/bin/python
 * (the float32 model and the venv come from models/scripts/export_efficientnet_lite0.py).
 */
import { execFileSync } from "node:child_process";
import { parseArgs } from "node:util";
import { FeatureModel, openDataset, resizeRaster, toNchw } from "@adq/ml";
import { spreadIndices } from "./spread.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    limit: { type: "string", default: "1000" },
    batch: { type: "string", default: "32" },
    float32: { type: "string", default: "/tmp/effnet/efficientnet-lite0.onnx" },
    python: { type: "string", default: "/tmp/effvenv/bin/python" },
  },
});
const root = positionals[0]!;
const limit = Number(values.limit);
const batch = Number(values.batch);

async function measure(file: string): Promise<{ images: number; seconds: number; imagesPerSecond: number }> {
  const model = await FeatureModel.load(file);
  const reader = await openDataset(root);
  const desc = await reader.describe();
  const indices = spreadIndices(desc.size, limit);
  const norm = { mean: model.mean as [number, number, number], std: model.std as [number, number, number] };
  const t0 = performance.now();
  let n = 0;
  for await (const b of reader.batches(batch, { indices })) {
    const sized = await Promise.all(b.images.map((im) => resizeRaster(im, model.inputSize)));
    await model.run(toNchw(sized, norm).data, sized.length);
    n += sized.length;
  }
  const seconds = (performance.now() - t0) / 1000;
  await model.release();
  return { images: n, seconds, imagesPerSecond: n / seconds };
}

const f32 = await measure(values.float32!);
const i8 = await measure(new URL("../models/efficientnet-lite0-int8.onnx", import.meta.url).pathname);
const torch = JSON.parse(
  execFileSync(
    values.python!,
    [
      new URL("features_general_torch.py", import.meta.url).pathname,
      root,
      "--limit",
      String(limit),
      "--batch",
      String(batch),
    ],
    {
      encoding: "utf8",
    },
  )
    .trim()
    .split("\n")
    .at(-1)!,
) as { images: number; seconds: number; images_per_s: number };
const row = (name: string, r: { images: number; seconds: number }, ips: number) =>
  `| ${name} | ${r.images} | ${r.seconds.toFixed(1)} | ${ips.toFixed(1)} |`;
console.log("| path | images | seconds | images/s |\n| --- | ---: | ---: | ---: |");
console.log(row("decode + ONNX Runtime, float32", f32, f32.imagesPerSecond));
console.log(row("decode + ONNX Runtime, int8 (default general model)", i8, i8.imagesPerSecond));
console.log(row("PIL decode + PyTorch, float32 (same model)", torch, torch.images_per_s));
console.log(`ratio (ONNX float32 / PyTorch): ${(f32.imagesPerSecond / torch.images_per_s).toFixed(2)}×`);
console.log(`ratio (ONNX int8 / PyTorch): ${(i8.imagesPerSecond / torch.images_per_s).toFixed(2)}×`);
console.log(JSON.stringify({ bench: "features-general", float32: f32, int8: i8, torch }));
