// Cluster mode against a REAL nats-server (started by the suite, test/support/nats-server.ts):
// every stage in its own `adq serve --stage …` process, a gateway + coordinator process
// (`adq serve --nats … --no-workers`), all driven over gRPC. SLOW by nature (a dozen
// service processes over the suite): one shared cluster, tests run in order, short ack
// waits (4 s) so redeliveries happen within seconds. Data: 2 classes × 12 demo images.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ARTIFACT_PARTS, artifactBucket, stageClientConstructor } from "@adq/cluster";
import { connectNats, type NatsConnection, ObjectArtifactStore } from "@adq/platform/nats";
import { CompressionClient } from "@adq/service-common";
import type { CompressionParams, Job__Output as Job } from "@adq/service-common/proto";
import { checkHealth } from "@adq/service-common/testing";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compressCli } from "../e2e/cli.ts";
import { collect, download, failureOf, watchToEnd } from "../services/helpers.ts";
import { brokenSlice, demoSlice, tmp } from "../support/fs.ts";
import { type NatsServer, startNatsServer } from "../support/nats-server.ts";
import { clusterFlags, dumpLogs, killAll, type ServiceProcess, startService } from "../support/procs.ts";
import { listServices } from "./reflection.ts";

const KEY = "cluster-test-key";
const ACK_WAIT_MS = 4000;
const STAGES = ["features", "binning", "scoring", "sampling", "assemble"] as const;
const SLOW_MS = 2500; // ADQ_TEST_TASK_DELAY_MS of the "slow" features workers

type Service = ServiceProcess & { address: string; metricsUrl: string | undefined };

// ADQ, not the default CCS: every stage process gets work.
const params = (seed: number): CompressionParams => ({
  ratio: 0.25,
  bins: 2,
  seed,
  method: "METHOD_ADQ_PAPER",
});

