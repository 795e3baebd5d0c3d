/**
 * Seeded augmentations for the contrastive views of the diversity score: random resized crop,
 * horizontal flip, colour jitter — torchvision's `RandomResizedCrop`, `RandomHorizontalFlip`,
 * `RandomApply(ColorJitter)` re-implemented in TypeScript on the raster, so that a view is
 * bit-for-bit reproducible on every machine (no native resampler whose rounding may change
 * between versions) and cheap at 32×32.
 *
 * Determinism: a view's random draws come from `Rng.derive(seed, "view", itemId, viewIndex)`,
 * so a view depends only on the seed, the item and the view number — never on batch order,
 * batch size or worker count. Sampling (`sampleViewParams`) is separated from the pure pixel
 * transforms (`applyView` and below), so parameters can be logged or replayed.
 */
import { LUMA_B, LUMA_G, LUMA_R, Rng } from "@adq/core";
import type { RasterImage } from "./raster.ts";

/** An integer pixel rectangle inside the source image. */
export interface CropBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export type JitterOp = "brightness" | "contrast" | "saturation";

/** Multiplicative factors (1 = unchanged) and the order in which they are applied. */
export interface JitterParams {
  readonly brightness: number;
  readonly contrast: number;
  readonly saturation: number;
  readonly order: readonly JitterOp[];
}

export interface ViewParams {
  readonly crop: CropBox;
  readonly flip: boolean;
  /** null when jitter is disabled or its coin flip said no. */
  readonly jitter: JitterParams | null;
}

export interface ViewAugmentConfig {
  /** Output side: views are size × size. */
  readonly size: number;
  /** Range of the crop's area as a fraction of the image's area. */
  readonly scale: readonly [number, number];
  /** Range of the crop's aspect ratio (width / height), sampled log-uniformly. */
  readonly ratio: readonly [number, number];
  readonly flipProbability: number;
  /**
   * Each factor is drawn from [max(0, 1 − s), 1 + s]; the three ops run in a random order
   * drawn from the view's stream (as torchvision's ColorJitter does); the whole jitter is
   * applied with `probability`. null = no jitter.
   */
  readonly jitter: {
    readonly brightness: number;
    readonly contrast: number;
    readonly saturation: number;
    readonly probability: number;
  } | null;
}

/**
 * Our default. Crop scale (0.2, 1) rather than torchvision's (0.08, 1): at 32×32 an 8% crop is
 * a ~9-pixel patch blown up 3.5×, which often no longer shows the object, so the positive pair
 * stops being a positive; 0.2 is the usual CIFAR-scale choice (MoCo v2 / SupCon CIFAR recipes).
 * Jitter 0.4/0.4/0.4 applied with p = 0.8 follows SimCLR's recipe (hue is left out).
 */
export const DEFAULT_VIEW_AUGMENT: ViewAugmentConfig = {
  size: 32,
  scale: [0.2, 1],
  ratio: [3 / 4, 4 / 3],
  flipProbability: 0.5,
  jitter: { brightness: 0.4, contrast: 0.4, saturation: 0.4, probability: 0.8 },
};

/**
 * The views of the ADQ authors' released code: `RandomResizedCrop(32)` with torchvision's
 * default scale (0.08, 1) and a horizontal flip, no jitter. Kept so the two can be compared.
 */
export const REFERENCE_CODE_VIEW_AUGMENT: ViewAugmentConfig = {
  size: 32,
  scale: [0.08, 1],
  ratio: [3 / 4, 4 / 3],
  flipProbability: 0.5,
  jitter: null,
};

function uniform(rng: Rng, lo: number, hi: number): number {
  return lo + (hi - lo) * rng.nextFloat();
}

/**
 * torchvision's `RandomResizedCrop.get_params`: up to 10 tries of a random area and
 * log-uniform aspect ratio that fits, else a centre crop clamped to the ratio range.
 */
