import { CancelledError, StageFailedError } from "@adq/stages";
import { describe, expect, it } from "vitest";
import {
  acceptsRunWrites,
  claim,
  enterReconstruct,
  enterStage,
  fail,
  finishCancel,
  giveUpError,
  type JobEvent,
  LostClaimError,
  nextState,
  renewClaim,
  reportProgress,
  requestCancel,
  requeue,
  runEnding,
  ShutdownError,
  succeed,
} from "./job-machine.ts";
import { jobRecord } from "./records.fixtures.ts";
import type { JobState, ResultRecord } from "./records.ts";

const STATES: JobState[] = ["QUEUED", "RUNNING", "CANCELLING", "SUCCEEDED", "FAILED", "CANCELLED"];
const EVENTS: JobEvent[] = ["claim", "requeue", "succeed", "fail", "cancel", "cancelled"];
const ID = "job-00000000000000000001";

describe("nextState: the whole transition table", () => {
  // Rows: from-state; columns: EVENTS; "-": the event does not apply (nothing is written).
  const table: Record<JobState, string> = {
    QUEUED: "RUNNING     -       -         FAILED CANCELLED  CANCELLED",
    RUNNING: "RUNNING     QUEUED  SUCCEEDED FAILED CANCELLING CANCELLED",
    CANCELLING: "-       -       -         -      -          CANCELLED",
    SUCCEEDED: "-        -       -         -      -          -",
    FAILED: "-           -       -         -      -          -",
    CANCELLED: "-        -       -         -      -          -",
  };
  const rows = STATES.flatMap((from) => {
    const to = table[from].trim().split(/\s+/);
    return EVENTS.map((event, i) => ({ from, event, to: to[i] === "-" ? undefined : to[i] }));
  });
  it.each(rows)("$from --$event--> $to", ({ from, event, to }) => {
    expect(nextState(from, event)).toBe(to);
  });
  it("terminal states never move", () => {
    for (const s of ["SUCCEEDED", "FAILED", "CANCELLED"] as const)
      for (const e of EVENTS) expect(nextState(s, e)).toBeUndefined();
  });
});

describe("claim", () => {
  const args = { owner: "me", now: 1_000_000, claimTtlMs: 600, retentionMs: 7 * 86_400_000 };
  it.each([
    { state: "QUEUED", claim: undefined, want: "claimed" },
    { state: "RUNNING", claim: { owner: "me", until: 999_000 }, want: "claimed" },
    { state: "RUNNING", claim: { owner: "other", until: 999_999 }, want: "claimed" }, // lapsed
    { state: "RUNNING", claim: { owner: "other", until: 1_000_001 }, want: "elsewhere" },
    { state: "CANCELLING", claim: undefined, want: "cancelling" },
    { state: "SUCCEEDED", claim: undefined, want: "ended" },
    { state: "CANCELLED", claim: undefined, want: "ended" },
  ] as const)("$state, claim $claim.owner → $want", ({ state, claim: held, want }) => {
    const rec = jobRecord(ID, state, { runs: 0, ...(held ? { claim: { ...held } } : {}) });
    const before = structuredClone(rec);
    expect(claim(rec, args).kind).toBe(want);
    if (want !== "claimed") {
      expect(rec).toEqual(before); // nothing to write
      return;
    }
    expect(rec.state).toBe("RUNNING");
    expect(rec.claim).toEqual({ owner: "me", until: 1_000_600 });
    expect(rec.runs).toBe(1);
    expect(rec.cacheGeneration).toBeTypeOf("number");
    expect(rec.stages.find((s) => s.stage === "STAGE_INGEST")?.state).toBe("RUNNING");
    if (state === "QUEUED") expect(rec.startTime).toBe(args.now);
    else expect(rec.startTime).toBeUndefined(); // another run of a started job keeps its start
  });
});

