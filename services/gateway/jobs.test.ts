// The job methods (CreateJob, GetJob, CancelJob, DeleteJob, ListJobs) called directly on a
// GatewayCore over the embedded adapters (gateway.fixtures.ts).
// No runner consumes the `jobs` queue: what a method wrote and enqueued is what is checked.
import type { MemoryJobStore, TaskMessage } from "@adq/platform";
import { afterAll, describe, expect, it } from "vitest";
import { demoSlice } from "../../test/support/index.ts";
import { JOB_QUEUE } from "./create-plan.ts";
import { ACME, code, ctx, embeddedGateway, GLOBEX } from "./gateway.fixtures.ts";
import { cancelJob, createJob, deleteJob, listJobs } from "./jobs.ts";
import { jobRecord } from "./records.fixtures.ts";
import type { JobRecord } from "./records.ts";

const PARAMS = { ratio: 0.25, bins: 2, seed: 3, method: "METHOD_ADQ" } as const;

function gateway() {
  const data = demoSlice(2, 4);
  const { g, bus } = embeddedGateway({ dataRoots: [data] });
  const queued: TaskMessage[] = [];
  // Hold every queue message until the suite ends (no runner): what CreateJob enqueued.
  let release = () => {};
  const end = new Promise<void>((r) => {
    release = r;
  });
  bus.consume(JOB_QUEUE, (t) => {
    queued.push(t);
    return end;
  });
  const close = async () => {
    release();
    await bus.close();
  };
  return { g, bus, queued, close, uri: `file://${data}` };
}

