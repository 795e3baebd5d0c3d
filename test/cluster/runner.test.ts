// The job runner's crash-recovery paths (no NATS needed: LocalBus + MemoryJobStore):
// a job cancelled while no runner held it, a job message whose deliveries are used up,
// and a job redelivered to the process that still runs it.
import { pathToFileURL } from "node:url";
import { JOB_QUEUE, type JobRecord } from "@adq/gateway";
import { JobRunner, jobRecord, type RunnerOptions } from "@adq/gateway/testing";
import { FsArtifactStore, type JobStore, LocalBus, MemoryJobStore, type Versioned } from "@adq/platform";
import { silentLogger } from "@adq/service-common/testing";
import { afterAll, describe, expect, it } from "vitest";
import { demoSlice, tmp } from "../e2e/helpers.ts";
import { startTestServer, type TestServer } from "../services/helpers.ts";
import { until } from "../support/wait.ts";

const record = (id: string, state: JobRecord["state"]) => jobRecord(id, state);

describe("JobRunner recovery paths", () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups) await c();
  });
  /** A started runner on a fresh LocalBus and store (closed after the suite), and a delivery of `id`. */
  const startRunner = (options: Omit<RunnerOptions, "bus" | "store" | "log">) => {
    const bus = new LocalBus();
    const store = new FsArtifactStore(tmp("adq-runner-"));
    const runner = new JobRunner({ bus, store, log: silentLogger, ...options });
    runner.start();
    cleanups.push(async () => {
      await runner.close(1000);
      await bus.close();
    });
    const deliver = (id: string) =>
      bus.publishTask({ jobId: id, stage: JOB_QUEUE, taskKey: "run", payload: { jobId: id } });
    return { bus, store, runner, deliver };
  };

  it("finishes the cancellation of a job cancelled while its runner was dead (CANCELLING → CANCELLED, artifacts freed)", async () => {
    const jobs = new MemoryJobStore<JobRecord>();
    const id = "job-00000000000000000001";
    await jobs.create(record(id, "CANCELLING"));
    const { store, deliver } = startRunner({ jobs });
    await store.put(`tenants/t/jobs/${id}/result/partial.bin`, new Uint8Array([1, 2, 3]));
    await deliver(id);
    const rec = await until("CANCELLED", async () => {
      const v = await jobs.get(id);
      return v?.value.state === "CANCELLED" ? v.value : undefined;
    });
    expect(rec.events.some((e) => e.kind === "terminal" && e.state === "CANCELLED")).toBe(true);
    expect(await store.list(`tenants/t/jobs/${id}/`)).toEqual([]);
  });

  it("fails a job whose queue message used up its deliveries (runners kept dying) instead of leaving it RUNNING", async () => {
    const inner = new MemoryJobStore<JobRecord>();
    let failures = 2;
    // The first two claims hit an unreachable store: the job message is redelivered, then given up.
    const jobs: JobStore<JobRecord> = {
      create: (j) => inner.create(j),
      get: (id) => inner.get(id),
      list: () => inner.list(),
      delete: (id) => inner.delete(id),
      update: (j: JobRecord, rev: number): Promise<Versioned<JobRecord>> => {
        if (failures-- > 0) return Promise.reject(new Error("connection lost"));
        return inner.update(j, rev);
      },
    };
    const id = "job-00000000000000000002";
    await inner.create(record(id, "QUEUED"));
    await startRunner({ jobs, maxJobDeliveries: 2 }).deliver(id);
    const rec = await until("FAILED", async () => {
      const v = await inner.get(id);
      return v?.value.state === "FAILED" ? v.value : undefined;
    });
    expect(rec.error).toMatchObject({ reason: "ERROR_REASON_RETRIES_EXHAUSTED", attempts: 2 });
    expect(rec.error?.message).toContain("connection lost");
  });

  describe("job claims (compare-and-set in the job store): coordinators share jobs, never run one twice", () => {
    const start = (jobs: MemoryJobStore<JobRecord>, instanceId: string) => {
      const { bus, runner } = startRunner({ jobs, instanceId, claimTtlMs: 300 });
      return { bus, runner };
    };
    const deliver = (bus: LocalBus, id: string) =>
      bus.publishTask({ jobId: id, stage: JOB_QUEUE, taskKey: "run", payload: { jobId: id } });

    it("a job another live coordinator holds is not run here; when it ends there, this delivery just ends", async () => {
      const jobs = new MemoryJobStore<JobRecord>();
      const id = "job-00000000000000000011";
      await jobs.create({ ...record(id, "RUNNING"), claim: { owner: "other", until: Date.now() + 60_000 } });
      const { bus } = start(jobs, "here");
      await deliver(bus, id);
      await new Promise((r) => setTimeout(r, 700)); // more than two of this runner's claim periods
      const held = (await jobs.get(id))!.value;
      expect(held.runs).toBe(1);
      expect(held.claim?.owner).toBe("other");
      // The other coordinator finishes the job.
      await jobs.update({ ...held, state: "SUCCEEDED" }, (await jobs.get(id))!.revision);
      await new Promise((r) => setTimeout(r, 700));
      const rec = (await jobs.get(id))!.value;
      expect(rec.state).toBe("SUCCEEDED");
      expect(rec.runs).toBe(1);
    });

    it("a job whose claim lapsed (its coordinator died) is taken over, once", async () => {
      const jobs = new MemoryJobStore<JobRecord>();
      const id = "job-00000000000000000012";
      await jobs.create({ ...record(id, "RUNNING"), claim: { owner: "dead", until: Date.now() - 1 } });
      const a = start(jobs, "a");
      await deliver(a.bus, id);
      // /nowhere fails the run: what matters is who ran it and how often.
      const rec = await until("FAILED", async () => {
        const v = await jobs.get(id);
        return v?.value.state === "FAILED" ? v.value : undefined;
      });
      expect(rec.runs).toBe(2);
      expect(rec.claim?.owner).toBe("a");
    });
  });

  describe("a job redelivered to the process that still runs it", () => {
    let t: TestServer;
    afterAll(async () => {
      await t?.close();
    });

    it("is not run twice: the second delivery waits for the first run", async () => {
      const data = demoSlice(2, 4);
      t = await startTestServer([data]);
      t.bus.holdStages.add("binning");
      const { job } = await t.acme.createJob({
        dataset: { uri: pathToFileURL(data).href },
        params: { ratio: 0.5, bins: 2 },
      });
      await until("binning tasks held", async () => (t.bus.heldFor(job.id) > 0 ? true : undefined), {
        timeoutMs: 30_000,
      });
      // What a JetStream redelivery looks like to the runner: the same job message again.
      await t.srv.bus.publishTask({
        jobId: job.id,
        stage: JOB_QUEUE,
        taskKey: "run",
        payload: { jobId: job.id },
      });
      await until("the redelivery to be noticed", async () =>
        t.logs.records().some((l) => l.event === "job_redelivered_while_running" && l.job_id === job.id)
          ? true
          : undefined,
      );
      await t.bus.release();
      const rec = await until(
        "SUCCEEDED",
        async () => {
          const v = await t.srv.jobs.get(job.id);
          return v?.value.state === "SUCCEEDED" ? v.value : undefined;
        },
        { timeoutMs: 30_000 },
      );
      expect(rec.runs).toBe(1);
      await new Promise((r) => setTimeout(r, 200));
      expect(t.logs.records().filter((l) => l.event === "job_succeeded" && l.job_id === job.id)).toHaveLength(
        1,
      );
    }, 60_000);
  });
});
