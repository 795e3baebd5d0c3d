/**
 * The pixel-quantized store: for each kept image, its patch mask and the pixels of the
 * kept patches only (DQ/ADQ "pixel quantization"). Dropped patches cost one bit each.
 *
 * Layout (little-endian), format "ADQPQ" version 1:
 *   header  : magic "ADQPQ\x01\0\0" (8) | u32 count | u8 grid p | u8 channels | u16 reserved
 *   record  : u32 dataset index | u16 label | u16 width | u16 height | mask ⌈p²/8⌉ bytes
 *             (bit i = patch i kept, row-major, LSB first) | kept patches' pixels, patch
 *             order, each patch row-major HWC
 * Patch (r, c) covers rows ⌊r·H/p⌋..⌊(r+1)·H/p⌋ and columns ⌊c·W/p⌋..⌊(c+1)·W/p⌋, so any
 * image size works (CIFAR's 32×32 with p = 8 gives 4×4 patches).
 * Size: O(Σ kept pixels + count·p²/8); encode and decode stream record by record.
 */

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

export function patchBounds(size: number, p: number, i: number): [number, number] {
  return [Math.floor((i * size) / p), Math.floor(((i + 1) * size) / p)];
}

export function encodeHeader(count: number, grid: number, channels: number): Uint8Array {
  const h = new Uint8Array(16);
  h.set(MAGIC, 0);
  const dv = new DataView(h.buffer);
  dv.setUint32(8, count, true);
  dv.setUint8(12, grid);
  dv.setUint8(13, channels);
  return h;
}

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

/** Decodes a whole store (header + records). */
export function* decodeStore(bytes: Uint8Array): Generator<PatchedImage> {
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) throw new Error("not a pixel-quantized store (bad magic)");
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = dv.getUint32(8, true);
  const grid = dv.getUint8(12);
  const ch = dv.getUint8(13);
  const maskBytes = Math.ceil((grid * grid) / 8);
  let o = 16;
  for (let n = 0; n < count; n++) {
    if (o + 10 + maskBytes > bytes.length) throw new Error(`store truncated at record ${n}`);
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
    o += 10 + maskBytes;
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
