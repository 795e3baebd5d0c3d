// Scale-in never loses a task in flight (real processes, real nats-server): a stage process
// that gets SIGTERM (what Kubernetes sends a pod it scales in) while it runs a task either
// finishes it within its drain (`--drain-ms`, the chart's drainSeconds) and acks it, or hands
// it back with a NAK, so another worker takes it at once — not after the ack wait, which is
// set to 10 minutes here so that only the NAK can explain a redelivery within the test.
import { pathToFileURL } from "node:url";
import { CompressionClient } from "@adq/service-common";
import type { Job__Output as Job } from "@adq/service-common/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoSlice } from "../e2e/helpers.ts";
import { type NatsServer, startNatsServer } from "../support/nats-server.ts";
import {
  clusterFlags,
  dumpLogs,
  killAll,
  type LogLine,
  type ServiceProcess,
  startService,
} from "../support/procs.ts";

const KEY = "scale-in-test-key";
const ACK_WAIT_MS = 600_000;

type Service = ServiceProcess & { address: string };

describe("scale-in: SIGTERM of a stage process with a task in flight (real processes)", () => {
  let nats: NatsServer;
  let data: string;
  let client: CompressionClient;
  const flags = () => clusterFlags(nats.url, ACK_WAIT_MS);

  const startFeatures = (name: string, drainMs: number, delayMs: number) =>
    startService(
      name,
      [
        "serve",
        "--stage",
        "features",
        ...flags(),
        "--port",
        "0",
        "--drain-ms",
        String(drainMs),
        "--data-root",
        data,
      ],
      { ADQ_TEST_TASK_DELAY_MS: String(delayMs) },
    );

  const submit = async (seed: number) =>
    (
      await client.createJob({
        dataset: { uri: pathToFileURL(data).href },
        params: { ratio: 0.25, bins: 2, seed, method: "METHOD_DQ" },
      })
    ).job.id;

  const waitForEnd = async (jobId: string, timeoutMs: number): Promise<Job> => {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const job = await client.getJob(jobId);
      if (["JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED"].includes(job.state)) return job;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`job ${jobId} did not end within ${timeoutMs} ms`);
  };

  const features = (jobId: string, event: string) => (l: LogLine) =>
    l.event === event && l.job_id === jobId && l.stage === "features";

  beforeAll(async () => {
    data = demoSlice(2, 8);
    nats = await startNatsServer();
    const [coordinator] = await Promise.all([
      startService("coordinator", ["serve", ...flags(), "--no-workers", "--port", "0", "--data-root", data], {
        ADQ_API_KEY: KEY,
      }),
      ...["binning", "sampling", "assemble"].map((s) =>
        startService(`worker-${s}`, ["serve", "--stage", s, ...flags(), "--port", "0"]),
      ),
    ]);
    client = new CompressionClient((coordinator as Service).address, { apiKey: KEY, timeoutMs: 5000 });
  }, 120_000);

  afterAll(async () => {
    client?.close();
    dumpLogs();
    killAll();
    await nats?.stop();
  }, 30_000);

  it("a task that cannot finish within the drain is handed back (NAK) and redone at once by another worker", async () => {
    // The task would take 10 minutes; the drain is 1 s.
    const leaving = await startFeatures("features-leaving", 1000, 600_000);
    const jobId = await submit(1);
    const started = await leaving.waitForLog(features(jobId, "task_started"), 60_000, "features task start");
    expect(started.attempt).toBe(1);
    const staying = await startFeatures("features-staying", 20_000, 0);
    expect(await leaving.stop(30_000)).toEqual({ code: 0, signal: null });
    expect(leaving.find(features(jobId, "task_finished"))[0]?.outcome).toBe("aborted");
    // Redelivered long before the 10-minute ack wait: only the NAK explains it.
    const again = await staying.waitForLog(features(jobId, "task_started"), 60_000, "redelivered task");
    expect(again.attempt).toBe(2);
    expect(again.task_key).toBe(started.task_key);
    const job = await waitForEnd(jobId, 90_000);
    expect(job.state, JSON.stringify(job.error)).toBe("JOB_STATE_SUCCEEDED");
    expect(await staying.stop(30_000)).toEqual({ code: 0, signal: null });
  }, 240_000);

  it("a task that ends within the drain is finished and acknowledged by the leaving worker (no redelivery)", async () => {
    const leaving = await startFeatures("features-finishing", 60_000, 3000);
    const jobId = await submit(2);
    await leaving.waitForLog(features(jobId, "task_started"), 60_000, "features task start");
    const exit = leaving.stop(90_000);
    const finished = await leaving.waitForLog(features(jobId, "task_finished"), 60_000, "task finished");
    expect(finished.outcome).toBe("ok");
    expect(await exit).toEqual({ code: 0, signal: null });
    // No features worker is left: the job can only have succeeded on the leaving worker's ack.
    const job = await waitForEnd(jobId, 90_000);
    expect(job.state, JSON.stringify(job.error)).toBe("JOB_STATE_SUCCEEDED");
    expect(leaving.find(features(jobId, "task_started"))).toHaveLength(1);
  }, 240_000);
});
