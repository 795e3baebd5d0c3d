// @adq/stages — the stage handlers, the coordinator that drives a job through them, and
// the output formats. Transport-free: the embedded CLI and the services share this code.

export { type ClassMatch, matchClasses } from "./class-match.ts";
export * from "./content-key.ts";
export * from "./coordinator.ts";
export { checkDataset } from "./dataset-check.ts";
export * from "./fair-share.ts";
export * from "./fan-out.ts";
export { handleAssemble, TOOL_VERSION } from "./handlers/assemble.ts";
export { handleBinning, headShard } from "./handlers/binning.ts";
export { handleFeatures, type PatchScorer, patchScorer } from "./handlers/features.ts";
export { type HeadResult, handleHead } from "./handlers/head.ts";
export {
  allocateClass,
  dropMask,
  handleSampling,
  maskFromHex,
  maskToHex,
  sampleBins,
} from "./handlers/sampling.ts";
export { handleScoring } from "./handlers/scoring.ts";
export { exportIntermediates } from "./intermediates.ts";
export {
  type DatasetShape,
  defaultModelRole,
  type JobPlan,
  METHODS,
  type MethodSpec,
  type ModelRole,
  methodFromProto,
  type PlanStage,
  planJob,
  readDatasetShape,
  type Sampler,
} from "./methods.ts";
export { ModelCache } from "./model-cache.ts";
export type * from "./outputs.ts";
export * from "./params.ts";
export * from "./pq-store.ts";
export {
  checkClassFolder,
  type ReconstructedImage,
  reconstructBatch,
  reconstructedName,
  reconstructStore,
  StoreMismatchError,
} from "./reconstruct.ts";
export { gatherRows, getJson, getNpy, putJson, putNpy, SHARD_ARRAYS } from "./shard-arrays.ts";
export * from "./tasks.ts";
export { registerStageWorkers } from "./workers.ts";
