// WatchJob called directly on a GatewayCore over the embedded adapters (gateway.fixtures.ts):
// the record is changed with the runner's own pure functions (records.ts) and a bus event
// wakes the stream, as the runner does.
import type { Tenant } from "@adq/service-common";
import type { JobEvent } from "@adq/service-common/proto";
import { describe, expect, it } from "vitest";
import type { GatewayOptions } from "./core.ts";
import { ACME, code, ctx, embeddedGateway, GLOBEX } from "./gateway.fixtures.ts";
import { jobRecord } from "./records.fixtures.ts";
import { type JobRecord, mutateJob, progressStage, setJobState, startStage } from "./records.ts";
import { watchJob } from "./watch.ts";

const ID = "job-00000000000000000001";
const T0 = 1_700_000_000_000;

/** A gateway holding `rec`; polls rarely, so that only a bus event wakes a watch in time. */
async function withJob(rec: JobRecord, over: Partial<GatewayOptions> = {}) {
  const t = embeddedGateway({ watchPollMs: 60_000, heartbeatMs: 3_600_000, ...over });
  await t.jobs.create(rec);
  /** Changes the record as the runner does, then publishes the event that wakes watchers. */
  const change = async (fn: (r: JobRecord) => void) => {
    await mutateJob(t.jobs, rec.id, (r) => {
      fn(r);
      return true;
    });
    await t.bus.publishEvent({ jobId: rec.id, kind: "state", at: T0 });
  };
  /** Starts a watch: the messages written so far, and the call's outcome once it ends. */
  const watch = (
    req: { jobId?: string; afterSequence?: number },
    tenant: Tenant = ACME,
    signal?: AbortSignal,
  ) => {
    const msgs: JobEvent[] = [];
    const done = code(
      watchJob(
        t.g,
        { jobId: ID, ...req } as never,
        async (e) => {
          msgs.push(e);
        },
        ctx(tenant, signal),
      ),
    );
    return { msgs, done };
  };
  return { ...t, change, watch };
}

/** What kind of message each one is, with its sequence number. */
const kinds = (msgs: JobEvent[]) =>
  msgs.map((m) => {
    const kind = ["snapshot", "stateChanged", "progress", "warning", "heartbeat", "terminal"].find(
      (k) => (m as Record<string, unknown>)[k] != null,
    );
    return `${Number(m.sequence)}:${kind}`;
  });

/** A job that ran and ended: events 1 (RUNNING), 2 (progress), 3 (SUCCEEDED), 4 (terminal). */
function endedJob(): JobRecord {
  const rec = jobRecord(ID, "QUEUED", { tenant: "acme", createTime: T0 });
  setJobState(rec, "RUNNING", T0 + 1);
  startStage(rec, rec.stages[0]!.stage, 4, T0 + 2);
  setJobState(rec, "SUCCEEDED", T0 + 3);
  return rec;
}

