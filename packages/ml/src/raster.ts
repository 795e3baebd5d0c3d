/**
 * The image type of the ML runtime is core's `RasterImage` (8-bit HWC, RGB or grayscale).
 * Re-exported from one place so that the day core's index exports it, only this file changes.
 */
export type { RasterImage } from "../../core/src/image.ts";
export { assertRasterImage } from "../../core/src/image.ts";

import type { RasterImage } from "../../core/src/image.ts";

/** A zero-filled RGB image; the readers and transforms only ever produce 3-channel images. */
export function createRgb(width: number, height: number): RasterImage {
  return { width, height, channels: 3, data: new Uint8Array(width * height * 3) };
}
