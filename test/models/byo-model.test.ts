import { join } from "node:path";
import { REPO_ROOT } from "@adq/cli";
import { FeatureModel } from "@adq/ml";
import { describe, expect, it } from "vitest";

// Bring-your-own ONNX models (test/fixtures/models, made by models/scripts/make_byo_fixtures.py):
// tiny seeded CNNs without adq.* metadata and with graph names that are not the contract's.
const M = (f: string) => join(REPO_ROOT, "test", "fixtures", "models", f);

describe("feature model: bring your own", () => {
  it("loads a model with other graph names when they are given; input size from its static shape, ImageNet stats", async () => {
    const m = await FeatureModel.load(
      M("byo-renamed.onnx"),
      { threads: 1 },
      { input: "pixel_values", embedding: "feats", logits: "scores", featureMap: "last_conv" },
    );
    expect(m.inputSize).toBe(16);
    expect(m.dims).toEqual({ embedding: 8, classes: 5, pooled: 0, featureMap: [8, 4, 4] });
    expect(m.mean).toEqual([0.485, 0.456, 0.406]);
    expect(m.classNames).toBeUndefined();
    const out = await m.run(new Float32Array(2 * 3 * 16 * 16).fill(0.5), 2);
    expect(out.embedding).toHaveLength(16);
    expect(out.featureMap).toHaveLength(2 * 8 * 16);
    await m.release();
  });

  it("a model without a feature map loads (patch dropping falls back to texture)", async () => {
    const m = await FeatureModel.load(
      M("byo-nomap.onnx"),
      { threads: 1 },
      { input: "pixel_values", embedding: "feats", logits: "scores" },
    );
    expect(m.dims.featureMap).toBeNull();
    await m.release();
  });

  it("names what does not fit: missing names (and the flag to set), dtypes, shapes", async () => {
    const cases: Array<[string, object, RegExp]> = [
      [
        "byo-renamed.onnx",
        {},
        /input "images" is missing \(inputs: pixel_values; name another with --model-input\)/,
      ],
      [
        "byo-renamed.onnx",
        { input: "pixel_values" },
        /output "embedding" is missing \(outputs: feats, scores, last_conv; name the embedding output with --model-embedding-output\)/,
      ],
      [
        "byo-renamed.onnx",
        { input: "pixel_values", embedding: "feats", logits: "scores", featureMap: "conv9" },
        /output "conv9" \(--model-feature-map-output\) is missing/,
      ],
      ["byo-int-logits.onnx", {}, /output "logits" is int64; it must be float32/],
      ["byo-gray-input.onnx", {}, /input "images" has shape \[N,1,16,16\]; it must be \[N,3,S,S\]/],
      [
        "byo-3d-embedding.onnx",
        {},
        /output "embedding" has shape \[1,1,8\] for one image; it must be \[N,D\]/,
      ],
      ["byo-renamed.onnx", { input: " " }, /--model-input must name a graph value/],
    ];
    for (const [file, names, re] of cases) {
      await expect(
        FeatureModel.load(M(file), { threads: 1 }, names),
        `${file} ${JSON.stringify(names)}`,
      ).rejects.toThrow(re);
    }
  });
});

describe("general backbone: EfficientNet-Lite0 (float32 default, int8)", () => {
  it.each(["efficientnet-lite0.onnx", "efficientnet-lite0-int8.onnx"])(
    "%s satisfies the feature-model contract: 224×224 input, 1,280-d embedding, 1,000 ImageNet logits, feature map, pooled",
    async (file) => {
      const m = await FeatureModel.load(join(REPO_ROOT, "models", file), { threads: 1 });
      expect(m.inputSize).toBe(224);
      expect(m.dims).toEqual({ embedding: 1280, classes: 1000, pooled: 152, featureMap: [1280, 7, 7] });
      expect(m.classNames).toHaveLength(1000);
      expect(m.classNames![404]).toBe("airliner");
      expect(m.mean).toEqual([0.498, 0.498, 0.498]);
      expect(m.head).toBeUndefined();
      await m.release();
    },
  );
});
