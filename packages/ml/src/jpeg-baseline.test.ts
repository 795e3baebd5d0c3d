// The small-JPEG fast path decodes exactly what sharp decodes (every pixel equal) or declines.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { decodeImage } from "./decode.ts";
import { decodeBaselineJpeg, FAST_JPEG_MAX_PIXELS } from "./jpeg-baseline.ts";

const FIXTURES = join(import.meta.dirname, "../../../test/fixtures/jpeg");
/** The bundled demo set (demo/README.md), located from here: ml does not depend on the CLI. */
const DEFAULT_DATASET = join(import.meta.dirname, "../../../demo/cifar10-demo");

async function viaSharp(bytes: Uint8Array): Promise<Buffer> {
  return sharp(bytes, { failOn: "error" }).removeAlpha().toColourspace("srgb").raw().toBuffer();
}

function firstDiff(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return -2;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

describe("decodeBaselineJpeg", () => {
  it("equals sharp on every image of the bundled CIFAR-10 demo set (2,000 real JPEGs)", async () => {
    let n = 0;
    for (const c of readdirSync(DEFAULT_DATASET).sort())
      for (const f of readdirSync(join(DEFAULT_DATASET, c)).sort()) {
        const bytes = readFileSync(join(DEFAULT_DATASET, c, f));
        const fast = decodeBaselineJpeg(bytes);
        expect(fast, `${c}/${f} should take the fast path`).not.toBeNull();
        expect(firstDiff(fast!.data, await viaSharp(bytes)), `${c}/${f}`).toBe(-1);
        n++;
      }
    expect(n).toBe(2000);
  }, 120_000);

  it("equals sharp on 4:2:2, 4:4:4 (optimised Huffman), 4:2:0 at q30 and greyscale, odd sizes included", async () => {
    const files = readdirSync(FIXTURES).filter((f) => !f.startsWith("progressive"));
    expect(files.length).toBe(12);
    for (const f of files) {
      const bytes = readFileSync(join(FIXTURES, f));
      const fast = decodeBaselineJpeg(bytes);
      expect(fast, f).not.toBeNull();
      const ref = await sharp(bytes).metadata();
      expect([fast!.width, fast!.height], f).toEqual([ref.width, ref.height]);
      expect(firstDiff(fast!.data, await viaSharp(bytes)), f).toBe(-1);
    }
  });

  it("equals sharp on JPEGs sharp encodes: both subsamplings, many sizes and qualities", async () => {
    const base = await sharp(readFileSync(join(FIXTURES, "s444-64x48-optimized.jpg")))
      .raw()
      .toBuffer({ resolveWithObject: true });
    for (const [w, h] of [
      [32, 32],
      [33, 17],
      [17, 33],
      [8, 8],
      [16, 9],
      [100, 60],
      [5, 7],
    ] as const)
      for (const chromaSubsampling of ["4:2:0", "4:4:4"])
        for (const quality of [40, 90, 100]) {
          const bytes = await sharp(base.data, { raw: base.info })
            .resize(w, h, { fit: "fill" })
            .jpeg({ quality, chromaSubsampling })
            .toBuffer();
          const fast = decodeBaselineJpeg(bytes);
          const label = `${w}x${h} ${chromaSubsampling} q${quality}`;
          // Chroma planes under 3 samples wide are libjpeg's box-filter case: declined.
          if (chromaSubsampling === "4:2:0" && (Math.ceil(w / 2) < 3 || Math.ceil(h / 2) < 3)) {
            expect(fast, label).toBeNull();
            continue;
          }
          expect(fast, label).not.toBeNull();
          expect(firstDiff(fast!.data, await viaSharp(bytes)), label).toBe(-1);
        }
  });

  it("declines what it does not decode exactly: progressive, large, restart intervals, corrupt data", async () => {
    for (const f of readdirSync(FIXTURES).filter((x) => x.startsWith("progressive")))
      expect(decodeBaselineJpeg(readFileSync(join(FIXTURES, f))), f).toBeNull();
    const big = await sharp({ create: { width: 200, height: 200, channels: 3, background: "#808080" } })
      .jpeg()
      .toBuffer();
    expect(200 * 200).toBeGreaterThan(FAST_JPEG_MAX_PIXELS);
    expect(decodeBaselineJpeg(big)).toBeNull();
    expect(decodeBaselineJpeg(big, 200 * 200)).not.toBeNull();

    const good = readFileSync(join(FIXTURES, "s422-32x32.jpg"));
    // Component ids R, G, B (no JFIF/Adobe colour transform): libjpeg reads RGB planes.
    const rgb = Buffer.from(good);
    const sof = rgb.indexOf(Buffer.from([0xff, 0xc0]));
    [0x52, 0x47, 0x42].forEach((id, i) => {
      rgb[sof + 10 + 3 * i] = id;
    });
    for (let i = sof; i < rgb.length - 1; i++)
      if (rgb[i] === 0xff && rgb[i + 1] === 0xda) {
        [0x52, 0x47, 0x42].forEach((id, k) => {
          rgb[i + 5 + 2 * k] = id;
        });
        break;
      }
    expect(decodeBaselineJpeg(rgb)).toBeNull();
    // A restart interval (DRI) segment inserted after SOI.
    const dri = Buffer.concat([good.subarray(0, 2), Buffer.from([0xff, 0xdd, 0, 4, 0, 1]), good.subarray(2)]);
    expect(decodeBaselineJpeg(dri)).toBeNull();
    // Truncated inside the scan, garbage in the entropy data, a random tail: never a throw.
    expect(decodeBaselineJpeg(good.subarray(0, good.length - 200))).toBeNull();
    const junk = Buffer.from(good);
    for (let i = good.length - 300; i < good.length - 2; i++) junk[i] = 0xff;
    expect(decodeBaselineJpeg(junk)).toBeNull();
  });
});

describe("decodeImage uses the fast path only where it is exact", () => {
  it("gives the same pixels and errors with and without it", async () => {
    const f = join(FIXTURES, "s420-37x29-q30.jpg");
    const bytes = readFileSync(f);
    const fast = await decodeImage(bytes, f);
    const slow = await decodeImage(bytes, f, { fastJpeg: false });
    expect(fast).toEqual(slow);
    // A resize goes to sharp (it may shrink while decoding); the image's own size does not.
    expect(await decodeImage(bytes, f, { size: 16 })).toEqual(
      await decodeImage(bytes, f, { size: 16, fastJpeg: false }),
    );
    for (const c of readdirSync(DEFAULT_DATASET).sort()) {
      const g = join(DEFAULT_DATASET, c, readdirSync(join(DEFAULT_DATASET, c)).sort()[0]!);
      const b = readFileSync(g);
      expect(await decodeImage(b, g, { size: 32 }), g).toEqual(
        await decodeImage(b, g, { size: 32, fastJpeg: false }),
      );
    }
    // The pixel limit is sharp's rule either way.
    await expect(decodeImage(bytes, f, { maxPixels: 100 })).rejects.toThrow(/over the pixel limit/);
    // A corrupt scan gets sharp's verdict (and message), not the fast path's.
    const broken = Buffer.from(bytes);
    broken.fill(0xff, 400, bytes.length - 2);
    const a = await decodeImage(broken, f).then(
      () => "ok",
      (e: Error) => e.message,
    );
    const b = await decodeImage(broken, f, { fastJpeg: false }).then(
      () => "ok",
      (e: Error) => e.message,
    );
    expect(a).toBe(b);
  });

  it("fuzzed JPEGs get the same outcome (pixels, or rejection) with and without it", async () => {
    let seed = 99;
    let decoded = 0;
    for (const f of ["s422-32x32.jpg", "s420-37x29-q30.jpg", "s444-64x48-optimized.jpg", "grey-32x32.jpg"]) {
      const good = readFileSync(join(FIXTURES, f));
      for (let k = 0; k < 250; k++) {
        const fuzzed = Buffer.from(good);
        for (let j = 0; j <= k % 4; j++) {
          seed = (seed * 1103515245 + 12345) >>> 0;
          fuzzed[2 + (seed % (good.length - 4))] = seed >>> 24;
        }
        const outcome = (fastJpeg: boolean) =>
          decodeImage(fuzzed, f, { fastJpeg }).then(
            (img) => `${Buffer.from(img.data).toString("base64")}${img.width}x${img.height}`,
            (e: Error) => e.message,
          );
        const fast = await outcome(true);
        expect(fast, `${f} mutation ${k}`).toBe(await outcome(false));
        if (!fast.startsWith("bad image")) decoded++;
      }
    }
    // Most mutations still decode (into damaged pixels): the comparison is not vacuous.
    expect(decoded).toBeGreaterThan(500);
  });
});
