import { describe, expect, it } from "vitest";
import {
  classActivationMap,
  type FeatureMap,
  patchMeans,
  resizeBilinear,
  selectPatches,
  topKMask,
} from "./cam.ts";
import { Rng } from "./rng.ts";

/** 7×7 feature map, 2 channels: channel 0 a blob in the bottom-right corner, channel 1 everywhere. */
function cornerMap(): FeatureMap {
  const h = 7;
  const w = 7;
  const data = new Float32Array(2 * h * w);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      data[y * w + x] = Math.exp(-((6 - y) ** 2 + (6 - x) ** 2) / 2);
      data[h * w + y * w + x] = 1;
    }
  return { data, channels: 2, height: h, width: w };
}

describe("classActivationMap", () => {
  it("is ReLU(Σ_k W[c,k]·A_k)", () => {
    const fm: FeatureMap = {
      data: Float32Array.from([1, -2, 3, 4, 0.5, 0.5, 0.5, 0.5]),
      channels: 2,
      height: 2,
      width: 2,
    };
    const weights = Float32Array.from([1, 0, 2, -4]); // class 0: [1, 0]; class 1: [2, -4]
    expect(Array.from(classActivationMap(fm, weights, 0))).toEqual([1, 0, 3, 4]);
    expect(Array.from(classActivationMap(fm, weights, 1))).toEqual([0, 0, 4, 6]);
  });

  it("validates shapes and class index", () => {
    const fm: FeatureMap = { data: new Float32Array(8), channels: 2, height: 2, width: 2 };
    expect(() => classActivationMap(fm, new Float32Array(3), 0)).toThrow(/multiple of channels/);
    expect(() => classActivationMap(fm, new Float32Array(4), 2)).toThrow(/classIndex/);
    expect(() => classActivationMap({ ...fm, height: 3 }, new Float32Array(4), 0)).toThrow(/featureMap.data/);
  });
});

describe("resizeBilinear (align_corners=false)", () => {
  it("matches PyTorch's F.interpolate(2×2 → 4×4, bilinear, align_corners=False)", () => {
    const out = resizeBilinear([1, 2, 3, 4], 2, 2, 4, 4);
    expect(Array.from(out)).toEqual([
      1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4,
    ]);
  });

  it("is the identity at the same size and preserves constants", () => {
    const rng = new Rng(61);
    const src = Array.from({ length: 12 }, () => rng.nextFloat());
    const same = resizeBilinear(src, 3, 4, 3, 4);
    same.forEach((v, i) => {
      expect(v).toBeCloseTo(src[i]!, 12);
    });
    for (const v of resizeBilinear(new Array(6).fill(2.5), 2, 3, 9, 7)) expect(v).toBeCloseTo(2.5, 12);
  });

  it("downsamples with half-pixel centres (4 → 2 picks the midpoints)", () => {
    expect(Array.from(resizeBilinear([0, 1, 2, 3], 1, 4, 1, 2))).toEqual([0.5, 2.5]);
  });
});

describe("patchMeans / topKMask", () => {
  it("averages each patch", () => {
    const map = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]; // 4×4
    expect(Array.from(patchMeans(map, 4, 4, 2))).toEqual([3.5, 5.5, 11.5, 13.5]);
  });

  it("keeps the top k with ties to the lowest index", () => {
    expect(Array.from(topKMask([1, 3, 3, 0, 3], 2))).toEqual([0, 1, 1, 0, 0]);
    expect(Array.from(topKMask([0, 0, 0], 0))).toEqual([0, 0, 0]);
  });
});

describe("selectPatches", () => {
  const weights = Float32Array.from([0, 0, 1, 0]); // class 1 looks at the corner channel only

  it("keeps the patches where the activation sits and drops the opposite corner", () => {
    const r = selectPatches(cornerMap(), weights, 1, { imageHeight: 224, imageWidth: 224, patchSize: 16 });
    expect(r.gridHeight).toBe(14);
    expect(r.gridWidth).toBe(14);
    expect(r.kept).toBe(147); // round(0.75 · 196)
    expect(r.mask.reduce((a, b) => a + b, 0)).toBe(147);
    const at = (py: number, px: number) => r.mask[py * 14 + px];
    for (const [py, px] of [
      [13, 13],
      [13, 12],
      [12, 13],
      [12, 12],
    ] as const)
      expect(at(py, px)).toBe(1);
    for (const [py, px] of [
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ] as const)
      expect(at(py, px)).toBe(0);
    // Every kept patch scores at least as high as every dropped one.
    let minKept = Number.POSITIVE_INFINITY;
    let maxDropped = Number.NEGATIVE_INFINITY;
    r.scores.forEach((s, i) => {
      if (r.mask[i]) minKept = Math.min(minKept, s);
      else maxDropped = Math.max(maxDropped, s);
    });
    expect(minKept).toBeGreaterThanOrEqual(maxDropped);
  });

  it("follows the class weights: the uniform channel alone gives equal scores, ties to the lowest index", () => {
    const r = selectPatches(cornerMap(), Float32Array.from([0, 1, 0, 0]), 0, {
      imageHeight: 32,
      imageWidth: 32,
      patchSize: 8,
      dropRatio: 0.5,
    });
    expect(Array.from(r.mask)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it.each([
    { dropRatio: 0, kept: 1, what: "every patch" },
    { dropRatio: 1, kept: 0, what: "none" },
  ])("θ = $dropRatio keeps $what", ({ dropRatio, kept }) => {
    const r = selectPatches(cornerMap(), weights, 1, {
      imageHeight: 64,
      imageWidth: 32,
      patchSize: 16,
      dropRatio,
    });
    expect(Array.from(r.mask)).toEqual(new Array(8).fill(kept));
  });

  it("is deterministic and keeps round((1 − θ)·P) patches for random maps (property)", () => {
    const rng = new Rng(62);
    for (let t = 0; t < 50; t++) {
      const k = 1 + rng.nextInt(4);
      const h = 1 + rng.nextInt(8);
      const w = 1 + rng.nextInt(8);
      const fm: FeatureMap = {
        data: Float32Array.from({ length: k * h * w }, () => rng.nextNormal()),
        channels: k,
        height: h,
        width: w,
      };
      const c = 3;
      const wts = Float32Array.from({ length: c * k }, () => rng.nextNormal());
      const p = 1 + rng.nextInt(8);
      const opts = {
        imageHeight: p * (1 + rng.nextInt(6)),
        imageWidth: p * (1 + rng.nextInt(6)),
        patchSize: p,
        dropRatio: rng.nextFloat(),
      };
      const r = selectPatches(fm, wts, rng.nextInt(c), opts);
      const P = (opts.imageHeight / p) * (opts.imageWidth / p);
      expect(r.mask.reduce((a, b) => a + b, 0)).toBe(Math.round((1 - opts.dropRatio) * P));
      for (const s of r.scores) expect(s).toBeGreaterThanOrEqual(0);
    }
  });

  it("validates its options", () => {
    expect(() =>
      selectPatches(cornerMap(), weights, 1, { imageHeight: 30, imageWidth: 32, patchSize: 16 }),
    ).toThrow(/patchSize/);
    expect(() =>
      selectPatches(cornerMap(), weights, 1, {
        imageHeight: 32,
        imageWidth: 32,
        patchSize: 16,
        dropRatio: 1.5,
      }),
    ).toThrow(/dropRatio/);
    expect(() =>
      selectPatches(cornerMap(), weights, 1, { imageHeight: 0, imageWidth: 32, patchSize: 16 }),
    ).toThrow(/imageHeight/);
  });
});
