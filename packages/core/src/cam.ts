/**
 * CAM patch selection for pixel quantization (DQ/ADQ: drop the least informative patches, let an
 * MAE reconstruct them).
 *
 * The reference uses Grad-CAM++ on a ResNet. For a network whose last convolutional map A [K, h, w]
 * goes through global average pooling and one linear layer W [C, K], the gradient of the class-c
 * logit w.r.t. A_k is the constant W[c,k]/(h·w), so Grad-CAM's channel weights are ∝ W[c,k] and it
 * reduces to CAM: cam = ReLU(Σ_k W[c,k]·A_k) (docs/algorithm.md §7.1) — no autodiff needed. Grad-CAM++
 * would instead weigh channel k by h·w·ReLU(g_k)/(2 + g_k·ΣA_k) with g_k = W[c,k]/(h·w) (dropping
 * negatively weighted channels); we use CAM, which needs only the head's weights, as
 * docs/algorithm.md §10 (item 12) explains.
 *
 * Patch scores: the cam is upsampled bilinearly to the image size H×W with align_corners=false
 * (half-pixel centres: PyTorch's `interpolate(mode="bilinear", align_corners=False)` and OpenCV's
 * `resize(INTER_LINEAR)`, which the Grad-CAM tooling uses), then averaged over each patch of
 * `patchSize`×`patchSize` pixels. We average the upsampled pixels rather than integrate the
 * bilinear surface exactly over each patch because resize-then-pool is what the reference pipeline
 * ranks by; the pixel mean is the midpoint-rule approximation of that integral, so the two agree up
 * to a small quadrature error. Min–max scaling of the cam (done by the Grad-CAM tooling
 * for display) is a positive affine map and does not change the ranking, so it is skipped.
 *
 * The top round((1 − θ)·P) patches are kept (θ = drop ratio, default 0.25 as in DQ's paper; the ADQ
 * README uses 0.2); equal scores are broken toward the lowest patch index (row-major), so the mask
 * is deterministic.
 */

export interface FeatureMap {
  /** [channels, height, width], row-major. */
  data: Float32Array;
  channels: number;
  height: number;
  width: number;
}

export interface CamPatchOptions {
  imageHeight: number;
  imageWidth: number;
  /** Side of a square patch in pixels; must divide both image sides (e.g. 16 for 224×224). */
  patchSize: number;
  /** Drop ratio θ ∈ [0, 1]; default 0.25. */
  dropRatio?: number;
}

export interface CamPatchSelection {
  /** 1 = patch kept, 0 = dropped; row-major over the gridHeight × gridWidth patch grid. */
  mask: Uint8Array;
  /** Mean upsampled cam per patch, row-major. */
  scores: Float64Array;
  gridHeight: number;
  gridWidth: number;
  /** Number of kept patches: round((1 − θ)·P). */
  kept: number;
}

export const DEFAULT_DROP_RATIO = 0.25;

function positiveInt(v: number, name: string): void {
  if (!Number.isSafeInteger(v) || v <= 0)
    throw new RangeError(`${name} must be a positive integer, got ${v}`);
}

/** cam = ReLU(Σ_k W[c,k]·A_k) at feature-map resolution; `weights` is [numClasses, channels]. */
export function classActivationMap(
  featureMap: FeatureMap,
  weights: Float32Array,
  classIndex: number,
): Float64Array {
  const { data, channels: k, height: h, width: w } = featureMap;
  positiveInt(k, "featureMap.channels");
  positiveInt(h, "featureMap.height");
  positiveInt(w, "featureMap.width");
  if (data.length !== k * h * w)
    throw new RangeError(`featureMap.data has length ${data.length}, expected ${k}×${h}×${w} = ${k * h * w}`);
  if (weights.length === 0 || weights.length % k !== 0)
    throw new RangeError(`weights length ${weights.length} is not a multiple of channels ${k}`);
  const numClasses = weights.length / k;
  if (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= numClasses)
    throw new RangeError(`classIndex must be an integer in [0, ${numClasses}), got ${classIndex}`);
  const hw = h * w;
  const cam = new Float64Array(hw);
  for (let ch = 0; ch < k; ch++) {
    const wc = weights[classIndex * k + ch]!;
    if (wc === 0) continue;
    const base = ch * hw;
    for (let i = 0; i < hw; i++) cam[i]! += wc * data[base + i]!;
  }
  for (let i = 0; i < hw; i++) if (!(cam[i]! > 0)) cam[i] = 0;
  return cam;
}

