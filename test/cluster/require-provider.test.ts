// A stage given a GPU that cannot use it (`--require-execution-provider`): on this machine the
// CUDA provider library is not installed (CPU-only onnxruntime-node), which is exactly a GPU
// pod started from the CPU image. The stage must say so and take no task instead of running
// on CPU while it holds the GPU; without the requirement it falls back as before.
import { readFileSync } from "node:fs";
import { DEFAULT_MODEL } from "@adq/cli";
import { type RunningStageWorker, startStageWorker } from "@adq/cluster";
import { cudaProblem } from "@adq/ml";
import { connectNats, NatsBus, type NatsConnection } from "@adq/platform/nats";
import { Logger } from "@adq/service-common";
import { MemorySink } from "@adq/service-common/testing";
import { jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type NatsServer, startNatsServer } from "../support/nats-server.ts";

describe("a stage that requires its execution provider", () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  const workers: RunningStageWorker[] = [];
  beforeAll(async () => {
    nats = await startNatsServer();
    nc = await connectNats({ servers: nats.url, name: "test" });
  });
  afterAll(async () => {
    for (const w of workers) await w.close(500);
    await nc?.close();
    await nats?.stop();
  });
  const consumer = async () => (await jetstreamManager(nc)).consumers.info("ADQ_TASKS", "features");

  const start = async (require: boolean) => {
    const sink = new MemorySink();
    const w = await startStageWorker({
      stage: "features",
      nats: nats.url,
      insecureNats: true, // a test server without authorization
      address: "127.0.0.1:0",
      metricsPort: 0,
      executionProvider: "cuda",
      requireExecutionProvider: require,
      defaultModel: DEFAULT_MODEL,
      log: new Logger(sink),
    });
    workers.push(w);
    return { w, sink };
  };

  it("unusable CUDA: NOT_SERVING, adq_execution_provider_ready 0, one error naming why, and no consumer taking tasks", async () => {
    const why = await cudaProblem(readFileSync(DEFAULT_MODEL));
    expect(why).toMatch(/libonnxruntime_providers_cuda\.so is not installed/);
    const { w, sink } = await start(true);
    expect(w.health.get("")).toBe("NOT_SERVING");
    const metrics = await (await fetch(`${w.metrics!.url}`)).text();
    expect(metrics).toContain('adq_execution_provider_ready{stage="features",provider="cuda"} 0');
    const errors = sink.records().filter((r) => r.event === "execution_provider_unavailable");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ level: "error", provider: "cuda", why });
    // The stage's durable consumer was never declared: no task can reach this process.
    await expect(consumer()).rejects.toThrow(/consumer not found/);
  });

  it("not required: serves (the CPU fallback is reported by the gauge once a model loads)", async () => {
    // The stage's queue, declared as the gateway/coordinator does at start: workers only bind.
    const control = await NatsBus.connect(nc, { namespace: "adq", declareConsumers: false });
    await control.ensureStageConsumers(["features"]);
    await control.close();
    const { w } = await start(false);
    expect(w.health.get("")).toBe("SERVING");
    const metrics = await (await fetch(`${w.metrics!.url}`)).text();
    expect(metrics).toContain('adq_execution_provider_ready{stage="features",provider="cuda"} 1');
    expect((await consumer()).name).toBe("features"); // and this one takes tasks
  });
});
