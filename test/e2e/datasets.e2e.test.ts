import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "@adq/cli";
import { decodeNpy } from "@adq/platform";
import { type Manifest, maskFromHex, readStore } from "@adq/stages";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { compressCli, runCli } from "./cli.ts";
import { collect, demoSlice, tmp } from "./helpers.ts";

// Data sets that are not CIFAR-10 (issue 16), through the real pipeline with the default model
// for them (the general backbone, EfficientNet-Lite0, whose 1,000 ImageNet classes are not
// theirs; default-model.ts): committed slices of EuroSAT RGB (64×64 JPEG) and MNIST (28×28 greyscale
// PNG), 10 classes × 12 images each (test/fixtures/datasets/make-slices.sh).
const FIXTURES = join(REPO_ROOT, "test", "fixtures", "datasets");

function manifestOf(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;
}

async function compress(data: string, ...extra: string[]): Promise<string> {
  // --method adq-paper: the binning path these tests pin, without adq's held-out difficulty
  // (a later --method wins).
  const r = await compressCli(data, ["--method", "adq-paper", "--ratio", "0.25", "--bins", "3", ...extra]);
  const { out } = r;
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
    expect(m.gradient.reason).toMatch(
      /none of the data set's 10 classes \("AnnualCrop".*among the model's 1000 classes/,
    );
    // Held-out accuracy of a real head on 96 training tiles per fold: well above chance (0.1).
    expect(m.gradient.heldOutAccuracy).toBeGreaterThan(0.4);
    expect(m.gradient.projectedDim).toBe(128);
    expect(m.model?.file).toMatch(/efficientnet-lite0\.onnx$/);
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

  it("EuroSAT 64×64: reconstructs through the 32×32 MAE on the relative grid, kept pixels exact; head logits kept", async () => {
    const data = join(FIXTURES, "eurosat-slice");
    const out = await compress(
      data,
      "--drop",
      "0.25",
      "--store-codec",
      "webp-lossless",
      "--keep-intermediates",
    );
    const m = manifestOf(out);
    if (m.gradient?.source !== "fitted-head") throw new Error("expected a fitted head");
    // --keep-intermediates: the head's held-out logits over the data set's 10 classes, whose
    // argmax accuracy is the held-out accuracy the manifest reports (every tile is readable).
    const head = decodeNpy(readFileSync(join(out, "intermediates", "head-logits.npy")));
    const labels = decodeNpy(readFileSync(join(out, "intermediates", "labels.npy"))).data;
    expect(head.shape).toEqual([120, 10]);
    let right = 0;
    for (let i = 0; i < 120; i++) {
      const row = Array.from(head.data.subarray(i * 10, i * 10 + 10) as Float32Array);
      if (row.indexOf(Math.max(...row)) === labels[i]) right++;
    }
    expect(right / 120).toBeCloseTo(m.gradient.heldOutAccuracy, 6);

    const rec = join(tmp("adq-rec-"), "images");
    const r = await runCli(["reconstruct", out, "--out", rec]);
    expect(r.stderr).not.toMatch(/unexpected error/);
    expect(r.code, r.stderr).toBe(0);
    const records = await collect(readStore(readFileSync(join(out, "store.adqp"))));
    let errMae = 0;
    let errFlat = 0;
    for (const rec0 of records) {
      const item = m.items.find((i) => i.index === rec0.index)!;
      const cls = m.dataset.classes[item.label]!;
      const file = join(
        rec,
        cls,
        readdirSync(join(rec, cls)).find((f) => f.startsWith(`${String(rec0.index).padStart(6, "0")}-`))!,
      );
      const got = await sharp(file).raw().toBuffer({ resolveWithObject: true });
      expect([got.info.width, got.info.height, got.info.channels]).toEqual([64, 64, 3]);
      const src = await sharp(join(data, item.id)).removeAlpha().raw().toBuffer();
      // Kept 8×8 patches come back bit-exact (lossless store); dropped ones are the MAE's guess,
      // which must beat filling them with the image's mean kept colour.
      const mean = [0, 1, 2].map((c) => {
        let a = 0;
        let n = 0;
        for (let p = 0; p < 64; p++)
          if (rec0.mask[p])
            for (let y = 0; y < 8; y++)
              for (let x = 0; x < 8; x++) {
                a += rec0.data[(((p >> 3) * 8 + y) * 64 + (p & 7) * 8 + x) * 3 + c]!;
                n++;
              }
        return a / n;
      });
      for (let p = 0; p < 64; p++)
        for (let y = 0; y < 8; y++)
          for (let x = 0; x < 8; x++)
            for (let c = 0; c < 3; c++) {
              const i = (((p >> 3) * 8 + y) * 64 + (p & 7) * 8 + x) * 3 + c;
              if (rec0.mask[p]) expect(got.data[i]).toBe(rec0.data[i]);
              else {
                errMae += (got.data[i]! - src[i]!) ** 2;
                errFlat += (mean[c]! - src[i]!) ** 2;
              }
            }
    }
    expect(errMae).toBeLessThan(errFlat);
  }, 240_000);

  it("MNIST: 28×28 greyscale PNGs with digit classes go the same way", async () => {
    const out = await compress(join(FIXTURES, "mnist-slice"), "--method", "dq");
    const m = manifestOf(out);
    expect(m.dataset.classes).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    expect(m.gradient).toMatchObject({ source: "fitted-head", items: 120 });
    const records = await collect(readStore(readFileSync(join(out, "store.adqp"))));
    expect(records).toHaveLength(30);
    // Tiny greyscale PNGs: the lossy codec falls back to lossless WebP, which is smaller than
    // the source files (lossy WebP alone was 1.4× them).
    expect(m.store?.losslessImages).toBe(30);
    expect(m.store!.bytes).toBeLessThan(m.store!.subsetSourceBytes);
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

describe("any image size and mode", () => {
  it("non-square RGBA and greyscale PNGs: resized to the model input for features, stored at their own size on a relative grid", async () => {
    const sharp = (await import("sharp")).default;
    const { mkdirSync } = await import("node:fs");
    const dir = tmp("adq-modes-");
    for (const [c, cls] of ["discs", "stripes"].entries()) {
      mkdirSync(join(dir, cls));
      for (let i = 0; i < 6; i++) {
        const w = 40 + 4 * i;
        const h = 30 + 2 * c;
        const ch = i % 2 === 0 ? 4 : 1;
        const data = Buffer.alloc(w * h * ch);
        for (let y = 0; y < h; y++)
          for (let x = 0; x < w; x++)
            for (let k = 0; k < ch; k++)
              data[(y * w + x) * ch + k] =
                k === 3
                  ? 255 - x
                  : c === 0
                    ? (x - w / 2) ** 2 + (y - h / 2) ** 2 < 90 + 9 * i
                      ? 230
                      : 20
                    : ((x + i) >> 2) % 2
                      ? 200
                      : 40;
        await sharp(data, { raw: { width: w, height: h, channels: ch as 1 | 4 } })
          .png()
          .toFile(join(dir, cls, `${i}.png`));
      }
    }
    const args = ["--method", "adq-paper", "--ratio", "0.5", "--bins", "2", "--store-codec", "webp-lossless"];
    const r = await compressCli(dir, args);
    const { out } = r;
    expect(r.code, r.stderr).toBe(0);
    const m = manifestOf(out);
    expect(m.gradient?.source).toBe("fitted-head");
    const records = await collect(readStore(readFileSync(join(out, "store.adqp"))));
    expect(records).toHaveLength(6);
    for (const rec of records) {
      const item = m.items.find((it) => it.index === rec.index)!;
      const src = await sharp(join(dir, item.id))
        .removeAlpha()
        .toColourspace("srgb")
        .raw()
        .toBuffer({ resolveWithObject: true });
      // Stored at the source's own size; the 8×8 grid is relative (patch edges at ⌊i·W/8⌋).
      expect([rec.width, rec.height]).toEqual([src.info.width, src.info.height]);
      expect(rec.mask.reduce((a, x) => a + x, 0)).toBe(48);
      // Lossless codec: every kept pixel equals the decoded source (alpha dropped, grey → RGB).
      for (let i = 0; i < rec.data.length; i++) if (rec.data[i] !== 0) expect(rec.data[i]).toBe(src.data[i]);
    }
  }, 120_000);
});

describe("bring your own ONNX model", () => {
  const byo = (f: string) => join(REPO_ROOT, "test", "fixtures", "models", f);
  const names = [
    "--model-input",
    "pixel_values",
    "--model-embedding-output",
    "feats",
    "--model-logits-output",
    "scores",
  ];

  it("named outputs, no feature map: texture patch scores, a fitted head, both recorded and reported", async () => {
    const out = await compress(join(FIXTURES, "mnist-slice"), "--model", byo("byo-nomap.onnx"), ...names);
    const m = manifestOf(out);
    expect(m.model?.outputs).toEqual({ input: "pixel_values", embedding: "feats", logits: "scores" });
    expect(m.gradient).toMatchObject({ source: "fitted-head", reason: /names no classes/ });
    expect(m.store?.patchScores).toBe("texture");
    expect(readFileSync(join(out, "report.html"), "utf8")).toContain("ranked by Sobel texture");
  }, 120_000);

  it("with a feature map but no head sidecar: the activation map", async () => {
    const out = await compress(
      join(FIXTURES, "mnist-slice"),
      "--model",
      byo("byo-renamed.onnx"),
      ...names,
      "--model-feature-map-output",
      "last_conv",
    );
    expect(manifestOf(out).store?.patchScores).toBe("activation");
  }, 120_000);

  it("a model that does not fit fails before reading data, naming the flag to set", async () => {
    const r = await runCli([
      "compress",
      join(FIXTURES, "mnist-slice"),
      "--model",
      byo("byo-renamed.onnx"),
      "--out",
      join(tmp("adq-out-"), "r"),
      "--cache-dir",
      tmp("adq-cache-"),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /input "images" is missing \(inputs: pixel_values; name another with --model-input\)/,
    );
    expect(r.stderr).not.toMatch(/unexpected error/);
  }, 120_000);
});
