import { Rng } from "@adq/core";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import {
  decodeStore,
  encodeHeader,
  encodeRecord,
  encodeStoreHeader,
  encodeStoreRecord,
  fillDropped,
  isLosslessWebp,
  type PatchedImage,
  patchBounds,
  readStore,
  recordPayload,
  type StoreEncoding,
  storeEncoding,
} from "./pq-store.ts";

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** A smooth image (gradients + a little texture): what photos look like to a codec. */
function smoothImage(rng: Rng, w: number, h: number, grid: number, keep: number): PatchedImage {
  const img = randomImage(rng, w, h, grid, keep);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++)
        img.data[(y * w + x) * 3 + c] = Math.floor((x * 150) / w + (y * 60) / h + c * 20) + rng.nextInt(4);
  return img;
}

/** Checks decoded records: metadata and mask equal, dropped patches zero, kept pixels' mean absolute error ≤ `tol`. */
function expectKept(a: PatchedImage, b: PatchedImage, grid: number, tol: number): number {
  let sum = 0;
  let count = 0;
  expect([b.index, b.label, b.width, b.height]).toEqual([a.index, a.label, a.width, a.height]);
  expect(b.mask).toEqual(a.mask);
  let worst = 0;
  for (let y = 0; y < a.height; y++)
    for (let x = 0; x < a.width; x++) {
      const kept = a.mask[patchOf(y, a.height, grid) * grid + patchOf(x, a.width, grid)] === 1;
      for (let k = 0; k < 3; k++) {
        const i = (y * a.width + x) * 3 + k;
        if (!kept) expect(b.data[i]).toBe(0);
        else {
          worst = Math.max(worst, Math.abs(b.data[i]! - a.data[i]!));
          sum += Math.abs(b.data[i]! - a.data[i]!);
          count++;
        }
      }
    }
  if (tol === 0) expect(worst).toBe(0);
  else expect(sum / count).toBeLessThanOrEqual(tol);
  return worst;
}

/** The patch index along one axis that covers coordinate v (by the store's own bounds rule). */
function patchOf(v: number, size: number, grid: number): number {
  for (let i = 0; i < grid; i++) {
    const [a, b] = patchBounds(size, grid, i);
    if (v >= a && v < b) return i;
  }
  throw new Error("uncovered");
}

function randomImage(rng: Rng, w: number, h: number, grid: number, keep: number): PatchedImage {
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < data.length; i++) data[i] = rng.nextInt(256);
  const mask = new Uint8Array(grid * grid);
  for (const i of rng.sampleIndices(grid * grid, keep)) mask[i] = 1;
  return { index: rng.nextInt(50000), label: rng.nextInt(10), width: w, height: h, channels: 3, data, mask };
}

describe("pixel-quantized store", () => {
  it("round-trips kept patches exactly and zeroes dropped ones", () => {
    const rng = new Rng(5);
    const imgs = [
      randomImage(rng, 32, 32, 8, 48),
      randomImage(rng, 37, 29, 8, 10),
      randomImage(rng, 32, 32, 8, 64),
    ];
    const parts = [encodeHeader(imgs.length, 8, 3), ...imgs.map((i) => encodeRecord(i, 8))];
    const bytes = Buffer.concat(parts);
    const back = [...decodeStore(bytes)];
    expect(back).toHaveLength(3);
    for (let n = 0; n < imgs.length; n++) {
      const a = imgs[n]!;
      const b = back[n]!;
      expect([b.index, b.label, b.width, b.height]).toEqual([a.index, a.label, a.width, a.height]);
      expect(b.mask).toEqual(a.mask);
      for (let y = 0; y < a.height; y++) {
        for (let x = 0; x < a.width; x++) {
          const r = patchOf(y, a.height, 8);
          const c = patchOf(x, a.width, 8);
          const kept = a.mask[r * 8 + c] === 1;
          for (let k = 0; k < 3; k++) {
            const i = (y * a.width + x) * 3 + k;
            expect(b.data[i]).toBe(kept ? a.data[i] : 0);
          }
        }
      }
    }
  });

  it("stores (1 − θ) of the pixels plus one bit per patch", () => {
    const rng = new Rng(6);
    const rec = encodeRecord(randomImage(rng, 32, 32, 8, 48), 8);
    expect(rec.length).toBe(10 + 8 + 48 * 16 * 3);
  });

  it("rejects truncation and foreign files", () => {
    const rng = new Rng(7);
    const bytes = Buffer.concat([encodeHeader(1, 8, 3), encodeRecord(randomImage(rng, 32, 32, 8, 30), 8)]);
    expect(() => [...decodeStore(bytes.subarray(0, bytes.length - 5))]).toThrow(/truncated/);
    expect(() => [...decodeStore(new Uint8Array(32))]).toThrow(/bad magic/);
    // A forged record claiming a 65535×65535 image is refused before anything is allocated.
    const forged = Buffer.from(bytes);
    forged.writeUInt16LE(65535, 16 + 6);
    forged.writeUInt16LE(65535, 16 + 8);
    expect(() => [...decodeStore(forged)]).toThrow(/implausible size 65535x65535/);
  });
});

