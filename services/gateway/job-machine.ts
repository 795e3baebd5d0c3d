/**
 * The job state machine, pure: which state an event moves a job to (`nextState`), the record
 * changes each step of a run makes (claim, stage by stage, succeed / fail / requeue / cancel /
 * give up; each returns whether there is anything to write, as `mutateJob` wants), and how a
 * run that threw ends (`runEnding`). The runner (runner.ts) is the shell of effects around it:
 * compare-and-set writes, bus events, timers, the artifact store.
 *
 *   QUEUED ──claim──▶ RUNNING ──succeed──▶ SUCCEEDED
 *     │  ▲              │ │ └────fail────▶ FAILED   (also QUEUED → FAILED: a given-up queue message)
 *     │  └──requeue─────┘ └─cancel─▶ CANCELLING ──cancelled──▶ CANCELLED
 *     └──────────cancel / cancelled──────────────────────────▶ CANCELLED
 */

import type { ErrorDetails } from "@adq/service-common/proto";
import { CancelledError, type StageName } from "@adq/stages";
import { jobCacheGeneration } from "./cache-gc.ts";
import { isTransientInfraError } from "./job-errors.ts";
import {
  finishStage,
  type JobRecord,
  type JobState,
  PUBLIC_STAGES,
  progressStage,
  type ResultRecord,
  setJobState,
  startStage,
  TERMINAL_STATES,
} from "./records.ts";

/** What happens to a job. */
export type JobEvent =
  /** A runner takes the job (again, after a crash: RUNNING stays RUNNING, another run). */
  | "claim"
  /** The runner shuts down with the job unfinished: the queue message is redelivered. */
  | "requeue"
  | "succeed"
  /** The run failed, or the job's queue message was given up (too many deliveries). */
  | "fail"
  /** CancelJob: a queued job ends at once, a running one waits for its runner. */
  | "cancel"
  /** A runner finished the cancellation (tasks purged, artifacts deleted). */
  | "cancelled";

const TRANSITIONS: Record<JobEvent, Partial<Record<JobState, JobState>>> = {
  claim: { QUEUED: "RUNNING", RUNNING: "RUNNING" },
  requeue: { RUNNING: "QUEUED" },
  succeed: { RUNNING: "SUCCEEDED" },
  fail: { QUEUED: "FAILED", RUNNING: "FAILED" },
  cancel: { QUEUED: "CANCELLED", RUNNING: "CANCELLING" },
  cancelled: { QUEUED: "CANCELLED", RUNNING: "CANCELLED", CANCELLING: "CANCELLED" },
};

/** The state `event` moves a job in `state` to; undefined: the event does not apply (write nothing). */
export function nextState(state: JobState, event: JobEvent): JobState | undefined {
  return TRANSITIONS[event][state];
}

/** The runner shuts down: the job goes back to QUEUED and its message is nacked. */
export class ShutdownError extends Error {
  override readonly name = "ShutdownError";
}

/** Another coordinator took the job over (this one's claim lapsed): stop, hand the message back. */
export class LostClaimError extends Error {
  override readonly name = "LostClaimError";
}

export interface ClaimArgs {
  /** This coordinator. */
  owner: string;
  now: number;
  claimTtlMs: number;
  /** Stage-cache retention (the job's cache generation is picked when it starts). */
  retentionMs: number;
}

export type ClaimResult =
  | { kind: "claimed" }
  /** Cancelled while no runner held it: this runner finishes the cancellation. */
  | { kind: "cancelling" }
  /** A live claim of another coordinator: wait, take it over only when it lapses. */
  | { kind: "elsewhere"; claim: { owner: string; until: number } }
  /** Nothing to run (it ended). */
  | { kind: "ended"; state: JobState };

/**
 * A runner takes the job (compare-and-set: a live claim of another coordinator keeps it
 * there). Claimed: RUNNING, one more run, the cache generation, the claim, ingest started.
 */
export function claim(rec: JobRecord, a: ClaimArgs): ClaimResult {
  if (rec.state === "CANCELLING") return { kind: "cancelling" };
  const next = nextState(rec.state, "claim");
  if (!next) return { kind: "ended", state: rec.state };
  if (rec.claim && rec.claim.owner !== a.owner && rec.claim.until > a.now)
    return { kind: "elsewhere", claim: rec.claim };
  rec.claim = { owner: a.owner, until: a.now + a.claimTtlMs };
  if (rec.state !== next) {
    setJobState(rec, next, a.now);
    rec.startTime = a.now;
  }
  rec.runs += 1;
  rec.cacheGeneration = jobCacheGeneration(rec.cacheGeneration, a.now, a.retentionMs);
  startStage(rec, "STAGE_INGEST", 1, a.now);
  return { kind: "claimed" };
}

/** The periodic renewal of a running job's claim. */
export function renewClaim(
  rec: JobRecord,
  owner: string,
  now: number,
  claimTtlMs: number,
): "renewed" | "ended" | "lost" {
  if (TERMINAL_STATES.has(rec.state)) return "ended";
  if (rec.claim?.owner !== owner) return "lost";
  rec.claim.until = now + claimTtlMs;
  return "renewed";
}

