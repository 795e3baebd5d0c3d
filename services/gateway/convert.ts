/** Job records → `adq.v1` messages (Job, JobEvent, JobTerminal, ResultSummary). */

import type {
  Duration,
  Job,
  JobEvent,
  JobTerminal,
  ResultSummary,
  StageProgress,
  Timestamp,
} from "@adq/service-common/proto";
import { paramsToProto } from "./params.ts";
import {
  type EventRecord,
  type JobRecord,
  jobStateName,
  type ResultRecord,
  type StageRecord,
  stageStateName,
} from "./records.ts";

export function ts(ms: number | undefined): Timestamp | null {
  if (ms === undefined) return null;
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}

export function dur(ms: number | undefined): Duration | null {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return null;
  return { seconds: Math.floor(ms / 1000), nanos: Math.round(ms % 1000) * 1_000_000 };
}

export function stageToProto(s: StageRecord): StageProgress {
  return {
    stage: s.stage,
    state: stageStateName(s.state),
    done: s.done,
    total: s.total,
    unit: s.unit,
    tasksDone: s.done,
    tasksTotal: s.total,
    retries: 0,
    startTime: ts(s.startTime),
    endTime: ts(s.endTime),
    eta: dur(s.etaMs),
    rate: s.rate ?? 0,
  };
}

export function summaryToProto(r: ResultRecord): ResultSummary {
  return {
    totalItems: r.totalItems,
    selectedItems: r.selectedItems,
    classSelected: r.classSelected,
    storedBytes: r.storedBytes,
    originalSubsetBytes: r.originalSubsetBytes,
    originalDatasetBytes: 0,
    skippedBadFiles: r.skippedBadFiles,
    modelSha256: r.modelSha256,
    toolVersion: r.toolVersion,
    duration: dur(r.durationMs),
  };
}

export function jobToProto(rec: JobRecord): Job {
  const current = rec.stages.find((s) => s.stage === rec.currentStage);
  return {
    id: rec.id,
    tenantId: rec.tenant,
    state: jobStateName(rec.state),
    dataset: { uri: rec.dataset.uri, format: rec.dataset.format },
    params: paramsToProto(
      rec.params,
      rec.patchGrid,
      rec.model ? { uri: rec.modelUri, sha256: rec.model.sha256 } : null,
    ),
    outputs: rec.outputs,
    idempotencyKey: rec.idempotencyKey,
    displayName: rec.displayName,
    labels: rec.labels,
    createTime: ts(rec.createTime),
    startTime: ts(rec.startTime),
    updateTime: ts(rec.updateTime),
    endTime: ts(rec.endTime),
    currentStage: rec.currentStage,
    stages: rec.stages.map(stageToProto),
    // Only the running stage's ETA is known; later stages have no estimate yet.
    eta: rec.state === "RUNNING" ? dur(current?.etaMs) : null,
    error: rec.error ?? null,
    datasetSummary: rec.datasetSummary ? { ...rec.datasetSummary, totalBytes: 0 } : null,
    warnings: rec.warnings,
    eventSequence: rec.eventSequence,
    cancelReason: rec.cancelReason,
  };
}

export function terminalToProto(
  rec: JobRecord,
  ev?: Extract<EventRecord, { kind: "terminal" }>,
): JobTerminal {
  const state = ev?.state ?? rec.state;
  return {
    state: jobStateName(state),
    error: ev?.error ?? rec.error ?? null,
    summary: state === "SUCCEEDED" && rec.result ? summaryToProto(rec.result) : null,
  };
}

export function eventToProto(rec: JobRecord, ev: EventRecord): JobEvent {
  const base = { sequence: ev.seq, time: ts(ev.time), jobId: rec.id };
  switch (ev.kind) {
    case "state":
      return {
        ...base,
        stateChanged: { previousState: jobStateName(ev.previous), state: jobStateName(ev.state) },
      };
    case "progress":
      return { ...base, progress: stageToProto(ev.progress) };
    case "warning":
      return { ...base, warning: { stage: ev.stage, message: ev.message } };
    case "terminal":
      return { ...base, terminal: terminalToProto(rec, ev) };
  }
}

export function snapshotEvent(rec: JobRecord, now: number): JobEvent {
  return { sequence: rec.eventSequence, time: ts(now), jobId: rec.id, snapshot: jobToProto(rec) };
}
