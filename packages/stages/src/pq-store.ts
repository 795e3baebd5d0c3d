/**
 * The pixel-quantized store: for each kept image, its patch mask and the pixels of the
 * kept patches only (DQ/ADQ "pixel quantization"). Dropped patches cost one bit each.
 *
 * Format version 2 (written by `adq compress`; little-endian):
 *   header  : magic "ADQPQ\x02\0\0" (8) | u32 count | u8 grid p | u8 channels | u8 codec | u8 quality
 *   record  : u32 dataset index | u16 label | u16 width | u16 height | mask ⌈p²/8⌉ bytes
 *             (bit i = patch i kept, row-major, LSB first) | u32 payload bytes | payload
 *   codec 0 "raw"          : payload = the kept patches' pixels, patch order, each patch
 *                            row-major HWC (version 1's record body); exact.
 *   codec 1 "webp-lossless": payload = a lossless WebP of the whole image with every dropped
 *                            patch filled by extending its left (else upper) neighbour's pixels,
 *                            which costs almost nothing to code; exact on kept pixels.
 *   codec 2 "webp"         : the same image as a lossy WebP at `quality` (1–100): kept pixels
 *                            are approximate, as in the JPEG sources of most data sets — or,
 *                            for a greyscale image, a lossless WebP when that is smaller (tiny
 *                            greyscale images such as MNIST's: lossy WebP's frame overhead makes
 *                            it 1.18× their PNGs, lossless 0.75×); both decode the same way.
 * Version 1 (header "ADQPQ\x01", no codec, raw records without the payload length) is still
 * read. On decode, dropped patches are zero whatever the codec.
 * Patch (r, c) covers rows ⌊r·H/p⌋..⌊(r+1)·H/p⌋ and columns ⌊c·W/p⌋..⌊(c+1)·W/p⌋, so any
 * image size works (CIFAR's 32×32 with p = 8 gives 4×4 patches).
 * Why WebP: measured on 500 demo images and 502 EuroSAT tiles with 16 of 64 patches dropped
 * (bench/RESULTS-store.md): against the source files, lossless PNG is 2.08×/1.53×, lossless
 * WebP 1.43×/1.10×, raw kept pixels 2.50×/2.72×, JPEG q90 0.78×/0.35×, lossy WebP q90
 * 0.51×/0.24×. Nothing lossless beats JPEG sources, so the default is lossy WebP q90, and
 * `--store-codec webp-lossless|raw` keeps kept pixels exact.
 * Size: O(Σ encoded images + count·p²/8); encode and decode stream record by record.
 */
import sharp from "sharp";

export interface PatchedImage {
  index: number;
  label: number;
  width: number;
  height: number;
  channels: number;
  /** HWC pixels; on decode, dropped patches are zero. */
  data: Uint8Array;
  /** 1 = kept, length p². */
  mask: Uint8Array;
}

const MAGIC = [0x41, 0x44, 0x51, 0x50, 0x51, 0x01, 0x00, 0x00];
/** Byte 5 of the magic is the format version. */
const VERSION_AT = 5;
export const STORE_VERSION = 2;

export type StoreCodec = "raw" | "webp-lossless" | "webp";
export const STORE_CODECS: readonly StoreCodec[] = ["raw", "webp-lossless", "webp"];
const CODEC_ID: Record<StoreCodec, number> = { raw: 0, "webp-lossless": 1, webp: 2 };

export interface StoreEncoding {
  codec: StoreCodec;
  /** WebP quality 1–100 (lossy codec only; recorded as 0 otherwise). */
  quality: number;
}

export function patchBounds(size: number, p: number, i: number): [number, number] {
  return [Math.floor((i * size) / p), Math.floor(((i + 1) * size) / p)];
}

