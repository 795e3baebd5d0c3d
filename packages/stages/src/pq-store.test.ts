import { describe, expect, it } from "vitest";
import { Rng } from "#core";
import { decodeStore, encodeHeader, encodeRecord, type PatchedImage, patchBounds } from "./pq-store.ts";

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
