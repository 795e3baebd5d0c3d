/**
 * CreateJob as a pure plan: what a request says (validated, every field at once), what a
 * data set admits (the coordinator's own dataset check, the images-per-job quota), the job
 * record it becomes, and, given the tenant's jobs and its idempotency record, what to do:
 * answer with the job a key already made, refuse (quota, key reused), or write the
 * idempotency record and the job and enqueue its run. No I/O here: jobs.ts resolves the data
 * set and models between the steps and applies the effects.
 */
import { createHash } from "node:crypto";
import type { DatasetDescription } from "@adq/ml";
import type { TaskMessage } from "@adq/platform";
import type { Tenant } from "@adq/service-common";
import { formatName, quotaExceeded, RpcError } from "@adq/service-common";
import type {
  CreateJobRequest__Output as CreateJobRequest,
  DatasetFormat__Output as DatasetFormatName,
  PatchGrid__Output as PatchGrid,
} from "@adq/service-common/proto";
import { type CompressParams, checkDataset, type ModelSpec } from "@adq/stages";
import * as grpc from "@grpc/grpc-js";
import { paramsFromProto, Violations } from "./params.ts";
import { ACTIVE_STATES, type IdempotencyRecord, initialStages, type JobRecord } from "./records.ts";

/** Bus work queue of accepted jobs: payload `{ jobId }`. */
export const JOB_QUEUE = "jobs";

export interface JobQueueMessage {
  jobId: string;
}

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,128}$/;
const LABEL_KEY = /^[a-z0-9_.-]{1,63}$/;

/** What a valid CreateJobRequest asks for, normalized. */
export interface CreateRequest {
  dataset: { uri: string; format: DatasetFormatName | undefined };
  params: CompressParams;
  patchGrid: PatchGrid;
  idempotencyKey: string;
  displayName: string;
  labels: Record<string, string>;
  outputs: { reconstruct: boolean; keepIntermediates: boolean };
  /** outputs.uri ("" when unset). */
  outputUri: string;
}

/**
 * Checks every field of the request (all problems in one INVALID_ARGUMENT) and normalizes it.
 * `imageSize`: the input side of the default feature model (the default patch grid).
 */
export function readCreateRequest(req: CreateJobRequest, imageSize: number): CreateRequest {
  const v = new Violations();
  const { params, patchGrid } = paramsFromProto(req.params, v, imageSize);
  const key = req.idempotencyKey ?? "";
  if (key !== "" && !IDEMPOTENCY_KEY.test(key))
    v.add("idempotency_key", "must be 1-128 characters of [A-Za-z0-9._:-]");
  const displayName = req.displayName ?? "";
  if (displayName.length > 200) v.add("display_name", `at most 200 characters, got ${displayName.length}`);
  const labels = req.labels ?? {};
  const labelKeys = Object.keys(labels);
  if (labelKeys.length > 32) v.add("labels", `at most 32 entries, got ${labelKeys.length}`);
  for (const k of labelKeys) {
    if (!LABEL_KEY.test(k)) v.add(`labels[${JSON.stringify(k)}]`, "keys are 1-63 characters of [a-z0-9_.-]");
    else if ((labels[k] ?? "").length > 256)
      v.add(`labels[${JSON.stringify(k)}]`, "values are at most 256 characters");
  }
  if (!req.dataset?.uri) v.add("dataset.uri", "required: file:///path/under/a/data/root");
  v.throwIfAny();
  return {
    dataset: { uri: req.dataset!.uri, format: req.dataset!.format },
    params,
    patchGrid,
    idempotencyKey: key,
    displayName,
    labels,
    outputs: {
      reconstruct: req.outputs?.reconstruct === true,
      keepIntermediates: req.outputs?.keepIntermediates === true,
    },
    outputUri: req.outputs?.uri ?? "",
  };
}

/**
 * Whether the tenant may run these parameters on this data set (the coordinator's own
 * dataset check, refused at once; the images-per-job quota). Returns the per-class counts.
 */
export function admitDataset(desc: DatasetDescription, params: CompressParams, tenant: Tenant): number[] {
  checkDataset(desc, params);
  const classCounts = desc.classes.map(() => 0);
  for (const it of desc.items) classCounts[it.label]!++;
  if (desc.size > tenant.quotas.imagesPerJob)
    throw quotaExceeded("images_per_job", tenant.quotas.imagesPerJob, desc.size);
  return classCounts;
}

/** What the request resolved to (jobs.ts: the data set's real path and index, the models). */
export interface Resolved {
  dataset: { path: string; description: DatasetDescription; classCounts: number[] };
  model: { uri: string; spec: ModelSpec } | null;
  mae: { uri: string; spec: ModelSpec } | null;
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object")
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v) ?? "null";
}

