/**
 * The job record kept in the JobStore (JetStream KV in cluster mode, a memory map when
 * embedded) and the pure functions that change it. Every change goes through
 * `mutateJob` (compare-and-set, re-read and retry on ConflictError), and every change a
 * watcher should see appends an event with the next sequence number, so WatchJob can
 * resume with `after_sequence` from the record alone, in any process.
 */
import { ConflictError, type JobStore, type Versioned } from "@adq/platform";
import type {
  DatasetFormat__Output as DatasetFormatName,
  ErrorDetails,
  JobState__Output as JobStateName,
  PatchGrid__Output as PatchGrid,
  Stage__Output as StageEnum,
  StageState__Output as StageStateName,
} from "@adq/service-common/proto";
import { type CompressParams, type ModelSpec, planJob, type StageName } from "@adq/stages";

export type JobState = "QUEUED" | "RUNNING" | "SUCCEEDED" | "FAILED" | "CANCELLING" | "CANCELLED";
export type StageState = "PENDING" | "RUNNING" | "SUCCEEDED" | "SKIPPED" | "FAILED" | "CANCELLED";

export const TERMINAL_STATES: ReadonlySet<JobState> = new Set(["SUCCEEDED", "FAILED", "CANCELLED"]);
/** States that count against the concurrent-jobs quota. */
export const ACTIVE_STATES: ReadonlySet<JobState> = new Set(["QUEUED", "RUNNING", "CANCELLING"]);

/** Events kept in the record for resumable watches (older ones: a snapshot is sent instead). */
export const MAX_EVENTS = 200;

export interface StageRecord {
  stage: StageEnum;
  state: StageState;
  done: number;
  total: number;
  unit: string;
  startTime?: number;
  endTime?: number;
  /** Units per second over the stage so far. */
  rate?: number;
  etaMs?: number;
}

export type EventRecord = { seq: number; time: number } & (
  | { kind: "state"; previous: JobState; state: JobState }
  | { kind: "progress"; progress: StageRecord }
  | { kind: "warning"; stage: StageEnum; message: string }
  | { kind: "terminal"; state: JobState; error?: ErrorDetails }
);

export interface ResultFileRecord {
  name: string;
  key: string;
  size: number;
  digest: string;
  mediaType: string;
}

export interface ResultRecord {
  files: ResultFileRecord[];
  totalItems: number;
  selectedItems: number;
  classSelected: number[];
  storedBytes: number;
  originalSubsetBytes: number;
  skippedBadFiles: number;
  modelSha256: string;
  toolVersion: string;
  durationMs: number;
}

export interface DatasetSummaryRecord {
  numItems: number;
  classNames: string[];
  classCounts: number[];
  format: DatasetFormatName;
}

export interface JobRecord {
  id: string;
  tenant: string;
  state: JobState;
  dataset: { uri: string; format: DatasetFormatName; path: string };
  /** Effective internal parameters (every default applied): what the coordinator runs. */
  params: CompressParams;
  /** The patch grid as echoed in Job.params (params.patchGrid = imageSize / patchSize). */
  patchGrid: PatchGrid;
  /** The feature model as requested (uri) and resolved (file + digest); null when not needed. */
  modelUri: string;
  model: ModelSpec | null;
  /** `uri`: publish the result there on success (an s3:// prefix under the tenant's grants). */
  outputs: { reconstruct: boolean; keepIntermediates: boolean; uri?: string };
  /** The MAE that fills dropped patches for outputs.reconstruct (file + digest). */
  mae?: ModelSpec | null;
  idempotencyKey: string;
  /** Digest of the normalized request: a retry with the same key must match it. */
  requestHash: string;
  displayName: string;
  labels: Record<string, string>;
  createTime: number;
  startTime?: number;
  updateTime: number;
  endTime?: number;
  currentStage: StageEnum;
  stages: StageRecord[];
  error?: ErrorDetails;
  datasetSummary?: DatasetSummaryRecord;
  warnings: Array<{ stage: StageEnum; message: string }>;
  eventSequence: number;
  events: EventRecord[];
  cancelReason: string;
  /** Artifact prefix (with trailing '/') of everything this job owns. */
  artifactPrefix: string;
  /** Where the coordinator publishes the result files (under artifactPrefix). */
  resultPrefix: string;
  result?: ResultRecord;
  /** Runs started (a redelivered job after a crash resumes from the stage cache). */
  runs: number;
  /** Stage-cache generation of the job's outputs (cache-gc.ts); set when it first starts. */
  cacheGeneration?: number;
  /**
   * The coordinator running the job and until when its claim holds (ms since the epoch),
   * taken and renewed by compare-and-set (runner.ts): a second coordinator that is handed the
   * same job (its queue message redelivered) waits while the claim is live.
   */
  claim?: { owner: string; until: number };
}

