import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import sharp from "sharp";
import { MaeModel } from "#ml";
import { decodeStore, type Manifest, type PatchedImage, patchBounds } from "#stages";
import { UsageError } from "./compress.ts";

export interface ReconstructOptions {
  compressed: string;
  out: string;
  mae: string;
  force: boolean;
  threads?: number;
  batchSize?: number;
}

/**
 * Fills the dropped patches of a batch with the MAE's output and keeps the stored pixels
 * exactly ("paste kept patches over the reconstruction"). Images must be S×S for the MAE.
 */
export async function reconstructBatch(mae: MaeModel, batch: PatchedImage[]): Promise<Uint8Array[]> {
  const S = mae.inputSize;
  const g = mae.grid;
  const n = batch.length;
  const images = new Float32Array(n * 3 * S * S);
  const mask = new Float32Array(n * g * g);
  batch.forEach((img, k) => {
    if (img.width !== S || img.height !== S) {
      throw new UsageError(
        `image ${img.index} is ${img.width}x${img.height}; the MAE ${mae.file} reconstructs ${S}x${S} images`,
      );
    }
    if (img.mask.length !== g * g)
      throw new UsageError(`store patch grid ${Math.sqrt(img.mask.length)} differs from the MAE grid ${g}`);
    for (let p = 0; p < g * g; p++) mask[k * g * g + p] = img.mask[p] ? 0 : 1;
    for (let y = 0; y < S; y++)
      for (let x = 0; x < S; x++)
        for (let c = 0; c < 3; c++)
          images[((k * 3 + c) * S + y) * S + x] = img.data[(y * S + x) * 3 + c]! / 255;
  });
  const rec = await mae.run(images, mask, n);
  return batch.map((img, k) => {
    const out = new Uint8Array(S * S * 3);
    for (let r = 0; r < g; r++) {
      const [y0, y1] = patchBounds(S, g, r);
      for (let cc = 0; cc < g; cc++) {
        const [x0, x1] = patchBounds(S, g, cc);
        const kept = img.mask[r * g + cc] === 1;
        for (let y = y0; y < y1; y++)
          for (let x = x0; x < x1; x++)
            for (let c = 0; c < 3; c++) {
              const i = (y * S + x) * 3 + c;
              out[i] = kept
                ? img.data[i]!
                : Math.round(Math.min(1, Math.max(0, rec[((k * 3 + c) * S + y) * S + x]!)) * 255);
            }
      }
    }
    return out;
  });
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
      const pixels = await reconstructBatch(mae, batch);
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
    for (const img of decodeStore(store)) {
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