/** Progress writes of a run apply only while the job is its runner's (not cancelling, not ended). */
export function acceptsRunWrites(rec: JobRecord): boolean {
  return rec.state !== "CANCELLING" && !TERMINAL_STATES.has(rec.state);
}

/** The coordinator moved on to `stage`: ingest and the previous stage end, the stage's public stages start. */
export function enterStage(
  rec: JobRecord,
  previous: StageName | null,
  stage: StageName,
  total: number,
  now: number,
): void {
  finishStage(rec, "STAGE_INGEST", now);
  if (previous) for (const s of PUBLIC_STAGES[previous]) finishStage(rec, s, now);
  for (const s of PUBLIC_STAGES[stage]) startStage(rec, s, total, now);
}

export function reportProgress(
  rec: JobRecord,
  stage: StageName,
  done: number,
  total: number,
  now: number,
): void {
  for (const s of PUBLIC_STAGES[stage]) progressStage(rec, s, done, total, now);
}

/** outputs.reconstruct runs after assemble: the report ends, reconstruction starts. */
export function enterReconstruct(rec: JobRecord, selected: number, now: number): void {
  finishStage(rec, "STAGE_REPORT", now);
  startStage(rec, "STAGE_RECONSTRUCT", selected, now);
}

export function reportReconstruct(rec: JobRecord, done: number, total: number, now: number): void {
  progressStage(rec, "STAGE_RECONSTRUCT", done, total, now);
}

/**
 * The run finished: every running stage ends, the result is recorded, SUCCEEDED.
 * "cancelling": CancelJob came first, the runner cancels instead.
 */
export function succeed(
  rec: JobRecord,
  result: ResultRecord,
  now: number,
): "succeeded" | "cancelling" | "ended" {
  if (rec.state === "CANCELLING") return "cancelling";
  const next = nextState(rec.state, "succeed");
  if (!next) return "ended";
  for (const s of rec.stages) if (s.state === "RUNNING") finishStage(rec, s.stage, now);
  rec.result = result;
  setJobState(rec, next, now);
  return "succeeded";
}

/** The run failed with `error` (unless it ended or is being cancelled meanwhile). */
export function fail(rec: JobRecord, error: ErrorDetails, now: number): boolean {
  const next = nextState(rec.state, "fail");
  if (!next) return false;
  setJobState(rec, next, now, error);
  return true;
}

/** Shutdown: this runner's RUNNING job goes back to QUEUED, its claim freed for the next one at once. */
export function requeue(rec: JobRecord, owner: string, now: number): boolean {
  const next = nextState(rec.state, "requeue");
  if (!next || rec.claim?.owner !== owner) return false;
  setJobState(rec, next, now);
  delete rec.claim;
  return true;
}

/** The runner finished a cancellation. */
export function finishCancel(rec: JobRecord, now: number): boolean {
  const next = nextState(rec.state, "cancelled");
  if (!next) return false;
  setJobState(rec, next, now);
  return true;
}

/**
 * CancelJob. "ended": the job already SUCCEEDED or FAILED (FAILED_PRECONDITION); "noop":
 * already cancelling or cancelled; otherwise the state it moved to (with the reason).
 */
export function requestCancel(rec: JobRecord, reason: string, now: number): JobState | "ended" | "noop" {
  if (rec.state === "SUCCEEDED" || rec.state === "FAILED") return "ended";
  const next = nextState(rec.state, "cancel");
  if (!next) return "noop";
  rec.cancelReason = reason;
  setJobState(rec, next, now);
  return next;
}

/** Why a job whose queue message was given up fails. */
export function giveUpError(attempts: number, reason: string): ErrorDetails {
  return {
    reason: "ERROR_REASON_RETRIES_EXHAUSTED",
    code: "INTERNAL",
    message: `the job's runner stopped ${attempts} times before finishing it: ${reason}`,
    attempts,
  };
}

/**
 * How a run that threw `error` ends, its abort signal's state given:
 * - "requeue": shutdown; the job goes back to QUEUED, the message is nacked;
 * - "lost-claim": another coordinator owns the job now; nack, touch nothing;
 * - "cancel": cancelled; finish the cancellation;
 * - "interrupted": an infrastructure hiccup; nack, the job stays RUNNING and resumes;
 * - "fail": the job FAILS with the error's details (job-errors.ts).
 */
export function runEnding(
  error: unknown,
  aborted: boolean,
  abortReason: unknown,
): "requeue" | "lost-claim" | "cancel" | "interrupted" | "fail" {
  if (aborted && abortReason instanceof ShutdownError) return "requeue";
  if (aborted && abortReason instanceof LostClaimError) return "lost-claim";
  if (aborted || error instanceof CancelledError) return "cancel";
  if (isTransientInfraError(error)) return "interrupted";
  return "fail";
}
