import { allocateAcrossClasses, type RasterImage } from "@adq/core";
import { encodedBytes, openDataset, resizeRaster, toNchw } from "@adq/ml";
import { encodeNpy } from "@adq/platform";
import { invalidArgument, resolveDataset, resolveModel } from "@adq/service-common";
import type {
  AllocateRequest__Output as AllocateRequest,
  AllocateResponse,
  DropPatchesRequest__Output as DropPatchesRequest,
  DropPatchesResponse,
  SampleClassRequest__Output as SampleClassRequest,
  SampleClassResponse,
} from "@adq/service-common/proto";
import {
  allocateClass,
  checkNumber,
  dropMask,
  encodeHeader,
  encodeRecord,
  METHODS,
  methodFromProto,
  PARAMS,
  patchGridOf,
  patchScorer,
  sampleBins,
} from "@adq/stages";
import type { StageRpcContext } from "./context.ts";
import { featureError } from "./features.ts";
import { bindTask, digests, input, outPrefix, readJsonRef, ref, uint } from "./refs.ts";

type BinScoreMsg = AllocateRequest["bins"][number];

/**
 * Class budgets round(ρ·N) over all classes (largest remainder, as the coordinator), then
 * per class: z-scored RS/DS → importance → adaptive allocation (α = 0 for DQ and random).
 */
export async function allocate(_ctx: StageRpcContext, req: AllocateRequest): Promise<AllocateResponse> {
  // The job parameters' rules, under the request's field names (the table's proto fields).
  const check = (key: "ratio" | "alpha" | "rsWeight" | "dsWeight" | "strength", value: unknown) =>
    checkNumber(key, value, PARAMS[key].proto);
  check("ratio", req.ratio);
  check("alpha", req.alpha);
  check("rsWeight", req.rsWeight);
  check("dsWeight", req.dsWeight);
  const strength = check("strength", req.allocationStrength ?? PARAMS.strength.default);
  // Unset is CCS, as common.proto says; the method table says what the method allocates by.
  const method = methodFromProto(req.method);
  if (!method) throw invalidArgument("method", `unknown ${req.method}`);
  const spec = METHODS[method];
  if (spec.sampler === "strata")
    throw invalidArgument(
      "method",
      `${req.method || "METHOD_UNSPECIFIED"} is ${spec.label}, which selects by difficulty strata, not bins: Allocate serves the bin methods and random`,
    );
  const adq = spec.scores;
  if (!req.bins?.length) throw invalidArgument("bins", "required: every bin of every class");
  const byClass = new Map<number, BinScoreMsg[]>();
  req.bins.forEach((b, i) => {
    uint(b.size, `bins[${i}].size`);
    if (Number(b.size) === 0) throw invalidArgument(`bins[${i}].size`, "must be > 0");
    if (adq && !(Number.isFinite(b.rs) && Number.isFinite(b.ds)))
      throw invalidArgument(`bins[${i}]`, "rs and ds must be finite");
    const list = byClass.get(b.classIndex) ?? [];
    list.push(b);
    byClass.set(b.classIndex, list);
  });
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const sorted: BinScoreMsg[][] = [];
  for (const c of classes) {
    const list = byClass.get(c)!.sort((a, b) => a.binIndex - b.binIndex);
    list.forEach((b, k) => {
      if (b.binIndex !== k)
        throw invalidArgument(
          "bins",
          b.binIndex < k
            ? `class ${c}: bin ${b.binIndex} is listed twice`
            : `class ${c}: bin ${k} is missing (bins must be 0..${list.length - 1})`,
        );
    });
    sorted.push(list);
  }
  const numClasses = classes.at(-1)! + 1;
  const classSizes = new Float64Array(numClasses);
  sorted.forEach((list, i) => {
    classSizes[classes[i]!] = list.reduce((s, b) => s + Number(b.size), 0);
  });
  const budgets = allocateAcrossClasses(classSizes, req.ratio);
  const out: AllocateResponse["bins"] = [];
  sorted.forEach((list, i) => {
    const c = classes[i]!;
    // The sampling stage's own allocation (handlers/sampling.ts): scores only under ADQ.
    const alloc = allocateClass(
      list.map((b) => Number(b.size)),
      adq ? list : undefined,
      { alpha: req.alpha, rsWeight: req.rsWeight, dsWeight: req.dsWeight, strength },
      budgets[c]!,
    );
    list.forEach((b, k) => {
      out.push({
        ...b,
        rsNormalized: alloc.z?.rs[k] ?? 0,
        dsNormalized: alloc.z?.ds[k] ?? 0,
        importance: alloc.z?.importance[k] ?? 0,
        allocated: alloc.counts[k]!,
      });
    });
  });
  return {
    bins: out,
    totalSelected: budgets.reduce((s, x) => s + x, 0),
    classSelected: Array.from(budgets),
  };
}

