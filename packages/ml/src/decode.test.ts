import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadImageError, decodeImage, decodeImageFile, resizeRaster, sniffImageFormat } from "./decode.ts";
import type { RasterImage } from "./raster.ts";

const FIXTURES = fileURLToPath(new URL("../../../test/fixtures/datasets/", import.meta.url));
const CAT = join(FIXTURES, "folder-small/cat/0000.jpg");
const BAD = join(FIXTURES, "folder-bad/cat");

async function rawRgb(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await sharp(bytes).removeAlpha().raw().toBuffer());
}

async function expectBad(p: Promise<unknown>, path: string, reason: RegExp): Promise<BadImageError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BadImageError);
  const bad = err as BadImageError;
  expect(bad.path).toBe(path);
  expect(bad.reason).toMatch(reason);
  expect(bad.message).toContain(path);
  return bad;
}

describe("decodeImageFile", () => {
  it("decodes a CIFAR JPEG to 32×32 interleaved RGB", async () => {
    const img = await decodeImageFile(CAT);
    expect(img.width).toBe(32);
    expect(img.height).toBe(32);
    expect(img.channels).toBe(3);
    expect(img.data).toBeInstanceOf(Uint8Array);
    expect(img.data.length).toBe(32 * 32 * 3);
    expect(img.data).toEqual(await rawRgb(await readFile(CAT)));
  });

  it("resizing to the image's own size changes nothing", async () => {
    const a = await decodeImageFile(CAT);
    const b = await decodeImageFile(CAT, { size: 32 });
    expect(b.data).toEqual(a.data);
  });

  it("resizes with fill (stretch) or cover (centre crop)", async () => {
    // 40×20: left half red, right half blue.
    const w = 40;
    const h = 20;
    const px = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) px.set(x < w / 2 ? [255, 0, 0] : [0, 0, 255], (y * w + x) * 3);
    const png = await sharp(px, { raw: { width: w, height: h, channels: 3 } })
      .png()
      .toBuffer();
    const fill = await decodeImage(png, "x.png", { size: 10 });
    expect([fill.width, fill.height]).toEqual([10, 10]);
    expect(Array.from(fill.data.subarray(0, 3))).toEqual([255, 0, 0]); // left edge still red
    const cover = await decodeImage(png, "x.png", { size: 10, fit: "cover" });
    expect([cover.width, cover.height]).toEqual([10, 10]);
    // Cover keeps the centre 20×20 of the 40×20 image: still half red, half blue.
    expect(cover.data[0]).toBeGreaterThan(200);
    expect(cover.data[(10 - 1) * 3 + 2]).toBeGreaterThan(200);
  });

  it("rejects a bad resize size", async () => {
    await expect(decodeImageFile(CAT, { size: 0 })).rejects.toThrow(RangeError);
  });
});

