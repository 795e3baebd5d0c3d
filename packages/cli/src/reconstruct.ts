import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import sharp from "sharp";
import { MaeModel } from "#ml";
import { type Manifest, type PatchedImage, readStore, reconstructBatch, StoreMismatchError } from "#stages";
import { UsageError } from "./compress.ts";

export interface ReconstructOptions {
  compressed: string;
  out: string;
  mae: string;
  force: boolean;
  threads?: number;
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
  try {
    if ((await readdir(o.out)).length > 0 && !o.force)
      throw new UsageError(`--out ${o.out} already exists and is not empty (use --force)`);
  } catch (e) {
    if (e instanceof UsageError) throw e;
  }
  const mae = await MaeModel.load(o.mae, o.threads ? { threads: o.threads } : {});
  const ids = new Map(manifest.items.map((it) => [it.index, it.id]));
  const tmp = join(
    dirname(o.out),
    `.${basename(o.out)}.tmp-${process.pid}-${randomBytes(3).toString("hex")}`,
  );
  let count = 0;
  try {
    for (const cls of manifest.dataset.classes) await mkdir(join(tmp, cls), { recursive: true });
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
        await writeFile(join(tmp, manifest.dataset.classes[img.label]!, name), png);
        count++;
      }
      batch = [];
    };
    for await (const img of readStore(store)) {
      batch.push(img);
      if (batch.length === (o.batchSize ?? 256)) await flush();
    }
    if (batch.length > 0) await flush();
    if (o.force) await rm(o.out, { recursive: true, force: true });
    await rename(tmp, o.out);
  } finally {
    await rm(tmp, { recursive: true, force: true });
    await mae.release();
  }
  return { images: count, out: o.out };
}