/** A version-1 record (kept pixels raw); also the body of a version-2 "raw" record. */
export function encodeRecord(img: PatchedImage, grid: number): Uint8Array {
  const { width: w, height: h, channels: ch } = img;
  if (img.mask.length !== grid * grid)
    throw new RangeError(`mask has ${img.mask.length} entries, expected ${grid * grid}`);
  if (img.data.length !== w * h * ch)
    throw new RangeError(`image ${img.index}: ${img.data.length} bytes for ${w}x${h}x${ch}`);
  const maskBytes = Math.ceil((grid * grid) / 8);
  let kept = 0;
  for (let r = 0; r < grid; r++) {
    const [y0, y1] = patchBounds(h, grid, r);
    for (let c = 0; c < grid; c++) {
      if (img.mask[r * grid + c]) {
        const [x0, x1] = patchBounds(w, grid, c);
        kept += (y1 - y0) * (x1 - x0) * ch;
      }
    }
  }
  const out = new Uint8Array(10 + maskBytes + kept);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, img.index, true);
  dv.setUint16(4, img.label, true);
  dv.setUint16(6, w, true);
  dv.setUint16(8, h, true);
  for (let i = 0; i < grid * grid; i++) if (img.mask[i]) out[10 + (i >> 3)]! |= 1 << (i & 7);
  let o = 10 + maskBytes;
  for (let r = 0; r < grid; r++) {
    const [y0, y1] = patchBounds(h, grid, r);
    for (let c = 0; c < grid; c++) {
      if (!img.mask[r * grid + c]) continue;
      const [x0, x1] = patchBounds(w, grid, c);
      for (let y = y0; y < y1; y++) {
        out.set(img.data.subarray((y * w + x0) * ch, (y * w + x1) * ch), o);
        o += (x1 - x0) * ch;
      }
    }
  }
  return out;
}

/** Version-1 header (what encodeRecord's records follow). */
export function encodeHeader(count: number, grid: number, channels: number): Uint8Array {
  return header(count, grid, channels, 1, 0, 0);
}

function header(
  count: number,
  grid: number,
  channels: number,
  version: number,
  codec: number,
  quality: number,
) {
  const h = new Uint8Array(16);
  h.set(MAGIC, 0);
  h[VERSION_AT] = version;
  const dv = new DataView(h.buffer);
  dv.setUint32(8, count, true);
  dv.setUint8(12, grid);
  dv.setUint8(13, channels);
  dv.setUint8(14, codec);
  dv.setUint8(15, quality);
  return h;
}

/** Version-2 header. */
export function encodeStoreHeader(count: number, grid: number, enc: StoreEncoding): Uint8Array {
  return header(count, grid, 3, STORE_VERSION, CODEC_ID[enc.codec], enc.codec === "webp" ? enc.quality : 0);
}

/**
 * Fills every dropped patch of an HWC image (a copy) by extending, row by row, the pixel left
 * of the patch (or, in the first patch column, the pixel above it; 128 at the top-left corner).
 * Patches are visited row-major, so a filled neighbour may itself have been filled.
 */
export function fillDropped(img: PatchedImage, grid: number): Uint8Array {
  const { width: w, height: h, channels: ch } = img;
  const d = Uint8Array.from(img.data);
  for (let r = 0; r < grid; r++) {
    const [y0, y1] = patchBounds(h, grid, r);
    for (let c = 0; c < grid; c++) {
      if (img.mask[r * grid + c]) continue;
      const [x0, x1] = patchBounds(w, grid, c);
      for (let y = y0; y < y1; y++)
        for (let x = x0; x < x1; x++)
          for (let k = 0; k < ch; k++)
            d[(y * w + x) * ch + k] =
              x0 > 0 ? d[(y * w + x0 - 1) * ch + k]! : y0 > 0 ? d[((y0 - 1) * w + x) * ch + k]! : 128;
    }
  }
  return d;
}

/** R = G = B at every pixel of HWC RGB bytes. O(pixels). */
function isGrey(rgb: Uint8Array): boolean {
  for (let i = 0; i < rgb.length; i += 3) if (rgb[i] !== rgb[i + 1] || rgb[i] !== rgb[i + 2]) return false;
  return true;
}

/** True when a WebP payload is lossless (its first chunk is VP8L). */
export function isLosslessWebp(payload: Uint8Array): boolean {
  return payload.length >= 16 && String.fromCharCode(...payload.subarray(12, 16)) === "VP8L";
}

/**
 * The coded image inside one version-2 record of a `webp`/`png` store (the record layout is
 * encodeStoreRecord's: 10-byte head, mask bits, u32 length, payload).
 */
export function recordPayload(record: Uint8Array, grid: number): Uint8Array {
  const at = 10 + Math.ceil((grid * grid) / 8);
  const len = new DataView(record.buffer, record.byteOffset, record.byteLength).getUint32(at, true);
  return record.subarray(at + 4, at + 4 + len);
}

