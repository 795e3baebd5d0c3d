/**
 * PNG thumbnails for the report's image grid. Images are small (CIFAR: 32×32), so they are
 * embedded at their own resolution and upscaled by the browser with `image-rendering: pixelated`.
 */

import sharp from "sharp";

export interface RawImage {
  width: number;
  height: number;
  /** 1 (grey), 2 (grey + alpha), 3 (RGB) or 4 (RGBA). */
  channels: number;
  /** Interleaved pixels, row-major (HWC), width·height·channels bytes. */
  data: Uint8Array;
}

/** Encodes raw 8-bit HWC pixels as a PNG. Deterministic: the same pixels give the same bytes. */
export async function encodeThumbnailPng(image: RawImage): Promise<Uint8Array> {
  const { width, height, channels, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
    throw new RangeError(`thumbnail size must be positive integers, got ${width}x${height}`);
  if (channels !== 1 && channels !== 2 && channels !== 3 && channels !== 4)
    throw new RangeError(`thumbnail channels must be 1, 2, 3 or 4, got ${channels}`);
  if (data.length !== width * height * channels)
    throw new RangeError(`thumbnail has ${data.length} bytes, expected ${width}x${height}x${channels}`);
  const png = await sharp(Buffer.from(data.buffer, data.byteOffset, data.byteLength), {
    raw: { width, height, channels },
  })
    .png({ compressionLevel: 9, adaptiveFiltering: false })
    .toBuffer();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}
