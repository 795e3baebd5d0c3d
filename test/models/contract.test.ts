/**
 * The committed default models (models/*.onnx) satisfy their contracts (models/README.md,
 * "Feature model contract" and "MAE contract"): input/output names, dtypes and shapes,
 * metadata_props, and, for the ResNet-20, outputs on 8 fixed CIFAR-10 test images that match a
 * PyTorch reference (test/fixtures/cifar8, written by models/scripts/export_resnet20.py from the
 * same checkpoint).
 *
 * onnxruntime-node does not expose custom metadata, so metadata_props are read from the
 * protobuf bytes with the project's reader (packages/ml/src/onnx-metadata.ts).
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CIFAR10_CLASSES, readOnnxMetadata } from "@adq/ml";
import * as ort from "onnxruntime-node";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const MODELS = join(ROOT, "models");
const FIXTURE = join(ROOT, "test", "fixtures", "cifar8");
const TOL = 1e-3;

const RESNET = join(MODELS, "resnet20-cifar10.onnx");
const RESNET_HEAD = join(MODELS, "resnet20-cifar10.head.json");
const MAE = join(MODELS, "mae-cifar10.onnx");
const RESNET_INT8 = join(MODELS, "resnet20-cifar10-int8.onnx");

interface ResnetReference {
  normalize: { mean: number[]; std: number[] };
  images: { path: string; label: number; class: string }[];
  embedding: number[][];
  logits: number[][];
  argmax: number[];
  pooled: number[][];
  feature_map_images: number;
  feature_map: number[][][][];
  cam: number[][][];
}

interface MaeReference {
  images: string[];
  mask: number[][];
  psnr_pasted: number[];
  psnr_baseline_mean_fill: number[];
  reconstruction_mean: number[];
  reconstruction_first_image_patches: number[][];
}

interface Head {
  weight: number[][];
  bias: number[];
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, "utf8")) as T;

/** Deterministic uniform [0,1) values (mulberry32), so the tests never depend on Math.random. */
function seeded(seed: number, n: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  return out;
}

/** Decodes a fixture PNG to float32 CHW in [0,1]. */
async function loadPng01(path: string): Promise<Float32Array> {
  const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  expect([info.width, info.height, info.channels]).toEqual([32, 32, 3]);
  const out = new Float32Array(3 * 32 * 32);
  for (let i = 0; i < 32 * 32; i++) {
    for (let c = 0; c < 3; c++) out[c * 1024 + i] = data[i * 3 + c]! / 255;
  }
  return out;
}

function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let m = 0;
  for (let i = 0; i < actual.length; i++) m = Math.max(m, Math.abs(actual[i]! - expected[i]!));
  return m;
}

function row(t: ort.Tensor, i: number): Float32Array {
  const per = (t.dims as number[]).slice(1).reduce((a, b) => a * b, 1);
  return (t.data as Float32Array).subarray(i * per, (i + 1) * per);
}

function tensorMeta(session: ort.InferenceSession, which: "input" | "output", name: string) {
  const all = which === "input" ? session.inputMetadata : session.outputMetadata;
  const m = all.find((v) => v.name === name);
  expect(m, `${which} ${name}`).toBeDefined();
  if (!m?.isTensor) throw new Error(`${which} ${name} is not a tensor`);
  return m;
}

/** Symbolic (dynamic) batch axis, fixed remaining dims. */
function expectShape(shape: ReadonlyArray<number | string>, rest: number[]): void {
  expect(shape.length).toBe(rest.length + 1);
  expect(typeof shape[0] === "string" || shape[0] === -1).toBe(true);
  expect(shape.slice(1)).toEqual(rest);
}

/** Pastes kept patches (mask 0) of `images` over `recon`; both [n,3,32,32], mask [n,64]. */
function paste(images: Float32Array, recon: Float32Array, mask: Float32Array, n: number): Float32Array {
  const out = new Float32Array(recon);
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < 64; p++) {
      if (mask[b * 64 + p] !== 0) continue;
      const r0 = Math.floor(p / 8) * 4;
      const c0 = (p % 8) * 4;
      for (let c = 0; c < 3; c++) {
        for (let y = r0; y < r0 + 4; y++) {
          for (let x = c0; x < c0 + 4; x++) {
            const i = b * 3072 + c * 1024 + y * 32 + x;
            out[i] = images[i]!;
          }
        }
      }
    }
  }
  return out;
}

