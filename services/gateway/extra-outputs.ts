/**
 * The optional outputs a job asks for (CreateJobRequest.outputs), made after assemble from what
 * the job already stored, and published beside its result files:
 *  - `reconstructed.tar`: the kept images with their dropped patches filled by the MAE, as an
 *    ImageFolder of PNGs (`<class>/<index>-<name>.png`, the `adq reconstruct` layout) plus
 *    `classes.json`; a class that kept no image has no folder (torchvision refuses empty
 *    ones). Runs in the coordinator's process. Memory O(one batch + the archive).
 *  - `intermediates/…`: the stage outputs `adq compress --keep-intermediates` writes (.npy, bins).
 */
import { MaeModel } from "@adq/ml";
import type { ArtifactStore } from "@adq/platform";
import { type CompressionOutcome, exportIntermediates, type Manifest, reconstructStore } from "@adq/stages";
import { TarWriter } from "./tar-write.ts";

export const RECONSTRUCTED_TAR = "reconstructed.tar";

export async function storeReconstruction(
  store: ArtifactStore,
  resultPrefix: string,
  maeFile: string,
  o: { threads?: number; signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
): Promise<string> {
  const manifest = JSON.parse(
    new TextDecoder().decode(await store.get(`${resultPrefix}/manifest.json`)),
  ) as Manifest;
  const pq = await store.get(`${resultPrefix}/${manifest.store?.file ?? "store.adqp"}`);
  const mae = await MaeModel.load(maeFile, o.threads ? { threads: o.threads } : {});
  try {
    const tar = new TarWriter();
    tar.file("classes.json", new TextEncoder().encode(`${JSON.stringify(manifest.dataset.classes)}\n`));
    const made = new Set<number>();
    for await (const img of reconstructStore(mae, pq, manifest, {
      ...(o.signal ? { signal: o.signal } : {}),
      onProgress: (done) => o.onProgress?.(done, manifest.selected),
    })) {
      if (!made.has(img.label)) tar.dir(manifest.dataset.classes[img.label]!);
      made.add(img.label);
      tar.file(img.path, img.png);
    }
    await store.put(`${resultPrefix}/${RECONSTRUCTED_TAR}`, tar.bytes(), "application/x-tar");
  } finally {
    await mae.release();
  }
  return RECONSTRUCTED_TAR;
}

/** Stores the job's intermediates under `{resultPrefix}/intermediates/`; returns their file names. */
export async function storeIntermediates(
  store: ArtifactStore,
  outcome: CompressionOutcome,
): Promise<string[]> {
  const names = await exportIntermediates(store, outcome, async (name, data) => {
    await store.put(`${outcome.resultPrefix}/intermediates/${name}`, data);
  });
  return names.map((n) => `intermediates/${n}`);
}