/** Digest of the normalized request: a retry with the same idempotency key must match it. */
export function requestHash(r: CreateRequest, resolved: Pick<Resolved, "model" | "mae">): string {
  const { model, mae } = resolved;
  const { outputs } = r;
  return createHash("sha256")
    .update(
      canonical({
        dataset: { uri: r.dataset.uri, format: r.dataset.format ?? "DATASET_FORMAT_UNSPECIFIED" },
        params: r.params,
        patchGrid: r.patchGrid,
        model: model ? { uri: model.uri, sha256: model.spec.sha256 } : null,
        ...(outputs.reconstruct || outputs.keepIntermediates
          ? { outputs, mae: mae ? { uri: mae.uri, sha256: mae.spec.sha256 } : null }
          : {}),
        displayName: r.displayName,
        labels: r.labels,
        ...(r.outputUri ? { outputUri: r.outputUri } : {}),
      }),
    )
    .digest("hex");
}

/**
 * The new job's record (QUEUED, every stage's plan known). `id` is "" for validate_only
 * (nothing is written; the record is only echoed).
 */
export function jobRecordOf(
  r: CreateRequest,
  resolved: Resolved,
  tenant: Tenant,
  id: string,
  now: number,
): JobRecord {
  const { description: desc } = resolved.dataset;
  const artifactPrefix = `tenants/${tenant.id}/jobs/${id || "validate-only"}/`;
  return {
    id,
    tenant: tenant.id,
    state: "QUEUED",
    dataset: { uri: r.dataset.uri, format: formatName(desc.format), path: resolved.dataset.path },
    params: r.params,
    patchGrid: r.patchGrid,
    modelUri: resolved.model?.uri ?? "",
    model: resolved.model?.spec ?? null,
    outputs: { ...r.outputs, ...(r.outputUri ? { uri: r.outputUri } : {}) },
    ...(resolved.mae ? { mae: resolved.mae.spec } : {}),
    idempotencyKey: r.idempotencyKey,
    requestHash: requestHash(r, resolved),
    displayName: r.displayName,
    labels: r.labels,
    createTime: now,
    updateTime: now,
    currentStage: "STAGE_UNSPECIFIED",
    stages: initialStages(r.params, r.outputs.reconstruct),
    datasetSummary: {
      numItems: desc.size,
      classNames: [...desc.classes],
      classCounts: resolved.dataset.classCounts,
      format: formatName(desc.format),
    },
    warnings: [],
    eventSequence: 0,
    events: [],
    cancelReason: "",
    artifactPrefix,
    resultPrefix: `${artifactPrefix}result`,
    runs: 0,
  };
}

/** The idempotency record of a tenant's key (hashed: keys are the caller's strings). */
export function idempotencyId(tenant: string, key: string): string {
  return `idem-${createHash("sha256").update(`${tenant}\0${key}`).digest("hex").slice(0, 40)}`;
}

/** What the store holds that decides the request: read by jobs.ts under the tenant's mutex. */
export interface AdmissionState {
  /** The tenant's jobs (every job is fine: others' are not counted). */
  jobs: readonly Pick<JobRecord, "tenant" | "state">[];
  /** The key's idempotency record and the job it points at (absent: the job is gone). */
  idempotent?: { record: IdempotencyRecord; job: JobRecord | undefined };
}

export type Admission =
  /** The key already made this job: answer with it. */
  | { kind: "deduplicated"; job: JobRecord; releaseKey: false }
  | {
      kind: "create";
      /** A dangling key (a crash between the two writes) to delete first. */
      releaseKey: boolean;
      /** Written first: a concurrent request with the same key loses (ConflictError) and retries. */
      idempotency?: IdempotencyRecord;
      job: JobRecord;
      enqueue: TaskMessage & { payload: JobQueueMessage };
    };

/**
 * Decides a create: the idempotency key's verdict (ALREADY_EXISTS when it was used for a
 * different request), then the concurrent-jobs quota, then what to write and enqueue.
 */
export function admitJob(job: JobRecord, tenant: Tenant, state: AdmissionState): Admission {
  let releaseKey = false;
  const idem = state.idempotent;
  if (idem) {
    if (!idem.job) releaseKey = true;
    else {
      if (idem.record.requestHash !== job.requestHash)
        throw new RpcError(
          grpc.status.ALREADY_EXISTS,
          `idempotency_key was already used for a different request (job ${idem.job.id})`,
          { reason: "ERROR_REASON_IDEMPOTENCY_KEY_REUSED" },
        );
      if (idem.job.tenant === tenant.id) return { kind: "deduplicated", job: idem.job, releaseKey: false };
    }
  }
  const active = state.jobs.filter((j) => j.tenant === tenant.id && ACTIVE_STATES.has(j.state)).length;
  if (active + 1 > tenant.quotas.concurrentJobs)
    throw quotaExceeded("concurrent_jobs", tenant.quotas.concurrentJobs, active + 1);
  return {
    kind: "create",
    releaseKey,
    ...(job.idempotencyKey
      ? {
          idempotency: {
            id: idempotencyId(tenant.id, job.idempotencyKey),
            tenant: tenant.id,
            jobId: job.id,
            requestHash: job.requestHash,
          },
        }
      : {}),
    job,
    enqueue: { jobId: job.id, stage: JOB_QUEUE, taskKey: "run", payload: { jobId: job.id } },
  };
}
