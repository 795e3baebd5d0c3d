/**
 * The NATS JetStream adapters against a real nats-server (started per suite by
 * test/support): the same contract suites as the embedded adapters, then the cluster-mode
 * behaviours (work splitting, crash redelivery, heartbeats, server restart, bounded retries,
 * cancellation, replay). Every case uses its own namespace / bucket, so cases are independent.
 */
import { jetstream } from "@nats-io/jetstream";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { useNatsServer } from "../../../../test/support/nats-server.ts";
import { artifactStoreContract } from "../contract/artifact-store.contract.ts";
import { busContract } from "../contract/bus.contract.ts";
import { jobStoreContract } from "../contract/job-store.contract.ts";
import type { TaskOutcome } from "../ports.ts";
import { PermanentTaskError } from "../ports.ts";
import { StagedArtifactStore } from "../staged-store.ts";
import { connectNats, type NatsConnection } from "./connection.ts";
import { KvJobStore } from "./kv-job-store.ts";
import type { Logger } from "./logger.ts";
import { NatsBus, type NatsBusOptions } from "./nats-bus.ts";
import { ObjectArtifactStore } from "./object-artifact-store.ts";

const logs: Array<{ level: string; message: string }> = [];
const quiet: Logger = (level, message) => {
  logs.push({ level, message });
};

/** Short timeouts so redelivery paths run in about a second. */
const FAST: NatsBusOptions = {
  ackWaitMs: 1000,
  heartbeatMs: 250,
  retryBackoffMs: [50, 100],
  pullExpiresMs: 1000,
  publishTimeoutMs: 1500,
  logger: quiet,
};

let seq = 0;
const unique = (p: string) => `${p}${++seq}x${process.pid}`;

function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms),
    ),
  ]);
}