/** Source taps of one output axis for align_corners=false bilinear resizing. */
function taps(inSize: number, outSize: number) {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const t = new Float64Array(outSize);
  const scale = inSize / outSize;
  for (let d = 0; d < outSize; d++) {
    // Half-pixel centres; negative source coordinates clamp to 0 as in PyTorch.
    const src = Math.max(0, (d + 0.5) * scale - 0.5);
    const lo = Math.min(Math.floor(src), inSize - 1);
    i0[d] = lo;
    i1[d] = Math.min(lo + 1, inSize - 1);
    t[d] = src - lo;
  }
  return { i0, i1, t };
}

/** Bilinear resize of a single-channel [h, w] map to [outH, outW], align_corners=false. */
export function resizeBilinear(
  src: ArrayLike<number>,
  h: number,
  w: number,
  outH: number,
  outW: number,
): Float64Array {
  positiveInt(h, "height");
  positiveInt(w, "width");
  positiveInt(outH, "outHeight");
  positiveInt(outW, "outWidth");
  if (src.length !== h * w) throw new RangeError(`source has length ${src.length}, expected ${h * w}`);
  const xs = taps(w, outW);
  const ys = taps(h, outH);
  // Separable: rows first (h × outW), then columns.
  const rows = new Float64Array(h * outW);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < outW; x++) {
      const a = src[y * w + xs.i0[x]!]!;
      const b = src[y * w + xs.i1[x]!]!;
      rows[y * outW + x] = a + (b - a) * xs.t[x]!;
    }
  const out = new Float64Array(outH * outW);
  for (let y = 0; y < outH; y++) {
    const r0 = ys.i0[y]! * outW;
    const r1 = ys.i1[y]! * outW;
    const ty = ys.t[y]!;
    for (let x = 0; x < outW; x++) {
      const a = rows[r0 + x]!;
      out[y * outW + x] = a + (rows[r1 + x]! - a) * ty;
    }
  }
  return out;
}

/** Mean of an [H, W] map over each patchSize × patchSize patch, row-major over the patch grid. */
export function patchMeans(
  map: ArrayLike<number>,
  height: number,
  width: number,
  patchSize: number,
): Float64Array {
  const gh = height / patchSize;
  const gw = width / patchSize;
  const scores = new Float64Array(gh * gw);
  for (let y = 0; y < height; y++) {
    const py = Math.floor(y / patchSize);
    for (let x = 0; x < width; x++) scores[py * gw + Math.floor(x / patchSize)]! += map[y * width + x]!;
  }
  const area = patchSize * patchSize;
  for (let i = 0; i < scores.length; i++) scores[i]! /= area;
  return scores;
}

/** Keep the top `keep` scores (ties to the lowest index); returns a 0/1 mask. */
export function topKMask(scores: ArrayLike<number>, keep: number): Uint8Array {
  const order = Array.from({ length: scores.length }, (_, i) => i);
  order.sort((a, b) => scores[b]! - scores[a]! || a - b);
  const mask = new Uint8Array(scores.length);
  for (let i = 0; i < keep; i++) mask[order[i]!] = 1;
  return mask;
}

/** CAM patch selection for one image and its class (see module comment). */
export function selectPatches(
  featureMap: FeatureMap,
  weights: Float32Array,
  classIndex: number,
  options: CamPatchOptions,
): CamPatchSelection {
  const { imageHeight: H, imageWidth: W, patchSize: p, dropRatio = DEFAULT_DROP_RATIO } = options;
  positiveInt(H, "imageHeight");
  positiveInt(W, "imageWidth");
  positiveInt(p, "patchSize");
  if (H % p !== 0 || W % p !== 0) throw new RangeError(`patchSize ${p} must divide the image size ${H}×${W}`);
  if (!(dropRatio >= 0 && dropRatio <= 1))
    throw new RangeError(`dropRatio must be in [0, 1], got ${dropRatio}`);
  const cam = classActivationMap(featureMap, weights, classIndex);
  const up = resizeBilinear(cam, featureMap.height, featureMap.width, H, W);
  const scores = patchMeans(up, H, W, p);
  const kept = Math.round((1 - dropRatio) * scores.length);
  return { mask: topKMask(scores, kept), scores, gridHeight: H / p, gridWidth: W / p, kept };
}