describe("renewClaim", () => {
  it.each([
    { state: "RUNNING", owner: "me", want: "renewed" },
    { state: "RUNNING", owner: "other", want: "lost" },
    { state: "CANCELLING", owner: "me", want: "renewed" },
    { state: "FAILED", owner: "me", want: "ended" },
  ] as const)("$state held by $owner → $want", ({ state, owner, want }) => {
    const rec = jobRecord(ID, state, { claim: { owner, until: 5 } });
    expect(renewClaim(rec, "me", 100, 60)).toBe(want);
    expect(rec.claim?.until).toBe(want === "renewed" ? 160 : 5);
  });
});

describe("a run, stage by stage", () => {
  it("ingest, features, binning… each stage ends when the next starts; progress and SUCCEEDED end them all", () => {
    const rec = jobRecord(ID, "QUEUED");
    claim(rec, { owner: "me", now: 10, claimTtlMs: 60_000, retentionMs: 1e9 });
    expect(acceptsRunWrites(rec)).toBe(true);
    enterStage(rec, null, "features", 100, 20);
    reportProgress(rec, "features", 50, 100, 30);
    enterStage(rec, "features", "binning", 10, 40);
    const st = (s: string) => rec.stages.find((x) => x.stage === s)!;
    expect([st("STAGE_INGEST").state, st("STAGE_FEATURES").state, st("STAGE_BINNING").state]).toEqual([
      "SUCCEEDED",
      "SUCCEEDED",
      "RUNNING",
    ]);
    expect(st("STAGE_FEATURES").done).toBe(100);
    expect(rec.currentStage).toBe("STAGE_BINNING");
    const result = { files: [], totalItems: 1 } as unknown as ResultRecord;
    expect(succeed(rec, result, 50)).toBe("succeeded");
    expect(rec.state).toBe("SUCCEEDED");
    expect(rec.result).toBe(result);
    expect(rec.stages.filter((s) => s.state === "RUNNING" || s.state === "PENDING")).toEqual([]);
    expect(rec.events.at(-1)).toMatchObject({ kind: "terminal", state: "SUCCEEDED" });
    expect(acceptsRunWrites(rec)).toBe(false);
  });

  it("sampling reports move allocation, sampling and patch drop together; reconstruction follows the report", () => {
    const rec = jobRecord(ID, "RUNNING", { outputs: { reconstruct: true, keepIntermediates: false } });
    rec.stages.find((s) => s.stage === "STAGE_RECONSTRUCT")!.state = "PENDING";
    enterStage(rec, null, "sampling", 4, 1);
    reportProgress(rec, "sampling", 2, 4, 2);
    const done = rec.stages.filter((s) => s.done === 2).map((s) => s.stage);
    expect(done).toEqual(expect.arrayContaining(["STAGE_ALLOCATION", "STAGE_SAMPLING"]));
    enterStage(rec, "sampling", "assemble", 1, 3);
    enterReconstruct(rec, 7, 4);
    expect(rec.stages.find((s) => s.stage === "STAGE_REPORT")?.state).toBe("SUCCEEDED");
    expect(rec.stages.find((s) => s.stage === "STAGE_RECONSTRUCT")).toMatchObject({
      state: "RUNNING",
      total: 7,
    });
  });

  it.each([
    { state: "CANCELLING", want: "cancelling" },
    { state: "FAILED", want: "ended" },
    { state: "QUEUED", want: "ended" },
  ] as const)("succeed on a $state job → $want, nothing written", ({ state, want }) => {
    const rec = jobRecord(ID, state);
    expect(succeed(rec, {} as ResultRecord, 1)).toBe(want);
    expect(rec.state).toBe(state);
  });

  it.each([
    { state: "RUNNING", writes: true },
    { state: "QUEUED", writes: true },
    { state: "CANCELLING", writes: false },
    { state: "CANCELLED", writes: false },
    { state: "SUCCEEDED", writes: false },
  ] as const)("fail on a $state job writes: $writes", ({ state, writes }) => {
    const rec = jobRecord(ID, state);
    const error = giveUpError(3, "boom");
    expect(fail(rec, error, 9)).toBe(writes);
    expect(rec.state).toBe(writes ? "FAILED" : state);
    if (writes) expect(rec).toMatchObject({ error, endTime: 9 });
  });

  it("a failure fails the running stage; the stages never started stay PENDING", () => {
    const rec = jobRecord(ID, "RUNNING");
    enterStage(rec, null, "features", 10, 1);
    fail(rec, giveUpError(1, "x"), 2);
    expect(rec.stages.find((s) => s.stage === "STAGE_FEATURES")?.state).toBe("FAILED");
    expect(rec.stages.find((s) => s.stage === "STAGE_BINNING")?.state).toBe("PENDING");
  });
});

