/**
 * FeatureService.ExtractFeatures: one shard of a dataset through the features handler (the
 * code the NATS worker runs), stored under `jobs/{job}/features/{task_key}/`.
 *
 * Rows: every tensor has one row per item of the shard ([end − start) rows, row = item
 * index − start), so BinClass/ScoreBin address rows without a lookup; with
 * skip_bad_files a skipped item's rows are zeros and the item is absent from
 * `item_indices` and `labels` (which list the items the rows are valid for).
 * Cost: O(n) model passes (two with FEATURE_KIND_VIEW), O(n·H·W) texture.
 */

import { BadImageError, ModelContractError } from "@adq/ml";
import { encodeNpy } from "@adq/platform";
import {
  failedPrecondition,
  invalidArgument,
  RpcError,
  resolveDataset,
  resolveModel,
  unimplemented,
} from "@adq/service-common";
import type {
  ExtractFeaturesRequest__Output as ExtractFeaturesRequest,
  ExtractFeaturesResponse,
} from "@adq/service-common/proto";
import { checkNumber, type FeaturesResult, handleFeatures, PARAMS, SHARD_ARRAYS } from "@adq/stages";
import * as grpc from "@grpc/grpc-js";
import type { StageRpcContext } from "./context.ts";
import { bindTask, outPrefix, ref, uint } from "./refs.ts";

const DEFAULT_KINDS = [
  "FEATURE_KIND_EMBEDDING",
  "FEATURE_KIND_LOGITS",
  "FEATURE_KIND_POOLED",
  "FEATURE_KIND_TEXTURE_LEVEL",
];
const KNOWN = new Set([...DEFAULT_KINDS, "FEATURE_KIND_VIEW", "FEATURE_KIND_FEATURE_MAP"]);
const BAD_FILES_LISTED = 100;

/** `{"classes": [names]}` of the shard's dataset, beside its arrays. */
export const CLASSES_FILE = "classes.json";