describe("pixel-quantized store, version 2", () => {
  const build = async (imgs: PatchedImage[], enc: StoreEncoding) =>
    Buffer.concat([
      encodeStoreHeader(imgs.length, 8, enc),
      ...(await Promise.all(imgs.map((i) => encodeStoreRecord(i, 8, enc)))),
    ]);

  it("raw and lossless WebP keep every kept pixel exactly (any image size)", async () => {
    const rng = new Rng(8);
    const imgs = [
      smoothImage(rng, 32, 32, 8, 48),
      smoothImage(rng, 64, 64, 8, 40),
      randomImage(rng, 37, 29, 8, 10),
    ];
    for (const codec of ["raw", "webp-lossless"] as const) {
      const bytes = await build(imgs, { codec, quality: 0 });
      expect(storeEncoding(bytes)).toEqual({ codec, quality: 0, version: 2 });
      const back = await collect(readStore(bytes));
      expect(back).toHaveLength(3);
      for (const [n, a] of imgs.entries()) expectKept(a, back[n]!, 8, 0);
    }
    // raw v2 also reads synchronously; WebP needs the async reader and says so.
    expect([...decodeStore(await build(imgs, { codec: "raw", quality: 0 }))]).toHaveLength(3);
    const lossy = await build(imgs, { codec: "webp", quality: 90 });
    expect(() => [...decodeStore(lossy)]).toThrow(/readStore/);
  });

  it("lossy WebP keeps kept pixels close, is much smaller than raw, and is deterministic", async () => {
    const rng = new Rng(9);
    const imgs = Array.from({ length: 4 }, () => smoothImage(rng, 64, 64, 8, 48));
    const bytes = await build(imgs, { codec: "webp", quality: 90 });
    expect(await build(imgs, { codec: "webp", quality: 90 })).toEqual(bytes);
    expect(storeEncoding(bytes)).toEqual({ codec: "webp", quality: 90, version: 2 });
    const raw = await build(imgs, { codec: "raw", quality: 0 });
    expect(bytes.length).toBeLessThan(raw.length / 3);
    const back = await collect(readStore(bytes));
    for (const [n, a] of imgs.entries()) expectKept(a, back[n]!, 8, 3);
  });

  it("lossy WebP codes a greyscale image lossless when that is smaller, exactly; colour stays lossy", async () => {
    const rng = new Rng(10);
    // A small digit-like greyscale image (MNIST: black background, a bright stroke).
    const grey = randomImage(rng, 28, 28, 8, 48);
    for (let y = 0; y < 28; y++)
      for (let x = 0; x < 28; x++) {
        const v = Math.abs(x - 14) < 3 && y > 4 && y < 24 ? 255 - rng.nextInt(30) : 0;
        grey.data.fill(v, (y * 28 + x) * 3, (y * 28 + x) * 3 + 3);
      }
    const colour = smoothImage(rng, 28, 28, 8, 48);
    const recs = await Promise.all(
      [grey, colour].map((i) => encodeStoreRecord(i, 8, { codec: "webp", quality: 90 })),
    );
    expect(recs.map((r) => isLosslessWebp(recordPayload(r, 8)))).toEqual([true, false]);
    const lossyGrey = await sharp(fillDropped(grey, 8), { raw: { width: 28, height: 28, channels: 3 } })
      .webp({ quality: 90, effort: 4 })
      .toBuffer();
    expect(recordPayload(recs[0]!, 8).length).toBeLessThan(lossyGrey.length);
    const back = await collect(readStore(await build([grey, colour], { codec: "webp", quality: 90 })));
    expectKept(grey, back[0]!, 8, 0);
    expectKept(colour, back[1]!, 8, 12);
  });

  it("fills dropped patches from their left (else upper) neighbour", () => {
    const img: PatchedImage = {
      index: 0,
      label: 0,
      width: 4,
      height: 4,
      channels: 3,
      data: Uint8Array.from({ length: 48 }, (_, i) => i),
      mask: Uint8Array.from([0, 1, 1, 0]),
    };
    const d = fillDropped(img, 2);
    // Patch 0 (top-left, 2×2): no left or upper neighbour → 128.
    expect(Array.from(d.subarray(0, 6))).toEqual([128, 128, 128, 128, 128, 128]);
    // Patch 3 (bottom-right): each row repeats the pixel at x = 1 of that row.
    for (const y of [2, 3])
      for (const x of [2, 3])
        for (let k = 0; k < 3; k++) expect(d[(y * 4 + x) * 3 + k]).toBe(img.data[(y * 4 + 1) * 3 + k]);
    // Kept pixels untouched, input not modified.
    expect(d[(0 * 4 + 2) * 3]).toBe(img.data[(0 * 4 + 2) * 3]);
    expect(img.data[0]).toBe(0);
  });

  it("still reads version 1 and refuses versions and codecs it does not know, by name", async () => {
    const rng = new Rng(10);
    const a = randomImage(rng, 32, 32, 8, 48);
    const v1 = Buffer.concat([encodeHeader(1, 8, 3), encodeRecord(a, 8)]);
    expect(storeEncoding(v1)).toEqual({ codec: "raw", quality: 0, version: 1 });
    expectKept(a, (await collect(readStore(v1)))[0]!, 8, 0);
    const v9 = Buffer.from(v1);
    v9[5] = 9;
    expect(() => [...decodeStore(v9)]).toThrow(
      /format version 9 is not readable by this adq \(it reads versions 1–2\)/,
    );
    await expect(collect(readStore(v9))).rejects.toThrow(/version 9/);
    const badCodec = Buffer.from(await build([a], { codec: "raw", quality: 0 }));
    badCodec[14] = 7;
    await expect(collect(readStore(badCodec))).rejects.toThrow(/store codec 7 is unknown/);
    const webp = await build([a], { codec: "webp-lossless", quality: 0 });
    await expect(collect(readStore(webp.subarray(0, webp.length - 10)))).rejects.toThrow(
      /truncated in record 0/,
    );
    const corrupt = Buffer.from(webp);
    corrupt.fill(0, 16 + 18 + 4, 16 + 18 + 40);
    await expect(collect(readStore(corrupt))).rejects.toThrow(/record 0: its image does not decode/);
  });
});
