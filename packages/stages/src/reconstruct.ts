import { resizeBilinear } from "@adq/core";
import type { MaeModel } from "@adq/ml";
import sharp from "sharp";
import { type PatchedImage, patchBounds, readStore } from "./pq-store.ts";

/** A store whose images do not fit the MAE (size or patch grid). */
export class StoreMismatchError extends Error {
  override readonly name = "StoreMismatchError";
}

/**
 * Fills the dropped patches of a batch with the MAE's output and keeps the stored pixels
 * exactly ("paste kept patches over the reconstruction"). The patch grid is relative to the
 * image (pq-store's patchBounds), so an image of any size maps cell for cell onto the MAE's
 * S×S input: a W×H image is resized to S×S (bilinear, per channel), reconstructed, and the
 * reconstruction resized back to W×H before the kept pixels are pasted over it. Only the
 * dropped patches are interpolated; O(n·(W·H + S²)) per batch besides the model.
 */
export async function reconstructBatch(mae: MaeModel, batch: PatchedImage[]): Promise<Uint8Array[]> {
  const S = mae.inputSize;
  const g = mae.grid;
  const n = batch.length;
  const images = new Float32Array(n * 3 * S * S);
  const mask = new Float32Array(n * g * g);
  batch.forEach((img, k) => {
    if (img.mask.length !== g * g)
      throw new StoreMismatchError(
        `store patch grid ${Math.sqrt(img.mask.length)} differs from the MAE grid ${g}`,
      );
    if (img.width < g || img.height < g)
      throw new StoreMismatchError(
        `image ${img.index} is ${img.width}x${img.height}, smaller than the ${g}x${g} patch grid`,
      );
    for (let p = 0; p < g * g; p++) mask[k * g * g + p] = img.mask[p] ? 0 : 1;
    for (let c = 0; c < 3; c++) {
      const plane = resizePlane(channel(img.data, img.width * img.height, c), img.height, img.width, S, S);
      images.set(plane, (k * 3 + c) * S * S);
    }
  });
  const rec = await mae.run(images, mask, n);
  return batch.map((img, k) => {
    const { width: W, height: H } = img;
    const planes = [0, 1, 2].map((c) =>
      resizePlane(rec.subarray((k * 3 + c) * S * S, (k * 3 + c + 1) * S * S), S, S, H, W),
    );
    const out = new Uint8Array(W * H * 3);
    for (let r = 0; r < g; r++) {
      const [y0, y1] = patchBounds(H, g, r);
      for (let cc = 0; cc < g; cc++) {
        const [x0, x1] = patchBounds(W, g, cc);
        const kept = img.mask[r * g + cc] === 1;
        for (let y = y0; y < y1; y++)
          for (let x = x0; x < x1; x++)
            for (let c = 0; c < 3; c++) {
              const i = (y * W + x) * 3 + c;
              out[i] = kept
                ? img.data[i]!
                : Math.round(Math.min(1, Math.max(0, planes[c]![y * W + x]!)) * 255);
            }
      }
    }
    return out;
  });
}

/** Channel c of interleaved RGB bytes, scaled to [0, 1]. */
function channel(data: Uint8Array, pixels: number, c: number): Float32Array {
  const out = new Float32Array(pixels);
  for (let i = 0; i < pixels; i++) out[i] = data[i * 3 + c]! / 255;
  return out;
}

/** One plane resized h×w → outH×outW; the identity (no copy of the maths) when sizes agree. */
function resizePlane(src: Float32Array, h: number, w: number, outH: number, outW: number): ArrayLike<number> {
  return h === outH && w === outW ? src : resizeBilinear(src, h, w, outH, outW);
}

/** One reconstructed image as an ImageFolder entry: `<class>/<index>-<file stem>.png`. */
export interface ReconstructedImage {
  path: string;
  png: Uint8Array;
  label: number;
}

/**
 * The file name `adq reconstruct` and the served `reconstructed.tar` give an item: its data-set
 * index (unique, sorts in data-set order) and its source file's stem, in safe characters.
 */
export function reconstructedName(index: number, id: string): string {
  const base = id.slice(id.lastIndexOf("/") + 1);
  return `${String(index).padStart(6, "0")}-${base.replace(/[^A-Za-z0-9._-]/g, "_").replace(/\.[^.]*$/, "")}.png`;
}

/**
 * Class names become folder names: one plain path component each, never "..".
 * @throws StoreMismatchError naming the class otherwise
 */
export function checkClassFolder(cls: string): void {
  if (cls === "" || cls === "." || cls === ".." || /[/\\\0]/.test(cls))
    throw new StoreMismatchError(`class name ${JSON.stringify(cls)} is not a folder name`);
}

/**
 * Every kept image of a store, its dropped patches filled by the MAE, as a PNG at the image's
 * own size, in store order; batches of `batchSize` go through the model (memory O(batch)).
 * `onProgress(done)` follows each batch.
 */
export async function* reconstructStore(
  mae: MaeModel,
  store: Uint8Array,
  manifest: { items: Array<{ index: number; id: string }>; dataset: { classes: string[] } },
  o: { batchSize?: number; onProgress?: (done: number) => void; signal?: AbortSignal } = {},
): AsyncGenerator<ReconstructedImage> {
  for (const cls of manifest.dataset.classes) checkClassFolder(cls);
  const ids = new Map(manifest.items.map((it) => [it.index, it.id]));
  let batch: PatchedImage[] = [];
  let done = 0;
  async function* flush(): AsyncGenerator<ReconstructedImage> {
    o.signal?.throwIfAborted();
    const pixels = await reconstructBatch(mae, batch);
    for (let k = 0; k < batch.length; k++) {
      const img = batch[k]!;
      const png = await sharp(pixels[k]!, { raw: { width: img.width, height: img.height, channels: 3 } })
        .png()
        .toBuffer();
      const cls = manifest.dataset.classes[img.label];
      if (cls === undefined)
        throw new StoreMismatchError(`store label ${img.label} has no class in the manifest`);
      yield {
        path: `${cls}/${reconstructedName(img.index, ids.get(img.index) ?? String(img.index))}`,
        png: new Uint8Array(png.buffer, png.byteOffset, png.length),
        label: img.label,
      };
    }
    done += batch.length;
    o.onProgress?.(done);
    batch = [];
  }
  for await (const img of readStore(store)) {
    batch.push(img);
    if (batch.length === (o.batchSize ?? 256)) yield* flush();
  }
  if (batch.length > 0) yield* flush();
}