describe("wrong-mode images become 3-channel 8-bit RGB", () => {
  let base: Uint8Array;
  let rgb: Uint8Array;
  beforeAll(async () => {
    base = await readFile(CAT);
    rgb = await rawRgb(base);
  });

  const gray = (d: Uint8Array, i: number) => d[i * 3]!;

  it("grayscale: R = G = B", async () => {
    const png = await sharp(base).toColourspace("b-w").png().toBuffer();
    expect((await sharp(png).metadata()).channels).toBe(1);
    const img = await decodeImage(png, "g.png");
    expect(img.channels).toBe(3);
    const src = new Uint8Array(await sharp(png).toColourspace("b-w").raw().toBuffer());
    expect(src.length).toBe(32 * 32);
    for (let i = 0; i < 32 * 32; i++) {
      expect(img.data[i * 3]).toBe(src[i]);
      expect(img.data[i * 3 + 1]).toBe(gray(img.data, i));
      expect(img.data[i * 3 + 2]).toBe(gray(img.data, i));
    }
  });

  it("grayscale + alpha: alpha dropped, gray replicated", async () => {
    const png = await sharp(base).toColourspace("b-w").ensureAlpha(0.3).png().toBuffer();
    expect((await sharp(png).metadata()).channels).toBe(2);
    const img = await decodeImage(png, "ga.png");
    expect(img.channels).toBe(3);
    expect(img.data.length).toBe(32 * 32 * 3);
  });

  it("RGBA: alpha dropped without compositing (colour under transparency kept)", async () => {
    const png = await sharp(base).ensureAlpha(0).png().toBuffer(); // fully transparent
    expect((await sharp(png).metadata()).channels).toBe(4);
    const img = await decodeImage(png, "a.png");
    expect(img.data).toEqual(rgb);
  });

  it("palette PNG is expanded through its palette", async () => {
    const png = await sharp(base).png({ palette: true, colours: 16 }).toBuffer();
    expect((await sharp(png).metadata()).isPalette).toBe(true);
    const img = await decodeImage(png, "p.png");
    expect(img.channels).toBe(3);
    let maxDiff = 0;
    for (let i = 0; i < rgb.length; i++) maxDiff = Math.max(maxDiff, Math.abs(img.data[i]! - rgb[i]!));
    expect(maxDiff).toBeLessThan(64); // 16 colours: close, not exact
  });

  it("CMYK JPEG is converted to sRGB", async () => {
    const jpg = await sharp(base).toColourspace("cmyk").jpeg({ quality: 95 }).toBuffer();
    expect((await sharp(jpg).metadata()).space).toBe("cmyk");
    const img = await decodeImage(jpg, "c.jpg");
    expect(img.channels).toBe(3);
    let sum = 0;
    for (let i = 0; i < rgb.length; i++) sum += Math.abs(img.data[i]! - rgb[i]!);
    expect(sum / rgb.length).toBeLessThan(20); // colour-managed round trip, not bit-exact
  });

  it("16-bit PNG is scaled to 8 bits", async () => {
    const png = await sharp(base).toColourspace("rgb16").png().toBuffer();
    expect((await sharp(png).metadata()).depth).toBe("ushort");
    const img = await decodeImage(png, "16.png");
    expect(img.data).toEqual(rgb);
  });

  it("lossless WebP decodes exactly", async () => {
    const webp = await sharp(base).webp({ lossless: true }).toBuffer();
    expect((await decodeImage(webp, "w.webp")).data).toEqual(rgb);
  });
});

describe("bad files raise BadImageError naming the path and the reason", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "adq-decode-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("truncated JPEG", async () => {
    const p = join(BAD, "0001-truncated.jpg");
    await expectBad(decodeImageFile(p), p, /truncated/);
  });

  it("text file named .jpg", async () => {
    const p = join(BAD, "0002-text.jpg");
    const err = await expectBad(decodeImageFile(p), p, /not a JPEG, PNG or WebP/);
    // The bytes are never quoted: on a server they may belong to a file the caller must not read.
    expect(err.reason).not.toContain("this is a text");
  });

  it("zero-byte .png", async () => {
    const p = join(BAD, "0003-empty.png");
    await expectBad(decodeImageFile(p), p, /empty file \(0 bytes\)/);
  });

  it("missing file", async () => {
    const p = join(dir, "nope.jpg");
    await expectBad(decodeImageFile(p), p, /cannot read file \(ENOENT\)/);
  });

  it("GIF (a real image, but not an accepted format)", async () => {
    const p = join(dir, "anim.png");
    await writeFile(
      p,
      await sharp(await readFile(CAT))
        .gif()
        .toBuffer(),
    );
    await expectBad(decodeImageFile(p), p, /GIF image \(unsupported format\)/);
  });

  it("PNG with a corrupt body", async () => {
    const png = await sharp(await readFile(CAT))
      .png()
      .toBuffer();
    const broken = Buffer.from(png);
    for (let i = 60; i < broken.length - 20; i++) broken[i] = (broken[i]! * 31 + 7) & 0xff;
    const p = join(dir, "broken.png");
    await writeFile(p, broken);
    await expectBad(decodeImageFile(p), p, /corrupt|truncated/);
  });

  it("truncated PNG and WebP are recognised from their container", async () => {
    const png = await sharp(await readFile(CAT))
      .png()
      .toBuffer();
    const pngPath = join(dir, "cut.png");
    await writeFile(pngPath, png.subarray(0, png.length - 30));
    await expectBad(decodeImageFile(pngPath), pngPath, /truncated image data \(no PNG IEND chunk\)/);
    const webp = await sharp(await readFile(CAT))
      .webp()
      .toBuffer();
    const webpPath = join(dir, "cut.webp");
    await writeFile(webpPath, webp.subarray(0, webp.length - 30));
    await expectBad(decodeImageFile(webpPath), webpPath, /truncated image data \(\d+ of \d+ WebP bytes\)/);
  });

  it("gives each bad file the same reason when many fail concurrently", async () => {
    const paths = ["0001-truncated.jpg", "0002-text.jpg", "0003-empty.png"].map((f) => join(BAD, f));
    const corrupt = join(dir, "corrupt.jpg");
    const jpeg = Buffer.from(await readFile(CAT));
    for (let i = 200; i < jpeg.length - 2; i++) jpeg[i] = 0xff; // header intact, scan data destroyed
    await writeFile(corrupt, jpeg);
    paths.push(corrupt);
    const reasonOf = (p: string) =>
      decodeImageFile(p).then(
        () => "decoded",
        (e: unknown) => (e as BadImageError).reason,
      );
    const serial: string[] = [];
    for (const p of paths) serial.push(await reasonOf(p));
    expect(serial.slice(0, 3).every((r) => r !== "decoded")).toBe(true);
    const goods = Array.from({ length: 8 }, () => CAT);
    const concurrent = await Promise.all([...paths, ...paths, ...paths, ...goods].map(reasonOf));
    expect(concurrent.slice(0, 12)).toEqual([...serial, ...serial, ...serial]);
    expect(concurrent.slice(12).every((r) => r === "decoded")).toBe(true);
  });

  it("image over the pixel limit", async () => {
    const p = join(dir, "big.png");
    await writeFile(
      p,
      await sharp(await readFile(CAT))
        .resize(200, 200)
        .png()
        .toBuffer(),
    );
    await expectBad(decodeImageFile(p, { maxPixels: 100 * 100 }), p, /too large/);
  });
});

