/**
 * Representativeness score (RS) as texture level — ADQ paper Eq. 3.
 *
 *   T(P) = (1/L²) Σ_{i,j} G(P_ij),   G = 0.5·|Sobel_x| + 0.5·|Sobel_y|   on the grayscale patch P.
 *
 * Choices (paper is silent on these; they follow the reference code where it has one):
 * - Grayscale: BT.601 luma in [0, 1] (see `toGray01`), so an edge from black to white gives
 *   |Sobel| = 4 (the unnormalised 3×3 kernel [1 2 1]ᵀ[-1 0 1] has weight 4 on each side).
 * - Border: BORDER_REFLECT_101 (…, p2, p1 | p0, p1, p2, … — the edge pixel is not repeated), which is
 *   OpenCV's default for cv2.Sobel and therefore what the reference code computed. It makes a flat
 *   image score exactly 0 and never invents a gradient at the frame: the derivative across the
 *   border pixel is 0 (p1 − p1), whereas BORDER_REPLICATE would give p1 − p0.
 * - Patches: an image is cut into non-overlapping L × L patches (default L = 32) on a grid anchored at
 *   the top-left corner; each patch is treated as an image of its own (its Sobel borders reflect
 *   inside the patch, as if it had been cropped first, which is what the paper describes). A right or
 *   bottom remainder strip narrower than L is ignored. A side shorter than L is used whole, so a
 *   20 × 20 image is one 20 × 20 patch and a 20 × 70 image gives two 20 × 32 patches.
 *   A CIFAR 32 × 32 image is exactly one patch: the whole image.
 * - Image texture level = mean over its patches; bin RS = mean over its images (`binTextureLevel`).
 *
 * Cost: O(H·W) per image, one grayscale buffer per image (reused across a bin), no per-pixel allocation.
 */
import { assertRasterImage, type RasterImage, toGray01 } from "./image.ts";

export const DEFAULT_PATCH_SIZE = 32;

export interface TextureOptions {
  /** Patch side L in pixels (default 32). */
  patchSize?: number;
}

/** Where the patches of a width × height image lie: nx × ny patches of pw × ph pixels from (0, 0). */
export interface PatchGrid {
  readonly pw: number;
  readonly ph: number;
  readonly nx: number;
  readonly ny: number;
}

export function patchGrid(width: number, height: number, patchSize = DEFAULT_PATCH_SIZE): PatchGrid {
  if (!Number.isInteger(patchSize) || patchSize <= 0)
    throw new RangeError(`patchSize must be a positive integer, got ${patchSize}`);
  const pw = Math.min(patchSize, width);
  const ph = Math.min(patchSize, height);
  return { pw, ph, nx: Math.floor(width / pw), ny: Math.floor(height / ph) };
}

/**
 * Mean of 0.5·|gx| + 0.5·|gy| over the w × h window at (x0, y0) of a row-major gray buffer with row
 * `stride`, the window treated as a standalone image with BORDER_REFLECT_101. O(w·h).
 */
export function sobelTextureMean(
  gray: Float64Array,
  stride: number,
  x0: number,
  y0: number,
  w: number,
  h: number,
): number {
  if (w <= 0 || h <= 0) throw new RangeError(`window must be non-empty, got ${w}×${h}`);
  // Reflect-101 neighbours of the first/last row/column; a side of length 1 reflects onto itself
  // (OpenCV's borderInterpolate does the same), which makes the derivative along it 0.
  const lastX = w - 1;
  const lastY = h - 1;
  let sum = 0;
  for (let y = 0; y < h; y++) {
    const ym = y > 0 ? y - 1 : Math.min(1, lastY);
    const yp = y < lastY ? y + 1 : Math.max(lastY - 1, 0);
    const rm = (y0 + ym) * stride + x0;
    const r0 = (y0 + y) * stride + x0;
    const rp = (y0 + yp) * stride + x0;
    for (let x = 0; x < w; x++) {
      const xm = x > 0 ? x - 1 : Math.min(1, lastX);
      const xp = x < lastX ? x + 1 : Math.max(lastX - 1, 0);
      // Written as sums of differences so a flat region gives exactly 0 in floating point.
      const gx =
        gray[rm + xp]! -
        gray[rm + xm]! +
        2 * (gray[r0 + xp]! - gray[r0 + xm]!) +
        (gray[rp + xp]! - gray[rp + xm]!);
      const gy =
        gray[rp + xm]! -
        gray[rm + xm]! +
        2 * (gray[rp + x]! - gray[rm + x]!) +
        (gray[rp + xp]! - gray[rm + xp]!);
      sum += Math.abs(gx) + Math.abs(gy);
    }
  }
  return (0.5 * sum) / (w * h);
}