/** A version-2 record (RGB images). */
export async function encodeStoreRecord(
  img: PatchedImage,
  grid: number,
  enc: StoreEncoding,
): Promise<Uint8Array> {
  if (img.channels !== 3)
    throw new RangeError(`image ${img.index}: the store holds RGB, got ${img.channels} channels`);
  let payload: Uint8Array;
  if (enc.codec === "raw") payload = encodeRecord(img, grid).subarray(10 + Math.ceil((grid * grid) / 8));
  else {
    if (img.data.length !== img.width * img.height * 3)
      throw new RangeError(`image ${img.index}: ${img.data.length} bytes for ${img.width}x${img.height}x3`);
    const raw = sharp(fillDropped(img, grid), { raw: { width: img.width, height: img.height, channels: 3 } });
    // effort 4 (libwebp's default method): effort 6 saves ~2% at ~2× the time.
    const lossless = () => raw.clone().webp({ lossless: true, effort: 4 }).toBuffer();
    if (enc.codec === "webp-lossless") payload = await lossless();
    else {
      payload = await raw.clone().webp({ quality: enc.quality, effort: 4 }).toBuffer();
      // Greyscale images (MNIST: lossless wins on all of them) also try lossless and keep the
      // smaller; colour photos never won in our data (0 of 200 demo images), so they skip the
      // second encode, which would double the store's encoding time.
      if (isGrey(img.data)) {
        const exact = await lossless();
        if (exact.length <= payload.length) payload = exact;
      }
    }
  }
  const maskBytes = Math.ceil((grid * grid) / 8);
  const out = new Uint8Array(10 + maskBytes + 4 + payload.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, img.index, true);
  dv.setUint16(4, img.label, true);
  dv.setUint16(6, img.width, true);
  dv.setUint16(8, img.height, true);
  for (let i = 0; i < grid * grid; i++) if (img.mask[i]) out[10 + (i >> 3)]! |= 1 << (i & 7);
  dv.setUint32(10 + maskBytes, payload.length, true);
  out.set(payload, 14 + maskBytes);
  return out;
}

interface StoreHeader {
  version: number;
  count: number;
  grid: number;
  channels: number;
  codec: StoreCodec;
  quality: number;
}

function readHeader(bytes: Uint8Array): StoreHeader {
  for (let i = 0; i < MAGIC.length; i++) {
    if (i !== VERSION_AT && bytes[i] !== MAGIC[i]) throw new Error("not a pixel-quantized store (bad magic)");
  }
  const version = bytes[VERSION_AT]!;
  if (version < 1 || version > STORE_VERSION)
    throw new Error(
      `pixel-quantized store format version ${version} is not readable by this adq (it reads versions 1–${STORE_VERSION})`,
    );
  if (bytes.length < 16) throw new Error("store truncated in its header");
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const codecId = version === 1 ? 0 : dv.getUint8(14);
  const codec = STORE_CODECS.find((c) => CODEC_ID[c] === codecId);
  if (!codec)
    throw new Error(`store codec ${codecId} is unknown (this adq knows ${STORE_CODECS.join(", ")})`);
  return {
    version,
    count: dv.getUint32(8, true),
    grid: dv.getUint8(12),
    channels: dv.getUint8(13),
    codec,
    quality: version === 1 ? 0 : dv.getUint8(15),
  };
}

/** The codec and quality a store was written with. */
export function storeEncoding(bytes: Uint8Array): StoreEncoding & { version: number } {
  const h = readHeader(bytes);
  return { codec: h.codec, quality: h.quality, version: h.version };
}

/**
 * Decodes a whole store of any version and codec, record by record (WebP payloads are decoded
 * with sharp, hence async). Dropped patches come back zero.
 */
