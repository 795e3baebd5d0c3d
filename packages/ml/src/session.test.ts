// `executionProvider: "cuda"` on this machine's CPU-only onnxruntime-node: sessions fall back
// to CPU, the fallback is reported once per process (one line), and the models compute the
// same outputs as a plain CPU session. (This file has its own module state: vitest runs each
// test file in a fresh process, so "once per process" starts here.)
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { FeatureModel } from "./feature-model.ts";
import { MaeModel } from "./mae-model.ts";

const MODELS = join(dirname(fileURLToPath(import.meta.url)), "../../../models");
const ORT_BIN = join(
  dirname(fileURLToPath(import.meta.resolve("onnxruntime-node"))),
  "..",
  "bin",
  "napi-v6",
  process.platform,
  process.arch,
);

describe("execution provider cuda without CUDA binaries", () => {
  it("the npm package here has no CUDA provider (the premise of this test)", () => {
    expect(existsSync(join(ORT_BIN, "onnxruntime_binding.node"))).toBe(true);
    expect(existsSync(join(ORT_BIN, "libonnxruntime_providers_cuda.so"))).toBe(false);
  });

  it("falls back to CPU with one line per process and computes what a CPU session computes", async () => {
    const lines: string[] = [];
    const warn = (m: string) => lines.push(m);
    const cuda = await FeatureModel.load(join(MODELS, "resnet20-cifar10.onnx"), {
      threads: 1,
      executionProvider: "cuda",
      warn,
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^execution provider cuda unavailable, falling back to cpu: .*libonnxruntime_providers_cuda\.so is not installed/,
    );
    // A second session (another model) in the same process: no second line.
    const mae = await MaeModel.load(join(MODELS, "mae-cifar10.onnx"), { executionProvider: "cuda", warn });
    expect(lines).toHaveLength(1);
    await mae.release();

    const cpu = await FeatureModel.load(join(MODELS, "resnet20-cifar10.onnx"), { threads: 1 });
    const S = cpu.inputSize;
    const n = 2;
    const images = new Float32Array(n * 3 * S * S).map((_, i) => ((i * 7919) % 255) / 255);
    const a = await cuda.run(images, n);
    const b = await cpu.run(images, n);
    expect(a.logits).toEqual(b.logits);
    expect(a.embedding).toEqual(b.embedding);
    await cuda.release();
    await cpu.release();
  });
});
