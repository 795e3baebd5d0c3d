// @adq/ml/testing: what the suites under test/ (and bench/) need beyond the public entry point —
// internals they check directly. Not for production code (scripts/check-layers.mjs keeps test/ and
// bench/ on the exports; nothing outside tests imports this).
export { decodeImageFile } from "./decode.ts";
export { RUN_PIXELS, runBatch, SMALL_IMAGE_UPSCALE } from "./feature-model.ts";
export { sessionOptions } from "./model-contract.ts";
export { orderedMap } from "./pool.ts";
