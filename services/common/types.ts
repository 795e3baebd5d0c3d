/**
 * TypeScript shapes of the `adq.v1` messages as `@grpc/proto-loader` hands them over with
 * the loader options in proto.ts (camelCase fields, enums as their names, 64-bit integers
 * as decimal strings, unset message fields as null, oneofs named by a string property).
 *
 * Outgoing messages may use numbers for 64-bit fields (protobufjs accepts both), hence
 * `Long = string | number`. Only the fields the services read or write are spelled out;
 * the .proto files remain the reference.
 */

export type Long = string | number;

export type JobStateName =
  | "JOB_STATE_UNSPECIFIED"
  | "JOB_STATE_QUEUED"
  | "JOB_STATE_RUNNING"
  | "JOB_STATE_SUCCEEDED"
  | "JOB_STATE_FAILED"
  | "JOB_STATE_CANCELLING"
  | "JOB_STATE_CANCELLED";

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

export type StageStateName =
  | "STAGE_STATE_UNSPECIFIED"
  | "STAGE_STATE_PENDING"
  | "STAGE_STATE_RUNNING"
  | "STAGE_STATE_SUCCEEDED"
  | "STAGE_STATE_SKIPPED"
  | "STAGE_STATE_FAILED"
  | "STAGE_STATE_CANCELLED";

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
  | "ERROR_REASON_INTERNAL";

export type DatasetFormatName =
  | "DATASET_FORMAT_UNSPECIFIED"
  | "DATASET_FORMAT_IMAGE_FOLDER"
  | "DATASET_FORMAT_CIFAR10_BINARY";

export type MethodName = "METHOD_UNSPECIFIED" | "METHOD_ADQ" | "METHOD_DQ" | "METHOD_RANDOM" | "METHOD_CCS";

export type StoreCodecName =
  | "STORE_CODEC_UNSPECIFIED"
  | "STORE_CODEC_WEBP"
  | "STORE_CODEC_WEBP_LOSSLESS"
  | "STORE_CODEC_RAW";

export type DiversityMethodName =
  | "DIVERSITY_METHOD_UNSPECIFIED"
  | "DIVERSITY_METHOD_CONTRASTIVE"
  | "DIVERSITY_METHOD_UNTRAINED_HEAD";

export interface Timestamp {
  seconds: Long;
  nanos: number;
}

export interface Duration {
  seconds: Long;
  nanos: number;
}

export interface ArtifactRef {
  key: string;
  sha256: string;
  sizeBytes: Long;
  mediaType: string;
}

export interface DatasetRef {
  uri: string;
  format?: DatasetFormatName;
}

export interface DatasetSummary {
  numItems: Long;
  classNames: string[];
  classCounts: Long[];
  totalBytes: Long;
  format: DatasetFormatName;
}

export interface ModelRef {
  uri: string;
  sha256: string;
}

export interface PatchGrid {
  imageSize: number;
  patchSize: number;
}

export interface DiversityParams {
  method?: DiversityMethodName;
  tau?: number;
}

/** Optional scalars are absent (undefined) when unset on the wire. */
export interface CompressionParams {
  ratio: number;
  bins?: number;
  alpha?: number;
  dropRatio?: number;
  patchGrid?: PatchGrid | null;
  seed?: number;
  method?: MethodName;
  graphcutLambda?: number;
  texturePatchSize?: number;
  diversity?: DiversityParams | null;
  rsWeight?: number;
  dsWeight?: number;
  allocationStrength?: number;
  storeCodec?: StoreCodecName;
  storeQuality?: number;
  model?: ModelRef | null;
  maeModel?: ModelRef | null;
  skipBadFiles?: boolean;
  ccsBeta?: number;
  ccsStrata?: number;
}

export interface OutputOptions {
  reconstruct: boolean;
  keepIntermediates: boolean;
}

export interface FieldViolation {
  field: string;
  description: string;
}

export interface BadFile {
  path: string;
  index: Long;
  reason: string;
}

export interface QuotaViolation {
  quota: string;
  limit: Long;
  requested: Long;
}

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

export interface JobWarning {
  stage: StageEnum;
  message: string;
}

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

export interface CreateJobRequest {
  dataset: DatasetRef | null;
  params: CompressionParams | null;
  idempotencyKey: string;
  outputs: OutputOptions | null;
  displayName: string;
  labels: Record<string, string>;
  validateOnly: boolean;
}

export interface CreateJobResponse {
  job: Job;
  deduplicated: boolean;
}

export interface UploadHeader {
  name: string;
  format?: DatasetFormatName;
  archive?: "ARCHIVE_FORMAT_UNSPECIFIED" | "ARCHIVE_FORMAT_TAR" | "ARCHIVE_FORMAT_TAR_GZIP";
  sizeBytes: Long;
  sha256?: string;
}

export interface UploadDatasetRequest {
  header?: UploadHeader | null;
  chunk?: Uint8Array;
  payload?: "header" | "chunk";
}

export interface UploadDatasetResponse {
  dataset: DatasetRef;
  archive: ArtifactRef;
  summary: DatasetSummary;
  deduplicated: boolean;
}

export interface JobIdRequest {
  jobId: string;
}

export interface WatchJobRequest {
  jobId: string;
  afterSequence: Long;
}

export interface CancelJobRequest {
  jobId: string;
  reason: string;
}

export interface ListJobsRequest {
  pageSize: number;
  pageToken: string;
  states: JobStateName[];
}

export interface ListJobsResponse {
  jobs: Job[];
  nextPageToken: string;
}

export interface JobTerminal {
  state: JobStateName;
  error?: ErrorDetails | null;
  summary?: ResultSummary | null;
}

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

export interface ResultFile {
  name: string;
  artifact: ArtifactRef;
}

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

export interface DownloadResultRequest {
  jobId: string;
  name: string;
  offset: Long;
  length: Long;
  chunkSize: number;
}

export interface DownloadResultChunk {
  file?: ArtifactRef | null;
  offset: Long;
  data: Uint8Array;
}

export type HealthStatus = "UNKNOWN" | "SERVING" | "NOT_SERVING" | "SERVICE_UNKNOWN";
