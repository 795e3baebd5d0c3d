// @adq/core — the ADQ and DQ algorithms as pure functions over typed arrays.
// No I/O, no clocks; every stochastic step takes an explicit seeded Rng.
export { allocateAcrossClasses, allocateBins, DEFAULT_STRENGTH } from "./allocation.ts";
export { type PrunedBins, pruneBins, strataDrawsInBins } from "./bin-difficulty.ts";
export { binItems, STOCHASTIC_BINNING_ABOVE, STOCHASTIC_BINNING_EPSILON } from "./bins.ts";
export { resizeBilinear, selectPatches, topKMask } from "./cam.ts";
export { ccsSelect, el2nScores } from "./ccs.ts";
export { diversityScore } from "./contrastive.ts";
export { type ErrorInfo, type ErrorStatus, errorInfo, type TypedError } from "./errors.ts";
export { cosineSpaceFor } from "./gradient-embedding.ts";
export { LUMA_B, LUMA_G, LUMA_R, type RasterImage } from "./image.ts";
export { importanceScores } from "./importance.ts";
export { Rng } from "./rng.ts";
export { sampleUnit } from "./selection.ts";
export { range } from "./similarity.ts";
export { crossFitSoftmaxHead } from "./softmax-head.ts";
export { gridTextureScores, textureLevel } from "./texture.ts";
