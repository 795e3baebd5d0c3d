/**
 * Image decoding with sharp (libvips) to 8-bit RGB `RasterImage`s.
 *
 * Colour modes: every accepted image comes out as 3-channel sRGB, 8 bits per channel, so the
 * feature model always sees the same layout:
 * - grayscale (with or without alpha) is replicated into R = G = B;
 * - palette (indexed) PNG/WebP is expanded through its palette;
 * - CMYK JPEG is converted to sRGB through its embedded ICC profile (libvips' default CMYK
 *   profile when none is embedded);
 * - 16-bit PNG is scaled to 8 bits;
 * - alpha is dropped, not composited: the colour under a transparent pixel is kept, which is
 *   what PIL's `convert("RGB")` (and therefore torchvision's ImageFolder loader) does.
 * EXIF orientation is not applied, again like PIL's loader, so pixels match a PyTorch pipeline.
 * Anything else — a zero-byte file, a file that is not JPEG/PNG/WebP whatever its extension
 * says, a truncated or corrupt bitstream, an image over the pixel limit — raises
 * `BadImageError` naming the path and the reason.
 */
import { closeSync, openSync } from "node:fs";
import { open } from "node:fs/promises";
import type { ErrorInfo, TypedError } from "@adq/core";
import sharp from "sharp";
import {
  FileTooLargeError,
  readBounded,
  readBoundedSync,
  readConfinedFile,
  readConfinedFileSync,
} from "./confine.ts";
import { DatasetError } from "./errors.ts";
import { decodeBaselineJpeg, FAST_JPEG_MAX_PIXELS } from "./jpeg-baseline.ts";
import type { RasterImage } from "./raster.ts";

/** A file that cannot be decoded into an image; `reason` says why, for the user. */
export class BadImageError extends Error implements TypedError {
  override readonly name = "BadImageError";
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`bad image ${path}: ${reason}`);
  }

  get info(): ErrorInfo {
    return {
      status: "INVALID_ARGUMENT",
      message: this.message,
      reason: "BAD_FILES",
      path: this.path,
      detail: this.reason,
    };
  }
}

export interface DecodeOptions {
  /** Resize to size × size after decoding; omitted = keep the image's own size. */
  size?: number;
  /**
   * How a non-square image reaches size × size: "fill" stretches (torchvision
   * `Resize((S, S))`), "cover" scales the shorter side to S and centre-crops
   * (`Resize(S)` + `CenterCrop(S)`). Default "fill".
   */
  fit?: "fill" | "cover";
  /** Decompression-bomb guard: larger images are rejected. Default 64 Mpixel. */
  maxPixels?: number;
  /**
   * Decode small baseline JPEGs in TypeScript (jpeg-baseline.ts: the same pixels as sharp,
   * several times faster for thumbnails). Default true; `ADQ_FAST_JPEG=0` turns it off.
   */
  fastJpeg?: boolean;
}

const FAST_JPEG_DEFAULT = process.env.ADQ_FAST_JPEG !== "0";

/** The container formats we accept, recognised from their magic bytes rather than the name. */
export type ImageFormat = "jpeg" | "png" | "webp";

const DEFAULT_MAX_PIXELS = 64 * 1024 * 1024;

/**
 * The largest image file read, by default: an 8-bit RGBA image at the pixel cap stored
 * uncompressed (4 bytes a pixel) plus 1 MiB of headers and metadata. A larger file cannot
 * hold an image the decoder would accept, so it is refused before it is read: memory per
 * read is bounded by this, not by the file (a sparse 1.9 GB `.jpg` costs nothing on disk).
 */
export function defaultMaxFileBytes(maxPixels = DEFAULT_MAX_PIXELS): number {
  return maxPixels * 4 + (1 << 20);
}

/**
 * Recognises a JPEG, PNG or WebP from its first bytes. Returns a description of what the
 * content is instead (for the error message) when it is none of them.
 */
export function sniffImageFormat(bytes: Uint8Array): { format: ImageFormat } | { other: string } {
  const b = bytes;
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return { format: "jpeg" };
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47)
    return { format: "png" };
  if (b.length >= 12 && ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 12) === "WEBP") return { format: "webp" };
  if (ascii(b, 0, 4) === "GIF8") return { other: "a GIF image (unsupported format)" };
  if (ascii(b, 0, 2) === "BM") return { other: "a BMP image (unsupported format)" };
  if (ascii(b, 0, 4) === "II*\0" || ascii(b, 0, 4) === "MM\0*")
    return { other: "a TIFF image (unsupported format)" };
  // Never quote the bytes: on a server they may be a file the caller must not read.
  return { other: "not a JPEG, PNG or WebP image (unrecognised content)" };
}