export async function* readStore(bytes: Uint8Array): AsyncGenerator<PatchedImage> {
  const h = readHeader(bytes);
  if (h.codec === "raw") {
    yield* decodeStore(bytes);
    return;
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const maskBytes = Math.ceil((h.grid * h.grid) / 8);
  let o = 16;
  for (let n = 0; n < h.count; n++) {
    if (o + 14 + maskBytes > bytes.length) throw new Error(`store truncated at record ${n}`);
    const index = dv.getUint32(o, true);
    const label = dv.getUint16(o + 4, true);
    const w = dv.getUint16(o + 6, true);
    const ht = dv.getUint16(o + 8, true);
    const mask = new Uint8Array(h.grid * h.grid);
    for (let i = 0; i < h.grid * h.grid; i++) mask[i] = (bytes[o + 10 + (i >> 3)]! >> (i & 7)) & 1;
    const len = dv.getUint32(o + 10 + maskBytes, true);
    o += 14 + maskBytes;
    if (o + len > bytes.length) throw new Error(`store truncated in record ${n}`);
    let decoded: { data: Buffer; info: sharp.OutputInfo };
    try {
      decoded = await sharp(bytes.subarray(o, o + len), { limitInputPixels: w * ht + 1 })
        .removeAlpha()
        .toColourspace("srgb")
        .raw()
        .toBuffer({ resolveWithObject: true });
    } catch (e) {
      throw new Error(
        `store record ${n}: its image does not decode (${(e as Error).message.split("\n")[0]})`,
      );
    }
    const { info } = decoded;
    if (info.width !== w || info.height !== ht || info.channels !== 3)
      throw new Error(
        `store record ${n}: image is ${info.width}x${info.height}x${info.channels}, header says ${w}x${ht}x3`,
      );
    o += len;
    const data = new Uint8Array(decoded.data.buffer, decoded.data.byteOffset, decoded.data.length);
    for (let r = 0; r < h.grid; r++) {
      const [y0, y1] = patchBounds(ht, h.grid, r);
      for (let c = 0; c < h.grid; c++) {
        if (mask[r * h.grid + c]) continue;
        const [x0, x1] = patchBounds(w, h.grid, c);
        for (let y = y0; y < y1; y++) data.fill(0, (y * w + x0) * 3, (y * w + x1) * 3);
      }
    }
    yield { index, label, width: w, height: ht, channels: 3, data, mask };
  }
}

/**
 * Decodes a whole store (header + records) synchronously: version 1, or version 2 with the
 * "raw" codec. A WebP store needs readStore (its images decode asynchronously).
 */
export function* decodeStore(bytes: Uint8Array): Generator<PatchedImage> {
  const hd = readHeader(bytes);
  if (hd.codec !== "raw")
    throw new Error(`this store's images are ${hd.codec}-coded: read it with readStore (async)`);
  const v2 = hd.version >= 2;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = dv.getUint32(8, true);
  const grid = dv.getUint8(12);
  const ch = dv.getUint8(13);
  const maskBytes = Math.ceil((grid * grid) / 8);
  let o = 16;
  for (let n = 0; n < count; n++) {
    if (o + 10 + maskBytes + (v2 ? 4 : 0) > bytes.length) throw new Error(`store truncated at record ${n}`);
    const index = dv.getUint32(o, true);
    const label = dv.getUint16(o + 4, true);
    const w = dv.getUint16(o + 6, true);
    const h = dv.getUint16(o + 8, true);
    // A record can hold at most what is left of the store: refuse sizes no real record has
    // before allocating them (a damaged or forged store must not cost gigabytes).
    if (w * h * ch > bytes.length * 64 + 64 * 1024 * 1024)
      throw new Error(`store record ${n}: implausible size ${w}x${h}`);
    const mask = new Uint8Array(grid * grid);
    for (let i = 0; i < grid * grid; i++) mask[i] = (bytes[o + 10 + (i >> 3)]! >> (i & 7)) & 1;
    o += 10 + maskBytes + (v2 ? 4 : 0);
    const data = new Uint8Array(w * h * ch);
    for (let r = 0; r < grid; r++) {
      const [y0, y1] = patchBounds(h, grid, r);
      for (let c = 0; c < grid; c++) {
        if (!mask[r * grid + c]) continue;
        const [x0, x1] = patchBounds(w, grid, c);
        const rowLen = (x1 - x0) * ch;
        for (let y = y0; y < y1; y++) {
          if (o + rowLen > bytes.length) throw new Error(`store truncated in record ${n}`);
          data.set(bytes.subarray(o, o + rowLen), (y * w + x0) * ch);
          o += rowLen;
        }
      }
    }
    yield { index, label, width: w, height: h, channels: ch, data, mask };
  }
}
