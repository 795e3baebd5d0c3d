import { describe, expect, it } from "vitest";
import { LUMA_B, LUMA_G, LUMA_R, type RasterImage, toGray01 } from "./image.ts";
import { Rng } from "./rng.ts";
import {
  binTextureLevel,
  gridTextureScores,
  patchGrid,
  patchTextureLevels,
  patchTextureLevelsGray,
  sobelTextureMean,
  textureLevel,
} from "./texture.ts";

function gray(width: number, height: number, f: (x: number, y: number) => number): RasterImage {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = f(x, y);
  return { width, height, channels: 1, data };
}

describe("toGray01", () => {
  it("uses BT.601 luma scaled to [0, 1]", () => {
    const img: RasterImage = {
      width: 2,
      height: 1,
      channels: 3,
      data: new Uint8Array([255, 0, 0, 10, 20, 30]),
    };
    const g = toGray01(img);
    expect(g[0]).toBeCloseTo(0.299, 15);
    expect(g[1]).toBeCloseTo((0.299 * 10 + 0.587 * 20 + 0.114 * 30) / 255, 15);
  });

  it("rejects malformed images", () => {
    expect(() => toGray01({ width: 2, height: 2, channels: 1, data: new Uint8Array(3) })).toThrow(RangeError);
    expect(() => toGray01({ width: 0, height: 2, channels: 1, data: new Uint8Array(0) })).toThrow(RangeError);
  });
});