describe("the job methods on the embedded adapters", () => {
  const t = gateway();
  afterAll(() => t.close());
  const create = async (extra: Record<string, unknown> = {}, tenant = ACME) => {
    const r = await createJob(
      t.g,
      { dataset: { uri: t.uri }, params: PARAMS, ...extra } as never,
      ctx(tenant),
    );
    return { deduplicated: r.deduplicated, job: r.job as { id: string; state: string } };
  };
  /** The ids' last characters of a ListJobs page. */
  const ids = (page: { jobs?: Array<{ id?: string }> }) => (page.jobs ?? []).map((j) => j.id!.slice(-1));

  it("CreateJob validate_only: the job echoed, nothing written or enqueued", async () => {
    const { job } = await create({ validateOnly: true });
    expect(job).toMatchObject({ id: "", state: "JOB_STATE_QUEUED" });
    expect(await t.g.o.jobs.list()).toEqual([]);
    expect(t.queued).toEqual([]);
  });

  it("CreateJob: the record QUEUED, one queue message; a retry with the key answers with the same job", async () => {
    const a = await create({ idempotencyKey: "k1" });
    expect(a.deduplicated).toBe(false);
    const rec = (await t.g.o.jobs.get(a.job.id))?.value;
    expect(rec).toMatchObject({ tenant: "acme", state: "QUEUED", datasetSummary: { numItems: 8 } });
    await expect.poll(() => t.queued.map((m) => m.payload)).toEqual([{ jobId: a.job.id }]);
    const b = await create({ idempotencyKey: "k1" });
    expect(b).toMatchObject({ deduplicated: true, job: { id: a.job.id } });
    expect(await code(create({ idempotencyKey: "k1", displayName: "other" }))).toMatch(
      /^ALREADY_EXISTS: idempotency_key was already used/,
    );
    // The same key of another tenant is another key.
    const c = await create({ idempotencyKey: "k1" }, GLOBEX);
    expect(c.job.id).not.toBe(a.job.id);
  });

  it("CreateJob refuses bad input, a dataset outside the roots and a full quota", async () => {
    expect(await code(create({ labels: { "Bad Key": "v" } }))).toMatch(
      /^INVALID_ARGUMENT: labels\["Bad Key"\]/,
    );
    expect(await code(create({ dataset: { uri: "file:///etc" } }))).toMatch(
      /^INVALID_ARGUMENT: dataset\.uri/,
    );
    await create(); // acme: the job of the test above + this one = the quota of 2
    expect(await code(create())).toMatch(/^RESOURCE_EXHAUSTED: .*concurrent_jobs/);
  });

  it("GetJob's lookup: another tenant's job and a malformed id are NOT_FOUND, no id INVALID_ARGUMENT", async () => {
    const [mine] = (await t.g.o.jobs.list()).filter((j) => j.tenant === "acme");
    expect((await t.g.owned(ACME, mine!.id)).id).toBe(mine!.id);
    expect(await code(t.g.owned(GLOBEX, mine!.id))).toMatch(/^NOT_FOUND/);
    expect(await code(t.g.owned(ACME, "job-../../x"))).toMatch(/^NOT_FOUND/);
    expect(await code(t.g.owned(ACME, ""))).toMatch(/^INVALID_ARGUMENT: job_id/);
  });

  it("ListJobs: the tenant's jobs newest first, paged, filtered by state; a bad token or page size refused", async () => {
    const jobs = t.g.o.jobs as MemoryJobStore<JobRecord>;
    for (let i = 0; i < 5; i++)
      await jobs.create(
        jobRecord(`job-${String(i).padStart(20, "0")}`, i % 2 ? "SUCCEEDED" : "FAILED", {
          tenant: "globex",
          createTime: 1000 + i,
        }),
      );
    const c = ctx(GLOBEX);
    const p1 = await listJobs(
      t.g,
      { pageSize: 2, states: ["JOB_STATE_FAILED", "JOB_STATE_SUCCEEDED"] } as never,
      c,
    );
    expect(ids(p1)).toEqual(["4", "3"]);
    const p2 = await listJobs(
      t.g,
      {
        pageSize: 2,
        states: ["JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED"],
        pageToken: p1.nextPageToken,
      } as never,
      c,
    );
    expect(ids(p2)).toEqual(["2", "1"]);
    const failed = await listJobs(t.g, { states: ["JOB_STATE_FAILED"] } as never, c);
    expect(ids(failed)).toEqual(["4", "2", "0"]);
    expect(failed.nextPageToken).toBe("");
    expect(await code(listJobs(t.g, { pageToken: p1.nextPageToken! } as never, c))).toMatch(
      /^INVALID_ARGUMENT: page_token: was issued for a different states filter/,
    );
    expect(await code(listJobs(t.g, { pageToken: "%%" } as never, c))).toMatch(
      /^INVALID_ARGUMENT: page_token/,
    );
    expect(await code(listJobs(t.g, { pageSize: -1 } as never, c))).toMatch(/^INVALID_ARGUMENT: page_size/);
    expect(await code(listJobs(t.g, { states: ["JOB_STATE_NOPE"] } as never, c))).toMatch(
      /^INVALID_ARGUMENT: states/,
    );
  });

  it("CancelJob: QUEUED → CANCELLED (artifacts freed), RUNNING → CANCELLING with a state event; ended → FAILED_PRECONDITION", async () => {
    const jobs = t.g.o.jobs as MemoryJobStore<JobRecord>;
    const queued = jobRecord("job-10000000000000000001", "QUEUED", { tenant: "acme" });
    const running = jobRecord("job-10000000000000000002", "RUNNING", { tenant: "acme" });
    const done = jobRecord("job-10000000000000000003", "SUCCEEDED", { tenant: "acme" });
    for (const r of [queued, running, done]) await jobs.create(r);
    await t.g.o.store.put(`${queued.artifactPrefix}x.bin`, new Uint8Array([1]));
    const events: string[] = [];
    const off = t.bus.subscribeEvents(running.id, (e) => events.push(`${e.kind}:${e.state}`));
    const c = ctx(ACME);
    expect(await cancelJob(t.g, { jobId: queued.id, reason: "r" } as never, c)).toMatchObject({
      state: "JOB_STATE_CANCELLED",
    });
    expect(await t.g.o.store.list(queued.artifactPrefix)).toEqual([]);
    expect((await cancelJob(t.g, { jobId: running.id } as never, c)).state).toBe("JOB_STATE_CANCELLING");
    await expect.poll(() => events).toEqual(["state:CANCELLING"]);
    off();
    // Cancelling again changes nothing; an ended job cannot be cancelled; another tenant's is not found.
    expect((await cancelJob(t.g, { jobId: running.id } as never, c)).state).toBe("JOB_STATE_CANCELLING");
    expect(await code(cancelJob(t.g, { jobId: done.id } as never, c))).toMatch(
      /^FAILED_PRECONDITION: .*already ended/,
    );
    expect(await code(cancelJob(t.g, { jobId: running.id } as never, ctx(GLOBEX)))).toMatch(/^NOT_FOUND/);
    expect(await code(cancelJob(t.g, { jobId: running.id, reason: "x".repeat(501) } as never, c))).toMatch(
      /^INVALID_ARGUMENT: reason/,
    );
  });

  it("DeleteJob: an unfinished job must be cancelled first; an ended one goes with its artifacts and idempotency key", async () => {
    const c = ctx(GLOBEX);
    const { job } = await create({ idempotencyKey: "del" }, GLOBEX);
    expect(await code(deleteJob(t.g, { jobId: job.id }, c))).toMatch(
      /^FAILED_PRECONDITION: .*cancel it first/,
    );
    await cancelJob(t.g, { jobId: job.id } as never, c);
    await deleteJob(t.g, { jobId: job.id }, c);
    expect(await t.g.o.jobs.get(job.id)).toBeUndefined();
    // The key is free again: the same request makes a new job.
    const again = await create({ idempotencyKey: "del" }, GLOBEX);
    expect(again).toMatchObject({ deduplicated: false });
    expect(again.job.id).not.toBe(job.id);
  });
});
