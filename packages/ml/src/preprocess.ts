/**
 * Raster images ⇄ the float32 NCHW tensor an ONNX image model takes.
 *
 * Forward: x = (p / 255 − mean_c) / std_c for pixel value p in channel c, as torchvision's
 * `ToTensor()` + `Normalize(mean, std)` compute it. Pure functions, no I/O.
 */
import type { RasterImage } from "./raster.ts";

export type Rgb = readonly [number, number, number];

/** Per-channel statistics in [0, 1] units (after dividing by 255). */
export interface Normalization {
  readonly mean: Rgb;
  readonly std: Rgb;
}

/** CIFAR-10 training-set channel statistics (the values the default ResNet-20 is trained with). */
export const CIFAR10_NORMALIZATION: Normalization = {
  mean: [0.4914, 0.4822, 0.4465],
  std: [0.247, 0.2435, 0.2616],
};

export const IMAGENET_NORMALIZATION: Normalization = {
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
};

/** Only the /255 scaling. */
export const UNIT_NORMALIZATION: Normalization = { mean: [0, 0, 0], std: [1, 1, 1] };

/** A dense float32 tensor with its shape, ready for `new ort.Tensor("float32", data, dims)`. */
export interface NchwTensor {
  readonly data: Float32Array;
  /** [N, 3, H, W] */
  readonly dims: readonly [number, number, number, number];
}

function checkNormalization(norm: Normalization): void {
  for (let c = 0; c < 3; c++) {
    const s = norm.std[c]!;
    if (!(s > 0) || !Number.isFinite(s))
      throw new RangeError(`std[${c}] must be a positive number, got ${s}`);
    if (!Number.isFinite(norm.mean[c]!))
      throw new RangeError(`mean[${c}] must be finite, got ${norm.mean[c]}`);
  }
}

/**
 * 256 entries per channel: the normalised value of every possible byte, computed with the
 * exact formula once, so that the hot loop is a table lookup and results are bit-identical
 * to evaluating the formula per pixel.
 */
function forwardTable(norm: Normalization): Float32Array {
  const t = new Float32Array(3 * 256);
  for (let c = 0; c < 3; c++)
    for (let p = 0; p < 256; p++) t[c * 256 + p] = (p / 255 - norm.mean[c]!) / norm.std[c]!;
  return t;
}

/**
 * Packs same-sized images into one NCHW float32 tensor. A grayscale image is replicated into
 * the three channels. `out`, when given, is reused (it must hold at least N·3·H·W values; the
 * returned `data` is a view of exactly that length) so a batch loop allocates nothing.
 */
export function toNchw(images: readonly RasterImage[], norm: Normalization, out?: Float32Array): NchwTensor {
  checkNormalization(norm);
  if (images.length === 0) throw new RangeError("cannot build a tensor from zero images");
  const { width: w, height: h } = images[0]!;
  const plane = w * h;
  const total = images.length * 3 * plane;
  if (out !== undefined && out.length < total)
    throw new RangeError(`output buffer has ${out.length} values, needs ${total}`);
  const data = out === undefined ? new Float32Array(total) : out.subarray(0, total);
  const table = forwardTable(norm);
  for (let n = 0; n < images.length; n++) {
    const img = images[n]!;
    if (img.width !== w || img.height !== h)
      throw new RangeError(`image ${n} is ${img.width}×${img.height}, the batch is ${w}×${h}: resize first`);
    const ch = img.channels;
    if (ch !== 3 && ch !== 1) throw new RangeError(`image ${n} has ${ch} channels, expected 1 or 3`);
    if (img.data.length !== plane * ch)
      throw new RangeError(`image ${n} has ${img.data.length} bytes, expected ${plane * ch}`);
    const src = img.data;
    const base = n * 3 * plane;
    for (let c = 0; c < 3; c++) {
      const t = c * 256;
      const o = base + c * plane;
      const sc = ch === 3 ? c : 0;
      for (let i = 0, k = sc; i < plane; i++, k += ch) data[o + i] = table[t + src[k]!]!;
    }
  }
  return { data, dims: [images.length, 3, h, w] };
}

/**
 * The inverse, for debugging and for turning model outputs (e.g. MAE reconstructions) back into
 * images: p = round((x · std_c + mean_c) · 255), clamped to [0, 255].
 */
export function fromNchw(tensor: NchwTensor, norm: Normalization): RasterImage[] {
  checkNormalization(norm);
  const [n, c3, h, w] = tensor.dims;
  if (c3 !== 3) throw new RangeError(`expected 3 channels, got ${c3}`);
  const plane = h * w;
  if (tensor.data.length !== n * 3 * plane)
    throw new RangeError(
      `tensor has ${tensor.data.length} values, dims [${tensor.dims}] need ${n * 3 * plane}`,
    );
  const images: RasterImage[] = [];
  for (let b = 0; b < n; b++) {
    const out = new Uint8Array(plane * 3);
    for (let c = 0; c < 3; c++) {
      const scale = norm.std[c]! * 255;
      const shift = norm.mean[c]! * 255;
      const o = (b * 3 + c) * plane;
      // Uint8Array would wrap out-of-range values; clamp explicitly, and round half up.
      for (let i = 0; i < plane; i++) {
        const v = Math.round(tensor.data[o + i]! * scale + shift);
        out[i * 3 + c] = Math.min(255, Math.max(0, v));
      }
    }
    images.push({ width: w, height: h, channels: 3, data: out });
  }
  return images;
}
