/**
 * TypeScript shapes of the `adq.v1` messages as `@grpc/proto-loader` hands them over with
 * the loader options in proto.ts (camelCase fields, enums as their names, 64-bit integers
 * as decimal strings, unset message fields as null, oneofs named by a string property).
 *
 * Outgoing messages may use numbers for 64-bit fields (protobufjs accepts both), hence
 * `Long = string | number`. Only the fields the services read or write are spelled out;
 * the .proto files remain the reference, and types.test.ts fails when the two drift (a field
 * renamed, retyped or added to a message without being spelled out or listed as omitted).
 */

/**
 * A 64-bit integer field: a decimal string when received (`longs: String`), a string or a number
 * when sent.
 */
export type Long = string | number;

/**
 * `adq.v1.JobState`: a job's lifecycle (QUEUED → RUNNING → SUCCEEDED | FAILED, or CANCELLING →
 * CANCELLED).
 */
export type JobStateName =
  | "JOB_STATE_UNSPECIFIED"
  | "JOB_STATE_QUEUED"
  | "JOB_STATE_RUNNING"
  | "JOB_STATE_SUCCEEDED"
  | "JOB_STATE_FAILED"
  | "JOB_STATE_CANCELLING"
  | "JOB_STATE_CANCELLED";

/** `adq.v1.Stage`: a pipeline stage, as named in progress, warnings and errors. */
export type StageEnum =
  | "STAGE_UNSPECIFIED"
  | "STAGE_INGEST"
  | "STAGE_FEATURES"
  | "STAGE_BINNING"
  | "STAGE_SCORING"
  | "STAGE_ALLOCATION"
  | "STAGE_SAMPLING"
  | "STAGE_PATCH_DROP"
  | "STAGE_REPORT"
  | "STAGE_RECONSTRUCT";

/** `adq.v1.StageState`: one stage's state within a job. */
export type StageStateName =
  | "STAGE_STATE_UNSPECIFIED"
  | "STAGE_STATE_PENDING"
  | "STAGE_STATE_RUNNING"
  | "STAGE_STATE_SUCCEEDED"
  | "STAGE_STATE_SKIPPED"
  | "STAGE_STATE_FAILED"
  | "STAGE_STATE_CANCELLED";

/**
 * `adq.v1.ErrorReason`: the machine-readable cause in ErrorDetails (clients branch on it, not on
 * the message).
 */
export type ErrorReasonName =
  | "ERROR_REASON_UNSPECIFIED"
  | "ERROR_REASON_INVALID_ARGUMENT"
  | "ERROR_REASON_DATASET_NOT_FOUND"
  | "ERROR_REASON_DATASET_EMPTY"
  | "ERROR_REASON_SINGLE_CLASS"
  | "ERROR_REASON_BAD_FILES"
  | "ERROR_REASON_MODEL_CONTRACT"
  | "ERROR_REASON_MODEL_DIGEST_MISMATCH"
  | "ERROR_REASON_QUOTA_EXCEEDED"
  | "ERROR_REASON_IDEMPOTENCY_KEY_REUSED"
  | "ERROR_REASON_ARTIFACT_UNAVAILABLE"
  | "ERROR_REASON_JOB_STATE"
  | "ERROR_REASON_RETRIES_EXHAUSTED"
  | "ERROR_REASON_UPLOAD_MISMATCH"
  | "ERROR_REASON_INTERNAL"
  | "ERROR_REASON_UNAUTHENTICATED"
  | "ERROR_REASON_NOT_FOUND"
  | "ERROR_REASON_UNIMPLEMENTED"
  | "ERROR_REASON_BACKEND_UNAVAILABLE"
  | "ERROR_REASON_CONCURRENT_UPDATE"
  | "ERROR_REASON_OUT_OF_RANGE"
  | "ERROR_REASON_DATA_LOSS";

/** `adq.v1.DatasetFormat`: how a data set is laid out (UNSPECIFIED: detected). */
export type DatasetFormatName =
  | "DATASET_FORMAT_UNSPECIFIED"
  | "DATASET_FORMAT_IMAGE_FOLDER"
  | "DATASET_FORMAT_CIFAR10_BINARY"
  | "DATASET_FORMAT_WEBDATASET";