/** Maps an idempotency key (per tenant) to the job it created; id = hash(tenant, key). */
export interface IdempotencyRecord {
  id: string;
  tenant: string;
  jobId: string;
  requestHash: string;
}

export const STAGE_ORDER: readonly StageEnum[] = [
  "STAGE_INGEST",
  "STAGE_FEATURES",
  "STAGE_BINNING",
  "STAGE_SCORING",
  "STAGE_ALLOCATION",
  "STAGE_SAMPLING",
  "STAGE_PATCH_DROP",
  "STAGE_REPORT",
  "STAGE_RECONSTRUCT",
];

/**
 * The coordinator's stages and the public stages each one performs: allocation and CAM
 * patch dropping run inside the sampling tasks, the report inside assemble.
 */
export const PUBLIC_STAGES: Record<StageName, readonly StageEnum[]> = {
  features: ["STAGE_FEATURES"],
  binning: ["STAGE_BINNING"],
  scoring: ["STAGE_SCORING"],
  sampling: ["STAGE_ALLOCATION", "STAGE_SAMPLING", "STAGE_PATCH_DROP"],
  assemble: ["STAGE_REPORT"],
};

const UNITS: Partial<Record<StageEnum, string>> = {
  STAGE_INGEST: "datasets",
  STAGE_FEATURES: "images",
  STAGE_BINNING: "classes",
  STAGE_SCORING: "bins",
  STAGE_ALLOCATION: "classes",
  STAGE_SAMPLING: "classes",
  STAGE_PATCH_DROP: "classes",
  STAGE_REPORT: "results",
  STAGE_RECONSTRUCT: "images",
};

export const INTERNAL_STAGE_OF: Partial<Record<StageEnum, StageName>> = {
  STAGE_FEATURES: "features",
  STAGE_BINNING: "binning",
  STAGE_SCORING: "scoring",
  STAGE_SAMPLING: "sampling",
  STAGE_REPORT: "assemble",
};

/** The stage list of a new job: skipped stages are known from the parameters. */
export function initialStages(p: CompressParams, reconstruct = false): StageRecord[] {
  const plan = planJob(p);
  const skipped = new Set<StageEnum>(reconstruct ? [] : ["STAGE_RECONSTRUCT"]);
  for (const [stage, runs] of Object.entries(plan.stages) as Array<[StageName, boolean]>)
    if (!runs) for (const s of PUBLIC_STAGES[stage]) skipped.add(s);
  if (!plan.cam) skipped.add("STAGE_PATCH_DROP");
  return STAGE_ORDER.map((stage) => ({
    stage,
    state: skipped.has(stage) ? "SKIPPED" : "PENDING",
    done: 0,
    total: 0,
    unit: UNITS[stage] ?? "",
  }));
}

export function jobStateName(s: JobState): JobStateName {
  return `JOB_STATE_${s}` as JobStateName;
}

export function stageStateName(s: StageState): StageStateName {
  return `STAGE_STATE_${s}` as StageStateName;
}

export function parseJobStateName(s: string): JobState | undefined {
  const short = s.replace(/^JOB_STATE_/, "");
  return ["QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLING", "CANCELLED"].includes(short)
    ? (short as JobState)
    : undefined;
}

// ---- pure changes of a record (used inside mutateJob) ----