describe("cluster mode over a real nats-server (slow: spawns ~12 service processes)", () => {
  let nats: NatsServer;
  let data: string;
  let bad: string;
  let coordinator: Service;
  const workers = new Map<string, Service>();
  let client: CompressionClient;
  let nc: NatsConnection | undefined;
  const references = new Map<number, Promise<Buffer>>();
  let refChain: Promise<unknown> = Promise.resolve();

  /** `adq compress` with the same parameters (one at a time: the machine is small). */
  const reference = (seed: number): Promise<Buffer> => {
    let p = references.get(seed);
    if (!p) {
      const out = join(tmp("adq-cluster-ref-"), "out");
      p = refChain.then(async () => {
        const args = ["--threads", "1", "--method", "adq-paper", "--ratio", "0.25", "--bins", "2"];
        const r = await compressCli(data, [...args, "--seed", String(seed)], { out });
        if (r.code !== 0) throw new Error(`adq compress failed: ${r.stderr}`);
        return readFileSync(join(out, "manifest.json"));
      });
      refChain = p.catch(() => {});
      references.set(seed, p);
    }
    return p;
  };

  const flags = () => clusterFlags(nats.url, ACK_WAIT_MS);

  const startCoordinator = (name: string) =>
    startService(
      name,
      [
        "serve",
        ...flags(),
        "--no-workers",
        "--port",
        "0",
        "--metrics-port",
        "0",
        "--data-root",
        data,
        "--data-root",
        bad,
      ],
      { ADQ_API_KEY: KEY },
    );

  const startWorker = (stage: string, name = stage, env: Record<string, string> = {}, extra: string[] = []) =>
    startService(
      `worker-${name}`,
      ["serve", "--stage", stage, ...flags(), "--port", "0", "--metrics-port", "0", ...extra],
      env,
    );

  const connectClient = (address: string) => {
    client?.close();
    client = new CompressionClient(address, { apiKey: KEY, timeoutMs: 5000 });
  };

  /** Polls GetJob until the job ends, riding out errors (restarts of NATS or the gateway). */
  const waitForEnd = async (jobId: string, timeoutMs: number): Promise<Job> => {
    const until = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < until) {
      try {
        const job = await client.getJob(jobId);
        last = job.state;
        if (["JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED"].includes(job.state))
          return job;
      } catch (e) {
        last = e;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`job ${jobId} did not end within ${timeoutMs} ms (last: ${String(last)})`);
  };

  const submit = async (seed: number, dataset = data): Promise<string> => {
    const { job } = await client.createJob({
      dataset: { uri: pathToFileURL(dataset).href },
      params: params(seed),
    });
    return job.id;
  };

  const taskStarted = (jobId: string, stage?: string) => (l: Record<string, unknown>) =>
    l.event === "task_started" && l.job_id === jobId && (stage === undefined || l.stage === stage);

  beforeAll(async () => {
    data = demoSlice(2, 12);
    bad = brokenSlice(2, 12);
    nats = await startNatsServer();
    void reference(3);
    const started = await Promise.all([
      startCoordinator("coordinator-1"),
      ...STAGES.map((s) => startWorker(s, s, {}, s === "features" ? ["--data-root", data] : [])),
    ]);
    coordinator = started[0]!;
    STAGES.forEach((s, i) => {
      workers.set(s, started[i + 1]!);
    });
    connectClient(coordinator.address);
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await nc?.close().catch(() => {});
    dumpLogs();
    killAll();
    await nats?.stop();
  }, 30_000);

  it("(a) runs a job with every stage in its own process: manifest byte-identical to adq compress; health, reflection, metrics, logs", async () => {
    void reference(4);
    const jobId = await submit(3);
    const events = await watchToEnd(client, jobId);
    const last = events[events.length - 1]!;
    expect(last.terminal?.state, JSON.stringify(last.terminal?.error)).toBe("JOB_STATE_SUCCEEDED");
    expect(last.terminal?.summary).toMatchObject({ totalItems: "24", selectedItems: "6" });
    const manifest = await download(client, jobId, "manifest.json");
    expect(manifest.equals(await reference(3))).toBe(true);

    // Each stage ran in its own process (and none in the coordinator).
    for (const s of STAGES) expect(workers.get(s)!.find(taskStarted(jobId, s)).length, s).toBeGreaterThan(0);
    expect(coordinator.find((l) => l.event === "task_started")).toEqual([]);
    expect(coordinator.find((l) => l.event === "job_succeeded" && l.job_id === jobId)).toHaveLength(1);

    // Health on every process; the stage RPCs run the handlers directly too (over the Object Store).
    expect(await checkHealth(coordinator.address, "adq.v1.CompressionService")).toBe("SERVING");
    for (const s of STAGES) expect(await checkHealth(workers.get(s)!.address)).toBe("SERVING");
    expect(await checkHealth(workers.get("features")!.address, "adq.v1.FeatureService")).toBe("SERVING");
    const Features = stageClientConstructor("features")!;
    const fc = new Features(workers.get("features")!.address, grpc.credentials.createInsecure());
    const direct = await new Promise<{ itemCount: string; features: { embeddings: { key: string } } }>(
      (resolve, reject) =>
        (fc as unknown as Record<string, (...a: unknown[]) => void>).ExtractFeatures!(
          {
            task: { jobId: "direct", taskKey: "s0" },
            dataset: { uri: pathToFileURL(data).href },
            shard: { start: 0, end: 4 },
          },
          (e: grpc.ServiceError | null, r: never) => (e ? reject(e) : resolve(r)),
        ),
    );
    fc.close();
    expect(direct.itemCount).toBe("4");
    expect(direct.features.embeddings.key).toBe("jobs/direct/features/s0/embedding.npy");
    // Server reflection on every process.
    expect(await listServices(coordinator.address)).toContain("adq.v1.CompressionService");
    expect(await listServices(workers.get("features")!.address)).toContain("adq.v1.FeatureService");
    expect(await listServices(workers.get("assemble")!.address)).toContain("grpc.health.v1.Health");

    // Prometheus metrics.
    const wm = await (await fetch(workers.get("binning")!.metricsUrl!)).text();
    expect(wm).toContain('adq_tasks_total{stage="binning",outcome="ok",tenant="default"} 2');
    expect(wm).toContain('adq_task_duration_seconds_count{stage="binning",tenant="default"} 2');
    expect(wm).toContain('adq_tasks_in_flight{stage="binning",tenant="default"} 0');
    expect(wm).toMatch(/adq_queue_pending_tasks\{queue="binning"\} 0/);
    const cm = await (await fetch(coordinator.metricsUrl!)).text();
    expect(cm).toContain('adq_jobs_total{state="succeeded",tenant="default"} 1');
    expect(cm).toContain('adq_rpc_total{method="CreateJob",code="OK"} 1');
    expect(cm).toMatch(/adq_queue_pending_tasks\{queue="jobs"\} 0/);
  }, 90_000);

  it("(b) SIGKILL of a features worker mid-task: the task is redelivered, the job completes, identical manifest", async () => {
    void reference(5);
    // Graceful SIGTERM of the idle worker: exits 0.
    const stopped = await workers.get("features")!.stop();
    expect(stopped).toEqual({ code: 0, signal: null });
    const slow1 = await startWorker("features", "features-slow-1", {
      ADQ_TEST_TASK_DELAY_MS: String(SLOW_MS),
    });
    workers.set("features", slow1);
    const jobId = await submit(4);
    await slow1.waitForLog(taskStarted(jobId, "features"), 30_000, "features task start");
    slow1.kill("SIGKILL");
    expect((await slow1.exited).signal).toBe("SIGKILL");
    const slow2 = await startWorker("features", "features-slow-2", {
      ADQ_TEST_TASK_DELAY_MS: String(SLOW_MS),
    });
    workers.set("features", slow2);
    const redelivered = await slow2.waitForLog(taskStarted(jobId, "features"), 30_000, "redelivered task");
    expect(redelivered.attempt).toBe(2);
    const job = await waitForEnd(jobId, 60_000);
    expect(job.state, JSON.stringify(job.error)).toBe("JOB_STATE_SUCCEEDED");
    expect((await download(client, jobId, "manifest.json")).equals(await reference(4))).toBe(true);
  }, 120_000);

  it("(c) a coordinator killed mid-job is replaced: the new one resumes the RUNNING job to the same result", async () => {
    void reference(6);
    const slow = workers.get("features")!;
    const jobId = await submit(5);
    await slow.waitForLog(taskStarted(jobId, "features"), 30_000, "features task start");
    expect((await client.getJob(jobId)).state).toBe("JOB_STATE_RUNNING");
    coordinator.kill("SIGKILL");
    await coordinator.exited;
    const old = coordinator;
    coordinator = await startCoordinator("coordinator-2");
    connectClient(coordinator.address);
    const job = await waitForEnd(jobId, 60_000);
    expect(job.state, JSON.stringify(job.error)).toBe("JOB_STATE_SUCCEEDED");
    expect((await download(client, jobId, "manifest.json")).equals(await reference(5))).toBe(true);
    expect(old.find((l) => l.event === "job_succeeded" && l.job_id === jobId)).toEqual([]);
    expect(coordinator.find((l) => l.event === "job_succeeded" && l.job_id === jobId)).toHaveLength(1);
    // The features task ran once: the new coordinator took its outcome from the replay.
    expect(slow.find(taskStarted(jobId, "features"))).toHaveLength(1);
  }, 120_000);

  it("(d) nats-server restarted mid-job (same store dir): services reconnect and the job completes", async () => {
    const slow = workers.get("features")!;
    const jobId = await submit(6);
    await slow.waitForLog(taskStarted(jobId, "features"), 30_000, "features task start");
    await nats.restart();
    const job = await waitForEnd(jobId, 90_000);
    expect(job.state, JSON.stringify(job.error)).toBe("JOB_STATE_SUCCEEDED");
    expect((await download(client, jobId, "manifest.json")).equals(await reference(6))).toBe(true);
    for (const p of [coordinator, slow, workers.get("assemble")!])
      expect(p.find((l) => l.event === "nats_reconnected").length, p.name).toBeGreaterThan(0);
    expect(await checkHealth(coordinator.address, "adq.v1.CompressionService")).toBe("SERVING");
  }, 150_000);

  it("(f) CancelJob stops the job's stage work within seconds and frees its artifacts", async () => {
    const slow = workers.get("features")!;
    const jobId = await submit(7);
    await slow.waitForLog(taskStarted(jobId, "features"), 30_000, "features task start");
    const t0 = Date.now();
    const j = await client.cancelJob({ jobId, reason: "test" });
    expect(j.state).toBe("JOB_STATE_CANCELLING");
    await slow.waitForLog(
      (l) => l.event === "task_finished" && l.job_id === jobId && l.outcome === "aborted",
      10_000,
      "aborted task",
    );
    expect(Date.now() - t0).toBeLessThan(SLOW_MS + 5000);
    const job = await waitForEnd(jobId, 20_000);
    expect(job.state).toBe("JOB_STATE_CANCELLED");
    nc = await connectNats({ servers: nats.url, name: "cluster-test" });
    for (const part of ARTIFACT_PARTS) {
      const store = await ObjectArtifactStore.open(nc, { bucket: artifactBucket("adq", part) });
      expect(await store.list(`tenants/default/jobs/${jobId}/`), part).toEqual([]);
    }
    // Nothing of the job is left in any queue, and no later stage ever ran for it.
    await new Promise((r) => setTimeout(r, 1000));
    for (const s of STAGES.slice(1)) expect(workers.get(s)!.find(taskStarted(jobId))).toEqual([]);
    // The aborted delivery leaves the consumer's ack-pending list at the latest when its
    // ack wait expires (the server drops a purged message then).
    const until = Date.now() + ACK_WAIT_MS + 8000;
    let wm = "";
    while (Date.now() < until) {
      wm = await (await fetch(slow.metricsUrl!)).text();
      if (/adq_queue_ack_pending_tasks\{queue="features"\} 0/.test(wm)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(wm).toMatch(/adq_queue_pending_tasks\{queue="features"\} 0/);
    expect(wm).toMatch(/adq_queue_ack_pending_tasks\{queue="features"\} 0/);
  }, 60_000);

  it("(e) a corrupt image fails the job with a clear error visible in GetJob and WatchJob, without retries", async () => {
    const slow = workers.get("features")!;
    const jobId = await submit(3, bad);
    const terminal = await failureOf(client, jobId);
    expect(terminal.error).toMatchObject({
      reason: "ERROR_REASON_BAD_FILES",
      code: "INVALID_ARGUMENT",
      stage: "STAGE_FEATURES",
      badFiles: [expect.objectContaining({ path: "airplane/zz-broken.jpg" })],
    });
    const got = await client.getJob(jobId);
    expect(got.state).toBe("JOB_STATE_FAILED");
    expect(got.error?.message).toContain("airplane/zz-broken.jpg");
    await new Promise((r) => setTimeout(r, 1500));
    expect(slow.find(taskStarted(jobId, "features"))).toHaveLength(1); // permanent: never redelivered
  }, 60_000);

  it("(e) a task failing every time (retryable error) fails the job after exactly 3 deliveries", async () => {
    await workers.get("features")!.stop();
    const failing = await startWorker(
      "features",
      "features-failing",
      { ADQ_TEST_TASK_FAIL: "scratch disk gone" },
      ["--retry-backoff-ms", "200"],
    );
    workers.set("features", failing);
    const jobId = await submit(8);
    const job = await waitForEnd(jobId, 45_000);
    expect(job.state).toBe("JOB_STATE_FAILED");
    expect(job.error).toMatchObject({
      reason: "ERROR_REASON_RETRIES_EXHAUSTED",
      stage: "STAGE_FEATURES",
      taskKey: "features/shard-0",
      attempts: 3,
    });
    expect(job.error?.message).toContain("scratch disk gone");
    const events = await collect(client.watchJob(jobId));
    expect(events[events.length - 1]!.terminal?.error?.reason).toBe("ERROR_REASON_RETRIES_EXHAUSTED");
    await new Promise((r) => setTimeout(r, 1000));
    expect(failing.find(taskStarted(jobId, "features")).map((l) => l.attempt)).toEqual([1, 2, 3]);
  }, 90_000);

  it("every service shuts down gracefully on SIGTERM (exit 0)", async () => {
    const all = [coordinator, ...workers.values()];
    const results = await Promise.all(all.map((p) => p.stop(30_000)));
    for (const [i, r] of results.entries()) expect(r, all[i]!.name).toEqual({ code: 0, signal: null });
    expect(coordinator.find((l) => l.event === "stopped").length).toBeGreaterThan(0);
  }, 60_000);
});