/** `adq.v1.Method`: the selection method (UNSPECIFIED: ADQ). */
export type MethodName = "METHOD_UNSPECIFIED" | "METHOD_ADQ" | "METHOD_DQ" | "METHOD_RANDOM" | "METHOD_CCS";

/** `adq.v1.StoreCodec`: how kept images are coded in store.adqp (UNSPECIFIED: WebP q90). */
export type StoreCodecName =
  | "STORE_CODEC_UNSPECIFIED"
  | "STORE_CODEC_WEBP"
  | "STORE_CODEC_WEBP_LOSSLESS"
  | "STORE_CODEC_RAW";

/**
 * `adq.v1.DiversityMethod`: how a bin's diversity score DS is computed (UNSPECIFIED: contrastive).
 */
export type DiversityMethodName =
  | "DIVERSITY_METHOD_UNSPECIFIED"
  | "DIVERSITY_METHOD_CONTRASTIVE"
  | "DIVERSITY_METHOD_UNTRAINED_HEAD";

/** `google.protobuf.Timestamp`: a point in time (seconds since the epoch + nanoseconds). */
export interface Timestamp {
  seconds: Long;
  nanos: number;
}

/** `google.protobuf.Duration`: a span of time (seconds + nanoseconds). */
export interface Duration {
  seconds: Long;
  nanos: number;
}

/**
 * `adq.v1.ArtifactRef`: a stored file: its key in the artifact store, digest, size and media type.
 */
export interface ArtifactRef {
  key: string;
  sha256: string;
  sizeBytes: Long;
  mediaType: string;
}

/**
 * `adq.v1.DatasetRef`: where a data set is (a path under the server's data root, or an uploaded
 * data set's URI).
 */
export interface DatasetRef {
  uri: string;
  format?: DatasetFormatName;
}

/**
 * `adq.v1.DatasetSummary`: what the data set holds (items, classes, bytes), filled in once it
 * has been read.
 */
export interface DatasetSummary {
  numItems: Long;
  classNames: string[];
  classCounts: Long[];
  totalBytes: Long;
  format: DatasetFormatName;
}

/**
 * `adq.v1.ModelRef`: an ONNX model by URI, with an optional sha256 pin (a mismatch fails the call).
 */
export interface ModelRef {
  uri: string;
  sha256: string;
}

/**
 * `adq.v1.PatchGrid`: the grid that patch dropping cuts images into (image size, patch size in
 * pixels).
 */
export interface PatchGrid {
  imageSize: number;
  patchSize: number;
}

/** `adq.v1.DiversityParams`: the DS method and its contrastive temperature τ. */
export interface DiversityParams {
  method?: DiversityMethodName;
  tau?: number;
}

/**
 * `adq.v1.CompressionParams`: the algorithm's parameters of a job, GENERATED from the proto
 * (`npm run generate`): every field is the parameter table's (packages/stages/src/params.ts),
 * so a new parameter is a table row and a proto field, with no edit here. Optional scalars are
 * absent (undefined) when unset on the wire: the server applies its default.
 */
import type { CompressionParams } from "./generated/adq/v1/CompressionParams.ts";

export type { CompressionParams };

/**
 * `adq.v1.OutputOptions`: optional outputs of a job (MAE reconstruction, intermediate arrays).
 */
export interface OutputOptions {
  reconstruct: boolean;
  keepIntermediates: boolean;
  /** `s3://bucket/prefix` the result is published to (under a data grant); "" or absent: none. */
  uri?: string;
}

/** `adq.v1.FieldViolation`: one refused request field: its path and why. */
export interface FieldViolation {
  field: string;
  description: string;
}

/**
 * `adq.v1.BadFile`: an unreadable image: its path, index in the listing and the decoder's reason.
 */
export interface BadFile {
  path: string;
  index: Long;
  reason: string;
}

/**
 * `adq.v1.QuotaViolation`: the tenant quota a request exceeded: its name, limit and the amount
 * asked.
 */
