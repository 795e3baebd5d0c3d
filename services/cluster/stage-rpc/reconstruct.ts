/**
 * SamplingService.Reconstruct: the dropped patches of one class's DropPatches output filled
 * in by the MAE (kept pixels pasted back exactly, as `adq reconstruct` does), written as a
 * tar of `{class_name}/{item_index:08}.png`. O(items) MAE passes in batches of 64; the tar
 * is held in memory (one class's PNGs).
 */

import { writeTar } from "@adq/gateway";
import { ModelContractError } from "@adq/ml";
import { failedPrecondition, invalidArgument, resolveModel } from "@adq/service-common";
import type {
  ReconstructRequest__Output as ReconstructRequest,
  ReconstructResponse,
} from "@adq/service-common/proto";
import { type PatchedImage, readStore, reconstructBatch, StoreMismatchError } from "@adq/stages";
import sharp from "sharp";
import type { StageRpcContext } from "./context.ts";
import { bindTask, digests, input, outPrefix, ref } from "./refs.ts";

const CLASS_NAME = /^[A-Za-z0-9._ -]{1,128}$/;
const BATCH = 64;

export async function reconstruct(
  { store, env, signal }: StageRpcContext,
  req: ReconstructRequest,
): Promise<ReconstructResponse> {
  const out = outPrefix(req.task, "reconstruct");
  const className = req.className ?? "";
  if (!CLASS_NAME.test(className) || className === "." || className === "..")
    throw invalidArgument("class_name", "required: 1-128 characters of [A-Za-z0-9._ -]");
  const size = req.outputSize ?? 0;
  if (size > 4096) throw invalidArgument("output_size", `must be <= 4096, got ${size}`);
  const patchesKey = await input(store, req.store?.patches as never, "store.patches");
  const mae = (await resolveModel(req.maeModel, true, env.maes, "mae_model"))!;
  const model = await env.modelCache.mae(mae.spec).catch((e: unknown) => {
    throw e instanceof ModelContractError ? failedPrecondition(e.message, "ERROR_REASON_MODEL_CONTRACT") : e;
  });
  await bindTask(store, out, {
    patches: await digests(store, [patchesKey]),
    mae: mae.spec.sha256,
    className,
    size,
  });
  const reused = (await store.stat(`${out}/images.tar`)) !== undefined;
  const bytes = await store.get(patchesKey);
  const entries: Array<{ name: string; data?: Uint8Array }> = [{ name: `${className}/` }];
  const flush = async (batch: PatchedImage[]) => {
    const pixels = await reconstructBatch(model, batch).catch((e: unknown) => {
      throw e instanceof StoreMismatchError
        ? failedPrecondition(`store.patches: ${e.message}`, "ERROR_REASON_MODEL_CONTRACT")
        : e;
    });
    for (let k = 0; k < batch.length; k++) {
      const img = batch[k]!;
      let png = sharp(pixels[k]!, { raw: { width: img.width, height: img.height, channels: 3 } });
      if (size > 0 && (size !== img.width || size !== img.height))
        png = png.resize(size, size, { fit: "fill" });
      entries.push({
        name: `${className}/${String(img.index).padStart(8, "0")}.png`,
        data: await png.png().toBuffer(),
      });
    }
  };
  let batch: PatchedImage[] = [];
  // Any store version and codec (compress writes WebP-coded version-2 stores).
  const records = readStore(bytes);
  for (;;) {
    signal.throwIfAborted();
    let next: IteratorResult<PatchedImage>;
    try {
      next = await records.next();
    } catch (e) {
      // Only the store's own format errors (bad magic, truncation) land here.
      throw invalidArgument("store.patches", `${patchesKey}: ${(e as Error).message}`);
    }
    if (next.done) break;
    const img = next.value;
    if (req.store?.classIndex !== undefined && img.label !== req.store.classIndex)
      throw invalidArgument(
        "store.class_index",
        `item ${img.index} is in class ${img.label}, not ${req.store.classIndex}`,
      );
    batch.push(img);
    if (batch.length === BATCH) {
      await flush(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await flush(batch);
  const key = `${out}/images.tar`;
  await store.put(key, writeTar(entries), "application/x-tar");
  return { images: await ref(store, key), itemCount: entries.length - 1, reused };
}