/** The selection document SampleClass stores and DropPatches reads. */
interface SelectionDoc {
  class_index: number;
  bins: number[][];
}

/** Uniform draws inside each bin from the stream (seed, "sample", class, bin): the pipeline's. */
export async function sampleClass(
  { store }: StageRpcContext,
  req: SampleClassRequest,
): Promise<SampleClassResponse> {
  const out = outPrefix(req.task, "sampling");
  const c = req.bins?.classIndex ?? 0;
  const binsKey = await input(store, req.bins?.bins, "bins.bins");
  const doc = await readJsonRef<{ bins?: unknown }>(store, binsKey, "bins.bins");
  const bins = doc.bins;
  if (
    !Array.isArray(bins) ||
    !bins.every((b) => Array.isArray(b) && b.every((x) => Number.isSafeInteger(x) && x >= 0))
  )
    throw invalidArgument("bins.bins", `${binsKey} is not a bins artifact ({"bins": [[item indices]]})`);
  const allocations = (req.allocations ?? []).map((a, i) => uint(a, `allocations[${i}]`));
  if (allocations.length !== bins.length)
    throw invalidArgument(
      "allocations",
      `must have one entry per bin (${bins.length}), got ${allocations.length}`,
    );
  allocations.forEach((a, b) => {
    if (a > (bins[b] as number[]).length)
      throw invalidArgument(
        `allocations[${b}]`,
        `${a} is more than the bin's ${(bins[b] as number[]).length} items`,
      );
  });
  await bindTask(store, out, {
    bins: await digests(store, [binsKey]),
    classIndex: c,
    allocations,
    seed: req.seed ?? 0,
  });
  const reused = (await store.stat(`${out}/selection.json`)) !== undefined;
  const picked = sampleBins(bins as number[][], allocations, req.seed ?? 0, c);
  const selection: SelectionDoc = { class_index: c, bins: picked };
  const key = `${out}/selection.json`;
  await store.put(key, new TextEncoder().encode(JSON.stringify(selection)), "application/json");
  return {
    selection: {
      classIndex: c,
      count: picked.reduce((s, p) => s + p.length, 0),
      items: await ref(store, key),
    },
    reused,
  };
}

/**
 * Pixel quantization of one class's selection: CAM on the model's input (resized image),
 * the drop_ratio least activated patches dropped (ties to the lowest index), the kept
 * patches of the original pixels stored in the `ADQPQ` record layout of store.adqp.
 * Outputs: `masks.npy` uint8 [n, g, g], `patches.adqp` (header + one record per item),
 * `index.json` (per item: index, path, label, offset, length of its record).
 */
