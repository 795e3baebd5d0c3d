// A stage task that keeps failing (not bad input: a transient-looking error) fails the job
// after the bus's bounded retries, visible in GetJob and WatchJob — it never loops forever.
import { pathToFileURL } from "node:url";
import { DEFAULT_MODEL } from "@adq/cli";
import type { IdempotencyRecord, JobRecord } from "@adq/gateway";
import { type RunningGateway, startGateway } from "@adq/gateway";
import { FsArtifactStore, LocalBus, MemoryJobStore } from "@adq/platform";
import { ApiKeyAuthenticator, CompressionClient, Logger } from "@adq/service-common";
import { MemorySink } from "@adq/service-common/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoSlice, tmp } from "../e2e/helpers.ts";
import { failureOf } from "./helpers.ts";

describe("bounded retries", () => {
  let gw: RunningGateway;
  let bus: LocalBus;
  let client: CompressionClient;
  let data: string;
  let deliveries = 0;

  beforeAll(async () => {
    data = demoSlice(2, 4);
    bus = new LocalBus();
    // A features worker that always fails with an error retrying cannot fix.
    bus.consume(
      "features",
      async () => {
        deliveries++;
        throw new Error("scratch volume unavailable");
      },
      { maxAttempts: 3 },
    );
    gw = await startGateway({
      address: "127.0.0.1:0",
      jobs: new MemoryJobStore<JobRecord>(),
      idempotency: new MemoryJobStore<IdempotencyRecord>(),
      bus,
      store: new FsArtifactStore(tmp("adq-fail-store-")),
      auth: ApiKeyAuthenticator.single("t", "k"),
      dataRoots: [data],
      models: { defaultModel: DEFAULT_MODEL },
      log: new Logger(new MemorySink()),
      watchPollMs: 100,
    });
    client = new CompressionClient(gw.address, { apiKey: "k" });
  });

  afterAll(async () => {
    client?.close();
    await gw?.close(2000);
    await bus?.close();
  });

  it("fails the job with RETRIES_EXHAUSTED after 3 deliveries", async () => {
    const { job } = await client.createJob({
      dataset: { uri: pathToFileURL(data).href },
      params: { ratio: 0.5, bins: 2 },
    });
    const terminal = await failureOf(client, job.id);
    expect(terminal.error).toMatchObject({
      reason: "ERROR_REASON_RETRIES_EXHAUSTED",
      stage: "STAGE_FEATURES",
      taskKey: "features/shard-0",
      attempts: 3,
    });
    expect(terminal.error!.message).toContain("scratch volume unavailable");
    expect(deliveries).toBe(3);
    const got = await client.getJob(job.id);
    expect(got.state).toBe("JOB_STATE_FAILED");
    expect(got.error?.reason).toBe("ERROR_REASON_RETRIES_EXHAUSTED");
    await new Promise((r) => setTimeout(r, 200));
    expect(deliveries).toBe(3);
  });
});
