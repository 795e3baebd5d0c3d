// @adq/core/testing: what the suites under test/ (and bench/) need beyond the public entry point —
// internals they check directly. Not for production code (scripts/check-layers.mjs keeps test/ and
// bench/ on the exports; nothing outside tests imports this).
export { binClass, binIndexOf, referenceBinClass } from "./bins.ts";
export { classBins } from "./contrastive.fixtures.ts";
export type { DiversityOptions } from "./contrastive.ts";
export {
  type CosineSpace,
  DenseCosineSpace,
  FactorisedGradientSpace,
  gradientEmbeddings,
  type LastLayerOutputs,
} from "./gradient-embedding.ts";
export { referenceCrossFitSoftmaxHead } from "./softmax-head.reference.ts";
