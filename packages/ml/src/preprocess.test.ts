import { describe, expect, it } from "vitest";
import {
  CIFAR10_NORMALIZATION,
  fromNchw,
  type Normalization,
  toNchw,
  UNIT_NORMALIZATION,
} from "./preprocess.ts";
import type { RasterImage } from "./raster.ts";

// 2×2 RGB, HWC: (x,y) = (0,0) [0,128,255]  (1,0) [255,0,51]
//                       (0,1) [51,102,153] (1,1) [204,255,0]
const IMG: RasterImage = {
  width: 2,
  height: 2,
  channels: 3,
  data: Uint8Array.of(0, 128, 255, 255, 0, 51, 51, 102, 153, 204, 255, 0),
};
const NORM: Normalization = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.25, 0.2] };
// Hand-computed (p/255 − 0.5) / std, planes in row-major pixel order (0,0) (1,0) (0,1) (1,1):
//  R, std 0.5:  0 → −1,  255 → 1,  51 → (0.2 − 0.5)/0.5 = −0.6,  204 → (0.8 − 0.5)/0.5 = 0.6
//  G, std 0.25: 128 → (128/255 − 0.5)·4 = 2/255 = 0.00784314,  0 → −2,  102 → −0.4,  255 → 2
//  B, std 0.2:  255 → 2.5,  51 → −1.5,  153 → 0.5,  0 → −2.5
const EXPECTED = [-1, 1, -0.6, 0.6, 2 / 255, -2, -0.4, 2, 2.5, -1.5, 0.5, -2.5];

function expectClose(actual: Float32Array, expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(actual[i]).toBeCloseTo(expected[i]!, 6);
}

describe("toNchw", () => {
  it("normalises a 2×2 image to hand-computed values in NCHW order", () => {
    const t = toNchw([IMG], NORM);
    expect(t.dims).toEqual([1, 3, 2, 2]);
    expectClose(t.data, EXPECTED);
  });

  it("stacks a batch: image n starts at n·3·H·W", () => {
    const flipped: RasterImage = { ...IMG, data: IMG.data.slice().reverse() }; // BGR-reversed pixels
    const t = toNchw([IMG, flipped], NORM);
    expect(t.dims).toEqual([2, 3, 2, 2]);
    expectClose(t.data.subarray(0, 12), EXPECTED);
    // Reversed bytes: pixel order (1,1)…(0,0) and channels swapped R↔B.
    // New R plane = old B bytes reversed [0,153,51,255]; std 0.5: −1, 0.2, −0.6, 1.
    expectClose(t.data.subarray(12, 16), [-1, (153 / 255 - 0.5) / 0.5, -0.6, 1]);
  });

  it("uses the CIFAR-10 statistics as torchvision's Normalize does", () => {
    const t = toNchw(
      [{ width: 1, height: 1, channels: 3, data: Uint8Array.of(255, 0, 128) }],
      CIFAR10_NORMALIZATION,
    );
    expectClose(t.data, [(1 - 0.4914) / 0.247, (0 - 0.4822) / 0.2435, (128 / 255 - 0.4465) / 0.2616]);
  });

  it("replicates a grayscale image into three channels", () => {
    const g: RasterImage = { width: 2, height: 1, channels: 1, data: Uint8Array.of(0, 255) };
    const t = toNchw([g], UNIT_NORMALIZATION);
    expect(Array.from(t.data)).toEqual([0, 1, 0, 1, 0, 1]);
  });

  it("reuses an output buffer", () => {
    const buf = new Float32Array(100).fill(9);
    const t = toNchw([IMG], NORM, buf);
    expect(t.data.buffer).toBe(buf.buffer);
    expect(t.data.length).toBe(12);
    expect(buf[12]).toBe(9);
    expect(() => toNchw([IMG], NORM, new Float32Array(11))).toThrow(/needs 12/);
  });

  it("rejects mixed sizes, empty batches and bad statistics", () => {
    const other: RasterImage = { width: 1, height: 1, channels: 3, data: new Uint8Array(3) };
    expect(() => toNchw([IMG, other], NORM)).toThrow(/resize first/);
    expect(() => toNchw([], NORM)).toThrow(RangeError);
    expect(() => toNchw([IMG], { mean: [0, 0, 0], std: [1, 0, 1] })).toThrow(/std\[1\]/);
  });
});

describe("fromNchw", () => {
  it("inverts toNchw exactly for every byte value", () => {
    const data = new Uint8Array(256 * 3);
    for (let i = 0; i < 256; i++) data.set([i, 255 - i, (i * 37) & 0xff], i * 3);
    const img: RasterImage = { width: 16, height: 16, channels: 3, data };
    for (const norm of [NORM, CIFAR10_NORMALIZATION, UNIT_NORMALIZATION]) {
      const [back] = fromNchw(toNchw([img], norm), norm);
      expect(back!.data).toEqual(data);
    }
  });

  it("maps the hand-computed tensor back to the 2×2 image and clamps out-of-range values", () => {
    const [back] = fromNchw({ data: Float32Array.from(EXPECTED), dims: [1, 3, 2, 2] }, NORM);
    expect(back!.data).toEqual(IMG.data);
    const [clamped] = fromNchw({ data: Float32Array.of(-9, 9, 0), dims: [1, 3, 1, 1] }, UNIT_NORMALIZATION);
    expect(Array.from(clamped!.data)).toEqual([0, 255, 0]);
  });
});