function collect(bus: NatsBus, count: number, jobId?: string): Promise<TaskOutcome[]> {
  return new Promise((resolve) => {
    const seen: TaskOutcome[] = [];
    const off = bus.onOutcome((o) => {
      if (jobId && o.task.jobId !== jobId) return;
      seen.push(o);
      if (seen.length === count) {
        off();
        resolve(seen);
      }
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("NATS JetStream adapters", () => {
  const nats = useNatsServer();
  const conns: NatsConnection[] = [];
  const buses: NatsBus[] = [];
  let nc: NatsConnection;

  const connection = async (name: string) => {
    const c = await connectNats({ servers: nats.server.url, name });
    conns.push(c);
    return c;
  };
  const bus = async (options: NatsBusOptions = {}, conn?: NatsConnection) => {
    const b = await NatsBus.connect(conn ?? nc, { namespace: unique("t"), ...FAST, ...options });
    buses.push(b);
    return b;
  };
  /**
   * Two workers, each on its own connection, whose binning handler never returns: `whoGotIt`
   * resolves with the index of the one that took the task (the test then kills its connection).
   */
  const hangingWorkers = async (tag: string, options: NatsBusOptions, maxAttempts: number) => {
    const ncs = [await connection(`${tag}-a`), await connection(`${tag}-b`)];
    const workers = await Promise.all(ncs.map((c) => bus(options, c)));
    let got!: (i: number) => void;
    const whoGotIt = new Promise<number>((r) => {
      got = r;
    });
    const subs = workers.map((w, i) =>
      w.consume(
        "binning",
        async () => {
          got(i);
          await new Promise(() => {});
        },
        { maxAttempts },
      ),
    );
    return { ncs, workers, subs, whoGotIt };
  };
  /** Waits (≤ 10 s) for a first outcome, then 500 ms more in case a second (wrong) one follows. */
  const settled = async (outcomes: readonly unknown[]) => {
    const t0 = Date.now();
    while (outcomes.length === 0 && Date.now() - t0 < 10_000) await sleep(20);
    await sleep(500);
  };

  beforeAll(async () => {
    nc = await connection("adq-test");
  });
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.close({ timeoutMs: 200 })));
  });
  afterAll(async () => {
    await Promise.all(conns.splice(0).map((c) => c.close()));
  });

  artifactStoreContract("ObjectArtifactStore", () => ObjectArtifactStore.open(nc, { bucket: unique("art") }));
  const stagedOverBuckets = async () => {
    const parts = new Map([
      ["control", await ObjectArtifactStore.open(nc, { bucket: unique("art-c") })],
      ["stage", await ObjectArtifactStore.open(nc, { bucket: unique("art-s") })],
    ]);
    const route = (k: string) => (k.startsWith("s/") ? "stage" : undefined);
    return {
      parts,
      store: new StagedArtifactStore(parts, { own: "control", writable: ["control", "stage"], route }),
    };
  };
  artifactStoreContract(
    "StagedArtifactStore over Object Store buckets",
    async () => (await stagedOverBuckets()).store,
  );
  it("seal streams a 1 MiB+ artifact from a stage's bucket into the control bucket, digest checked", async () => {
    const { parts, store } = await stagedOverBuckets();
    const data = new Uint8Array((1 << 20) + 12345).map((_, i) => (i * 31) % 256);
    const info = await store.put("s/r/store.adqp", data, "application/octet-stream");
    expect(await parts.get("stage")!.stat("s/r/store.adqp")).toEqual(info);
    expect(await store.seal("s/r/")).toBe(1);
    expect(await parts.get("stage")!.stat("s/r/store.adqp")).toBeUndefined();
    expect(await parts.get("control")!.stat("s/r/store.adqp")).toEqual(info);
    expect(Buffer.from(await store.get("s/r/store.adqp")).equals(Buffer.from(data))).toBe(true);
  });
  jobStoreContract("KvJobStore", () => KvJobStore.open(nc, { bucket: unique("jobs") }));
  busContract("NatsBus", () => bus());

  describe("NatsBus on a real server", () => {
    it("drops an outcome whose task is not its subject's stage and job, and a worker's non-progress event", async () => {
      const b = await bus();
      const ns = b.names.tasksStream.replace(/_TASKS$/, "").toLowerCase();
      const js = jetstream(nc);
      const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
      const seen: TaskOutcome[] = [];
      const off = b.onOutcome((o) => seen.push(o), { jobId: "job-a", replay: true });
      const events: string[] = [];
      const offEv = b.subscribeEvents("job-a", (e) =>
        events.push(`${e.kind}:${e.stage ?? ""}:${e.state ?? ""}`),
      );
      const task = (stage: string, jobId = "job-a") => ({ jobId, stage, taskKey: "result", payload: {} });
      // On features' subject: assemble's outcome, another job's, then a true one.
      await js.publish(
        `${ns}.outcomes.features.job-a`,
        enc({ task: task("assemble"), ok: true, result: "forged" }),
      );
      await js.publish(`${ns}.outcomes.features.job-a`, enc({ task: task("features", "job-b"), ok: true }));
      await js.publish(
        `${ns}.outcomes.features.job-a`,
        enc({ task: task("features"), ok: true, result: "real" }),
      );
      // features' events: a forged state change, assemble's progress, then its own progress.
      await js.publish(
        `${ns}.events.features.job-a`,
        enc({ jobId: "job-a", kind: "state", state: "CANCELLING", at: 1 }),
      );
      await js.publish(
        `${ns}.events.features.job-a`,
        enc({ jobId: "job-a", kind: "progress", stage: "assemble", at: 1 }),
      );
      await js.publish(
        `${ns}.events.features.job-a`,
        enc({ jobId: "job-a", kind: "progress", stage: "features", at: 1 }),
      );
      await b.publishEvent({ jobId: "job-a", kind: "state", state: "CANCELLING", at: 2 });
      const t0 = Date.now();
      while ((seen.length < 1 || events.length < 2) && Date.now() - t0 < 5000) await sleep(20);
      await sleep(200);
      off();
      offEv();
      expect(seen.map((o) => `${o.task.stage}:${String(o.result)}`)).toEqual(["features:real"]);
      expect(events).toEqual(["progress:features:", "state::CANCELLING"]);
    });

    it("splits a stage's tasks between two workers, each task handled once", async () => {
      const ns = unique("split");
      const coord = await bus({ namespace: ns });
      const w1 = await bus({ namespace: ns }, await connection("worker-1"));
      const w2 = await bus({ namespace: ns }, await connection("worker-2"));
      const handledBy = new Map<string, string[]>();
      const handler = (who: string) => async (t: { taskKey: string }) => {
        handledBy.set(t.taskKey, [...(handledBy.get(t.taskKey) ?? []), who]);
        await sleep(40);
        return who;
      };
      const s1 = w1.consume("features", handler("w1"));
      const s2 = w2.consume("features", handler("w2"));
      await Promise.all([s1.ready, s2.ready]);
      const done = collect(coord, 20);
      for (let i = 0; i < 20; i++)
        await coord.publishTask({ jobId: "job1", stage: "features", taskKey: `shard-${i}`, payload: { i } });
      const outcomes = await within(15_000, done, "20 outcomes");
      expect(new Set(outcomes.map((o) => o.task.taskKey)).size).toBe(20);
      expect([...handledBy.values()].every((w) => w.length === 1)).toBe(true);
      const counts = outcomes.reduce<Record<string, number>>((m, o) => {
        m[o.result as string] = (m[o.result as string] ?? 0) + 1;
        return m;
      }, {});
      expect(counts.w1).toBeGreaterThan(0);
      expect(counts.w2).toBeGreaterThan(0);
      // Outcomes are published before the ack: let the last acks land.
      let left = -1;
      for (const t0 = Date.now(); left !== 0 && Date.now() - t0 < 3000; await sleep(50)) {
        const info = await coord.jsm.consumers.info(coord.names.tasksStream, "features");
        left = info.num_pending + info.num_ack_pending;
      }
      expect(left).toBe(0);
      await Promise.all([s1.close(), s2.close()]);
    });

    it("redelivers the task of a worker that died mid-task to another worker after ack_wait", async () => {
      const ns = unique("crash");
      const coord = await bus({ namespace: ns });
      const ncA = await connection("worker-a");
      const a = await bus({ namespace: ns }, ncA);
      let startedA!: () => void;
      const aStarted = new Promise<void>((r) => {
        startedA = r;
      });
      a.consume("binning", async () => {
        startedA();
        await new Promise(() => {}); // hangs: the worker "dies" before acking
      });
      const done = collect(coord, 1);
      await coord.publishTask({ jobId: "job2", stage: "binning", taskKey: "class-3", payload: null });
      await within(5000, aStarted, "worker A got the task");
      const crashedAt = Date.now();
      await ncA.close(); // no ack, no more heartbeats
      const b = await bus({ namespace: ns }, await connection("worker-b"));
      const attempts: number[] = [];
      b.consume("binning", async (_t, ctx) => {
        attempts.push(ctx.attempt);
        return "by-b";
      });
      const [o] = await within(10_000, done, "redelivered outcome");
      expect(o).toMatchObject({ ok: true, result: "by-b", task: { taskKey: "class-3", attempt: 2 } });
      expect(attempts).toEqual([2]);
      expect(Date.now() - crashedAt).toBeGreaterThanOrEqual(500);
    });

    it("keeps a long task alive with in-progress heartbeats (no redelivery past ack_wait)", async () => {
      const b = await bus();
      let calls = 0;
      const sub = b.consume("scoring", async () => {
        calls++;
        await sleep(2500); // 2.5 × ack_wait
        return "slow";
      });
      const done = collect(b, 1);
      await b.publishTask({ jobId: "job3", stage: "scoring", taskKey: "bin-0", payload: null });
      const [o] = await within(10_000, done, "slow outcome");
      expect(o).toMatchObject({ ok: true, result: "slow", task: { attempt: 1 } });
      await sleep(300);
      expect(calls).toBe(1);
      await sub.close();
    });

    it("gives up after maxAttempts with exactly one failed outcome, across two workers", async () => {
      const ns = unique("fail");
      const coord = await bus({ namespace: ns });
      const w1 = await bus({ namespace: ns }, await connection("fail-1"));
      const w2 = await bus({ namespace: ns }, await connection("fail-2"));
      const attempts: number[] = [];
      const handler = async (_t: unknown, ctx: { attempt: number }) => {
        attempts.push(ctx.attempt);
        throw new Error(`transient failure ${ctx.attempt}`);
      };
      const s1 = w1.consume("sampling", handler, { maxAttempts: 3 });
      const s2 = w2.consume("sampling", handler, { maxAttempts: 3 });
      await Promise.all([s1.ready, s2.ready]);
      const outcomes: TaskOutcome[] = [];
      coord.onOutcome((o) => outcomes.push(o));
      await coord.publishTask({ jobId: "job4", stage: "sampling", taskKey: "class-0", payload: null });
      const t0 = Date.now();
      while (outcomes.length === 0 && Date.now() - t0 < 10_000) await sleep(20);
      await sleep(1500); // nothing more may come: no redelivery, no second outcome
      expect(outcomes).toHaveLength(1);
      expect(outcomes[0]).toMatchObject({ ok: false, permanent: false, error: "transient failure 3" });
      expect(attempts.sort()).toEqual([1, 2, 3]);
      const si = await coord.jsm.streams.info(coord.names.tasksStream);
      expect(si.state.messages).toBe(0);
      await Promise.all([s1.close(), s2.close()]);
    });

    it("terminates a permanent failure at once with one failed outcome", async () => {
      const b = await bus();
      let calls = 0;
      const sub = b.consume(
        "features",
        async () => {
          calls++;
          throw new PermanentTaskError("bad image a.png");
        },
        { maxAttempts: 5 },
      );
      const done = collect(b, 1);
      await b.publishTask({ jobId: "job5", stage: "features", taskKey: "s0", payload: null });
      const [o] = await within(5000, done, "failed outcome");
      expect(o).toMatchObject({ ok: false, permanent: true, error: "bad image a.png" });
      await sleep(300);
      expect(calls).toBe(1);
      expect((await b.jsm.streams.info(b.names.tasksStream)).state.messages).toBe(0);
      await sub.close();
    });

    it("reports a failed outcome when the worker dies on the last allowed delivery", async () => {
      const ns = unique("maxd");
      const coord = await bus({ namespace: ns });
      const { ncs, subs, whoGotIt } = await hangingWorkers("last", { namespace: ns }, 1);
      await Promise.all(subs.map((s) => s.ready));
      const outcomes: TaskOutcome[] = [];
      coord.onOutcome((o) => outcomes.push(o));
      await coord.publishTask({ jobId: "job6", stage: "binning", taskKey: "class-9", payload: null });
      const i = await within(5000, whoGotIt, "a worker took the task");
      await ncs[i]!.close(); // dies on its only allowed delivery
      await settled(outcomes);
      expect(outcomes).toHaveLength(1);
      expect(outcomes[0]).toMatchObject({ ok: false, task: { taskKey: "class-9" } });
      expect(outcomes[0]!.error).toMatch(/gave up after 1 deliveries/);
      expect((await coord.jsm.streams.info(coord.names.tasksStream)).state.messages).toBe(0);
    });

    it("bound workers (declareConsumers: false) wait for the control plane's consumer and take its max_deliver", async () => {
      const ns = unique("bound");
      const coord = await bus({ namespace: ns });
      // The workers ask for 5 attempts; the control plane's consumer allows 1: it wins.
      const { ncs, workers, subs, whoGotIt } = await hangingWorkers(
        "bound",
        { namespace: ns, declareConsumers: false },
        5,
      );
      await sleep(300);
      await expect(coord.jsm.consumers.info(coord.names.tasksStream, "binning")).rejects.toThrow(
        /not found/i,
      );
      await coord.ensureStageConsumers(["binning", "features"], { maxAttempts: 1 });
      await Promise.all(subs.map((s) => within(5000, s.ready, "bound to the declared consumer")));
      const outcomes: TaskOutcome[] = [];
      coord.onOutcome((o) => outcomes.push(o));
      await coord.publishTask({ jobId: "job6b", stage: "binning", taskKey: "class-9", payload: null });
      const i = await within(5000, whoGotIt, "a worker took the task");
      await ncs[i]!.close(); // dies on its only allowed delivery: the control plane settles it
      await settled(outcomes);
      expect(outcomes).toHaveLength(1);
      expect(outcomes[0]!.error).toMatch(/gave up after 1 deliveries/);
      expect((await coord.jsm.streams.info(coord.names.tasksStream)).state.messages).toBe(0);
      // A terminated task (permanent failure) of a bound worker is deleted by the control plane.
      const f = workers[1 - i]!.consume("features", async () => {
        throw new PermanentTaskError("bad image b.png");
      });
      await f.ready;
      await coord.publishTask({ jobId: "job6c", stage: "features", taskKey: "s0", payload: null });
      const t1 = Date.now();
      while (outcomes.length < 2 && Date.now() - t1 < 10_000) await sleep(20);
      expect(outcomes[1]).toMatchObject({ ok: false, permanent: true });
      const t2 = Date.now();
      while (
        (await coord.jsm.streams.info(coord.names.tasksStream)).state.messages > 0 &&
        Date.now() - t2 < 5000
      )
        await sleep(50);
      expect((await coord.jsm.streams.info(coord.names.tasksStream)).state.messages).toBe(0);
    });

    it("ensureStageConsumers puts back a stage consumer whose filter was re-pointed", async () => {
      const ns = unique("refilter");
      const coord = await bus({ namespace: ns });
      await coord.ensureStageConsumers(["features"]);
      await coord.jsm.consumers.delete(coord.names.tasksStream, "features");
      await coord.jsm.consumers.add(coord.names.tasksStream, {
        durable_name: "features",
        filter_subject: `${ns}.tasks.>`,
        ack_policy: "explicit" as never,
      });
      await coord.ensureStageConsumers(["features"]);
      const info = await coord.jsm.consumers.info(coord.names.tasksStream, "features");
      expect(info.config.filter_subject).toBe(`${ns}.tasks.features.>`);
    });

    it("close({ timeoutMs }) aborts a stuck handler and hands its task to another worker", async () => {
      const ns = unique("drain");
      const coord = await bus({ namespace: ns });
      const a = await bus({ namespace: ns }, await connection("drain-a"));
      let aborted = false;
      let started!: () => void;
      const startedP = new Promise<void>((r) => {
        started = r;
      });
      const subA = a.consume("scoring", async (_t, ctx) => {
        started();
        await new Promise<void>((_, reject) =>
          ctx.signal.addEventListener("abort", () => {
            aborted = true;
            reject(ctx.signal.reason);
          }),
        );
      });
      const done = collect(coord, 1);
      await coord.publishTask({ jobId: "job7", stage: "scoring", taskKey: "bin-1", payload: null });
      await within(5000, startedP, "handler started");
      const t0 = Date.now();
      await subA.close({ timeoutMs: 200 });
      expect(aborted).toBe(true);
      expect(Date.now() - t0).toBeLessThan(1500);
      const b = await bus({ namespace: ns }, await connection("drain-b"));
      b.consume("scoring", async (_t, ctx) => `b@${ctx.attempt}`);
      const [o] = await within(5000, done, "outcome from worker B");
      expect(o).toMatchObject({ ok: true, result: "b@2" });
    });

    it("cancelJob purges queued tasks and aborts in-flight ones", async () => {
      const ns = unique("cancel");
      const coord = await bus({ namespace: ns });
      const w = await bus({ namespace: ns }, await connection("cancel-w"));
      const handled: string[] = [];
      let abortedKey = "";
      let started!: () => void;
      const startedP = new Promise<void>((r) => {
        started = r;
      });
      const sub = w.consume("features", async (t, ctx) => {
        handled.push(t.taskKey);
        started();
        await new Promise<void>((_, reject) =>
          ctx.signal.addEventListener("abort", () => {
            abortedKey = t.taskKey;
            reject(new Error("aborted"));
          }),
        );
      });
      const outcomes: TaskOutcome[] = [];
      coord.onOutcome((o) => outcomes.push(o));
      for (let i = 0; i < 5; i++)
        await coord.publishTask({ jobId: "job8", stage: "features", taskKey: `s${i}`, payload: null });
      await within(5000, startedP, "first task started");
      expect(await coord.cancelJob("job8")).toBe(5); // 4 queued + 1 in flight
      const t0 = Date.now();
      while (!abortedKey && Date.now() - t0 < 5000) await sleep(20);
      expect(abortedKey).toBe("s0");
      await sleep(500);
      expect(handled).toEqual(["s0"]);
      expect(outcomes).toEqual([]);
      expect((await coord.jsm.streams.info(coord.names.tasksStream)).state.messages).toBe(0);
      await sub.close();
    });

    it("lets a restarted coordinator replay a job's outcomes; re-published tasks are deduplicated", async () => {
      const ns = unique("resume");
      const w = await bus({ namespace: ns }, await connection("resume-w"));
      let calls = 0;
      const sub = w.consume("binning", async (t) => {
        calls++;
        return { key: t.taskKey };
      });
      const first = await bus({ namespace: ns });
      const done = collect(first, 3, "job9");
      for (let i = 0; i < 3; i++)
        await first.publishTask({ jobId: "job9", stage: "binning", taskKey: `c${i}`, payload: null });
      await first.publishTask({ jobId: "other", stage: "binning", taskKey: "c0", payload: null });
      await within(5000, done, "first outcomes");
      await first.close(); // the coordinator "restarts"
      const second = await bus({ namespace: ns });
      const replayed: TaskOutcome[] = [];
      const off = second.onOutcome((o) => replayed.push(o), { jobId: "job9", replay: true });
      // The resumed stage re-publishes its tasks: still within the duplicate window, dropped.
      for (let i = 0; i < 3; i++)
        await second.publishTask({ jobId: "job9", stage: "binning", taskKey: `c${i}`, payload: null });
      const t0 = Date.now();
      while (replayed.length < 3 && Date.now() - t0 < 5000) await sleep(20);
      await sleep(300);
      off();
      expect(replayed.map((o) => o.task.taskKey).sort()).toEqual(["c0", "c1", "c2"]);
      expect(replayed.every((o) => o.ok && o.task.jobId === "job9")).toBe(true);
      expect(calls).toBe(4);
      await sub.close();
    });

    it("replays a job's events to a late WatchJob subscriber, then streams live ones", async () => {
      const b = await bus();
      for (let i = 1; i <= 3; i++)
        await b.publishEvent({
          jobId: "job10",
          kind: "progress",
          stage: "features",
          done: i,
          total: 5,
          at: i,
        });
      await b.publishEvent({ jobId: "job11", kind: "log", message: "other job", at: 0 });
      const got: number[] = [];
      const off = b.subscribeEvents("job10", (e) => got.push(e.done ?? -1));
      const t0 = Date.now();
      while (got.length < 3 && Date.now() - t0 < 5000) await sleep(20);
      await b.publishEvent({ jobId: "job10", kind: "progress", stage: "features", done: 4, total: 5, at: 4 });
      while (got.length < 4 && Date.now() - t0 < 5000) await sleep(20);
      off();
      expect(got).toEqual([1, 2, 3, 4]);
    });

    it("rejects subject-unsafe job ids and stage names", async () => {
      const b = await bus();
      await expect(
        b.publishTask({ jobId: "a.b", stage: "features", taskKey: "k", payload: null }),
      ).rejects.toThrow(/jobId/);
      expect(() => b.consume("fea tures", async () => null)).toThrow(/stage/);
    });
  });
});

describe("NatsBus across a nats-server restart", () => {
  const nats = useNatsServer();

  it("reconnects and delivers every queued task after the server restarts (same store)", async () => {
    const ncW = await connectNats({ servers: nats.server.url, name: "restart-worker" });
    const ncC = await connectNats({ servers: nats.server.url, name: "restart-coordinator" });
    const worker = await NatsBus.connect(ncW, { namespace: "rs", ...FAST });
    const coord = await NatsBus.connect(ncC, { namespace: "rs", ...FAST });
    try {
      const handled: string[] = [];
      const sub = worker.consume("features", async (t) => {
        handled.push(t.taskKey);
        await sleep(100);
        return t.taskKey;
      });
      await sub.ready;
      const ok = new Set<string>();
      coord.onOutcome((o) => {
        if (o.ok) ok.add(o.task.taskKey);
      });
      for (let i = 0; i < 12; i++)
        await coord.publishTask({ jobId: "jr", stage: "features", taskKey: `s${i}`, payload: null });
      const t0 = Date.now();
      while (ok.size < 3 && Date.now() - t0 < 5000) await sleep(10);
      expect(ok.size).toBeGreaterThanOrEqual(3);
      expect(ok.size).toBeLessThan(12);
      await nats.server.restart();
      // Tasks can still be published once the client has reconnected.
      await within(
        15_000,
        coord.publishTask({ jobId: "jr", stage: "features", taskKey: "after", payload: null }),
        "publish after restart",
      );
      const t1 = Date.now();
      while (ok.size < 13 && Date.now() - t1 < 20_000) await sleep(50);
      expect([...ok].sort()).toEqual([...Array.from({ length: 12 }, (_, i) => `s${i}`), "after"].sort());
      expect((await coord.jsm.streams.info(coord.names.tasksStream)).state.messages).toBe(0);
      await sub.close();
    } finally {
      await worker.close({ timeoutMs: 200 });
      await coord.close({ timeoutMs: 200 });
      await ncW.close();
      await ncC.close();
    }
  }, 45_000);
});
