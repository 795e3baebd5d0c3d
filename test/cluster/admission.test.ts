/**
 * Fair admission of queued jobs between tenants (issue 30), on a real nats-server through the
 * gRPC API: a coordinator (`startClusterGateway`, one job at a time, no stage workers, so a
 * running job stays in its features stage until it is cancelled) holds tenant A's 20 queued
 * jobs and then tenant B's first. When A's running job ends (cancelled here), B's job is the
 * next one admitted, not A's second; with `jobLookahead: 0` (queue order, the previous
 * behaviour) A's second job goes first. No timings are asserted: which job runs next is.
 */
import { DEFAULT_MODEL } from "@adq/cli";
import { type RunningClusterGateway, startClusterGateway } from "@adq/cluster";
import { ApiKeyAuthenticator, CompressionClient, Logger } from "@adq/service-common";
import { hashApiKey, MemorySink } from "@adq/service-common/testing";
import { describe, expect, it } from "vitest";
import { demoSlice } from "../e2e/helpers.ts";
import { useNatsServer } from "../support/nats-server.ts";
import { until } from "../support/wait.ts";

describe("fair admission of queued jobs between tenants (real nats-server, gRPC)", () => {
  const nats = useNatsServer();
  const data = demoSlice(2, 2);

  /** A's `aJobs` jobs queued behind its running one, then B's first: which job runs next? */
  const scenario = async (namespace: string, aJobs: number, jobLookahead: number) => {
    let gw: RunningClusterGateway | undefined;
    const clients: CompressionClient[] = [];
    try {
      gw = await startClusterGateway({
        nats: nats.server.url,
        namespace,
        insecureNats: true,
        address: "127.0.0.1:0",
        auth: new ApiKeyAuthenticator([
          { id: "a", keys: [hashApiKey("key-a")], quotas: { concurrent_jobs: 30 } },
          { id: "b", keys: [hashApiKey("key-b")] },
        ]),
        dataRoots: [data],
        defaultModel: DEFAULT_MODEL,
        workers: false,
        concurrency: 1,
        jobLookahead,
        log: new Logger(new MemorySink()),
      });
      const g = gw;
      const a = new CompressionClient(g.address, { apiKey: "key-a", timeoutMs: 10_000 });
      const b = new CompressionClient(g.address, { apiKey: "key-b", timeoutMs: 10_000 });
      clients.push(a, b);
      const run = (seed: number) => ({ dataset: { uri: `file://${data}` }, params: { ratio: 0.25, seed } });
      const aIds: string[] = [];
      for (let i = 0; i < aJobs; i++) aIds.push((await a.createJob(run(i + 1))).job.id);
      await until("A's first job RUNNING", async () =>
        (await a.getJob(aIds[0]!)).state === "JOB_STATE_RUNNING" ? true : undefined,
      );
      const bId = (await b.createJob(run(100))).job.id;
      const held = Math.min(aJobs, jobLookahead); // A's queued ones and B's, within the look-ahead
      if (jobLookahead > 0)
        await until(`${held} jobs held for admission`, async () =>
          g.runner!.admission.waiting === held ? true : undefined,
        );
      await a.cancelJob({ jobId: aIds[0]! });
      // The next job to run: B's (fair) or A's second (queue order).
      const next = await until("another job RUNNING", async () => {
        for (const [id, c] of [[bId, b], ...aIds.slice(1).map((x) => [x, a] as const)] as const)
          if ((await c.getJob(id)).state === "JOB_STATE_RUNNING") return id;
        return undefined;
      });
      const queuedA = (await Promise.all(aIds.slice(1).map((id) => a.getJob(id)))).filter(
        (j) => j.state === "JOB_STATE_QUEUED",
      ).length;
      return { next, bId, aIds, queuedA };
    } finally {
      for (const c of clients) c.close();
      await gw?.close(2000);
    }
  };

  it("B's first job runs as soon as A's running job ends, ahead of A's 19 queued ones", async () => {
    const r = await scenario("fair", 20, 24);
    expect(r.next).toBe(r.bId);
    expect(r.queuedA).toBe(19);
  }, 60_000);

  it("in queue order (jobLookahead 0), A's second job runs next and B waits", async () => {
    const r = await scenario("fifo", 3, 0);
    expect(r.next).toBe(r.aIds[1]);
  }, 60_000);
});
