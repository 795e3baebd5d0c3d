// @adq/gateway/testing: what the suites under test/ (and bench/) need beyond the public entry point —
// internals they check directly. Not for production code (scripts/check-layers.mjs keeps test/ and
// bench/ on the exports; nothing outside tests imports this).
export {
  cacheGeneration,
  jobCacheGeneration,
  sweepCache,
  sweepResults,
  tenantCachePrefix,
} from "./cache-gc.ts";
export { fieldPath, paramsFromProto, Violations } from "./params.ts";
export { jobRecord } from "./records.fixtures.ts";
export { initialStages } from "./records.ts";
export { JobRunner, type RunnerOptions } from "./runner.ts";
export type { AllInOne, AllInOneOptions } from "./start.ts";
export { UploadStore } from "./upload.ts";