function psnr(a: Float32Array, b: Float32Array): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i]! - b[i]!) ** 2;
  return 10 * Math.log10(1 / Math.max(se / a.length, 1e-10));
}

/** The model at `path` for a suite: its ONNX metadata and an ORT session (one thread), released after it. */
function useModel(path: string): {
  readonly session: ort.InferenceSession;
  readonly meta: Record<string, string>;
} {
  let session: ort.InferenceSession | undefined;
  let meta: Record<string, string> = {};
  beforeAll(async () => {
    meta = readOnnxMetadata(new Uint8Array(readFileSync(path)));
    session = await ort.InferenceSession.create(path, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  });
  afterAll(async () => {
    await session?.release();
  });
  return {
    get session() {
      if (!session) throw new Error(`${path}: session used before beforeAll`);
      return session;
    },
    get meta() {
      return meta;
    },
  };
}

describe("models/resnet20-cifar10.onnx (feature-model/v1)", () => {
  const model = useModel(RESNET);
  const ref = readJson<ResnetReference>(join(FIXTURE, "resnet20-reference.json"));
  const head = readJson<Head>(RESNET_HEAD);

  it("declares the contract's input and outputs with float32 dtypes and a dynamic batch axis", () => {
    expect(model.session.inputNames).toEqual(["images"]);
    expect(model.session.outputNames).toEqual(["embedding", "logits", "feature_map", "pooled"]);
    const images = tensorMeta(model.session, "input", "images");
    expect(images.type).toBe("float32");
    expectShape(images.shape, [3, 32, 32]);
    const expected: Record<string, number[]> = {
      embedding: [64],
      logits: [10],
      feature_map: [64, 8, 8],
      pooled: [48],
    };
    for (const [name, rest] of Object.entries(expected)) {
      const m = tensorMeta(model.session, "output", name);
      expect(m.type).toBe("float32");
      expectShape(m.shape, rest);
    }
  });

  it("carries its normalisation, class names and figures in metadata_props", () => {
    for (const key of [
      "adq.contract",
      "adq.normalize.mean",
      "adq.normalize.std",
      "adq.input.size",
      "adq.input.range",
      "adq.class_names",
      "adq.test_accuracy",
      "adq.training",
    ]) {
      expect(model.meta[key], key).toBeTruthy();
    }
    expect(model.meta["adq.contract"]).toBe("feature-model/v1");
    expect(model.meta["adq.input.size"]).toBe("32");
    expect(model.meta["adq.input.range"]).toBe("0-1 then (x-mean)/std");
    const mean = model.meta["adq.normalize.mean"]!.split(",").map(Number);
    const std = model.meta["adq.normalize.std"]!.split(",").map(Number);
    expect(mean).toHaveLength(3);
    expect(std).toHaveLength(3);
    expect(maxAbsDiff(mean, ref.normalize.mean)).toBeLessThan(1e-7);
    expect(maxAbsDiff(std, ref.normalize.std)).toBeLessThan(1e-7);
    for (const s of std) expect(s).toBeGreaterThan(0);
    const classes = JSON.parse(model.meta["adq.class_names"]!) as string[];
    // The CIFAR-10 reader's class names, in its label order.
    expect(classes).toEqual(CIFAR10_CLASSES);
    const acc = Number(model.meta["adq.test_accuracy"]);
    expect(acc).toBeGreaterThan(0.1);
    expect(acc).toBeLessThanOrEqual(1);
  });

  it("runs a batch of 2 with the contract's output shapes", async () => {
    const n = 2;
    const x = seeded(1, n * 3 * 32 * 32).map((v) => (v - 0.5) * 4);
    const res = await model.session.run({ images: new ort.Tensor("float32", x, [n, 3, 32, 32]) });
    expect(res.embedding!.dims).toEqual([n, 64]);
    expect(res.logits!.dims).toEqual([n, 10]);
    expect(res.feature_map!.dims).toEqual([n, 64, 8, 8]);
    expect(res.pooled!.dims).toEqual([n, 48]);
    for (const t of Object.values(res)) {
      expect(t.type).toBe("float32");
      expect((t.data as Float32Array).every(Number.isFinite)).toBe(true);
    }
    // embedding is the spatial mean of feature_map; feature_map is post-ReLU.
    const fm = res.feature_map!.data as Float32Array;
    expect(fm.every((v) => v >= 0)).toBe(true);
    const emb = res.embedding!.data as Float32Array;
    for (let k = 0; k < 64; k++) {
      let s = 0;
      for (let i = 0; i < 64; i++) s += fm[k * 64 + i]!;
      expect(Math.abs(s / 64 - emb[k]!)).toBeLessThan(1e-4);
    }
  });

  it("ships the linear head as a sidecar consistent with the graph: logits = W·embedding + b", async () => {
    expect(head.weight).toHaveLength(10);
    for (const r of head.weight) expect(r).toHaveLength(64);
    expect(head.bias).toHaveLength(10);
    const n = 2;
    const x = seeded(2, n * 3 * 32 * 32).map((v) => (v - 0.5) * 4);
    const res = await model.session.run({ images: new ort.Tensor("float32", x, [n, 3, 32, 32]) });
    for (let b = 0; b < n; b++) {
      const emb = row(res.embedding!, b);
      const logits = row(res.logits!, b);
      for (let c = 0; c < 10; c++) {
        let z = head.bias[c]!;
        for (let k = 0; k < 64; k++) z += head.weight[c]![k]! * emb[k]!;
        expect(Math.abs(z - logits[c]!)).toBeLessThan(1e-4);
      }
    }
  });

  it("matches the PyTorch reference on the 8 fixture images (within 1e-3, same argmax, same CAM)", async () => {
    const n = ref.images.length;
    expect(n).toBe(8);
    const mean = model.meta["adq.normalize.mean"]!.split(",").map(Number);
    const std = model.meta["adq.normalize.std"]!.split(",").map(Number);
    const batch = new Float32Array(n * 3072);
    for (let b = 0; b < n; b++) {
      const img = await loadPng01(join(FIXTURE, ref.images[b]!.path));
      for (let i = 0; i < 3072; i++) {
        const c = Math.floor(i / 1024);
        batch[b * 3072 + i] = (img[i]! - mean[c]!) / std[c]!;
      }
    }
    const res = await model.session.run({ images: new ort.Tensor("float32", batch, [n, 3, 32, 32]) });
    for (let b = 0; b < n; b++) {
      expect(maxAbsDiff(row(res.embedding!, b), ref.embedding[b]!)).toBeLessThan(TOL);
      expect(maxAbsDiff(row(res.logits!, b), ref.logits[b]!)).toBeLessThan(TOL);
      expect(maxAbsDiff(row(res.pooled!, b), ref.pooled[b]!)).toBeLessThan(TOL);
      const logits = row(res.logits!, b);
      const top = logits.indexOf(Math.max(...logits));
      expect(top).toBe(ref.argmax[b]);
      // CAM = ReLU(sum_k W[c,k] A_k) for the top class, from the ONNX feature map + sidecar head.
      const fm = row(res.feature_map!, b);
      const cam = new Float32Array(64);
      for (let i = 0; i < 64; i++) {
        let s = 0;
        for (let k = 0; k < 64; k++) s += head.weight[top]![k]! * fm[k * 64 + i]!;
        cam[i] = Math.max(0, s);
      }
      expect(maxAbsDiff(cam, ref.cam[b]!.flat())).toBeLessThan(TOL);
      if (b < ref.feature_map_images) {
        expect(maxAbsDiff(fm, ref.feature_map[b]!.flat(2))).toBeLessThan(TOL);
      }
    }
  });
});

describe("models/resnet20-cifar10-int8.onnx (feature-model/v1, int8 quantized)", () => {
  const model = useModel(RESNET_INT8);
  const ref = readJson<ResnetReference>(join(FIXTURE, "resnet20-reference.json"));

  it("has the float32 contract of the model it quantizes, its metadata and its own head sidecar", async () => {
    expect(model.session.inputNames).toEqual(["images"]);
    expect([...model.session.outputNames].sort()).toEqual(["embedding", "feature_map", "logits", "pooled"]);
    for (const name of model.session.outputNames)
      expect(tensorMeta(model.session, "output", name).type).toBe("float32");
    const fp32 = readOnnxMetadata(new Uint8Array(readFileSync(RESNET)));
    for (const key of [
      "adq.contract",
      "adq.normalize.mean",
      "adq.normalize.std",
      "adq.input.size",
      "adq.class_names",
    ])
      expect(model.meta[key], key).toBe(fp32[key]);
    expect(model.meta["adq.training"]).toMatch(/^int8 post-training quantization/);
    expect(model.meta["adq.head"]).toBe("resnet20-cifar10-int8.head.json");
    expect(readFileSync(join(MODELS, model.meta["adq.head"]!), "utf8")).toBe(
      readFileSync(RESNET_HEAD, "utf8"),
    );
    expect(
      Math.abs(Number(model.meta["adq.test_accuracy"]) - Number(fp32["adq.test_accuracy"])),
    ).toBeLessThan(0.01);
    // The runtime's own contract check accepts it.
    const { FeatureModel } = await import("@adq/ml");
    const m = await FeatureModel.load(RESNET_INT8, { threads: 1 });
    expect(m.dims).toMatchObject({ embedding: 64, classes: 10, pooled: 48 });
    expect(m.head).toBeDefined();
    await m.release();
  });

  it("stays close to the float32 reference on the 8 fixture images (embedding cosine > 0.99, same argmax)", async () => {
    const n = ref.images.length;
    const mean = model.meta["adq.normalize.mean"]!.split(",").map(Number);
    const std = model.meta["adq.normalize.std"]!.split(",").map(Number);
    const batch = new Float32Array(n * 3072);
    for (let b = 0; b < n; b++) {
      const img = await loadPng01(join(FIXTURE, ref.images[b]!.path));
      for (let i = 0; i < 3072; i++)
        batch[b * 3072 + i] = (img[i]! - mean[Math.floor(i / 1024)]!) / std[Math.floor(i / 1024)]!;
    }
    const res = await model.session.run({ images: new ort.Tensor("float32", batch, [n, 3, 32, 32]) });
    for (let b = 0; b < n; b++) {
      const e = row(res.embedding!, b);
      const r = ref.embedding[b]!;
      let dot = 0;
      let ne = 0;
      let nr = 0;
      for (let k = 0; k < e.length; k++) {
        dot += e[k]! * r[k]!;
        ne += e[k]! ** 2;
        nr += r[k]! ** 2;
      }
      expect(dot / Math.sqrt(ne * nr)).toBeGreaterThan(0.99);
      const logits = row(res.logits!, b);
      expect(logits.indexOf(Math.max(...logits))).toBe(ref.argmax[b]);
    }
  });
});

describe("models/mae-cifar10.onnx (mae/v1)", () => {
  const model = useModel(MAE);
  const ref = readJson<MaeReference>(join(FIXTURE, "mae-reference.json"));

  it("declares images + mask in, reconstruction out, float32 with a dynamic batch axis", () => {
    expect([...model.session.inputNames].sort()).toEqual(["images", "mask"]);
    expect(model.session.outputNames).toEqual(["reconstruction"]);
    const images = tensorMeta(model.session, "input", "images");
    expect(images.type).toBe("float32");
    expectShape(images.shape, [3, 32, 32]);
    const mask = tensorMeta(model.session, "input", "mask");
    expect(mask.type).toBe("float32");
    expectShape(mask.shape, [64]);
    const out = tensorMeta(model.session, "output", "reconstruction");
    expect(out.type).toBe("float32");
    expectShape(out.shape, [3, 32, 32]);
  });

  it("carries patch geometry and its measured PSNR in metadata_props", () => {
    for (const key of [
      "adq.contract",
      "adq.patch_size",
      "adq.grid",
      "adq.input.range",
      "adq.mask",
      "adq.psnr.mask25",
      "adq.psnr.mask25.baseline_mean_fill",
      "adq.training",
    ]) {
      expect(model.meta[key], key).toBeTruthy();
    }
    expect(model.meta["adq.contract"]).toBe("mae/v1");
    expect(model.meta["adq.patch_size"]).toBe("4");
    expect(model.meta["adq.grid"]).toBe("8");
    expect(Number.isFinite(Number(model.meta["adq.psnr.mask25"]))).toBe(true);
    expect(Number.isFinite(Number(model.meta["adq.psnr.mask25.baseline_mean_fill"]))).toBe(true);
  });

  it("reconstructs a batch of 2 with different numbers of dropped patches, output in [0,1]", async () => {
    const n = 2;
    const images = seeded(3, n * 3072);
    const mask = new Float32Array(n * 64);
    for (let p = 0; p < 16; p++) mask[p * 4] = 1; // image 0: 16 patches dropped
    for (let p = 0; p < 48; p++) mask[64 + p] = 1; // image 1: 48 patches dropped
    const res = await model.session.run({
      images: new ort.Tensor("float32", images, [n, 3, 32, 32]),
      mask: new ort.Tensor("float32", mask, [n, 64]),
    });
    const out = res.reconstruction!;
    expect(out.type).toBe("float32");
    expect(out.dims).toEqual([n, 3, 32, 32]);
    const data = out.data as Float32Array;
    expect(data.every((v) => Number.isFinite(v) && v >= 0 && v <= 1)).toBe(true);

    // Kept patches reproduce the input exactly once pasted; dropped ones come from the model.
    const pasted = paste(images, data, mask, n);
    for (let b = 0; b < n; b++) {
      for (let p = 0; p < 64; p++) {
        const r0 = Math.floor(p / 8) * 4;
        const c0 = (p % 8) * 4;
        const src = mask[b * 64 + p] === 0 ? images : data;
        for (let c = 0; c < 3; c++) {
          for (let y = r0; y < r0 + 4; y++) {
            for (let x = c0; x < c0 + 4; x++) {
              const i = b * 3072 + c * 1024 + y * 32 + x;
              expect(pasted[i]).toBe(src[i]);
            }
          }
        }
      }
    }
  });

  it("ignores the pixel values of dropped patches", async () => {
    const n = 2;
    const images = seeded(4, n * 3072);
    const mask = new Float32Array(n * 64);
    for (let i = 0; i < mask.length; i++) mask[i] = i % 3 === 0 ? 1 : 0;
    const noisy = new Float32Array(images);
    const noise = seeded(5, n * 3072);
    for (let b = 0; b < n; b++) {
      for (let p = 0; p < 64; p++) {
        if (mask[b * 64 + p] !== 1) continue;
        const r0 = Math.floor(p / 8) * 4;
        const c0 = (p % 8) * 4;
        for (let c = 0; c < 3; c++)
          for (let y = r0; y < r0 + 4; y++)
            for (let x = c0; x < c0 + 4; x++) {
              const i = b * 3072 + c * 1024 + y * 32 + x;
              noisy[i] = noise[i]!;
            }
      }
    }
    const run = async (x: Float32Array) =>
      (
        await model.session.run({
          images: new ort.Tensor("float32", x, [n, 3, 32, 32]),
          mask: new ort.Tensor("float32", mask, [n, 64]),
        })
      ).reconstruction!.data as Float32Array;
    expect(maxAbsDiff(await run(noisy), await run(images))).toBeLessThan(1e-5);
  });

  it("matches the PyTorch reference on the 8 fixture images at 25% dropped", async () => {
    const n = ref.images.length;
    const images = new Float32Array(n * 3072);
    for (let b = 0; b < n; b++) images.set(await loadPng01(join(FIXTURE, ref.images[b]!)), b * 3072);
    const mask = Float32Array.from(ref.mask.flat());
    for (const m of ref.mask) expect(m.reduce((a, v) => a + v, 0)).toBe(16);
    const res = await model.session.run({
      images: new ort.Tensor("float32", images, [n, 3, 32, 32]),
      mask: new ort.Tensor("float32", mask, [n, 64]),
    });
    const recon = res.reconstruction!.data as Float32Array;
    const pasted = paste(images, recon, mask, n);
    for (let b = 0; b < n; b++) {
      const img = images.subarray(b * 3072, (b + 1) * 3072);
      const rec = recon.subarray(b * 3072, (b + 1) * 3072);
      expect(
        Math.abs(psnr(pasted.subarray(b * 3072, (b + 1) * 3072), img) - ref.psnr_pasted[b]!),
      ).toBeLessThan(0.01);
      expect(Math.abs(rec.reduce((a, v) => a + v, 0) / 3072 - ref.reconstruction_mean[b]!)).toBeLessThan(TOL);
    }
    // Full reconstruction of the first image, stored patch-major [64][c,py,px].
    let worst = 0;
    for (let p = 0; p < 64; p++) {
      const r0 = Math.floor(p / 8) * 4;
      const c0 = (p % 8) * 4;
      for (let c = 0; c < 3; c++)
        for (let py = 0; py < 4; py++)
          for (let px = 0; px < 4; px++) {
            const v = recon[c * 1024 + (r0 + py) * 32 + c0 + px]!;
            const e = ref.reconstruction_first_image_patches[p]![c * 16 + py * 4 + px]!;
            worst = Math.max(worst, Math.abs(v - e));
          }
    }
    expect(worst).toBeLessThan(TOL);
  });
});
