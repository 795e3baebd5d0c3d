import { gridTextureScores, type RasterImage, selectPatches, textureLevel } from "@adq/core";
import {
  contrastiveView,
  DEFAULT_VIEW_AUGMENT,
  type FeatureModel,
  type FeatureOutputs,
  openDataset,
  resizeRaster,
  toNchw,
} from "@adq/ml";
import type { ArtifactStore } from "@adq/platform";
import { matchClasses } from "../class-match.ts";
import type { ModelCache } from "../model-cache.ts";
import { getJson, putJson, putNpy, SHARD_ARRAYS } from "../shard-arrays.ts";
import type { FeaturesResult, FeaturesTask, PatchScoreSource } from "../tasks.ts";

export interface FeaturesDeps {
  store: ArtifactStore;
  models: ModelCache;
  signal?: AbortSignal;
  /** Called after each batch with items done in this shard. */
  onBatch?: (done: number) => void;
}

/**
 * CAM patch scores of image `k` of a model output for class `label` on a grid×grid patch grid
 * of the model input (paper §3.3: the class activation map, upsampled, averaged per patch).
 * The features stage stores them; DropPatches (services) computes them for selected items.
 */
export function camPatchScores(
  model: FeatureModel,
  out: FeatureOutputs,
  k: number,
  label: number,
  grid: number,
): Float32Array | Float64Array {
  return weightedPatchScores(model, out, k, model.head!.weight, label, grid);
}

/** CAM-style per-patch scores of image `k`'s feature map under class `label`'s channel weights. */
function weightedPatchScores(
  model: FeatureModel,
  out: FeatureOutputs,
  k: number,
  weight: Float32Array,
  label: number,
  grid: number,
): Float32Array | Float64Array {
  const [K, h, w] = model.dims.featureMap!;
  const S = model.inputSize;
  return selectPatches(
    { data: out.featureMap!.subarray(k * K * h * w, (k + 1) * K * h * w), channels: K, height: h, width: w },
    weight,
    label,
    { imageHeight: S, imageWidth: S, patchSize: S / grid, dropRatio: 0 },
  ).scores;
}

/**
 * Class-agnostic patch saliency of image `k`: the channel sum of the (post-ReLU) last conv map,
 * upsampled and averaged per patch like CAM — i.e. CAM with a weight of 1 on every channel,
 * where the embedding's mass comes from. Used when the model's head cannot be used for CAM
 * (its classes are not the data set's, or it has no head sidecar).
 */
export function activationPatchScores(
  model: FeatureModel,
  out: FeatureOutputs,
  k: number,
  grid: number,
): Float32Array | Float64Array {
  return weightedPatchScores(model, out, k, new Float32Array(model.dims.featureMap![0]).fill(1), 0, grid);
}

/** How a job scores an image's patches for dropping, and the scores of one image. */
export interface PatchScorer {
  source: PatchScoreSource;
  /**
   * Scores of image `k` of a batch: `out` the model's outputs for the batch (resized to its
   * input; unused by "texture"), `image` its original pixels, `label` its data-set class.
   */
  score(out: FeatureOutputs, k: number, image: RasterImage, label: number): Float32Array | Float64Array;
}

/**
 * Patch saliency for dropping: CAM for the item's class when the model's head serves the data
 * set's classes (class-match.ts); else the class-agnostic activation map; a model without a
 * feature map: Sobel texture per patch. Shared by the features stage and DropPatches.
 */
export function patchScorer(
  model: FeatureModel,
  datasetClasses: readonly string[],
  grid: number,
): PatchScorer {
  const C = model.dims.classes;
  const classes = matchClasses(datasetClasses, model.classNames, C);
  if (!model.dims.featureMap)
    return { source: "texture", score: (_out, _k, image) => gridTextureScores(image, grid) };
  if (model.inputSize % grid !== 0)
    throw new Error(`patch grid ${grid} must divide the model input size ${model.inputSize}`);
  if (model.head && classes.match && model.head.weight.length === C * model.dims.featureMap[0]) {
    const map = classes.map;
    return {
      source: "cam",
      score: (out, k, _image, label) => camPatchScores(model, out, k, map[label]!, grid),
    };
  }
  return { source: "activation", score: (out, k) => activationPatchScores(model, out, k, grid) };
}

/**
 * Features stage, one shard of the data set per task. For every image it computes, in one
 * streaming pass with memory bounded by the batch size plus the shard's outputs:
 *  - the model's embedding and logits (gradient embeddings for binning) and pooled features,
 *  - the texture level RS of the original image (paper Eq. 3; cheap, needs the pixels),
 *  - the embedding + pooled features of one seeded augmented view (the x⁺ of Eq. 5),
 *  - CAM patch scores for its own class on the p×p grid (patch dropping) when the model's
 *    classes are the data set's (class-match.ts) and it has a head; otherwise the
 *    class-agnostic activation map (activationPatchScores). The result says which.
 * Image size and mode (any): decoding gives RGB (greyscale replicated, alpha dropped without
 * compositing; packages/ml/src/decode.ts); the model sees the whole image resized to its S×S
 * input ("fill": non-square images are squashed, never cropped), so the p×p CAM grid on the
 * model input maps one-to-one onto the image's own relative grid (pq-store.ts patchBounds:
 * patch edges at ⌊i·W/p⌋, ⌊i·H/p⌋) — a centre crop would leave border patches unscored. The
 * texture level is computed on the original pixels; the store keeps the original size.
 * Cost: O(n) model passes (two with views), O(n·H·W) for texture.
 */
