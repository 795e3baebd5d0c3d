// The public gateway (adq.v1.CompressionService) and the job runner, over the platform ports.

export { gatewayMetrics } from "./metrics.ts";
export type { IdempotencyRecord, JobRecord } from "./records.ts";
export {
  DEFAULT_JOB_LOOKAHEAD,
  DEFAULT_TENANT_GPU_TASKS,
  DEFAULT_TENANT_STAGE_TASKS,
  JOB_QUEUE,
} from "./runner.ts";
export { readRecordKey, SignedJobStore } from "./signed-store.ts";
export { gatewayModels, type ModelFlags, type RunningGateway, startAllInOne, startGateway } from "./start.ts";
// The ustar reader/writer: the Reconstruct stage RPC (cluster) returns its PNGs as a tar.
export { readTar, type TarEntry, TarError, type TarLimits, writeTar } from "./tar.ts";
