import type { MaeModel } from "@adq/ml";
import { type PatchedImage, patchBounds } from "./pq-store.ts";

/** A store whose images do not fit the MAE (size or patch grid). */
export class StoreMismatchError extends Error {
  override readonly name = "StoreMismatchError";
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
      throw new StoreMismatchError(
        `image ${img.index} is ${img.width}x${img.height}; the MAE ${mae.file} reconstructs ${S}x${S} images`,
      );
    }
    if (img.mask.length !== g * g)
      throw new StoreMismatchError(
        `store patch grid ${Math.sqrt(img.mask.length)} differs from the MAE grid ${g}`,
      );
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