describe("WatchJob", () => {
  it("sends a snapshot, then each event as the record gets it, and ends with the terminal event", async () => {
    const t = await withJob(jobRecord(ID, "QUEUED", { tenant: "acme", createTime: T0 }));
    const w = t.watch({});
    await expect.poll(() => kinds(w.msgs)).toEqual(["0:snapshot"]);
    expect(w.msgs[0]!.snapshot).toMatchObject({ id: ID, state: "JOB_STATE_QUEUED" });
    await t.change((r) => setJobState(r, "RUNNING", T0 + 1));
    await expect.poll(() => kinds(w.msgs)).toEqual(["0:snapshot", "1:stateChanged"]);
    // A stage's first progress starts it: two progress events.
    await t.change((r) => progressStage(r, r.stages[0]!.stage, 2, 4, T0 + 2));
    await t.change((r) => setJobState(r, "SUCCEEDED", T0 + 3));
    expect(await w.done).toBe("OK");
    expect(kinds(w.msgs)).toEqual([
      "0:snapshot",
      "1:stateChanged",
      "2:progress",
      "3:progress",
      "4:stateChanged",
      "5:terminal",
    ]);
    expect(w.msgs[3]!.progress).toMatchObject({ done: 2, total: 4 });
    expect(w.msgs[5]!.terminal).toMatchObject({ state: "JOB_STATE_SUCCEEDED" });
    // The stream let go of its bus subscription and its shutdown hook.
    expect(t.g.watchers.size).toBe(0);
  });

  it("resumes after after_sequence without a snapshot; after the end it sends the terminal event again", async () => {
    const t = await withJob(endedJob());
    const resumed = t.watch({ afterSequence: 2 });
    expect(await resumed.done).toBe("OK");
    expect(kinds(resumed.msgs)).toEqual(["3:stateChanged", "4:terminal"]);
    const after = t.watch({ afterSequence: 4 });
    expect(await after.done).toBe("OK");
    expect(kinds(after.msgs)).toEqual(["4:terminal"]);
    expect(after.msgs[0]!.terminal).toMatchObject({ state: "JOB_STATE_SUCCEEDED" });
  });

  it("sends a snapshot instead when after_sequence is ahead of the record or its events were pruned", async () => {
    const t = await withJob(endedJob());
    const ahead = t.watch({ afterSequence: 9 });
    expect(await ahead.done).toBe("OK");
    expect(kinds(ahead.msgs)).toEqual(["4:snapshot", "4:terminal"]);
    await t.change((r) => {
      r.events = r.events.filter((e) => e.seq >= 3); // events 1 and 2 pruned (MAX_EVENTS)
    });
    const pruned = t.watch({ afterSequence: 1 });
    expect(await pruned.done).toBe("OK");
    expect(kinds(pruned.msgs)).toEqual(["4:snapshot", "4:terminal"]);
  });

  it("sends a heartbeat after heartbeat_ms without events, and ends when the caller goes away", async () => {
    let clock = T0;
    // Every reading of the clock moves it 400 ms on: a heartbeat is due after a few polls.
    const t = await withJob(jobRecord(ID, "RUNNING", { tenant: "acme", createTime: T0 }), {
      now: () => (clock += 400),
      watchPollMs: 1,
      heartbeatMs: 1000,
    });
    const caller = new AbortController();
    const w = t.watch({}, ACME, caller.signal);
    await expect.poll(() => kinds(w.msgs).slice(0, 2)).toEqual(["0:snapshot", "0:heartbeat"]);
    caller.abort();
    expect(await w.done).toBe("OK");
    expect(t.g.watchers.size).toBe(0);
  });

  it("ends with UNAVAILABLE naming after_sequence when the server drains", async () => {
    const t = await withJob(jobRecord(ID, "RUNNING", { tenant: "acme", createTime: T0 }));
    const w = t.watch({});
    await expect.poll(() => kinds(w.msgs)).toEqual(["0:snapshot"]);
    await t.change((r) => setJobState(r, "CANCELLING", T0 + 1));
    await expect.poll(() => w.msgs.length).toBe(2);
    t.g.draining = true;
    for (const wake of t.g.watchers) wake();
    expect(await w.done).toBe("UNAVAILABLE: server is shutting down; resume the watch with after_sequence=1");
  });

  it("is NOT_FOUND when the job is deleted during the watch, or is another tenant's; INVALID_ARGUMENT without job_id", async () => {
    const t = await withJob(jobRecord(ID, "RUNNING", { tenant: "acme", createTime: T0 }));
    const w = t.watch({});
    await expect.poll(() => w.msgs.length).toBe(1);
    await t.jobs.delete(ID);
    await t.bus.publishEvent({ jobId: ID, kind: "state", at: T0 });
    expect(await w.done).toBe(`NOT_FOUND: job ${ID} was deleted`);
    expect(await t.watch({}, GLOBEX).done).toBe(`NOT_FOUND: job ${ID} not found`);
    expect(await t.watch({ jobId: "" }).done).toMatch(/^INVALID_ARGUMENT: job_id/);
  });
});