export function pushEvent(rec: JobRecord, ev: DistributiveOmit<EventRecord, "seq">): void {
  rec.eventSequence += 1;
  rec.events.push({ ...ev, seq: rec.eventSequence } as EventRecord);
  if (rec.events.length > MAX_EVENTS) rec.events.splice(0, rec.events.length - MAX_EVENTS);
  rec.updateTime = Math.max(rec.updateTime, ev.time);
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Moves the job to `state` with a state event (and the terminal event when it ends). */
export function setJobState(rec: JobRecord, state: JobState, now: number, error?: ErrorDetails): void {
  if (rec.state === state) return;
  const previous = rec.state;
  rec.state = state;
  rec.updateTime = now;
  pushEvent(rec, { kind: "state", time: now, previous, state });
  if (TERMINAL_STATES.has(state)) {
    rec.endTime = now;
    if (error) rec.error = error;
    // Stages that had not finished end with the job: a failure fails the running ones
    // (stages never started stay PENDING), a cancel cancels everything unfinished.
    for (const s of rec.stages) {
      const running = s.state === "RUNNING";
      if (!running && s.state !== "PENDING") continue;
      if (state === "SUCCEEDED") s.state = "SUCCEEDED";
      else if (state === "CANCELLED") s.state = "CANCELLED";
      else if (running) s.state = "FAILED";
      else continue;
      if (s.startTime !== undefined) s.endTime = now;
      delete s.etaMs;
    }
    pushEvent(rec, { kind: "terminal", time: now, state, ...(error ? { error } : {}) });
  }
}

function stageRecord(rec: JobRecord, stage: StageEnum): StageRecord {
  const s = rec.stages.find((x) => x.stage === stage);
  if (!s) throw new Error(`job ${rec.id} has no stage ${stage}`);
  return s;
}

/** Marks a public stage running (idempotent) with a progress event. */
export function startStage(rec: JobRecord, stage: StageEnum, total: number, now: number): void {
  const s = stageRecord(rec, stage);
  if (s.state === "SKIPPED") return;
  s.state = "RUNNING";
  s.total = total;
  s.done = 0;
  s.startTime = now;
  delete s.endTime;
  delete s.etaMs;
  rec.currentStage = stage;
  pushEvent(rec, { kind: "progress", time: now, progress: { ...s } });
}

export function progressStage(
  rec: JobRecord,
  stage: StageEnum,
  done: number,
  total: number,
  now: number,
): void {
  const s = stageRecord(rec, stage);
  if (s.state === "SKIPPED") return;
  if (s.state !== "RUNNING") startStage(rec, stage, total, now);
  s.done = done;
  s.total = total;
  const elapsed = now - (s.startTime ?? now);
  if (done > 0 && elapsed > 0) {
    s.rate = (done / elapsed) * 1000;
    s.etaMs = Math.round((elapsed * (total - done)) / done);
  }
  if (done >= total && total > 0) {
    s.state = "SUCCEEDED";
    s.endTime = now;
    s.etaMs = 0;
  }
  pushEvent(rec, { kind: "progress", time: now, progress: { ...s } });
}

export function finishStage(rec: JobRecord, stage: StageEnum, now: number): void {
  const s = stageRecord(rec, stage);
  if (s.state !== "RUNNING" && s.state !== "PENDING") return;
  s.state = "SUCCEEDED";
  s.done = s.total;
  s.startTime ??= now;
  s.endTime = now;
  s.etaMs = 0;
  pushEvent(rec, { kind: "progress", time: now, progress: { ...s } });
}

/**
 * Compare-and-set update: re-reads and re-applies `change` until the write wins.
 * `change` mutates the record it is given and returns false to write nothing.
 * Resolves to the stored version (undefined when the job does not exist).
 */
export async function mutateJob(
  jobs: JobStore<JobRecord>,
  id: string,
  change: (rec: JobRecord) => boolean,
  maxAttempts = 100,
): Promise<Versioned<JobRecord> | undefined> {
  for (let attempt = 1; ; attempt++) {
    const cur = await jobs.get(id);
    if (!cur) return undefined;
    const next = structuredClone(cur.value);
    if (!change(next)) return cur;
    try {
      return await jobs.update(next, cur.revision);
    } catch (e) {
      if (!(e instanceof ConflictError) || attempt >= maxAttempts) throw e;
      // Lost the race: someone else wrote in between. Re-read and re-apply.
    }
  }
}