export async function dropPatches(
  { store, env, signal }: StageRpcContext,
  req: DropPatchesRequest,
): Promise<DropPatchesResponse> {
  const out = outPrefix(req.task, "patch-drop");
  const drop = checkNumber("drop", req.dropRatio ?? 0, PARAMS.drop.proto);
  if (req.skipBadFiles)
    throw invalidArgument(
      "skip_bad_files",
      "not supported here: selected items were readable when their features were extracted",
    );
  const c = req.selection?.classIndex ?? 0;
  const selKey = await input(store, req.selection?.items as never, "selection.items");
  const doc = await readJsonRef<SelectionDoc>(store, selKey, "selection.items");
  if (!Array.isArray(doc.bins) || doc.class_index !== c)
    throw invalidArgument("selection.items", `${selKey} is not the selection of class ${c}`);
  const indices = doc.bins.flat().sort((a, b) => a - b);
  // An empty selection (a class allocated no images) is valid: its store holds no records.
  for (let i = 1; i < indices.length; i++)
    if (indices[i] === indices[i - 1])
      throw invalidArgument("selection.items", `item ${indices[i]} is selected twice`);
  const ds = await resolveDataset(req.dataset?.uri ?? "", req.dataset?.format, env.dataRoots);
  const items = ds.description.items;
  for (const i of indices) {
    if (!(Number.isSafeInteger(i) && i >= 0 && i < items.length))
      throw invalidArgument("selection.items", `item ${i} is not in the dataset (${items.length} items)`);
    if (items[i]!.label !== c)
      throw invalidArgument(
        "selection.items",
        `item ${i} (${items[i]!.id}) is in class ${items[i]!.label}, not ${c}`,
      );
  }
  const model = drop > 0 ? (await resolveModel(req.model, true, env.models, "model"))! : null;
  const fm = model
    ? await env.modelCache.feature(model.spec).catch((e) => Promise.reject(featureError(e, ds.path)))
    : null;
  const S = req.patchGrid?.imageSize || fm?.inputSize || 32;
  const pg = patchGridOf(S, req.patchGrid?.patchSize ?? 0);
  if ("problem" in pg) throw invalidArgument("patch_grid.patch_size", pg.problem);
  const { grid, patchSize: patch } = pg;
  if (fm && S !== fm.inputSize)
    throw invalidArgument(
      "patch_grid.image_size",
      `must be the model's input size ${fm.inputSize} for CAM, got ${S}`,
    );
  // The features stage's patch saliency (CAM under the class match, else activation or texture).
  const scorer = fm ? patchScorer(fm, ds.description.classes, grid) : null;
  await bindTask(store, out, {
    dataset: ds.path,
    selection: await digests(store, [selKey]),
    model: model?.spec.sha256 ?? null,
    imageSize: S,
    patch,
    drop,
  });
  const reused = (await store.stat(`${out}/index.json`)) !== undefined;
  const masks = new Uint8Array(indices.length * grid * grid).fill(1);
  const records: Uint8Array[] = [encodeHeader(indices.length, grid, 3)];
  const index: Array<{ index: number; path: string; label: number; offset: number; length: number }> = [];
  let offset = records[0]!.length;
  let originalBytes = 0;
  const seen = new Set<string>();
  const reader = await openDataset(ds.path);
  let row = 0;
  try {
    for await (const batch of reader.batches(64, { indices, signal })) {
      if (fm && scorer) {
        const sized: RasterImage[] = await Promise.all(batch.images.map((img) => resizeRaster(img, S)));
        const norm = { mean: fm.mean as [number, number, number], std: fm.std as [number, number, number] };
        const res = await fm.run(toNchw(sized, norm).data, sized.length);
        for (let k = 0; k < sized.length; k++)
          masks.set(dropMask(scorer.score(res, k, batch.images[k]!, c), drop), (row + k) * grid * grid);
      }
      for (let k = 0; k < batch.images.length; k++, row++) {
        const img = batch.images[k]!;
        const item = batch.items[k]!;
        const mask = masks.subarray(row * grid * grid, (row + 1) * grid * grid);
        const rec = encodeRecord({ ...img, channels: 3, index: batch.indices[k]!, label: c, mask }, grid);
        records.push(rec);
        index.push({ index: batch.indices[k]!, path: item.id, label: c, offset, length: rec.length });
        offset += rec.length;
        originalBytes += await encodedBytes(item, img, seen);
      }
    }
  } catch (e) {
    throw featureError(e, ds.path);
  }
  const masksKey = `${out}/masks.npy`;
  const patchesKey = `${out}/patches.adqp`;
  const indexKey = `${out}/index.json`;
  await store.put(
    masksKey,
    encodeNpy({ data: masks, shape: [indices.length, grid, grid] }),
    "application/x-npy",
  );
  await store.put(patchesKey, Buffer.concat(records), "application/vnd.adq.patches.v1");
  // The index goes last: its presence marks a complete output (the `reused` check).
  await store.put(
    indexKey,
    new TextEncoder().encode(JSON.stringify({ class_index: c, grid, items: index })),
    "application/json",
  );
  const refs = {
    masks: await ref(store, masksKey),
    patches: await ref(store, patchesKey),
    index: await ref(store, indexKey),
  };
  return {
    store: {
      classIndex: c,
      itemCount: indices.length,
      patchGrid: { imageSize: S, patchSize: patch },
      ...refs,
      storedBytes:
        Number(refs.masks.sizeBytes) + Number(refs.patches.sizeBytes) + Number(refs.index.sizeBytes),
      originalBytes,
    },
    reused,
  };
}
