import type { Job__Output as Job } from "@adq/service-common/proto";
import { describe, expect, it } from "vitest";
import { createRequest, reasonName, resultRef, setCondition, statusFromJob } from "./mapping.ts";
import type { CompressionJob, CompressionJobStatus } from "./resource.ts";

const T0 = { seconds: "1700000000", nanos: 0 };
const T1 = { seconds: "1700000060", nanos: 500_000_000 };
const NOW = "2026-01-01T00:00:00.000Z";
const LATER = "2026-01-01T00:01:00.000Z";

function job(state: string, over: Partial<Job> = {}): Job {
  return {
    id: "job-1",
    state,
    currentStage: "STAGE_FEATURES",
    stages: [
      { stage: "STAGE_INGEST", done: "1", total: "1" },
      { stage: "STAGE_FEATURES", done: "40", total: "100" },
      { stage: "STAGE_BINNING", done: "0", total: "0" },
    ],
    createTime: T0,
    ...over,
  } as unknown as Job;
}

describe("statusFromJob", () => {
  it.each([
    {
      state: "JOB_STATE_QUEUED",
      phase: "Queued",
      complete: "Unknown",
      reason: "JobInProgress",
      progress: "features 40/100",
    },
    {
      state: "JOB_STATE_RUNNING",
      phase: "Running",
      complete: "Unknown",
      reason: "JobInProgress",
      progress: "features 40/100",
    },
    {
      state: "JOB_STATE_CANCELLING",
      phase: "Pending",
      complete: "Unknown",
      reason: "JobInProgress",
      progress: "features 40/100",
    },
    {
      state: "JOB_STATE_SUCCEEDED",
      phase: "Succeeded",
      complete: "True",
      reason: "JobSucceeded",
      progress: "100%",
    },
    { state: "JOB_STATE_FAILED", phase: "Failed", complete: "False", reason: "JobFailed", progress: "" },
    {
      state: "JOB_STATE_CANCELLED",
      phase: "Cancelled",
      complete: "False",
      reason: "JobCancelled",
      progress: "",
    },
  ])("$state → $phase, Complete=$complete ($reason), progress '$progress'", (c) => {
    const s = statusFromJob(undefined, job(c.state), 3, NOW);
    expect(s.phase).toBe(c.phase);
    expect(s.progress).toBe(c.progress);
    expect(s.conditions?.find((x) => x.type === "Complete")).toMatchObject({
      status: c.complete,
      reason: c.reason,
      observedGeneration: 3,
      lastTransitionTime: NOW,
    });
    const terminal = ["Succeeded", "Failed", "Cancelled"].includes(c.phase);
    expect(s.stage).toBe(terminal ? "" : "features");
    expect(s).toMatchObject({ jobId: "job-1", done: 40, total: 100, startTime: "2023-11-14T22:13:20.000Z" });
  });

  it("a failed job: the Failed condition with the gateway's reason in CamelCase, its message, completion time", () => {
    const s = statusFromJob(
      undefined,
      job("JOB_STATE_FAILED", {
        endTime: T1,
        error: { reason: "ERROR_REASON_BAD_FILES", message: "bad image a.png" },
      } as Partial<Job>),
      undefined,
      NOW,
    );
    expect(s.conditions?.find((c) => c.type === "Failed")).toMatchObject({
      status: "True",
      reason: "BadFiles",
      message: "bad image a.png",
    });
    expect(s.conditions?.find((c) => c.type === "Complete")).not.toHaveProperty("observedGeneration");
    expect(s).toMatchObject({ message: "bad image a.png", completionTime: "2023-11-14T22:14:20.500Z" });
  });

  it("keeps what it does not own (result, jobGeneration) and a condition's transition time while its status holds", () => {
    const prev: CompressionJobStatus = {
      jobGeneration: 2,
      result: { jobId: "job-1", selected: 1, total: 2, files: [] },
    };
    const a = statusFromJob(prev, job("JOB_STATE_RUNNING"), 2, NOW);
    const b = statusFromJob(a, job("JOB_STATE_RUNNING"), 2, LATER);
    expect(b).toMatchObject({ jobGeneration: 2, result: prev.result });
    expect(b.conditions?.[0]?.lastTransitionTime).toBe(NOW);
    const c = statusFromJob(b, job("JOB_STATE_SUCCEEDED"), 2, LATER);
    expect(c.conditions?.[0]).toMatchObject({ status: "True", lastTransitionTime: LATER });
  });

  it("no current stage: the last stage; none at all: zero of zero and the previous stage name", () => {
    const s = statusFromJob(
      undefined,
      job("JOB_STATE_RUNNING", { currentStage: "STAGE_UNSPECIFIED" } as Partial<Job>),
      1,
      NOW,
    );
    expect(s).toMatchObject({ stage: "binning", progress: "binning", done: 0, total: 0 });
    const e = statusFromJob(
      { stage: "features" },
      job("JOB_STATE_QUEUED", { stages: [] } as Partial<Job>),
      1,
      NOW,
    );
    expect(e).toMatchObject({ stage: "features", progress: "features", done: 0, total: 0 });
  });
});

