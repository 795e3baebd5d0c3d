// Fair share across coordinators (issue 30): the per-tenant windows counted in the cluster's
// `<ns>-fair-share` KV bucket (SharedFairShare) on a real nats-server. Two coordinators (own
// connections) each run one of tenant A's jobs at the same time; a worker with 4 slots per
// stage would take more of A's tasks than the window if each coordinator counted its own
// window — the contrast run shows that it does. Then a coordinator holding A's whole window
// dies (its connection closed, no release): its leases lapse after the TTL and the other
// coordinator gets the window.
import { DEFAULT_MODEL } from "@adq/cli";
import type { Bus } from "@adq/platform";
import { KvJobStore, NatsBus } from "@adq/platform/nats";
import {
  DEFAULT_PARAMS,
  FairShare,
  GPU_STAGES,
  type LeaseRecord,
  runCompression,
  SharedFairShare,
  sha256File,
  type TaskGate,
} from "@adq/stages";
import { beforeAll, describe, expect, it } from "vitest";
import { demoSlice } from "../e2e/helpers.ts";
import { atLeast, wrapHandlers } from "../support/bus.ts";
import { useNatsStageWorkers } from "../support/stage-workers.ts";

const STAGES = ["features", "binning", "scoring", "sampling", "assemble"] as const;
const BUCKET = "adq-fair-share";

describe("fair share shared by two coordinators (real nats-server, NATS KV leases)", () => {
  let dataset: string;
  let model: { file: string; sha256: string };
  /** Tasks running at the workers now, per tenant and stage, and the most seen at once. */
  const running = new Map<string, number>();
  const most = new Map<string, number>();

  const recording = (inner: Bus): Bus =>
    wrapHandlers(inner, (stage, handler) => async (task, ctx) => {
      const k = `${task.tenant}/${stage}`;
      running.set(k, (running.get(k) ?? 0) + 1);
      most.set(k, Math.max(most.get(k) ?? 0, running.get(k)!));
      try {
        // A floor on every task, so tasks of both coordinators overlap even on a busy machine.
        return await atLeast(100, handler(task, ctx));
      } finally {
        running.set(k, running.get(k)! - 1);
      }
    });

  /** A coordinator: its own connection, bus and lease store. */
  const coordinator = async (name: string) => {
    const nc = await workers.server.connect(name);
    const bus = await NatsBus.connect(nc, { ackWaitMs: 60_000 });
    const leases = await KvJobStore.open<LeaseRecord>(nc, { bucket: BUCKET });
    workers.server.onClose(() => bus.close());
    return { nc, bus, leases };
  };

  const workers = useNatsStageWorkers({ stages: STAGES, concurrency: 4, wrap: recording });

  beforeAll(async () => {
    dataset = demoSlice(2, 6);
    model = { file: DEFAULT_MODEL, sha256: await sha256File(DEFAULT_MODEL) };
  });

  let seq = 0;
  /** Tenant A's two jobs at once, one per coordinator, each with its gate. */
  const twoJobs = async (buses: Bus[], gates: TaskGate[]) => {
    most.clear();
    await Promise.all(
      buses.map((bus, i) => {
        const jobId = `job-a-${++seq}`;
        return runCompression(
          {
            jobId,
            dataset: { path: dataset },
            model,
            params: { ...DEFAULT_PARAMS, method: "dq", ratio: 0.25, bins: 2, seed: seq },
            shardSize: 1, // 12 one-image features tasks per job
            resultPrefix: `results/${jobId}`,
            cachePrefix: `cache/a/${seq}`,
          },
          { bus, store: workers.server.store, tenant: "a", taskGate: gates[i]! },
        );
      }),
    );
    return most.get("a/features") ?? 0;
  };

  it("the GPU quota holds across both coordinators: at most 1 of A's features tasks at once (2 when each counts its own)", async () => {
    const c1 = await coordinator("adq-coordinator-1");
    const c2 = await coordinator("adq-coordinator-2");
    const windows = { tasksPerStage: 2, gpuTasksPerStage: 1, gpuStages: GPU_STAGES };
    const shared = [c1, c2].map(
      (c, i) => new SharedFairShare({ ...windows, store: c.leases, owner: `c${i + 1}`, ttlMs: 30_000 }),
    );
    const sharedMost = await twoJobs(
      [c1.bus, c2.bus],
      shared.map((s) => s.gate("a")),
    );
    for (const s of STAGES) expect(await shared[0]!.outstanding("a", s), s).toBe(0); // every lease returned
    for (const s of shared) await s.close();
    // The same with a window per coordinator process (the previous behaviour).
    const local = [new FairShare(windows), new FairShare(windows)];
    const localMost = await twoJobs(
      [c1.bus, c2.bus],
      local.map((s) => s.gate("a")),
    );
    console.log(
      `A's features tasks at once: shared windows ${sharedMost}, per-coordinator windows ${localMost}`,
    );
    expect(sharedMost).toBe(1);
    expect(localMost).toBe(2);
  }, 120_000);

  it("a coordinator that dies holding the window: its leases lapse after the TTL and the other coordinator takes it", async () => {
    const c1 = await coordinator("adq-coordinator-dying");
    const c2 = await coordinator("adq-coordinator-live");
    const windows = { tasksPerStage: 2, gpuTasksPerStage: 1, gpuStages: GPU_STAGES, ttlMs: 1500 };
    const dying = new SharedFairShare({ ...windows, store: c1.leases, owner: "dying" });
    const live = new SharedFairShare({ ...windows, store: c2.leases, owner: "live" });
    await dying.gate("a")("binning");
    await dying.gate("a")("binning");
    expect(await live.outstanding("a", "binning")).toBe(2);
    await c1.nc.close(); // the process is gone: no release, no renewal
    const t0 = Date.now();
    let granted = 0;
    const waiting = live
      .gate("a")("binning")
      .then((r) => {
        granted = Date.now();
        return r;
      });
    await new Promise((r) => setTimeout(r, 500));
    expect(granted).toBe(0); // still held by the dead coordinator's leases
    const release = await waiting;
    expect(granted - t0).toBeGreaterThanOrEqual(1000);
    // Both lapsed leases were pruned: the live coordinator now has the whole window.
    await live.gate("a")("binning");
    expect(await live.outstanding("a", "binning")).toBe(2);
    release();
    await live.close();
    expect(await live.outstanding("a", "binning")).toBe(0);
    await dying.close(); // its connection is closed: close still returns
  }, 30_000);
});
