// @adq/stages — the stage handlers, the coordinator that drives a job through them, and
// the output formats. Transport-free: the embedded CLI and the services share this code.

export { type ClassMatch, matchClasses } from "./class-match.ts";
export { canonicalJson, contentKey, sha256File } from "./content-key.ts";
export {
  type CompressionOutcome,
  HEAD_SETTINGS,
  runCompression,
  type StageName,
  type StageProgress,
} from "./coordinator.ts";
export { checkDataset } from "./dataset-check.ts";
export { FairShare, type FairShareOptions, GPU_STAGES, type TaskGate } from "./fair-share.ts";
export { CancelledError, StageFailedError } from "./fan-out.ts";
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
export type { BinsFile, Manifest, Method } from "./outputs.ts";
export {
  type CompressParams,
  checkNumber,
  choiceProblem,
  crossProblems,
  DEFAULT_PARAMS,
  defaultText,
  type FlagKey,
  type ManifestParams,
  manifestParams,
  numberProblem,
  PARAM_LIST,
  PARAMS,
  type ParamSpec,
  paramsHelp,
  patchGridOf,
  protoFieldsOf,
  protoKeys,
  protoPath,
  unusedParams,
  validateParams,
  withAddedParams,
  withDefaults,
} from "./params.ts";
export {
  decodeStore,
  encodeHeader,
  encodeRecord,
  type PatchedImage,
  patchBounds,
  readStore,
} from "./pq-store.ts";
export {
  checkClassFolder,
  type ReconstructedImage,
  reconstructBatch,
  reconstructedName,
  reconstructStore,
  StoreMismatchError,
} from "./reconstruct.ts";
export { gatherRows, getJson, getNpy, putJson, putNpy, SHARD_ARRAYS } from "./shard-arrays.ts";
export {
  type Lease,
  type LeaseRecord,
  SharedFairShare,
  type SharedFairShareOptions,
} from "./shared-fair-share.ts";
export type { FeaturesResult, ModelSpec, ShardRef } from "./tasks.ts";
export { abortableWait, removeFrom, type Waiter } from "./waiter.ts";
export { registerStageWorkers } from "./workers.ts";
