// @adq/core — the ADQ and DQ algorithms as pure functions over typed arrays.
// No I/O, no clocks; every stochastic step takes an explicit seeded Rng.
export { Rng } from "./rng.ts";
