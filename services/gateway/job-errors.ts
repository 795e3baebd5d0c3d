/**
 * How a job ends when its run throws: a failed job's ErrorDetails (the same status mapping
 * as the RPCs', fromErrorInfo, from what a typed error — or a stage task's outcome across the
 * bus — says about itself), or, for an infrastructure hiccup, no end at all (the runner nacks
 * and the job resumes).
 */
import { randomBytes } from "node:crypto";
import { relative } from "node:path";
import { errorInfo } from "@adq/core";
import type { Logger } from "@adq/service-common";
import { fromErrorInfo, isBackendUnavailable } from "@adq/service-common";
import type { ErrorDetails, Stage__Output as StageEnum } from "@adq/service-common/proto";
import { CancelledError, StageFailedError, type StageName } from "@adq/stages";
import { fieldPath } from "./params.ts";
import { type JobRecord, PUBLIC_STAGES } from "./records.ts";

/**
 * An infrastructure hiccup (the message broker or store unreachable for a while, e.g. a
 * nats-server restart), not a property of the job: the job stays RUNNING and its queue
 * message is redelivered, so it resumes from the stage cache instead of failing.
 */
export function isTransientInfraError(e: unknown): boolean {
  if (e instanceof StageFailedError || e instanceof CancelledError || errorInfo(e)) return false;
  return isBackendUnavailable(e);
}

/**
 * A failed job's ErrorDetails: a typed error's status and reason (fromErrorInfo, the same
 * mapping as the RPCs'), a stage task's as its outcome carried it; a correlation id for bugs.
 */
export function jobErrorDetails(
  e: unknown,
  job: JobRecord,
  log: Logger,
  maxTaskAttempts: number,
): ErrorDetails {
  if (e instanceof StageFailedError) {
    const stage: StageEnum = (PUBLIC_STAGES[e.stage as StageName] ?? ["STAGE_UNSPECIFIED"])[0]!;
    const taskKey = `${e.stage}/${e.taskKey}`;
    if (e.permanent) {
      const info = e.taskInfo ?? { status: "INVALID_ARGUMENT", message: e.reason };
      if (info.reason === "BAD_FILES" && info.path) {
        const path = relative(job.dataset.path, info.path) || info.path;
        const why = info.detail ?? info.message;
        return {
          reason: "ERROR_REASON_BAD_FILES",
          code: "INVALID_ARGUMENT",
          message: `bad image ${path}: ${why} (set params.skip_bad_files to skip unreadable images)`,
          stage,
          badFiles: [{ path, index: 0, reason: why }],
          badFilesTotal: 1,
          taskKey,
          attempts: 1,
        };
      }
      return {
        ...fromErrorInfo(info, fieldPath).toDetails(),
        message: e.message,
        stage,
        taskKey,
        attempts: 1,
      };
    }
    return {
      reason: "ERROR_REASON_RETRIES_EXHAUSTED",
      code: "INTERNAL",
      message: e.message,
      stage,
      taskKey,
      attempts: maxTaskAttempts,
    };
  }
  const info = errorInfo(e);
  if (info)
    return {
      ...fromErrorInfo(info, fieldPath).toDetails(),
      // Bad input is found before the first stage runs.
      ...(info.status === "INVALID_ARGUMENT" ? { stage: "STAGE_INGEST" as const } : {}),
    };
  const err = e instanceof Error ? e : new Error(String(e));
  const correlationId = randomBytes(6).toString("hex");
  log.error("job_internal_error", { tenant: job.tenant, correlation_id: correlationId, error: err });
  return {
    reason: "ERROR_REASON_INTERNAL",
    code: "INTERNAL",
    message: `internal error (correlation id ${correlationId})`,
  };
}