describe("requeue, cancel", () => {
  it.each([
    { state: "RUNNING", owner: "me", writes: true },
    { state: "RUNNING", owner: "other", writes: false },
    { state: "CANCELLING", owner: "me", writes: false },
  ] as const)("requeue of a $state job claimed by $owner writes: $writes", ({ state, owner, writes }) => {
    const rec = jobRecord(ID, state, { claim: { owner, until: 9 } });
    expect(requeue(rec, "me", 1)).toBe(writes);
    expect(rec.state).toBe(writes ? "QUEUED" : state);
    expect(rec.claim === undefined).toBe(writes);
  });

  it.each([
    { state: "QUEUED", want: "CANCELLED" },
    { state: "RUNNING", want: "CANCELLING" },
    { state: "CANCELLING", want: "noop" },
    { state: "CANCELLED", want: "noop" },
    { state: "SUCCEEDED", want: "ended" },
    { state: "FAILED", want: "ended" },
  ] as const)("CancelJob on a $state job → $want", ({ state, want }) => {
    const rec = jobRecord(ID, state);
    expect(requestCancel(rec, "why", 1)).toBe(want);
    expect(rec.cancelReason).toBe(want === "CANCELLED" || want === "CANCELLING" ? "why" : "");
  });

  it.each([
    { state: "CANCELLING", writes: true },
    { state: "RUNNING", writes: true },
    { state: "CANCELLED", writes: false },
    { state: "SUCCEEDED", writes: false },
  ] as const)("finishing a cancel of a $state job writes: $writes", ({ state, writes }) => {
    const rec = jobRecord(ID, state);
    expect(finishCancel(rec, 1)).toBe(writes);
    if (writes) expect(rec.events.at(-1)).toMatchObject({ kind: "terminal", state: "CANCELLED" });
  });
});

describe("runEnding: how a run that threw ends", () => {
  const stageFailed = new StageFailedError("features", "0", "boom", false);
  it.each([
    {
      name: "shutdown",
      error: new Error("x"),
      aborted: true,
      reason: new ShutdownError("s"),
      want: "requeue",
    },
    {
      name: "lost claim",
      error: new Error("x"),
      aborted: true,
      reason: new LostClaimError("l"),
      want: "lost-claim",
    },
    {
      name: "cancel signal",
      error: new Error("x"),
      aborted: true,
      reason: new CancelledError("c"),
      want: "cancel",
    },
    {
      name: "CancelledError thrown",
      error: new CancelledError("c"),
      aborted: false,
      reason: undefined,
      want: "cancel",
    },
    {
      name: "store unreachable",
      error: new Error("request timed out"),
      aborted: false,
      reason: undefined,
      want: "interrupted",
    },
    { name: "a stage task failed", error: stageFailed, aborted: false, reason: undefined, want: "fail" },
    {
      name: "a bug",
      error: new TypeError("undefined is not a function"),
      aborted: false,
      reason: undefined,
      want: "fail",
    },
  ])("$name → $want", ({ error, aborted, reason, want }) => {
    expect(runEnding(error, aborted, reason)).toBe(want);
  });
});
