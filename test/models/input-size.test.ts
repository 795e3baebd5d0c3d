import { join } from "node:path";
import { REPO_ROOT } from "@adq/cli";
import { FeatureModel, runSideFor } from "@adq/ml";
import { RUN_PIXELS, runBatch, SMALL_IMAGE_UPSCALE, sessionOptions } from "@adq/ml/testing";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";

// The general backbone's symbolic input side (models/scripts/dynamic_input_size.py): one file,
// run at any multiple of 32; the fast default runs small images at 4× their side.
const GENERAL = join(REPO_ROOT, "models", "efficientnet-lite0.onnx");
const RESNET = join(REPO_ROOT, "models", "resnet20-cifar10.onnx");

function pattern(n: number, s: number): Float32Array {
  const x = new Float32Array(n * 3 * s * s);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.37) * 1.5;
  return x;
}

describe("feature model input side", () => {
  it("EfficientNet-Lite0 runs at its own 224 by default and at 128 when asked, feature map 7×7 vs 4×4", async () => {
    const full = await FeatureModel.load(GENERAL, { threads: 1 });
    expect([full.inputSize, full.defaultSize, full.sizeMultiple]).toEqual([224, 224, 32]);
    expect(full.dims.featureMap).toEqual([1280, 7, 7]);
    const small = await FeatureModel.load(GENERAL, { threads: 1 }, {}, { inputSize: 128 });
    expect(small.inputSize).toBe(128);
    expect(small.dims.featureMap).toEqual([1280, 4, 4]);
    expect(small.dims.embedding).toBe(1280);
    const out = await small.run(pattern(2, 128), 2);
    expect(out.embedding).toHaveLength(2 * 1280);
    expect(out.logits).toHaveLength(2 * 1000);
    expect(out.embedding.every(Number.isFinite)).toBe(true);
    // Deterministic: the same input gives the same bits.
    const again = await small.run(pattern(2, 128), 2);
    expect(Buffer.from(again.embedding.buffer).equals(Buffer.from(out.embedding.buffer))).toBe(true);
    await full.release();
    await small.release();
  }, 60_000);

  it("splits a batch into calls of RUN_PIXELS and gives the bits of one call of the whole batch", async () => {
    // The features (hence CCS's selection) must not depend on how a batch reaches ONNX Runtime:
    // 11 images at 128 go as 8 + 3, 5 at 224 as 2 + 2 + 1; one plain session call takes each whole.
    expect([runBatch(128), runBatch(224), runBatch(32), RUN_PIXELS]).toEqual([8, 2, 128, 8 * 128 * 128]);
    for (const [side, n] of [
      [128, 11],
      [224, 5],
    ] as const) {
      const model = await FeatureModel.load(GENERAL, { threads: 1 }, {}, { inputSize: side });
      const x = pattern(n, side);
      const split = await model.run(x, n);
      const plain = await ort.InferenceSession.create(GENERAL, sessionOptions({ threads: 1 }));
      const whole = await plain.run({ images: new ort.Tensor("float32", x, [n, 3, side, side]) });
      for (const [k, name] of [
        ["embedding", "embedding"],
        ["logits", "logits"],
        ["featureMap", "feature_map"],
      ] as const) {
        const a = split[k]!;
        const b = whole[name]!.data as Float32Array;
        expect(a.length).toBe(b.length);
        expect(
          Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
            Buffer.from(b.buffer, b.byteOffset, b.byteLength),
          ),
        ).toBe(true);
      }
      await plain.release();
      await model.release();
    }
  }, 60_000);

  it("refuses a side that is not a multiple of 32, and any other side for a model that runs at one only", async () => {
    await expect(FeatureModel.load(GENERAL, { threads: 1 }, {}, { inputSize: 112 })).rejects.toThrow(
      /input size 112 is not a positive multiple of 32 \(adq\.input\.size_multiple\)/,
    );
    await expect(FeatureModel.load(RESNET, { threads: 1 }, {}, { inputSize: 64 })).rejects.toThrow(
      /resnet20-cifar10\.onnx: runs at 32×32 only .*input size 64 is not possible/,
    );
    // Its own side is always fine.
    const r = await FeatureModel.load(RESNET, { threads: 1 }, {}, { inputSize: 32 });
    expect(r.sizeMultiple).toBeNull();
    await r.release();
  }, 60_000);

  it("runSideFor: 4× the image side, rounded up to the multiple, capped at the model's own side", () => {
    const eff = { defaultSize: 224, sizeMultiple: 32 };
    expect(SMALL_IMAGE_UPSCALE).toBe(4);
    expect(runSideFor(32, eff)).toBe(128); // CIFAR-10
    expect(runSideFor(28, eff)).toBe(128); // MNIST: 112 rounded up
    expect(runSideFor(64, eff)).toBe(224); // EuroSAT: 256 capped
    expect(runSideFor(500, eff)).toBe(224);
    expect(runSideFor(4, eff)).toBe(32); // never below one multiple
    expect(runSideFor(0, eff)).toBe(224); // unknown size: the model's own
    expect(runSideFor(32, { defaultSize: 32, sizeMultiple: null })).toBe(32);
  });
});
