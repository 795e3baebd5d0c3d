import { cpSync, mkdirSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultModelFor } from "./default-model.ts";
import { DEFAULT_DATASET, REPO_ROOT } from "./main.ts";

const MODELS = join(REPO_ROOT, "models");
const FIX = join(REPO_ROOT, "test", "fixtures", "datasets");

describe("default model rule", () => {
  it("CIFAR-10 classes and 32×32 images: the CIFAR-10 ResNet-20", async () => {
    const d = await defaultModelFor(DEFAULT_DATASET, MODELS, "adq-paper");
    expect(d.file).toBe(join(MODELS, "resnet20-cifar10.onnx"));
    // Some of CIFAR-10's classes count too (cifar-bin-small names all ten, holds three).
    expect((await defaultModelFor(join(FIX, "folder-small"), MODELS, "dq")).file).toBe(
      join(MODELS, "resnet20-cifar10.onnx"),
    );
  });

  it("CCS and ADQ: the general backbone whatever the data set (difficulty from a model that never saw it)", async () => {
    expect(await defaultModelFor(DEFAULT_DATASET, MODELS, "ccs")).toEqual({
      file: join(MODELS, "efficientnet-lite0.onnx"),
      reason: "CCS (coverage-centric) needs difficulty from a model that never trained on these images",
    });
    // adq is ADQ's best measured variant, on held-out signals (issue 34); adq-paper the paper's recipe.
    expect(await defaultModelFor(DEFAULT_DATASET, MODELS, "adq")).toEqual({
      file: join(MODELS, "efficientnet-lite0.onnx"),
      reason: "ADQ (adaptive) needs difficulty from a model that never trained on these images",
    });
    for (const method of ["adq-paper", "dq", "random"] as const)
      expect((await defaultModelFor(DEFAULT_DATASET, MODELS, method)).file).toBe(
        join(MODELS, "resnet20-cifar10.onnx"),
      );
  });

  it("other classes, or CIFAR-10 names on other image sizes: the general backbone", async () => {
    const general = join(MODELS, "efficientnet-lite0.onnx");
    expect(await defaultModelFor(join(FIX, "eurosat-slice"), MODELS, "adq-paper")).toEqual({
      file: general,
      reason: "its classes are not CIFAR-10's",
    });
    expect((await defaultModelFor(join(FIX, "mnist-slice"), MODELS, "dq")).file).toBe(general);
    const dir = mkdtempSync(join(tmpdir(), "adq-rule-"));
    for (const [cls, src] of [
      ["airplane", "Highway"],
      ["ship", "SeaLake"],
    ]) {
      mkdirSync(join(dir, cls!));
      for (const f of readdirSync(join(FIX, "eurosat-slice", src!)).slice(0, 2))
        cpSync(join(FIX, "eurosat-slice", src!, f), join(dir, cls!, f));
    }
    expect(await defaultModelFor(dir, MODELS, "random")).toEqual({
      file: general,
      reason: "CIFAR-10 classes but 64×64 images, not 32×32",
    });
  });
});
