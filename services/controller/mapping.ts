/**
 * Pure translations between the CompressionJob resource and the gateway's messages: the
 * spec → a CreateJob request, a gateway Job → the resource's status. No I/O here, so every rule
 * is unit-tested without a cluster.
 */

import type {
  CompressionParams,
  CreateJobRequest,
  DatasetFormat__Output,
  Job__Output as Job,
  JobResult__Output as JobResult,
} from "@adq/service-common/proto";
import { protoFieldsOf } from "@adq/stages";
import type { CompressionJob, CompressionJobStatus, Condition, Phase } from "./resource.ts";

/** One idempotency key per object: a controller restart (or a second replica) gets the same job. */
export function idempotencyKey(obj: CompressionJob): string {
  return `k8s-${obj.metadata?.uid}`;
}

/** The CreateJob request for an object's spec (the gateway validates it once more). */
export function createRequest(obj: CompressionJob): CreateJobRequest {
  const p = obj.spec.params;
  // The resource's params carry the table's names (packages/stages/src/params.ts).
  const params = protoFieldsOf(p) as unknown as CompressionParams;
  const ns = obj.metadata?.namespace ?? "";
  const name = obj.metadata?.name ?? "";
  return {
    dataset: {
      uri: obj.spec.dataset.uri,
      ...(obj.spec.dataset.format ? { format: formatName(obj) } : {}),
    },
    params,
    ...(obj.spec.output?.uri
      ? { outputs: { reconstruct: false, keepIntermediates: false, uri: obj.spec.output.uri } }
      : {}),
    idempotencyKey: idempotencyKey(obj),
    displayName: obj.spec.displayName ?? `${ns}/${name}`,
    labels: { "k8s.namespace": ns, "k8s.name": name, "k8s.uid": obj.metadata?.uid ?? "" },
  };
}

function formatName(obj: CompressionJob): DatasetFormat__Output {
  return obj.spec.dataset.format === "cifar10-binary"
    ? "DATASET_FORMAT_CIFAR10_BINARY"
    : obj.spec.dataset.format === "webdataset"
      ? "DATASET_FORMAT_WEBDATASET"
      : "DATASET_FORMAT_IMAGE_FOLDER";
}

const PHASES: Record<string, Phase> = {
  JOB_STATE_QUEUED: "Queued",
  JOB_STATE_RUNNING: "Running",
  JOB_STATE_SUCCEEDED: "Succeeded",
  JOB_STATE_FAILED: "Failed",
  JOB_STATE_CANCELLED: "Cancelled",
};

export function phaseOf(job: Job): Phase {
  return PHASES[job.state] ?? "Pending";
}

/** "features", "binning", … from STAGE_FEATURES. */
export function stageName(stage: string): string {
  return stage.replace(/^STAGE_/, "").toLowerCase();
}

/** Sets a condition, keeping its transition time when its status did not change. */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  next: Omit<Condition, "lastTransitionTime">,
  now: string,
): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === next.type);
  const prev = i >= 0 ? list[i] : undefined;
  const c: Condition = {
    ...next,
    lastTransitionTime: prev && prev.status === next.status ? prev.lastTransitionTime : now,
  };
  if (i >= 0) list[i] = c;
  else list.push(c);
  return list;
}

function isoOf(t: { seconds: string | number; nanos?: number } | null | undefined): string | undefined {
  if (!t) return undefined;
  const ms = Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
  return ms > 0 ? new Date(ms).toISOString() : undefined;
}

/**
 * The status that mirrors a gateway job: phase, current stage with done/total, a Ready-style
 * `Complete` condition and `Failed` with the gateway's reason, timings. Pure.
 */
export function statusFromJob(
  prev: CompressionJobStatus | undefined,
  job: Job,
  generation: number | undefined,
  now: string,
): CompressionJobStatus {
  const phase = phaseOf(job);
  const current = job.stages.find((s) => s.stage === job.currentStage) ?? job.stages.at(-1);
  const done = current ? Number(current.done) : 0;
  const total = current ? Number(current.total) : 0;
  const terminal = phase === "Succeeded" || phase === "Failed" || phase === "Cancelled";
  let conditions = setCondition(
    prev?.conditions,
    {
      type: "Complete",
      status: phase === "Succeeded" ? "True" : terminal ? "False" : "Unknown",
      reason: phase === "Succeeded" ? "JobSucceeded" : terminal ? `Job${phase}` : "JobInProgress",
      message:
        phase === "Succeeded" ? "the compression finished" : `the gateway job is ${phase.toLowerCase()}`,
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
    },
    now,
  );
  if (phase === "Failed")
    conditions = setCondition(
      conditions,
      {
        type: "Failed",
        status: "True",
        reason: reasonName(job.error?.reason),
        message: job.error?.message ?? "the gateway job failed",
      },
      now,
    );
  const stage = current && !terminal ? stageName(current.stage) : terminal ? "" : (prev?.stage ?? "");
  const out: CompressionJobStatus = {
    ...prev,
    phase,
    jobId: job.id,
    stage,
    done,
    total,
    progress: terminal
      ? phase === "Succeeded"
        ? "100%"
        : ""
      : total > 0
        ? `${stage} ${done}/${total}`
        : stage,
    conditions,
  };
  const start = isoOf(job.startTime ?? job.createTime);
  if (start) out.startTime = start;
  const end = isoOf(job.endTime);
  if (terminal && end) out.completionTime = end;
  if (phase === "Failed" && job.error?.message) out.message = job.error.message;
  return out;
}

/** "ERROR_REASON_BAD_FILES" → "BadFiles": condition reasons are CamelCase in Kubernetes. */
export function reasonName(reason: string | undefined): string {
  if (!reason || reason === "ERROR_REASON_UNSPECIFIED") return "JobFailed";
  return reason
    .replace(/^ERROR_REASON_/, "")
    .toLowerCase()
    .split("_")
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join("");
}

/** The result reference written once a job succeeded. */
export function resultRef(
  job: Job,
  result: JobResult,
  path?: string,
): NonNullable<CompressionJobStatus["result"]> {
  return {
    jobId: job.id,
    selected: Number(result.summary?.selectedItems ?? 0),
    total: Number(result.summary?.totalItems ?? 0),
    files: result.files.map((f) => ({
      name: f.name,
      sizeBytes: Number(f.artifact?.sizeBytes ?? 0),
      sha256: f.artifact?.sha256 ?? "",
    })),
    ...(path ? { path } : {}),
  };
}
