/**
 * The image type of the ML runtime is core's `RasterImage` (8-bit HWC, RGB or grayscale),
 * re-exported so that ML-runtime callers need one import.
 */
export type { RasterImage } from "@adq/core";
