/**
 * The decoded-image type shared by the core algorithms (texture level, CAM patch selection, ...).
 *
 * Pixels are 8-bit, interleaved height × width × channels (HWC, row-major), which is what
 * decoders such as sharp's `raw()` output and what CIFAR-10 becomes once its planar bytes are
 * interleaved. Colour images are RGB in that order.
 */
export interface RasterImage {
  readonly width: number;
  readonly height: number;
  /** 1 = grayscale, 3 = RGB. */
  readonly channels: 1 | 3;
  /** length = width · height · channels; pixel (x, y) channel c at (y · width + x) · channels + c. */
  readonly data: Uint8Array;
}

/** Throws a RangeError naming the problem when `img` is not a well-formed RasterImage. */
export function assertRasterImage(img: RasterImage): void {
  const { width, height, channels, data } = img;
  if (!Number.isInteger(width) || width <= 0 || !Number.isInteger(height) || height <= 0)
    throw new RangeError(`image size must be positive integers, got ${width}×${height}`);
  if (channels !== 1 && channels !== 3) throw new RangeError(`channels must be 1 or 3, got ${channels}`);
  if (data.length !== width * height * channels)
    throw new RangeError(
      `image data has ${data.length} bytes, expected ${width}×${height}×${channels} = ${width * height * channels}`,
    );
}

/** ITU-R BT.601 luma weights (the ones OpenCV's RGB2GRAY and PIL's "L" mode use). */
export const LUMA_R = 0.299;
export const LUMA_G = 0.587;
export const LUMA_B = 0.114;

/**
 * Grayscale in [0, 1]: BT.601 luma Y = 0.299 R + 0.587 G + 0.114 B, divided by 255.
 * Kept in float (no rounding back to 8 bits, unlike cv2.cvtColor on uint8), so a gradient
 * operator sees the exact luma. A 1-channel image is only rescaled. O(H·W).
 *
 * @param out optional buffer of at least width·height elements, reused to avoid allocation
 */
export function toGray01(img: RasterImage, out?: Float64Array): Float64Array {
  assertRasterImage(img);
  const n = img.width * img.height;
  if (out !== undefined && out.length < n)
    throw new RangeError(`output buffer has ${out.length} elements, needs ${n}`);
  const g = out ?? new Float64Array(n);
  const d = img.data;
  const inv = 1 / 255;
  if (img.channels === 1) {
    for (let i = 0; i < n; i++) g[i] = d[i]! * inv;
  } else {
    const wr = LUMA_R * inv;
    const wg = LUMA_G * inv;
    const wb = LUMA_B * inv;
    for (let i = 0, k = 0; i < n; i++, k += 3) g[i] = wr * d[k]! + wg * d[k + 1]! + wb * d[k + 2]!;
  }
  return g;
}