/** Texture level of every patch of a grayscale [0,1] buffer, row-major over the patch grid. */
export function patchTextureLevelsGray(
  gray: Float64Array,
  width: number,
  height: number,
  options: TextureOptions = {},
): Float64Array {
  if (gray.length < width * height)
    throw new RangeError(`gray buffer has ${gray.length} elements, needs ${width * height}`);
  const { pw, ph, nx, ny } = patchGrid(width, height, options.patchSize);
  const out = new Float64Array(nx * ny);
  for (let py = 0; py < ny; py++)
    for (let px = 0; px < nx; px++)
      out[py * nx + px] = sobelTextureMean(gray, width, px * pw, py * ph, pw, ph);
  return out;
}

/** Per-patch texture levels of an image (row-major over the patch grid, see `patchGrid`). */
export function patchTextureLevels(img: RasterImage, options: TextureOptions = {}): Float64Array {
  return patchTextureLevelsGray(toGray01(img), img.width, img.height, options);
}

/** Texture level of an image: the mean of its patch texture levels (Eq. 3). */
export function textureLevel(img: RasterImage, options: TextureOptions = {}): number {
  return mean(patchTextureLevels(img, options));
}

/** Representativeness score of a bin: the mean texture level of its images. O(Σ H·W). */
export function binTextureLevel(images: Iterable<RasterImage>, options: TextureOptions = {}): number {
  let scratch = new Float64Array(0);
  let sum = 0;
  let count = 0;
  for (const img of images) {
    assertRasterImage(img);
    const n = img.width * img.height;
    if (scratch.length < n) scratch = new Float64Array(n);
    sum += mean(patchTextureLevelsGray(toGray01(img, scratch), img.width, img.height, options));
    count++;
  }
  if (count === 0) throw new RangeError("binTextureLevel needs at least one image");
  return sum / count;
}

function mean(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s / a.length;
}

/**
 * Texture level of each patch of a p×p grid relative to the image (patch (r, c) spans rows
 * ⌊r·H/p⌋..⌊(r+1)·H/p⌋ and columns ⌊c·W/p⌋..⌊(c+1)·W/p⌋, the pixel-quantized store's rule),
 * row-major. The patch saliency used for dropping when a model has no feature map for CAM:
 * flat patches (sky, background) score low and are dropped first. O(H·W).
 */
export function gridTextureScores(img: RasterImage, grid: number): Float64Array {
  assertRasterImage(img);
  if (!Number.isInteger(grid) || grid < 1) throw new RangeError(`grid must be an integer ≥ 1, got ${grid}`);
  const gray = toGray01(img);
  const out = new Float64Array(grid * grid);
  for (let r = 0; r < grid; r++) {
    const y0 = Math.floor((r * img.height) / grid);
    const y1 = Math.floor(((r + 1) * img.height) / grid);
    for (let c = 0; c < grid; c++) {
      const x0 = Math.floor((c * img.width) / grid);
      const x1 = Math.floor(((c + 1) * img.width) / grid);
      // A patch can be empty when the image is smaller than the grid: it scores 0.
      out[r * grid + c] =
        y1 > y0 && x1 > x0 ? sobelTextureMean(gray, img.width, x0, y0, x1 - x0, y1 - y0) : 0;
    }
  }
  return out;
}