export async function handleFeatures(task: FeaturesTask, deps: FeaturesDeps): Promise<FeaturesResult> {
  const { store } = deps;
  const doneKey = `${task.out}/done.json`;
  if (await store.stat(doneKey)) return getJson<FeaturesResult>(store, doneKey);

  const model = await deps.models.feature(task.model);
  const reader = await openDataset(task.dataset.path, { skipBadFiles: task.skipBadFiles });
  const desc = await reader.describe();
  const { start, end } = task.shard;
  const n = end - start;
  const S = model.inputSize;
  const D = model.dims.embedding;
  const C = model.dims.classes;
  const P = model.dims.pooled;
  const F = D + P;
  const grid = task.patchGrid;
  const scorer = task.cam ? patchScorer(model, desc.classes, grid) : null;
  const patchScores = scorer?.source ?? null;
  const embedding = new Float32Array(n * D);
  const logits = new Float32Array(n * C);
  const pooled = new Float32Array(n * P);
  const texture = new Float32Array(n);
  const view = new Float32Array(task.views ? n * F : 0);
  const cam = new Float32Array(task.cam ? n * grid * grid : 0);
  const norm = { mean: model.mean as [number, number, number], std: model.std as [number, number, number] };
  const indices = Array.from({ length: n }, (_, i) => start + i);
  // ONNX Runtime's activation memory grows with batch × S²: the batch size is meant for the
  // 32×32 models; larger inputs get proportionally fewer images per batch, at most 64² pixels'
  // worth of batchSize (EfficientNet-Lite0 at 224²: batch 256 → 20; peak RSS on all of EuroSAT
  // was 9.5 GB at 256). 32×32 and 64×64 models keep the given batch size.
  const batchSize = Math.max(1, Math.min(task.batchSize, Math.floor((task.batchSize * 64 * 64) / (S * S))));
  // Views at the model's input size (the default config is 32×32, the CIFAR models').
  const viewConfig =
    S === DEFAULT_VIEW_AUGMENT.size ? DEFAULT_VIEW_AUGMENT : { ...DEFAULT_VIEW_AUGMENT, size: S };
  let done = 0;
  for await (const batch of reader.batches(batchSize, {
    indices,
    ...(deps.signal ? { signal: deps.signal } : {}),
  })) {
    const m = batch.images.length;
    const sized: RasterImage[] = await Promise.all(batch.images.map((img) => resizeRaster(img, S)));
    const out = await model.run(toNchw(sized, norm).data, m);
    let aug: Awaited<ReturnType<typeof model.run>> | undefined;
    if (task.views) {
      const views = sized.map((img, k) => contrastiveView(img, task.seed, batch.items[k]!.id, 0, viewConfig));
      aug = await model.run(toNchw(views, norm).data, m);
    }
    for (let k = 0; k < m; k++) {
      const r = batch.indices[k]! - start;
      embedding.set(out.embedding.subarray(k * D, (k + 1) * D), r * D);
      logits.set(out.logits.subarray(k * C, (k + 1) * C), r * C);
      if (P > 0) pooled.set(out.pooled!.subarray(k * P, (k + 1) * P), r * P);
      texture[r] = textureLevel(batch.images[k]!, { patchSize: task.textureL });
      if (aug) {
        view.set(aug.embedding.subarray(k * D, (k + 1) * D), r * F);
        if (P > 0) view.set(aug.pooled!.subarray(k * P, (k + 1) * P), r * F + D);
      }
      if (scorer) cam.set(scorer.score(out, k, batch.images[k]!, batch.items[k]!.label), r * grid * grid);
    }
    done += m;
    deps.onBatch?.(done);
  }
  const idOf = new Map(desc.items.map((it, i) => [it.id, i]));
  const skipped = reader.skipped
    .map((s) => ({ index: idOf.get(s.id) ?? -1, id: s.id, reason: s.reason }))
    .filter((s) => s.index >= start && s.index < end);
  const o = task.out;
  await putNpy(store, `${o}/${SHARD_ARRAYS.embedding}`, { data: embedding, shape: [n, D] });
  await putNpy(store, `${o}/${SHARD_ARRAYS.logits}`, { data: logits, shape: [n, C] });
  await putNpy(store, `${o}/${SHARD_ARRAYS.pooled}`, { data: pooled, shape: [n, P] });
  await putNpy(store, `${o}/${SHARD_ARRAYS.texture}`, { data: texture, shape: [n] });
  if (task.views) await putNpy(store, `${o}/${SHARD_ARRAYS.view}`, { data: view, shape: [n, F] });
  if (task.cam) await putNpy(store, `${o}/${SHARD_ARRAYS.cam}`, { data: cam, shape: [n, grid * grid] });
  const result: FeaturesResult = {
    out: o,
    n,
    skipped,
    model: { classes: C, classNames: model.classNames ?? null, embedding: D },
    patchScores,
  };
  // The marker goes last: its presence means every array above is complete.
  await putJson(store, doneKey, result);
  return result;
}