export interface QuotaViolation {
  quota: string;
  limit: Long;
  requested: Long;
}

/**
 * `adq.v1.ErrorDetails`: a failure in full: reason, message, the stage and task, and the
 * offending fields, files or quota (failed RPCs also carry it in `grpc-status-details-bin`).
 */
export interface ErrorDetails {
  reason: ErrorReasonName;
  message: string;
  code: string;
  stage?: StageEnum;
  fieldViolations?: FieldViolation[];
  badFiles?: BadFile[];
  badFilesTotal?: Long;
  quota?: QuotaViolation | null;
  retryAfter?: Duration | null;
  taskKey?: string;
  attempts?: number;
}

/**
 * `adq.v1.StageProgress`: one stage's progress within a job (items and tasks done of total,
 * retries, rate, ETA).
 */
export interface StageProgress {
  stage: StageEnum;
  state: StageStateName;
  done: Long;
  total: Long;
  unit: string;
  tasksDone: Long;
  tasksTotal: Long;
  retries: number;
  startTime?: Timestamp | null;
  endTime?: Timestamp | null;
  eta?: Duration | null;
  rate: number;
}

/** `adq.v1.JobWarning`: a non-fatal finding of a stage (e.g. unreadable files skipped). */
export interface JobWarning {
  stage: StageEnum;
  message: string;
}

/**
 * `adq.v1.Job`: a compression job as the gateway reports it: request, state, per-stage progress,
 * error, warnings.
 */
export interface Job {
  id: string;
  tenantId: string;
  state: JobStateName;
  dataset: DatasetRef | null;
  params: CompressionParams | null;
  outputs: OutputOptions | null;
  idempotencyKey: string;
  displayName: string;
  labels: Record<string, string>;
  createTime?: Timestamp | null;
  startTime?: Timestamp | null;
  updateTime?: Timestamp | null;
  endTime?: Timestamp | null;
  currentStage: StageEnum;
  stages: StageProgress[];
  eta?: Duration | null;
  error?: ErrorDetails | null;
  datasetSummary?: DatasetSummary | null;
  warnings: JobWarning[];
  eventSequence: Long;
  cancelReason: string;
}

/**
 * `adq.v1.CreateJobRequest`: submit a job (`validateOnly`: check it and return, create nothing).
 */
export interface CreateJobRequest {
  dataset: DatasetRef | null;
  params: CompressionParams | null;
  idempotencyKey: string;
  outputs: OutputOptions | null;
  displayName: string;
  labels: Record<string, string>;
  validateOnly: boolean;
}

/**
 * `adq.v1.CreateJobResponse`: the job created, or the earlier one with the same idempotency key
 * (`deduplicated`).
 */
export interface CreateJobResponse {
  job: Job;
  deduplicated: boolean;
}

/**
 * `adq.v1.UploadHeader`: the first message of an upload: the archive's name, formats, size and
 * (optional) sha256.
 */
export interface UploadHeader {
  name: string;
  format?: DatasetFormatName;
  archive?: "ARCHIVE_FORMAT_UNSPECIFIED" | "ARCHIVE_FORMAT_TAR" | "ARCHIVE_FORMAT_TAR_GZIP";
  sizeBytes: Long;
  sha256?: string;
}

/**
 * `adq.v1.UploadDatasetRequest`: one message of an upload stream: the header first, then the
 * archive's chunks.
 */
export interface UploadDatasetRequest {
  header?: UploadHeader | null;
  chunk?: Uint8Array;
  payload?: "header" | "chunk";
}

/**
 * `adq.v1.UploadDatasetResponse`: the uploaded data set's reference, stored archive and summary.
 */
export interface UploadDatasetResponse {
  dataset: DatasetRef;
  archive: ArtifactRef;
  summary: DatasetSummary;
  deduplicated: boolean;
}

/** `adq.v1.DeleteUploadRequest`: the upload to delete, as `artifact://uploads/u-<sha256>`. */
export interface DeleteUploadRequest {
  datasetUri: string;
}

/**
 * `adq.v1.GetJobRequest`, `DeleteJobRequest` and `GetResultRequest`: the requests that name one
 * job.
 */