export function sampleCropBox(
  rng: Rng,
  width: number,
  height: number,
  scale: readonly [number, number],
  ratio: readonly [number, number],
): CropBox {
  const area = width * height;
  const logLo = Math.log(ratio[0]);
  const logHi = Math.log(ratio[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * uniform(rng, scale[0], scale[1]);
    const aspect = Math.exp(uniform(rng, logLo, logHi));
    const w = Math.round(Math.sqrt(target * aspect));
    const h = Math.round(Math.sqrt(target / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const y = rng.nextInt(height - h + 1);
      const x = rng.nextInt(width - w + 1);
      return { x, y, width: w, height: h };
    }
  }
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < Math.min(ratio[0], ratio[1])) h = Math.round(w / Math.min(ratio[0], ratio[1]));
  else if (inRatio > Math.max(ratio[0], ratio[1])) w = Math.round(h * Math.max(ratio[0], ratio[1]));
  return { x: Math.floor((width - w) / 2), y: Math.floor((height - h) / 2), width: w, height: h };
}

/** Draws every random choice of one view. The draw sequence is fixed: crop, flip, jitter. */
export function sampleViewParams(
  rng: Rng,
  width: number,
  height: number,
  config: ViewAugmentConfig,
): ViewParams {
  const crop = sampleCropBox(rng, width, height, config.scale, config.ratio);
  const flip = rng.nextFloat() < config.flipProbability;
  let jitter: JitterParams | null = null;
  const j = config.jitter;
  if (j !== null && rng.nextFloat() < j.probability) {
    const factor = (s: number): number => uniform(rng, Math.max(0, 1 - s), 1 + s);
    const brightness = factor(j.brightness);
    const contrast = factor(j.contrast);
    const saturation = factor(j.saturation);
    const order = rng.shuffle<JitterOp[]>(["brightness", "contrast", "saturation"]);
    jitter = { brightness, contrast, saturation, order };
  }
  return { crop, flip, jitter };
}

/** Applies sampled parameters: crop + resize to size × size, then flip, then jitter. Pure. */
export function applyView(img: RasterImage, params: ViewParams, size: number): RasterImage {
  let out = cropResize(img, params.crop, size, size);
  if (params.flip) out = flipHorizontal(out);
  if (params.jitter !== null) out = colorJitter(out, params.jitter);
  return out;
}

/**
 * Contrastive view `viewIndex` of item `itemId` under `seed`: a function of those (and the
 * image) only, so shards, batch sizes and retries all produce the same view.
 */
export function contrastiveView(
  img: RasterImage,
  seed: number,
  itemId: string,
  viewIndex = 0,
  config: ViewAugmentConfig = DEFAULT_VIEW_AUGMENT,
): RasterImage {
  const rng = Rng.derive(seed, "view", itemId, viewIndex);
  return applyView(img, sampleViewParams(rng, img.width, img.height, config), config.size);
}

// ---- pure pixel transforms ----

function triangle(x: number): number {
  return Math.max(0, 1 - Math.abs(x));
}

/** Sparse resampling weights along one axis: taps `first[i] … first[i] + count[i] − 1`. */
interface AxisWeights {
  first: Int32Array;
  count: Int32Array;
  /** `taps` weights per output pixel, zero-padded. */
  weights: Float64Array;
  taps: number;
}

/**
 * Triangle-filter (bilinear) weights mapping `span` source pixels starting at `start` onto
 * `out` pixels, with pixel centres at +0.5 (align_corners = false). When shrinking, the filter
 * is widened by the shrink factor so every source pixel contributes (antialiasing, like PIL's
 * and torchvision's antialiased bilinear); when enlarging it is plain bilinear interpolation.
 * Taps are confined to the crop, edge weights renormalised, exactly as resizing the cropped
 * image would be.
 */
function axisWeights(start: number, span: number, out: number): AxisWeights {
  const scale = span / out;
  const filterScale = Math.max(scale, 1);
  const support = filterScale; // the triangle's support is 1, widened when shrinking
  const taps = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(out);
  const count = new Int32Array(out);
  const weights = new Float64Array(out * taps);
  for (let i = 0; i < out; i++) {
    const center = (i + 0.5) * scale;
    const lo = Math.max(0, Math.trunc(center - support + 0.5));
    const hi = Math.min(span, Math.trunc(center + support + 0.5));
    // Drop zero-weight end taps (e.g. the neighbour exactly one pixel away when enlarging).
    let a = lo;
    let b = hi;
    while (a < b - 1 && triangle((a - center + 0.5) / filterScale) === 0) a++;
    while (b - 1 > a && triangle((b - 1 - center + 0.5) / filterScale) === 0) b--;
    let total = 0;
    for (let x = a; x < b; x++) {
      const w = triangle((x - center + 0.5) / filterScale);
      weights[i * taps + (x - a)] = w;
      total += w;
    }
    if (total > 0) for (let x = 0; x < b - a; x++) weights[i * taps + x]! /= total;
    first[i] = start + a;
    count[i] = b - a;
  }
  return { first, count, weights, taps };
}

/**
 * Crops `box` and resamples it to outW × outH with the antialiased bilinear filter above.
 * Separable: a horizontal pass into a float buffer, then a vertical pass, rounding once.
 */
export function cropResize(img: RasterImage, box: CropBox, outW: number, outH: number): RasterImage {
  const { width: W, height: H, channels: C, data } = img;
  if (
    !Number.isInteger(box.x) ||
    !Number.isInteger(box.y) ||
    box.width < 1 ||
    box.height < 1 ||
    box.x < 0 ||
    box.y < 0 ||
    box.x + box.width > W ||
    box.y + box.height > H
  )
    throw new RangeError(`crop ${JSON.stringify(box)} is not inside a ${W}×${H} image`);
  if (!Number.isInteger(outW) || !Number.isInteger(outH) || outW < 1 || outH < 1)
    throw new RangeError(`output size must be positive integers, got ${outW}×${outH}`);
  const hx = axisWeights(box.x, box.width, outW);
  const vy = axisWeights(box.y, box.height, outH);
  // Horizontal pass over the crop's rows only.
  const rows = box.height;
  const rowLen = outW * C;
  const tmp = new Float64Array(rows * rowLen);
  const { first: hf, count: hn, weights: hw, taps: ht } = hx;
  for (let r = 0; r < rows; r++) {
    const src = (box.y + r) * W * C;
    const dst = r * rowLen;
    for (let i = 0; i < outW; i++) {
      const s0 = src + hf[i]! * C;
      const n = hn[i]!;
      const wo = i * ht;
      if (C === 3) {
        // The common case, unrolled over channels: one weight load per tap.
        let a0 = 0;
        let a1 = 0;
        let a2 = 0;
        for (let t = 0, s = s0; t < n; t++, s += 3) {
          const w = hw[wo + t]!;
          a0 += w * data[s]!;
          a1 += w * data[s + 1]!;
          a2 += w * data[s + 2]!;
        }
        tmp[dst + i * 3] = a0;
        tmp[dst + i * 3 + 1] = a1;
        tmp[dst + i * 3 + 2] = a2;
      } else {
        for (let c = 0; c < C; c++) {
          let acc = 0;
          for (let t = 0, s = s0 + c; t < n; t++, s += C) acc += hw[wo + t]! * data[s]!;
          tmp[dst + i * C + c] = acc;
        }
      }
    }
  }
  // Vertical pass, rounding once.
  const out = new Uint8Array(outH * rowLen);
  const { first: vf, count: vn, weights: vw, taps: vt } = vy;
  for (let j = 0; j < outH; j++) {
    const base = (vf[j]! - box.y) * rowLen;
    const n = vn[j]!;
    const wo = j * vt;
    const dst = j * rowLen;
    for (let k = 0; k < rowLen; k++) {
      let acc = 0;
      for (let t = 0, s = base + k; t < n; t++, s += rowLen) acc += vw[wo + t]! * tmp[s]!;
      out[dst + k] = clampByte(acc);
    }
  }
  return { width: outW, height: outH, channels: C, data: out };
}

/** Mirrors left ↔ right. */
export function flipHorizontal(img: RasterImage): RasterImage {
  const { width: W, height: H, channels: C, data } = img;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < H; y++) {
    const row = y * W * C;
    for (let x = 0; x < W; x++) {
      const s = row + x * C;
      const d = row + (W - 1 - x) * C;
      for (let c = 0; c < C; c++) out[d + c] = data[s + c]!;
    }
  }
  return { width: W, height: H, channels: C, data: out };
}

