/** A finished job's ResultRecord: its result files (size, digest, type) and the manifest's summary. */
import type { ArtifactStore } from "@adq/platform";
import { type CompressionOutcome, type Manifest, TOOL_VERSION } from "@adq/stages";
import type { ResultFileRecord, ResultRecord } from "./records.ts";

export async function collectResult(
  store: ArtifactStore,
  outcome: CompressionOutcome,
  durationMs: number,
): Promise<ResultRecord> {
  const files: ResultFileRecord[] = [];
  for (const name of [...outcome.files].sort()) {
    const key = `${outcome.resultPrefix}/${name}`;
    const info = await store.stat(key);
    if (!info) throw new Error(`result file ${key} is missing after assemble`);
    files.push({ name, key, size: info.size, digest: info.digest, mediaType: info.mediaType });
  }
  const manifest = JSON.parse(
    new TextDecoder().decode(await store.get(`${outcome.resultPrefix}/manifest.json`)),
  ) as Manifest;
  return {
    files,
    totalItems: manifest.total,
    selectedItems: manifest.selected,
    classSelected: manifest.perClass,
    storedBytes: manifest.store?.bytes ?? 0,
    originalSubsetBytes: manifest.store?.subsetSourceBytes ?? 0,
    skippedBadFiles: manifest.skipped.length,
    modelSha256: manifest.model?.sha256 ?? "",
    toolVersion: manifest.tool.version ?? TOOL_VERSION,
    durationMs,
  };
}
