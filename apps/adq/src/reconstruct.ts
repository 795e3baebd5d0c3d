import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type ExecutionProvider, MaeModel } from "@adq/ml";
import { asIoError } from "@adq/platform";
import { checkClassFolder, type Manifest, reconstructStore, StoreMismatchError } from "@adq/stages";
import { checkOutputTarget, isNonEmptyDir, UsageError, writeStaged } from "./output-dir.ts";

export interface ReconstructOptions {
  compressed: string;
  out: string;
  mae: string;
  force: boolean;
  threads?: number;
  executionProvider?: ExecutionProvider;
  batchSize?: number;
}

/** `adq reconstruct`: the compressed store → an ImageFolder of PNGs any trainer can read. */
export async function reconstruct(o: ReconstructOptions): Promise<{ images: number; out: string }> {
  let manifest: Manifest;
  let store: Uint8Array;
  try {
    manifest = JSON.parse(await readFile(join(o.compressed, "manifest.json"), "utf8")) as Manifest;
    store = new Uint8Array(await readFile(join(o.compressed, manifest.store?.file ?? "store.adqp")));
  } catch (e) {
    throw new UsageError(`${o.compressed} is not an adq compress result (${(e as Error).message})`);
  }
  const guarded = [
    { what: "the compressed result", path: o.compressed },
    { what: "the MAE model", path: o.mae },
  ];
  await checkOutputTarget(o.out, guarded);
  if ((await isNonEmptyDir(o.out)) && !o.force)
    throw new UsageError(`--out ${o.out} already exists and is not empty (use --force)`);
  const mae = await MaeModel.load(o.mae, {
    ...(o.threads ? { threads: o.threads } : {}),
    ...(o.executionProvider ? { executionProvider: o.executionProvider } : {}),
  });
  try {
    const images = await writeStaged(o.out, o.force, guarded, (tmp) =>
      writeImageFolder(mae, store, manifest, tmp, o),
    );
    return { images, out: o.out };
  } finally {
    await mae.release();
  }
}

/** Decodes every kept image into `dir` as an ImageFolder; returns how many it wrote. */
async function writeImageFolder(
  mae: MaeModel,
  store: Uint8Array,
  manifest: Manifest,
  dir: string,
  o: ReconstructOptions,
): Promise<number> {
  // A class folder only for classes that kept images: torchvision's ImageFolder refuses an
  // empty one. classes.json lists every class in the data set's order (folder-derived indices
  // skip the empty ones).
  for (const cls of manifest.dataset.classes) {
    try {
      checkClassFolder(cls);
    } catch (e) {
      throw new UsageError(`${o.compressed}/manifest.json: ${(e as Error).message}`);
    }
  }
  await writeFile(join(dir, "classes.json"), `${JSON.stringify(manifest.dataset.classes)}\n`);
  const made = new Set<string>();
  const images = reconstructStore(mae, store, manifest, o.batchSize ? { batchSize: o.batchSize } : {});
  let count = 0;
  try {
    for await (const img of images) {
      const cls = manifest.dataset.classes[img.label]!;
      if (!made.has(cls)) await mkdir(join(dir, cls));
      made.add(cls);
      const file = join(dir, img.path);
      await writeFile(file, img.png).catch((e: unknown) => {
        throw asIoError(e, file, "write");
      });
      count++;
    }
  } catch (e) {
    throw e instanceof StoreMismatchError ? new UsageError(e.message) : e;
  }
  return count;
}