/**
 * torchvision's ColorJitter semantics, computed in float and rounded once at the end (so
 * factors of 1 are an exact identity): brightness scales the pixel; contrast blends with the
 * mean BT.601 luma of the image; saturation blends each pixel with its own luma. Values are
 * clamped to [0, 255] after every op, as torchvision does.
 */
export function colorJitter(img: RasterImage, params: JitterParams): RasterImage {
  const { width: W, height: H, channels: C, data } = img;
  const n = W * H;
  const f = Float64Array.from(data);
  for (const op of params.order) {
    if (op === "brightness") {
      const b = params.brightness;
      for (let i = 0; i < f.length; i++) f[i] = clamp255(f[i]! * b);
    } else if (op === "contrast") {
      const c = params.contrast;
      let sum = 0;
      if (C === 3)
        for (let i = 0; i < f.length; i += 3) sum += LUMA_R * f[i]! + LUMA_G * f[i + 1]! + LUMA_B * f[i + 2]!;
      else for (let i = 0; i < n; i++) sum += f[i]!;
      const blend = (1 - c) * (sum / n);
      for (let i = 0; i < f.length; i++) f[i] = clamp255(c * f[i]! + blend);
    } else if (C === 3) {
      // A gray image has no saturation to change, hence C === 3 only.
      const s = params.saturation;
      for (let i = 0; i < f.length; i += 3) {
        const r = f[i]!;
        const g = f[i + 1]!;
        const b = f[i + 2]!;
        const blend = (1 - s) * (LUMA_R * r + LUMA_G * g + LUMA_B * b);
        f[i] = clamp255(s * r + blend);
        f[i + 1] = clamp255(s * g + blend);
        f[i + 2] = clamp255(s * b + blend);
      }
    }
  }
  const out = new Uint8Array(data.length);
  for (let i = 0; i < f.length; i++) out[i] = clampByte(f[i]!);
  return { width: W, height: H, channels: C, data: out };
}

function clamp255(v: number): number {
  return Math.min(255, Math.max(0, v));
}

/** Round half up and clamp; inputs here are never negative (non-negative weights and values). */
function clampByte(v: number): number {
  return Math.min(255, (v + 0.5) | 0);
}