export interface JobIdRequest {
  jobId: string;
}

/**
 * `adq.v1.WatchJobRequest`: follow a job's events after `afterSequence` (0: a snapshot first).
 */
export interface WatchJobRequest {
  jobId: string;
  afterSequence: Long;
}

/** `adq.v1.CancelJobRequest`: cancel a job, with a reason recorded on it. */
export interface CancelJobRequest {
  jobId: string;
  reason: string;
}

/**
 * `adq.v1.ListJobsRequest`: a page of the tenant's jobs, optionally only in the given states.
 */
export interface ListJobsRequest {
  pageSize: number;
  pageToken: string;
  states: JobStateName[];
}

/**
 * `adq.v1.ListJobsResponse`: a page of jobs and the token of the next (empty: the last page).
 */
export interface ListJobsResponse {
  jobs: Job[];
  nextPageToken: string;
}

/** `adq.v1.JobTerminal`: the last event of a job: its final state, error or result summary. */
export interface JobTerminal {
  state: JobStateName;
  error?: ErrorDetails | null;
  summary?: ResultSummary | null;
}

/**
 * `adq.v1.JobEvent`: one event of WatchJob, numbered by `sequence`; exactly one member of the
 * `event` oneof is set.
 */
export interface JobEvent {
  sequence: Long;
  time?: Timestamp | null;
  jobId: string;
  snapshot?: Job | null;
  stateChanged?: { previousState: JobStateName; state: JobStateName } | null;
  progress?: StageProgress | null;
  warning?: JobWarning | null;
  terminal?: JobTerminal | null;
  heartbeat?: Record<string, never> | null;
  /** Which member of the `event` oneof is set (incoming messages). */
  event?: "snapshot" | "stateChanged" | "progress" | "warning" | "terminal" | "heartbeat";
}

/**
 * `adq.v1.ResultSummary`: the outcome of a finished job in numbers (items, selected per class,
 * bytes, model, tool version).
 */
export interface ResultSummary {
  totalItems: Long;
  selectedItems: Long;
  classSelected: Long[];
  storedBytes: Long;
  originalSubsetBytes: Long;
  originalDatasetBytes: Long;
  skippedBadFiles: Long;
  modelSha256: string;
  toolVersion: string;
  duration?: Duration | null;
}

/** `adq.v1.ResultFile`: one result file by name and its stored artifact. */
export interface ResultFile {
  name: string;
  artifact: ArtifactRef;
}

/**
 * `adq.v1.BinScore`: one bin's scores (RS, DS, their z-scores, importance) and the images
 * allocated to it.
 */
export interface BinScore {
  classIndex: number;
  className: string;
  binIndex: number;
  size: Long;
  rs: number;
  ds: number;
  rsNormalized: number;
  dsNormalized: number;
  importance: number;
  allocated: Long;
}

/**
 * `adq.v1.JobResult`: a finished job's files (manifest, bins, report, store, …), summary and bin
 * scores.
 */
export interface JobResult {
  jobId: string;
  manifest: ArtifactRef | null;
  bins: ArtifactRef | null;
  report: ArtifactRef | null;
  store: ArtifactRef | null;
  reconstructed?: ArtifactRef | null;
  files: ResultFile[];
  summary: ResultSummary | null;
  binScores: BinScore[];
}

/**
 * `adq.v1.DownloadResultRequest`: stream a result file by name, from `offset` for `length` bytes
 * (0: to the end).
 */
export interface DownloadResultRequest {
  jobId: string;
  name: string;
  offset: Long;
  length: Long;
  chunkSize: number;
}

/**
 * `adq.v1.DownloadResultChunk`: one chunk of a download (the first carries the file's ArtifactRef).
 */
export interface DownloadResultChunk {
  file?: ArtifactRef | null;
  offset: Long;
  data: Uint8Array;
}

/** `grpc.health.v1.HealthCheckResponse.ServingStatus`: a server's or a service's health. */
export type HealthStatus = "UNKNOWN" | "SERVING" | "NOT_SERVING" | "SERVICE_UNKNOWN";