describe("the other translations", () => {
  it.each([
    [undefined, "JobFailed"],
    ["ERROR_REASON_UNSPECIFIED", "JobFailed"],
    ["ERROR_REASON_RETRIES_EXHAUSTED", "RetriesExhausted"],
    ["ERROR_REASON_QUOTA_EXCEEDED", "QuotaExceeded"],
  ])("reasonName(%s) = %s", (reason, want) => {
    expect(reasonName(reason)).toBe(want);
  });

  it("setCondition adds, replaces in place and keeps the transition time of an unchanged status", () => {
    const one = setCondition(undefined, { type: "A", status: "True", reason: "r", message: "m" }, NOW);
    const two = setCondition(one, { type: "B", status: "False", reason: "r", message: "m" }, NOW);
    const three = setCondition(two, { type: "A", status: "True", reason: "r2", message: "m2" }, LATER);
    expect(three.map((c) => [c.type, c.reason, c.lastTransitionTime])).toEqual([
      ["A", "r2", NOW],
      ["B", "r", NOW],
    ]);
    expect(
      setCondition(three, { type: "A", status: "False", reason: "x", message: "" }, LATER)[0]
        ?.lastTransitionTime,
    ).toBe(LATER);
  });

  it("createRequest: one idempotency key per object, the spec's params by the table's names, labels naming the object", () => {
    const obj = {
      metadata: { name: "n", namespace: "ns", uid: "u-1" },
      spec: {
        dataset: { uri: "s3://b/p", format: "webdataset" },
        params: { ratio: 0.1 },
        output: { uri: "s3://b/out" },
      },
    } as unknown as CompressionJob;
    expect(createRequest(obj)).toEqual({
      dataset: { uri: "s3://b/p", format: "DATASET_FORMAT_WEBDATASET" },
      params: { ratio: 0.1 },
      outputs: { reconstruct: false, keepIntermediates: false, uri: "s3://b/out" },
      idempotencyKey: "k8s-u-1",
      displayName: "ns/n",
      labels: { "k8s.namespace": "ns", "k8s.name": "n", "k8s.uid": "u-1" },
    });
  });

  it("resultRef: counts and files as numbers, the copy's path when one was made", () => {
    const r = resultRef(
      job("JOB_STATE_SUCCEEDED"),
      {
        summary: { selectedItems: "5", totalItems: "50" },
        files: [{ name: "manifest.json", artifact: { sizeBytes: "12", sha256: "ab" } }],
      } as never,
      "/out",
    );
    expect(r).toEqual({
      jobId: "job-1",
      selected: 5,
      total: 50,
      files: [{ name: "manifest.json", sizeBytes: 12, sha256: "ab" }],
      path: "/out",
    });
  });
});