function ascii(b: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < Math.min(end, b.length); i++) s += String.fromCharCode(b[i]!);
  return s;
}

/**
 * Detects a truncated file from its container structure, before libvips sees it. libvips'
 * error text is process-global and can be torn or swapped between concurrent failures
 * (lovell/sharp#902), so the common case gets a deterministic reason this way.
 */
export function truncationReason(bytes: Uint8Array, format: ImageFormat): string | undefined {
  const n = bytes.length;
  if (format === "jpeg") {
    // Search backwards: trailing bytes after the end-of-image marker are tolerated.
    for (let i = n - 2; i >= 2; i--) if (bytes[i] === 0xff && bytes[i + 1] === 0xd9) return undefined;
    return "truncated image data (no JPEG end-of-image marker)";
  }
  if (format === "png") {
    for (let i = n - 4; i >= 8; i--)
      if (bytes[i] === 0x49 && bytes[i + 1] === 0x45 && bytes[i + 2] === 0x4e && bytes[i + 3] === 0x44)
        return undefined;
    return "truncated image data (no PNG IEND chunk)";
  }
  const riffSize = bytes[4]! | (bytes[5]! << 8) | (bytes[6]! << 16) | (bytes[7]! << 24);
  return (riffSize >>> 0) + 8 > n
    ? `truncated image data (${n} of ${(riffSize >>> 0) + 8} WebP bytes)`
    : undefined;
}

/**
 * A one-line reason a user can act on. libvips' error text is NOT used verbatim: its error
 * buffer is shared between threads, so under concurrent decodes a failing image can get a
 * truncated or another image's message (lovell/sharp#902). The reason must be a function of
 * the file alone — it ends up in manifests, which are byte-identical across runs — so only the
 * category is taken from the message, and the rest comes from our own sniffing.
 */
function describeSharpError(err: unknown, format: ImageFormat): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (/pixel limit/i.test(msg)) return "image too large (over the pixel limit)";
  return `corrupt image data (the ${format.toUpperCase()} decoder rejected it)`;
}

function buildPipeline(bytes: Uint8Array, opts: DecodeOptions, failOn: "error" | "warning"): sharp.Sharp {
  let pipeline = sharp(bytes, {
    failOn,
    limitInputPixels: opts.maxPixels ?? DEFAULT_MAX_PIXELS,
  })
    .removeAlpha()
    .toColourspace("srgb");
  if (opts.size !== undefined) pipeline = withResize(pipeline, opts.size, opts.fit ?? "fill");
  return pipeline.raw({ depth: "uchar" });
}

class ScanEndsEarly extends Error {}

/**
 * sharp's decode. JPEGs are tried with failOn "warning" first: libjpeg only *warns* when the
 * entropy-coded data stops before the last block ("premature end of data segment" — a file cut
 * mid-scan with its end marker re-added) and fills the rest with grey, so failOn "error" alone
 * would accept a half-missing image silently. Other warnings (e.g. extraneous bytes before a
 * marker, common in camera JPEGs) are benign: those files are decoded again with failOn
 * "error". Only the category is read from libvips' message (see describeSharpError).
 */
async function decodeWithSharp(
  bytes: Uint8Array,
  opts: DecodeOptions,
  format: ImageFormat,
): Promise<{ data: Buffer; info: sharp.OutputInfo }> {
  if (format !== "jpeg") return buildPipeline(bytes, opts, "error").toBuffer({ resolveWithObject: true });
  try {
    return await buildPipeline(bytes, opts, "warning").toBuffer({ resolveWithObject: true });
  } catch (strict) {
    const out = await buildPipeline(bytes, opts, "error").toBuffer({ resolveWithObject: true });
    if (/premature end/i.test(strict instanceof Error ? strict.message : String(strict)))
      throw new ScanEndsEarly("truncated image data (the JPEG scan ends before the last block)");
    return out;
  }
}

/**
 * Decodes an encoded image (the bytes of a file) to RGB. Performs no file I/O: `path` is only
 * used to name the image in errors.
 */