describe("sniffImageFormat", () => {
  it("recognises formats by content, not name", () => {
    expect(sniffImageFormat(Uint8Array.of(0xff, 0xd8, 0xff, 0xe0))).toEqual({ format: "jpeg" });
    expect(sniffImageFormat(Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a))).toEqual({
      format: "png",
    });
    expect(sniffImageFormat(new TextEncoder().encode("RIFF\0\0\0\0WEBPVP8 "))).toEqual({ format: "webp" });
    expect(sniffImageFormat(new TextEncoder().encode("BM6\0"))).toEqual({
      other: "a BMP image (unsupported format)",
    });
    const other = sniffImageFormat(Uint8Array.of(0, 1, 2));
    expect("other" in other && other.other).toMatch(/not a JPEG, PNG or WebP/);
  });
});

describe("resizeRaster", () => {
  it("is a no-op at the same size and resizes otherwise", async () => {
    const img: RasterImage = { width: 4, height: 2, channels: 3, data: new Uint8Array(24).fill(77) };
    expect(await resizeRaster(img, 4, "fill")).not.toBe(img);
    const sq: RasterImage = { width: 2, height: 2, channels: 3, data: new Uint8Array(12).fill(9) };
    expect(await resizeRaster(sq, 2)).toBe(sq);
    const big = await resizeRaster(img, 8);
    expect([big.width, big.height, big.channels]).toEqual([8, 8, 3]);
    expect(big.data.every((v) => v === 77)).toBe(true);
  });
});

describe("a JPEG cut mid-scan with its end marker re-added", () => {
  it("is rejected as truncated by both decode paths (libjpeg only warns and fills grey)", async () => {
    const src = await readFile(CAT);
    const sos = src.indexOf(Buffer.from([0xff, 0xda]));
    const cut = Buffer.concat([
      src.subarray(0, sos + Math.floor((src.length - sos) / 2)),
      Buffer.from([0xff, 0xd9]),
    ]);
    // sharp with failOn "error" alone accepts it: the bug this pins.
    await expect(sharp(cut, { failOn: "error" }).raw().toBuffer()).resolves.toBeDefined();
    for (const fastJpeg of [true, false])
      await expectBad(
        decodeImage(cut, "cut.jpg", { fastJpeg }),
        "cut.jpg",
        /the JPEG scan ends before the last block/,
      );
    // The whole file still decodes.
    expect((await decodeImage(src, "whole.jpg")).width).toBe(32);
  });
});
