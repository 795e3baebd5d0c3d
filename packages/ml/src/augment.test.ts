import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { Rng } from "@adq/core";
import { beforeAll, describe, expect, it } from "vitest";
import {
  applyView,
  colorJitter,
  contrastiveView,
  cropResize,
  DEFAULT_VIEW_AUGMENT,
  flipHorizontal,
  type JitterParams,
  REFERENCE_CODE_VIEW_AUGMENT,
  sampleCropBox,
  sampleViewParams,
  type ViewAugmentConfig,
} from "./augment.ts";
import { decodeImage } from "./decode.ts";
import type { RasterImage } from "./raster.ts";

const CAT = fileURLToPath(
  new URL("../../../test/fixtures/datasets/folder-small/cat/0000.jpg", import.meta.url),
);

let img: RasterImage;
beforeAll(async () => {
  img = await decodeImage(await readFile(CAT), CAT);
});

const NO_AUG: ViewAugmentConfig = {
  size: 32,
  scale: [1, 1],
  ratio: [1, 1],
  flipProbability: 0,
  jitter: null,
};

function gray(w: number, h: number, values: number[], channels: 1 | 3 = 1): RasterImage {
  return { width: w, height: h, channels, data: Uint8Array.from(values) };
}

describe("contrastiveView", () => {
  it("is deterministic in (seed, item id, view index)", () => {
    const a = contrastiveView(img, 42, "cat/0000.jpg", 0);
    expect(contrastiveView(img, 42, "cat/0000.jpg", 0).data).toEqual(a.data);
    expect([a.width, a.height, a.channels]).toEqual([32, 32, 3]);
    expect(contrastiveView(img, 42, "cat/0000.jpg", 1).data).not.toEqual(a.data);
    expect(contrastiveView(img, 43, "cat/0000.jpg", 0).data).not.toEqual(a.data);
    expect(contrastiveView(img, 42, "cat/0001.jpg", 0).data).not.toEqual(a.data);
  });

  it("does not depend on the order in which views are made", () => {
    const ids = ["a", "b", "c", "d"];
    const forward = ids.map((id) => contrastiveView(img, 7, id).data);
    const backward = [...ids]
      .reverse()
      .map((id) => contrastiveView(img, 7, id).data)
      .reverse();
    expect(backward).toEqual(forward);
  });

  it("draws from Rng.derive(seed, 'view', itemId, viewIndex)", () => {
    const params = sampleViewParams(Rng.derive(5, "view", "x/1.jpg", 2), 32, 32, DEFAULT_VIEW_AUGMENT);
    expect(contrastiveView(img, 5, "x/1.jpg", 2).data).toEqual(applyView(img, params, 32).data);
  });

  it("with scale 1, ratio 1, no flip and no jitter is the identity", () => {
    expect(contrastiveView(img, 1, "id", 0, NO_AUG).data).toEqual(img.data);
    // Scale 1 with the usual ratio range falls back to the full (square) image as well.
    const full = { ...NO_AUG, ratio: [3 / 4, 4 / 3] as const };
    expect(contrastiveView(img, 1, "id", 0, full).data).toEqual(img.data);
  });

  it("outputs the configured size from any input size", () => {
    const big: RasterImage = {
      width: 60,
      height: 40,
      channels: 3,
      data: new Uint8Array(60 * 40 * 3).fill(90),
    };
    const v = contrastiveView(big, 3, "big", 0);
    expect([v.width, v.height]).toEqual([32, 32]);
    expect(v.data.every((x) => Math.abs(x - 90) <= 40)).toBe(true); // constant in, jittered constant out
  });
});

describe("sampleCropBox", () => {
  it("stays inside the image, within the scale and ratio ranges (up to rounding)", () => {
    const rng = new Rng(11);
    for (const cfg of [DEFAULT_VIEW_AUGMENT, REFERENCE_CODE_VIEW_AUGMENT]) {
      for (let i = 0; i < 2000; i++) {
        const b = sampleCropBox(rng, 32, 32, cfg.scale, cfg.ratio);
        expect(b.x >= 0 && b.y >= 0 && b.x + b.width <= 32 && b.y + b.height <= 32).toBe(true);
        const area = (b.width * b.height) / 1024;
        expect(area).toBeGreaterThan(cfg.scale[0] * 0.6);
        expect(area).toBeLessThanOrEqual(1);
        const ratio = b.width / b.height;
        expect(ratio).toBeGreaterThan(0.5);
        expect(ratio).toBeLessThan(2);
      }
    }
  });

  it("falls back to a centre crop clamped to the ratio range", () => {
    // A 100×10 strip: no crop of ratio ≤ 4/3 can have scale ≥ 0.9, so all 10 tries fail.
    const b = sampleCropBox(new Rng(1), 100, 10, [0.9, 1], [3 / 4, 4 / 3]);
    expect(b).toEqual({ x: 43, y: 0, width: 13, height: 10 });
  });
});