export async function decodeImage(
  bytes: Uint8Array,
  path: string,
  opts: DecodeOptions = {},
): Promise<RasterImage> {
  if (bytes.length === 0) throw new BadImageError(path, "empty file (0 bytes)");
  const sniffed = sniffImageFormat(bytes);
  if ("other" in sniffed) throw new BadImageError(path, sniffed.other);
  const truncated = truncationReason(bytes, sniffed.format);
  if (truncated !== undefined) throw new BadImageError(path, truncated);
  if (opts.size !== undefined) checkSize(opts.size);
  if (sniffed.format === "jpeg" && (opts.fastJpeg ?? FAST_JPEG_DEFAULT)) {
    const fast = decodeBaselineJpeg(
      bytes,
      Math.min(FAST_JPEG_MAX_PIXELS, opts.maxPixels ?? DEFAULT_MAX_PIXELS),
    );
    // Only without a resize: sharp may resize JPEGs while decoding (shrink-on-load).
    if (fast && (opts.size === undefined || (fast.width === opts.size && fast.height === opts.size)))
      return { width: fast.width, height: fast.height, channels: 3, data: fast.data };
  }
  let out: { data: Buffer; info: sharp.OutputInfo };
  try {
    out = await decodeWithSharp(bytes, opts, sniffed.format);
  } catch (err) {
    if (err instanceof ScanEndsEarly) throw new BadImageError(path, err.message);
    throw new BadImageError(path, describeSharpError(err, sniffed.format));
  }
  const { data, info } = out;
  if (info.channels !== 3)
    throw new BadImageError(path, `decoded to ${info.channels} channels, cannot convert to RGB`);
  return {
    width: info.width,
    height: info.height,
    channels: 3,
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
  };
}

/** Resource exhaustion says nothing about the file: it must fail the job, not be skipped. */
const TRANSIENT_IO = new Set(["EMFILE", "ENFILE", "ENOMEM", "EAGAIN", "EBUSY"]);

/**
 * Reads an image file's bytes. A missing or unreadable file is a `BadImageError` (so that
 * `skipBadFiles` can skip it); resource exhaustion is rethrown as is.
 *
 * `sync` reads with one blocking call: for small, page-cached files that is 5–10× cheaper than
 * the four thread-pool round trips of an async read (open, stat, read, close), and the event
 * loop is blocked only for the copy. On network storage async reads overlap latency better.
 */
export async function readImageBytes(
  path: string,
  sync = false,
  realRoot?: string,
  maxBytes = defaultMaxFileBytes(),
): Promise<Uint8Array> {
  try {
    if (realRoot !== undefined)
      return sync
        ? readConfinedFileSync(path, realRoot, maxBytes)
        : await readConfinedFile(path, realRoot, maxBytes);
    if (sync) {
      const fd = openSync(path, "r");
      try {
        return readBoundedSync(fd, path, maxBytes);
      } finally {
        closeSync(fd);
      }
    }
    const fh = await open(path, "r");
    try {
      return await readBounded(fh, path, maxBytes);
    } finally {
      await fh.close();
    }
  } catch (err) {
    // A file outside the dataset is refused, never skipped: the dataset itself is unsafe.
    if (err instanceof DatasetError) throw err;
    if (err instanceof FileTooLargeError)
      throw new BadImageError(
        path,
        err.size > err.maxBytes
          ? `file too large (${err.size} bytes, over the ${err.maxBytes}-byte limit)`
          : `file grew while it was read (over the ${err.maxBytes}-byte limit or its size at open)`,
      );
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== undefined && TRANSIENT_IO.has(code)) throw err;
    throw new BadImageError(path, `cannot read file (${code ?? String(err)})`);
  }
}

/** Reads a file and decodes it. */
export async function decodeImageFile(path: string, opts: DecodeOptions = {}): Promise<RasterImage> {
  return decodeImage(
    await readImageBytes(path, false, undefined, defaultMaxFileBytes(opts.maxPixels)),
    path,
    opts,
  );
}

/**
 * Resizes an already-decoded image to size × size with the same resampling as `decodeImage`,
 * so that both dataset formats are resized identically. No-op when already that size.
 */
export async function resizeRaster(
  img: RasterImage,
  size: number,
  fit: "fill" | "cover" = "fill",
): Promise<RasterImage> {
  checkSize(size);
  if (img.width === size && img.height === size) return img;
  const input = sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } });
  const { data, info } = await withResize(input, size, fit).raw().toBuffer({ resolveWithObject: true });
  return {
    width: info.width,
    height: info.height,
    channels: img.channels,
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
  };
}

function withResize(p: sharp.Sharp, size: number, fit: "fill" | "cover"): sharp.Sharp {
  // Linear (triangle) kernel: libvips antialiases when shrinking, which matches torchvision's
  // bilinear Resize with antialias=True more closely than sharp's default lanczos3.
  return p.resize(size, size, { fit, kernel: "linear", position: "centre" });
}

function checkSize(size: number): void {
  if (!Number.isInteger(size) || size <= 0)
    throw new RangeError(`resize size must be a positive integer, got ${size}`);
}
