// Fair share between tenants on a real nats-server, a worker per stage (own connection, two
// slots each, as the cluster's `adq serve --stage` processes): with tenant A's large job in its
// features stage, tenant B's small job finishes within 2× its time alone plus one task; with
// the old fan-out (everything published at once) B's first task waits behind A's whole queue.
// No timed assertion beyond that ratio: the other checks count tasks, not seconds.
import { DEFAULT_MODEL } from "@adq/cli";
import type { Bus } from "@adq/platform";
import {
  type CompressParams,
  DEFAULT_PARAMS,
  FairShare,
  GPU_STAGES,
  runCompression,
  sha256File,
  type TaskGate,
} from "@adq/stages";
import { beforeAll, describe, expect, it } from "vitest";
import { demoSlice } from "../e2e/helpers.ts";
import { atLeast, wrapHandlers } from "../support/bus.ts";
import { useNatsStageWorkers } from "../support/stage-workers.ts";

const STAGES = ["features", "binning", "scoring", "sampling", "assemble"] as const;

/** A fixed floor on every task, so task times are dominated by it even on a loaded machine. */
const TASK_FLOOR_MS = 150;

interface TaskRecord {
  tenant: string;
  jobId: string;
  stage: string;
  start: number;
  end?: number;
}

describe("fair share between tenants (real nats-server, a worker per stage)", () => {
  let large: string;
  let small: string;
  let model: { file: string; sha256: string };
  /** Every task started by any worker, in start order. */
  const log: TaskRecord[] = [];

  const params = (seed: number): CompressParams => ({
    ...DEFAULT_PARAMS,
    method: "dq",
    ratio: 0.25,
    bins: 2,
    seed,
  });

  /** A bus whose handlers record each task and last at least TASK_FLOOR_MS. */
  const recording = (inner: Bus): Bus =>
    wrapHandlers(inner, (stage, handler) => async (task, ctx) => {
      const rec: TaskRecord = { tenant: task.tenant ?? "", jobId: task.jobId, stage, start: Date.now() };
      log.push(rec);
      try {
        return await atLeast(TASK_FLOOR_MS, handler(task, ctx));
      } finally {
        rec.end = Date.now();
      }
    });

  const workers = useNatsStageWorkers({ stages: STAGES, concurrency: 2, wrap: recording });

  beforeAll(async () => {
    large = demoSlice(2, 40);
    small = demoSlice(2, 4);
    model = { file: DEFAULT_MODEL, sha256: await sha256File(DEFAULT_MODEL) };
  });

  let seq = 0;
  const job = (tenant: string, dataset: string, shardSize: number, gate: TaskGate | undefined) => {
    const jobId = `job-${tenant}-${++seq}`;
    const t0 = Date.now();
    const done = runCompression(
      {
        jobId,
        dataset: { path: dataset },
        model,
        params: params(seq),
        shardSize,
        resultPrefix: `results/${jobId}`,
        cachePrefix: `cache/${tenant}/${seq}`,
      },
      {
        bus: workers.server.control,
        store: workers.server.store,
        tenant,
        ...(gate ? { taskGate: gate } : {}),
      },
    ).then(() => Date.now() - t0);
    return { jobId, done };
  };

  /** Runs B alone, then B while A's large job is in its features stage. */
  const scenario = async (share: FairShare | undefined) => {
    const gate = (t: string) => share?.gate(t);
    await job("b", small, 4, gate("b")).done; // warm-up: models loaded, so "alone" is not a cold start
    const alone = await job("b", small, 4, gate("b")).done;
    const a = job("a", large, 1, gate("a")); // 80 one-image features tasks
    // Start B once A's features queue is busy.
    for (let i = 0; i < 400 && log.filter((r) => r.jobId === a.jobId).length < 3; i++)
      await new Promise((r) => setTimeout(r, 25));
    const b = job("b", small, 4, gate("b"));
    const bPublished = Date.now();
    const withA = await b.done;
    const firstB = log.find((r) => r.jobId === b.jobId)!;
    // A's tasks that started after B was submitted and before B's first task did.
    const aheadOfB = log.filter(
      (r) => r.jobId === a.jobId && r.start >= bPublished && r.start < firstB.start,
    ).length;
    const aTasks = log.filter((r) => r.jobId === a.jobId && r.end !== undefined && r.stage === "features");
    const longestATask = Math.max(...aTasks.map((r) => r.end! - r.start));
    await a.done;
    return { alone, withA, aheadOfB, longestATask };
  };

  it("with the per-tenant window, B finishes within 2× its time alone plus one task, and waits behind at most the window", async () => {
    const share = new FairShare({ tasksPerStage: 2, gpuTasksPerStage: 2, gpuStages: GPU_STAGES });
    const r = await scenario(share);
    console.log(`fair: B alone ${r.alone} ms, with A ${r.withA} ms, A tasks ahead of B ${r.aheadOfB}`);
    expect(r.withA).toBeLessThanOrEqual(2 * r.alone + r.longestATask);
    // A's window on features is 2 (both workers): at most those two were queued before B's task.
    expect(r.aheadOfB).toBeLessThanOrEqual(2);
    // Every slot went back: nothing outstanding once the jobs ended.
    for (const t of ["a", "b"]) for (const s of STAGES) expect(share.outstanding(t, s)).toBe(0);
    // Tasks carry their tenant (the workers' metrics label it).
    expect(new Set(log.map((x) => x.tenant))).toEqual(new Set(["a", "b"]));
  }, 120_000);

  it("without it (every task published at once), B's first task waits behind A's queue", async () => {
    const r = await scenario(undefined);
    console.log(`unfair: B alone ${r.alone} ms, with A ${r.withA} ms, A tasks ahead of B ${r.aheadOfB}`);
    expect(r.aheadOfB).toBeGreaterThan(20);
  }, 120_000);
});