describe("flipHorizontal", () => {
  it("mirrors columns, and twice is the identity", () => {
    const g = gray(3, 2, [1, 2, 3, 4, 5, 6]);
    expect(Array.from(flipHorizontal(g).data)).toEqual([3, 2, 1, 6, 5, 4]);
    const rgb = gray(2, 1, [1, 2, 3, 4, 5, 6], 3);
    expect(Array.from(flipHorizontal(rgb).data)).toEqual([4, 5, 6, 1, 2, 3]);
    expect(flipHorizontal(flipHorizontal(img)).data).toEqual(img.data);
  });
});

describe("cropResize", () => {
  it("full box at the same size is the identity", () => {
    expect(cropResize(img, { x: 0, y: 0, width: 32, height: 32 }, 32, 32).data).toEqual(img.data);
  });

  it("a crop at its own size is a plain copy of the region", () => {
    const c = cropResize(img, { x: 3, y: 5, width: 10, height: 7 }, 10, 7);
    for (let y = 0; y < 7; y++)
      for (let x = 0; x < 10; x++)
        for (let ch = 0; ch < 3; ch++)
          expect(c.data[(y * 10 + x) * 3 + ch]).toBe(img.data[((y + 5) * 32 + x + 3) * 3 + ch]);
  });

  it("enlarges with bilinear interpolation, half-pixel centres (as torch align_corners=False)", () => {
    const out = cropResize(gray(2, 1, [0, 100]), { x: 0, y: 0, width: 2, height: 1 }, 4, 1);
    expect(Array.from(out.data)).toEqual([0, 25, 75, 100]);
  });

  it("shrinks with an antialiasing (widened) triangle filter and keeps constants constant", () => {
    const flat = gray(8, 8, new Array(64).fill(200));
    expect(cropResize(flat, { x: 0, y: 0, width: 8, height: 8 }, 3, 3).data.every((v) => v === 200)).toBe(
      true,
    );
    // Stripes 0/255 halved: every source pixel contributes, so the result is mid-grey-ish,
    // not the 0 or 255 a point sampler would alias to.
    const stripes = gray(8, 1, [0, 255, 0, 255, 0, 255, 0, 255]);
    const half = cropResize(stripes, { x: 0, y: 0, width: 8, height: 1 }, 4, 1);
    for (const v of half.data) expect(v).toBeGreaterThan(60);
    for (const v of half.data) expect(v).toBeLessThan(195);
  });

  it("rejects a box outside the image", () => {
    expect(() => cropResize(img, { x: 30, y: 0, width: 5, height: 5 }, 8, 8)).toThrow(RangeError);
  });
});

describe("colorJitter", () => {
  const identity: JitterParams = {
    brightness: 1,
    contrast: 1,
    saturation: 1,
    order: ["saturation", "brightness", "contrast"],
  };

  it("factors of 1 are the identity, in any order", () => {
    expect(colorJitter(img, identity).data).toEqual(img.data);
    expect(colorJitter(img, { ...identity, order: ["contrast", "saturation", "brightness"] }).data).toEqual(
      img.data,
    );
  });

  it("brightness scales and clamps", () => {
    const px = gray(3, 1, [100, 200, 255]);
    const b = colorJitter(px, { ...identity, brightness: 0.5, order: ["brightness"] });
    expect(Array.from(b.data)).toEqual([50, 100, 128]);
    const up = colorJitter(px, { ...identity, brightness: 1.4, order: ["brightness"] });
    expect(Array.from(up.data)).toEqual([140, 255, 255]);
  });

  it("contrast blends with the mean luma; saturation with each pixel's luma", () => {
    const two = gray(2, 1, [255, 0, 0, 0, 0, 255], 3); // red, blue
    // luma: red 76.245, blue 29.07 → mean 52.6575; contrast 0 gives it everywhere.
    const flat = colorJitter(two, { ...identity, contrast: 0, order: ["contrast"] });
    expect(Array.from(flat.data)).toEqual([53, 53, 53, 53, 53, 53]);
    const grey = colorJitter(two, { ...identity, saturation: 0, order: ["saturation"] });
    expect(Array.from(grey.data)).toEqual([76, 76, 76, 29, 29, 29]);
    // The order matters once clamping kicks in: brighten-then-desaturate ≠ desaturate-then-brighten.
    const p = { ...identity, brightness: 2, saturation: 0 };
    const bs = colorJitter(two, { ...p, order: ["brightness", "saturation"] });
    const sb = colorJitter(two, { ...p, order: ["saturation", "brightness"] });
    expect(Array.from(bs.data)).toEqual([76, 76, 76, 29, 29, 29]);
    expect(Array.from(sb.data)).toEqual([152, 152, 152, 58, 58, 58]);
  });

  it("draws factors in [1 − s, 1 + s] and a random order", () => {
    const cfg: ViewAugmentConfig = {
      ...DEFAULT_VIEW_AUGMENT,
      jitter: { brightness: 0.4, contrast: 0.4, saturation: 0.4, probability: 1 },
    };
    const orders = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const p = sampleViewParams(Rng.derive(0, "t", i), 32, 32, cfg);
      expect(p.jitter).not.toBeNull();
      for (const f of [p.jitter!.brightness, p.jitter!.contrast, p.jitter!.saturation]) {
        expect(f).toBeGreaterThanOrEqual(0.6);
        expect(f).toBeLessThanOrEqual(1.4);
      }
      orders.add(p.jitter!.order.join());
    }
    expect(orders.size).toBe(6);
  });
});
