// @adq/core — the ADQ and DQ algorithms as pure functions over typed arrays.
// No I/O, no clocks; every stochastic step takes an explicit seeded Rng.
export * from "./allocation.ts";
export * from "./baselines.ts";
export * from "./bins.ts";
export * from "./cam.ts";
export * from "./ccs.ts";
export * from "./contrastive.ts";
export * from "./errors.ts";
export * from "./gradient-embedding.ts";
export * from "./graphcut.ts";
export * from "./image.ts";
export * from "./importance.ts";
export { Rng } from "./rng.ts";
export * from "./rounding.ts";
export * from "./selection.ts";
export * from "./similarity.ts";
export * from "./softmax-head.ts";
export * from "./texture.ts";
