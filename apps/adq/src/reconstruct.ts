import { mkdir, readFile, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { type ExecutionProvider, MaeModel } from "@adq/ml";
import { asIoError } from "@adq/platform";
import {
  type Manifest,
  type PatchedImage,
  readStore,
  reconstructBatch,
  StoreMismatchError,
} from "@adq/stages";
import sharp from "sharp";
import {
  checkOutputTarget,
  discardStaging,
  isNonEmptyDir,
  prepareStaging,
  publishStaging,
  UsageError,
} from "./output-dir.ts";

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
  const ids = new Map(manifest.items.map((it) => [it.index, it.id]));
  let staging: Awaited<ReturnType<typeof prepareStaging>>;
  try {
    staging = await prepareStaging(o.out);
  } catch (e) {
    await mae.release();
    throw e;
  }
  const { tmp } = staging;
  let count = 0;
  let published = false;
  try {
    for (const cls of manifest.dataset.classes) {
      // Class names become folder names: one plain path component each, never "..".
      if (cls === "" || cls === "." || cls === ".." || /[/\\\0]/.test(cls))
        throw new UsageError(
          `${o.compressed}/manifest.json: class name ${JSON.stringify(cls)} is not a folder name`,
        );
      await mkdir(join(tmp, cls));
    }
    let batch: PatchedImage[] = [];
    const flush = async () => {
      const pixels = await reconstructBatch(mae, batch).catch((e: unknown) => {
        throw e instanceof StoreMismatchError ? new UsageError(e.message) : e;
      });
      for (let k = 0; k < batch.length; k++) {
        const img = batch[k]!;
        const id = ids.get(img.index) ?? String(img.index);
        const name = `${String(img.index).padStart(6, "0")}-${basename(id)
          .replace(/[^A-Za-z0-9._-]/g, "_")
          .replace(/\.[^.]*$/, "")}.png`;
        const png = await sharp(pixels[k]!, { raw: { width: img.width, height: img.height, channels: 3 } })
          .png()
          .toBuffer();
        const file = join(tmp, manifest.dataset.classes[img.label]!, name);
        await writeFile(file, png).catch((e: unknown) => {
          throw asIoError(e, file, "write");
        });
        count++;
      }
      batch = [];
    };
    for await (const img of readStore(store)) {
      batch.push(img);
      if (batch.length === (o.batchSize ?? 256)) await flush();
    }
    if (batch.length > 0) await flush();
    await publishStaging(staging, o.force, guarded);
    published = true;
  } finally {
    if (!published) await discardStaging(staging);
    await mae.release();
  }
  return { images: count, out: o.out };
}
