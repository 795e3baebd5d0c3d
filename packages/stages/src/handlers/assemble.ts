import { encodedBytes, openDataset } from "@adq/ml";
import type { ArtifactStore } from "@adq/platform";
import { METHODS } from "../methods.ts";
import type { BinRecord, BinsFile, CompressParams, Manifest, ManifestItem, Method } from "../outputs.ts";
import { manifestParams } from "../params.ts";
import {
  encodeStoreHeader,
  encodeStoreRecord,
  isLosslessWebp,
  recordPayload,
  STORE_VERSION,
  type StoreEncoding,
} from "../pq-store.ts";
import { renderReport } from "../report/render.ts";
import { encodeThumbnailPng } from "../report/thumbnails.ts";
import { getJson } from "../shard-arrays.ts";
import type {
  ClassSelection,
  DatasetSpec,
  GradientSource,
  ModelSpec,
  PatchScoreSource,
  ScoringResult,
} from "../tasks.ts";
import { maskFromHex } from "./sampling.ts";

export const TOOL_VERSION = "0.1.0";

export interface AssembleTask {
  dataset: DatasetSpec;
  datasetInfo: { path: string; format: string; size: number; classes: string[]; fingerprint: string };
  model: ModelSpec | null;
  params: CompressParams;
  method: Method;
  /** Per class: key of its ClassSelection. */
  selectionKeys: string[];
  /** Per class: bin sizes (bin methods). */
  binSizes?: number[][];
  /** Per class, per bin: raw scores (ADQ). */
  scores?: ScoringResult[][];
  skipped: Array<{ id: string; reason: string }>;
  /** Source of p in p − y (null without bins). */
  gradient?: GradientSource | null;
  /** Bin methods with adqBeta/adqStrata > 0: the head their difficulty came from, when it is not `gradient`. */
  difficultyHead?: GradientSource;
  /** How patches were ranked for dropping (null when none were dropped). */
  patchScores?: PatchScoreSource | null;
  /** Wall milliseconds of the stages before this one (shown in the report only). */
  timings?: Record<string, number>;
  /** Thumbnails in the report's grid. */
  thumbnails: number;
  out: string;
}

export interface AssembleResult {
  files: string[];
  selected: number;
}

/**
 * Final stage: turns the per-class selections into the product's outputs under `out`:
 * manifest.json, bins.json, store.adqp (kept patches + masks of the selected images) and
 * report.html. Reads only the selected images' pixels, streaming: O(selected) memory for the
 * store records, never the whole data set.
 */
