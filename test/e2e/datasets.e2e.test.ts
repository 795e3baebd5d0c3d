import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type Manifest, maskFromHex, readStore } from "#stages";
import { REPO_ROOT } from "../../packages/cli/src/main.ts";
import { runCli } from "./cli.ts";
import { collect, demoSlice, tmp } from "./helpers.ts";

// Data sets that are not CIFAR-10 (issue 16), through the real pipeline with the default
// CIFAR-10 ResNet-20: committed slices of EuroSAT RGB (64×64 JPEG) and MNIST (28×28 greyscale
// PNG), 10 classes × 12 images each (test/fixtures/datasets/make-slices.sh).
const FIXTURES = join(REPO_ROOT, "test", "fixtures", "datasets");

function manifestOf(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;
}

async function compress(data: string, ...extra: string[]): Promise<string> {
  const out = join(tmp("adq-out-"), "r");
  const r = await runCli([
    "compress",
    data,
    "--out",
    out,
    "--cache-dir",
    tmp("adq-cache-"),
    "--ratio",
    "0.25",
    "--bins",
    "3",
    ...extra,
  ]);
  expect(r.stderr).not.toMatch(/unexpected error/);
  expect(r.code, r.stderr).toBe(0);
  return out;
}

describe("classes that are not the model's", () => {
  it("EuroSAT: detects the mismatch, bins on a cross-fitted head, says so; byte-identical on a re-run", async () => {
    const data = join(FIXTURES, "eurosat-slice");
    const out = await compress(data);
    const m = manifestOf(out);
    expect(m.gradient).toMatchObject({ source: "fitted-head", folds: 5, epochs: 100, l2: 1e-3, items: 120 });
    if (m.gradient?.source !== "fitted-head") throw new Error("unreachable");
    expect(m.gradient.reason).toMatch(/none of the data set's 10 classes \("AnnualCrop"/);
    // Held-out accuracy of a real head on 96 training tiles per fold: well above chance (0.1).
    expect(m.gradient.heldOutAccuracy).toBeGreaterThan(0.25);
    expect(m.store?.patchScores).toBe("activation");
    expect(m.selected).toBe(30);
    const html = readFileSync(join(out, "report.html"), "utf8");
    expect(html).toContain("cross-fitted over 5 folds");
    expect(html).toContain("class-agnostic activation map");
    const records = await collect(readStore(readFileSync(join(out, "store.adqp"))));
    for (const [k, r] of records.entries()) {
      expect([r.width, r.height]).toEqual([64, 64]);
      expect(r.mask).toEqual(maskFromHex(m.items[k]!.mask!, 64));
    }
    const again = await compress(data);
    expect(readFileSync(join(again, "manifest.json"))).toEqual(readFileSync(join(out, "manifest.json")));
  }, 240_000);

  it("MNIST: 28×28 greyscale PNGs with digit classes go the same way", async () => {
    const out = await compress(join(FIXTURES, "mnist-slice"), "--method", "dq");
    const m = manifestOf(out);
    expect(m.dataset.classes).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    expect(m.gradient).toMatchObject({ source: "fitted-head", items: 120 });
    const records = await collect(readStore(readFileSync(join(out, "store.adqp"))));
    expect(records).toHaveLength(30);
    for (const r of records) {
      expect([r.width, r.height]).toEqual([28, 28]);
      expect(r.mask.reduce((a, x) => a + x, 0)).toBe(48);
    }
  }, 240_000);

  it("a subset of the model's classes keeps the model's logits, each class on its own logit", async () => {
    // demo classes in order: airplane automobile bird cat deer …; take cat, deer, dog via a
    // slice of the first 6 and a fresh folder of the last three.
    const six = demoSlice(6, 12);
    const { cpSync, mkdtempSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(join(tmpdir(), "adq-sub-"));
    for (const c of ["cat", "deer", "dog"]) cpSync(join(six, c), join(dir, c), { recursive: true });
    const m = manifestOf(await compress(dir));
    expect(m.gradient).toEqual({ source: "model", modelClasses: 10, classMap: [3, 4, 5] });
    expect(m.store?.patchScores).toBe("cam");
  }, 240_000);
});