export async function extractFeatures(
  { store, env, signal }: StageRpcContext,
  req: ExtractFeaturesRequest,
): Promise<ExtractFeaturesResponse> {
  const out = outPrefix(req.task, "features");
  if (env.dataRoots.length === 0)
    throw unimplemented("dataset.uri: this stage process has no data roots (start it with --data-root)");
  const kinds = new Set(req.outputs?.length ? req.outputs : DEFAULT_KINDS);
  for (const k of kinds) {
    if (!KNOWN.has(k)) throw invalidArgument("outputs", `unknown output kind ${JSON.stringify(k)}`);
    if (k === "FEATURE_KIND_FEATURE_MAP")
      throw unimplemented(
        "outputs: FEATURE_KIND_FEATURE_MAP is not stored by this server (DropPatches computes CAM maps for the selected items itself)",
      );
  }
  const ds = await resolveDataset(req.dataset?.uri ?? "", req.dataset?.format, env.dataRoots);
  const total = ds.description.items.length;
  const start = uint(req.shard?.start, "shard.start");
  const end = uint(req.shard?.end, "shard.end");
  if (!(end > start)) throw invalidArgument("shard", `end (${end}) must be > start (${start})`);
  if (end > total) throw invalidArgument("shard.end", `must be <= the dataset's ${total} items, got ${end}`);
  const textureL = checkNumber(
    "textureL",
    req.texturePatchSize || env.defaultTextureL,
    PARAMS.textureL.proto,
  );
  const batchSize = Math.min(req.batchSize || 256, 1024);
  const model = (await resolveModel(req.model, true, env.models, "model"))!;
  const views = kinds.has("FEATURE_KIND_VIEW");
  await bindTask(store, out, {
    dataset: ds.path,
    model: model.spec.sha256,
    start,
    end,
    seed: views ? (req.seed ?? 0) : null,
    textureL,
    views,
    skipBadFiles: req.skipBadFiles,
  });
  const reused = (await store.stat(`${out}/done.json`)) !== undefined;
  let result: FeaturesResult;
  try {
    result = await handleFeatures(
      {
        dataset: { path: ds.path },
        model: model.spec,
        shard: { index: 0, start, end },
        seed: req.seed ?? 0,
        textureL,
        patchGrid: 1,
        views,
        cam: false,
        skipBadFiles: req.skipBadFiles,
        batchSize,
        out,
      },
      { store, models: env.modelCache, signal },
    );
  } catch (e) {
    throw featureError(e, ds.path);
  }
  const skipped = new Set(result.skipped.map((s) => s.index));
  const items = ds.description.items;
  const valid: number[] = [];
  for (let i = start; i < end; i++) if (!skipped.has(i)) valid.push(i);
  const itemKey = `${out}/item_indices.npy`;
  const labelKey = `${out}/labels.npy`;
  await store.put(
    itemKey,
    encodeNpy({ data: BigInt64Array.from(valid, (i) => BigInt(i)), shape: [valid.length] }),
    "application/x-npy",
  );
  await store.put(
    labelKey,
    encodeNpy({ data: BigInt64Array.from(valid, (i) => BigInt(items[i]!.label)), shape: [valid.length] }),
    "application/x-npy",
  );
  const badFiles = result.skipped.map((s) => ({ path: s.id, index: s.index, reason: s.reason }));
  let badFilesReport = null;
  if (badFiles.length > 0) {
    const key = `${out}/bad_files.json`;
    await store.put(key, new TextEncoder().encode(JSON.stringify(badFiles)), "application/json");
    badFilesReport = await ref(store, key);
  }
  // The dataset's classes beside the arrays: BinClass matches them with the model's (class-match.ts).
  await store.put(
    `${out}/${CLASSES_FILE}`,
    new TextEncoder().encode(JSON.stringify({ classes: ds.description.classes })),
    "application/json",
  );
  const m = await env.modelCache.feature(model.spec);
  const want = (kind: string, name: string) => (kinds.has(kind) ? ref(store, `${out}/${name}`) : null);
  return {
    features: {
      shard: { start, end },
      itemIndices: await ref(store, itemKey),
      labels: await ref(store, labelKey),
      embeddings: await want("FEATURE_KIND_EMBEDDING", SHARD_ARRAYS.embedding),
      logits: await want("FEATURE_KIND_LOGITS", SHARD_ARRAYS.logits),
      pooled: await want("FEATURE_KIND_POOLED", SHARD_ARRAYS.pooled),
      featureMaps: null,
      textureLevels: await want("FEATURE_KIND_TEXTURE_LEVEL", SHARD_ARRAYS.texture),
      views: await want("FEATURE_KIND_VIEW", SHARD_ARRAYS.view),
    },
    itemCount: valid.length,
    badFiles: badFiles.slice(0, BAD_FILES_LISTED),
    badFilesTotal: badFiles.length,
    badFilesReport,
    model: {
      sha256: model.spec.sha256,
      inputSize: m.inputSize,
      embeddingDim: m.dims.embedding,
      numClasses: m.dims.classes,
      pooledDim: m.dims.pooled,
      hasFeatureMap: !!m.dims.featureMap,
      normalization: `mean=${m.mean.join(",")};std=${m.std.join(",")}`,
    },
    reused,
  };
}

/** Bad input the handler reports → the precise status the proto promises. */
export function featureError(e: unknown, datasetRoot: string): unknown {
  if (e instanceof RpcError) return e;
  if (e instanceof BadImageError) {
    const path = e.path.startsWith(`${datasetRoot}/`) ? e.path.slice(datasetRoot.length + 1) : e.path;
    return new RpcError(
      grpc.status.INVALID_ARGUMENT,
      `bad image ${path}: ${e.reason} (set skip_bad_files to skip it)`,
      {
        reason: "ERROR_REASON_BAD_FILES",
        badFiles: [{ path, index: 0, reason: e.reason }],
        badFilesTotal: 1,
      },
    );
  }
  if (e instanceof ModelContractError) return failedPrecondition(e.message, "ERROR_REASON_MODEL_CONTRACT");
  return e;
}
