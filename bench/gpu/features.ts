/**
 * Features images/s of the general backbone on one execution provider (bench/gpu/run.sh):
 * `limit` images of an ImageFolder, decoded and resized once, then ONNX Runtime timed alone
 * (after one warm-up pass) at each side. Fails, rather than reporting CPU numbers as GPU ones,
 * when `--execution-provider cuda` fell back to CPU.
 *
 *   npx tsx bench/gpu/features.ts <dataset> --execution-provider cuda --limit 4096 --sides 128,224
 */
import { parseArgs } from "node:util";
import { FeatureModel, openDataset, type RasterImage, resizeRaster, toNchw } from "@adq/ml";
import { spreadIndices } from "../spread.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    "execution-provider": { type: "string", default: "cpu" },
    limit: { type: "string", default: "4096" },
    batch: { type: "string", default: "128" },
    sides: { type: "string", default: "128,224" },
    model: {
      type: "string",
      default: new URL("../../models/efficientnet-lite0.onnx", import.meta.url).pathname,
    },
  },
});
const ep = values["execution-provider"] as "cpu" | "cuda";
const limit = Number(values.limit);
const batch = Number(values.batch);
const reader = await openDataset(positionals[0]!);
const desc = await reader.describe();
const indices = spreadIndices(desc.size, limit);
const images: RasterImage[] = [];
for await (const b of reader.batches(256, { indices })) images.push(...b.images);
for (const side of values.sides!.split(",").map(Number)) {
  let fellBack = "";
  const model = await FeatureModel.load(
    values.model!,
    { executionProvider: ep, warn: (m) => (fellBack = m) },
    {},
    { inputSize: side },
  );
  if (ep === "cuda" && fellBack) throw new Error(`CUDA not used: ${fellBack}`);
  const norm = { mean: model.mean as [number, number, number], std: model.std as [number, number, number] };
  const x = toNchw(await Promise.all(images.map((im) => resizeRaster(im, side))), norm).data;
  const per = 3 * side * side;
  const pass = async () => {
    for (let i = 0; i < images.length; i += batch) {
      const m = Math.min(batch, images.length - i);
      await model.run(x.subarray(i * per, (i + m) * per), m);
    }
  };
  await pass();
  const t0 = performance.now();
  await pass();
  const s = (performance.now() - t0) / 1000;
  process.stdout.write(
    `${JSON.stringify({ provider: ep, side, images: images.length, batch, seconds: +s.toFixed(3), imagesPerSecond: +(images.length / s).toFixed(1) })}\n`,
  );
  await model.release();
}