export async function handleAssemble(task: AssembleTask, store: ArtifactStore): Promise<AssembleResult> {
  const files = ["manifest.json", "bins.json", "store.adqp", "report.html"];
  if (await store.stat(`${task.out}/report.html`)) return { files, selected: -1 };
  const selections = await Promise.all(task.selectionKeys.map((k) => getJson<ClassSelection>(store, k)));
  // Selected images were all readable in the features stage; one failing now is an error, not a skip.
  const reader = await openDataset(task.dataset.path);
  const desc = await reader.describe();
  const grid = task.params.patchGrid;

  const rows: Array<{ index: number; label: number; bin: number; mask?: string }> = [];
  for (const s of selections) {
    s.indices.forEach((index, k) => {
      const mask = s.masks?.[k];
      rows.push({ index, label: s.classIndex, bin: s.bins[k]!, ...(mask !== undefined ? { mask } : {}) });
    });
  }
  rows.sort((a, b) => a.index - b.index);
  const items: ManifestItem[] = rows.map((r) => ({
    id: desc.items[r.index]!.id,
    index: r.index,
    label: r.label,
    bin: r.bin,
    ...(r.mask !== undefined ? { mask: r.mask } : {}),
  }));

  // Pixel-quantized store + thumbnails, streaming over the selected images only.
  // Manifests of older versions have no codec: they are read with the raw codec of version 1.
  const coding: StoreEncoding = {
    codec: task.params.storeCodec ?? "raw",
    quality: task.params.storeCodec === "webp" ? task.params.storeQuality : 0,
  };
  const chunks: Uint8Array[] = [encodeStoreHeader(rows.length, grid, coding)];
  const thumbs: Array<{ id: string; label: number; png: Uint8Array }> = [];
  let rawBytes = 0;
  let sourceBytes = 0;
  let losslessImages = 0;
  const seenSources = new Set<string>();
  const allKept = new Uint8Array(grid * grid).fill(1);
  const rowByIndex = new Map(rows.map((r) => [r.index, r]));
  for await (const batch of reader.batches(256, { indices: rows.map((r) => r.index) })) {
    for (let j = 0; j < batch.images.length; j++) {
      const img = batch.images[j]!;
      const row = rowByIndex.get(batch.indices[j]!)!;
      const item = batch.items[j]!;
      rawBytes += img.width * img.height * 3;
      sourceBytes += await encodedBytes(item, img, seenSources);
      const mask = row.mask !== undefined ? maskFromHex(row.mask, grid * grid) : allKept;
      const record = await encodeStoreRecord(
        { ...img, channels: 3, index: row.index, label: row.label, mask },
        grid,
        coding,
      );
      if (coding.codec === "webp" && isLosslessWebp(recordPayload(record, grid))) losslessImages++;
      chunks.push(record);
      if (thumbs.length < task.thumbnails)
        thumbs.push({ id: item.id, label: row.label, png: await encodeThumbnailPng(img) });
    }
  }
  const storeBytes = Buffer.concat(chunks);

  const classes = task.datasetInfo.classes;
  const perClass = classes.map((_, c) => selections[c]?.indices.length ?? 0);
  const bins: BinRecord[] = [];
  if (METHODS[task.method].bins) {
    selections.forEach((s, c) => {
      const sizes = s.binSizes ?? task.binSizes?.[c] ?? [];
      sizes.forEach((size, b) => {
        const sc = task.scores?.[c]?.[b];
        bins.push({
          class: c,
          className: classes[c]!,
          bin: b,
          size,
          rs: sc?.rs ?? null,
          ds: sc?.ds ?? null,
          rsZ: s.rsZ?.[b] ?? null,
          dsZ: s.dsZ?.[b] ?? null,
          importance: s.importance?.[b] ?? null,
          allocated: s.binCounts?.[b] ?? 0,
        });
      });
    });
  }
  // Parameters that are off leave the files as they were before they existed (params.ts).
  const params = manifestParams(task.params);
  const adqDifficulty = METHODS[task.method].bins && (task.params.adqBeta > 0 || task.params.adqStrata > 0);
  const binsFile: BinsFile = { version: 1, method: task.method, params, classes, bins };
  const manifest: Manifest = {
    version: 1,
    tool: { name: "adq", version: TOOL_VERSION },
    method: task.method,
    params,
    dataset: task.datasetInfo,
    model: task.model,
    gradient: task.gradient ?? null,
    ...(METHODS[task.method].sampler === "strata"
      ? {
          ccs: {
            score: "el2n-held-out" as const,
            beta: task.params.ccsBeta,
            strata: task.params.ccsStrata,
            classes: selections.map((s) => s.ccs ?? { pruned: 0, strataSizes: [], strataCounts: [] }),
          },
        }
      : {}),
    ...(adqDifficulty
      ? {
          adq: {
            score: "el2n-held-out" as const,
            beta: task.params.adqBeta,
            strata: task.params.adqStrata,
            ...(task.difficultyHead ? { head: task.difficultyHead } : {}),
            classes: selections.map((s) => s.adq ?? { pruned: 0, prunedPerBin: [] }),
          },
        }
      : {}),
    total: task.datasetInfo.size,
    selected: items.length,
    perClass,
    items,
    skipped: task.skipped,
    store: {
      file: "store.adqp",
      bytes: storeBytes.length,
      subsetRawBytes: rawBytes,
      subsetSourceBytes: sourceBytes,
      patchGrid: grid,
      drop: task.params.drop,
      format: STORE_VERSION,
      codec: coding.codec,
      quality: coding.quality,
      ...(coding.codec === "webp" ? { losslessImages } : {}),
      ...(task.patchScores ? { patchScores: task.patchScores } : {}),
    },
  };
  const report = renderReport({
    bins: binsFile,
    manifest,
    thumbnails: thumbs,
    ...(task.timings ? { timings: task.timings } : {}),
  });
  const enc = new TextEncoder();
  await store.put(
    `${task.out}/manifest.json`,
    enc.encode(`${JSON.stringify(manifest, null, 1)}\n`),
    "application/json",
  );
  await store.put(
    `${task.out}/bins.json`,
    enc.encode(`${JSON.stringify(binsFile, null, 1)}\n`),
    "application/json",
  );
  await store.put(`${task.out}/store.adqp`, storeBytes, "application/octet-stream");
  // The report goes last: its presence marks the result complete (see the check above).
  await store.put(`${task.out}/report.html`, enc.encode(report), "text/html");
  return { files, selected: items.length };
}