describe("texture level (Eq. 3)", () => {
  it("is 0 for a flat image, grayscale or colour", () => {
    expect(textureLevel(gray(32, 32, () => 137))).toBe(0);
    const data = new Uint8Array(32 * 32 * 3);
    for (let i = 0; i < data.length; i += 3) data.set([200, 40, 90], i);
    expect(textureLevel({ width: 32, height: 32, channels: 3, data })).toBe(0);
  });

  it("matches the hand-computed value of a vertical step edge", () => {
    // Columns 0..15 black (0), 16..31 white (1 after scaling). gy = 0 everywhere (columns are constant
    // and the rows reflect). gx = (1·Δ + 2·Δ + 1·Δ) with Δ = I[x+1] − I[x−1]: Δ = 1 only at x = 15 and
    // x = 16, so |gx| = 4 there and 0 elsewhere. Per-pixel 0.5·4 = 2 on 2 columns × 32 rows = 64 pixels:
    // T = 64·2 / (32·32) = 128 / 1024 = 0.125.
    expect(textureLevel(gray(32, 32, (x) => (x < 16 ? 0 : 255)))).toBeCloseTo(0.125, 14);
    // A horizontal edge is the same by symmetry.
    expect(textureLevel(gray(32, 32, (_x, y) => (y < 16 ? 0 : 255)))).toBeCloseTo(0.125, 14);
    // Half-height step (0 → 51 = 0.2): 2 columns × 32 rows × 0.5·4·0.2 / 1024 = 0.025.
    expect(textureLevel(gray(32, 32, (x) => (x < 16 ? 0 : 51)))).toBeCloseTo(0.025, 14);
  });

  it("uses BORDER_REFLECT_101 at the frame", () => {
    // Only column 0 is white. Reflect-101: I[−1] = I[1] = 0, so gx(0) = 0; gx(1) = 4·(I[2] − I[0]) = −4;
    // gx elsewhere 0. One column of 32 pixels at 0.5·4 = 2: T = 64 / 1024 = 0.0625.
    // (BORDER_REPLICATE would also fire at column 0 and give 0.125.)
    expect(textureLevel(gray(32, 32, (x) => (x === 0 ? 255 : 0)))).toBeCloseTo(0.0625, 14);
  });

  it("gives a colour image the texture level of its luma", () => {
    const rng = new Rng(3);
    const w = 32;
    const h = 32;
    const data = new Uint8Array(w * h * 3);
    for (let i = 0; i < data.length; i++) data[i] = rng.nextInt(256);
    const colour: RasterImage = { width: w, height: h, channels: 3, data };
    const luma = new Float64Array(w * h);
    for (let i = 0; i < w * h; i++)
      luma[i] = (LUMA_R * data[3 * i]! + LUMA_G * data[3 * i + 1]! + LUMA_B * data[3 * i + 2]!) / 255;
    expect(textureLevel(colour)).toBeCloseTo(patchTextureLevelsGray(luma, w, h)[0]!, 12);
    // With R = G = B the colour image equals the 1-channel image of the same values.
    const grey = gray(w, h, (x, y) => data[3 * (y * w + x)]!);
    const rgb = new Uint8Array(w * h * 3);
    for (let i = 0; i < w * h; i++) rgb.fill(grey.data[i]!, 3 * i, 3 * i + 3);
    expect(textureLevel({ width: w, height: h, channels: 3, data: rgb })).toBeCloseTo(textureLevel(grey), 12);
  });

  it("splits a 64×64 image into four 32×32 patches (row-major) and averages them", () => {
    // Top-left flat, top-right vertical step at its local column 16, bottom-left horizontal step at its
    // local row 16, bottom-right flat but a different level from top-left. Each patch is computed as a
    // cropped image, so the jump between the flat quadrants at the patch seams does not count.
    const img = gray(64, 64, (x, y) => {
      if (y < 32) return x < 32 ? 10 : x < 48 ? 0 : 255;
      return x < 32 ? (y < 48 ? 0 : 255) : 250;
    });
    const p = patchTextureLevels(img);
    expect(p.length).toBe(4);
    expect(Array.from(p)).toEqual([0, expect.closeTo(0.125, 14), expect.closeTo(0.125, 14), 0]);
    expect(textureLevel(img)).toBeCloseTo(0.0625, 14);
  });

  it("ignores remainder strips and uses a small image whole", () => {
    expect(patchGrid(70, 40)).toEqual({ pw: 32, ph: 32, nx: 2, ny: 1 });
    expect(patchGrid(20, 20)).toEqual({ pw: 20, ph: 20, nx: 1, ny: 1 });
    expect(patchGrid(20, 70)).toEqual({ pw: 20, ph: 32, nx: 1, ny: 2 });
    expect(patchGrid(64, 64, 16)).toEqual({ pw: 16, ph: 16, nx: 4, ny: 4 });
    // The remainder strip of a 70-wide image (columns 64..69) holds an edge that must not count.
    const img = gray(70, 32, (x) => (x < 66 ? 0 : 255));
    expect(Array.from(patchTextureLevels(img))).toEqual([0, 0]);
    // A 20×20 step image is used whole: 2 columns × 20 rows × 2 / 400 = 0.2.
    expect(textureLevel(gray(20, 20, (x) => (x < 10 ? 0 : 255)))).toBeCloseTo(0.2, 14);
  });

  it("handles degenerate 1-pixel-wide windows (derivative along them is 0)", () => {
    const col = new Float64Array([0, 1, 0, 1]);
    // 1 × 4 column: gx = 0; gy at rows: y0: reflect I[-1]=I[1] → 4·(1−1)=0; y1: 4·(0−0)=0; y2: 4·(1−1)=0;
    // y3: reflect I[4]=I[2] → 4·(0−0)=0.
    expect(sobelTextureMean(col, 1, 0, 0, 1, 4)).toBe(0);
    const ramp = new Float64Array([0, 0.25, 0.5, 0.75]);
    // y1, y2: |gy| = 4·0.5 = 2 → 0.5·2 = 1 each; y0, y3: 0 by reflection. Mean = 2/4 = 0.5.
    expect(sobelTextureMean(ramp, 1, 0, 0, 1, 4)).toBeCloseTo(0.5, 15);
  });

  it("averages image texture levels over a bin", () => {
    const flat = gray(32, 32, () => 0);
    const step = gray(32, 32, (x) => (x < 16 ? 0 : 255));
    const big = gray(64, 32, (x) => (x < 16 ? 0 : 255)); // patches: 0.125 and 0 → 0.0625
    expect(binTextureLevel([flat, step, big])).toBeCloseTo((0 + 0.125 + 0.0625) / 3, 14);
    expect(() => binTextureLevel([])).toThrow(RangeError);
  });
});

describe("gridTextureScores", () => {
  it("scores each patch of the relative grid by its Sobel texture: flat 0, edges high", () => {
    // 10×6 image: left half flat, right half vertical stripes.
    const w = 10;
    const h = 6;
    const data = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 5; x < w; x++) data[y * w + x] = (x >> 1) % 2 ? 255 : 0;
    const s = gridTextureScores({ width: w, height: h, channels: 1, data }, 2);
    expect(s[0]).toBe(0);
    expect(s[2]).toBe(0);
    expect(s[1]).toBeGreaterThan(0.3);
    expect(s[3]).toBe(s[1]);
    expect(() => gridTextureScores({ width: w, height: h, channels: 1, data }, 0)).toThrow(/grid/);
  });
});
