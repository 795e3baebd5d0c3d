/**
 * Durable, bounded artifacts: the artifact Object Store takes its replicas and byte cap from
 * the serve flags (a real nats-server: a put past the cap fails instead of filling the disk),
 * and finished jobs expire on schedule (cache-gc.ts sweepResults: record, artifacts, result),
 * both as a function and by the coordinator's own periodic sweep on a real nats-server.
 */
import { DEFAULT_MODEL } from "@adq/cli";
import { ARTIFACT_PARTS, openClusterPorts, startClusterGateway } from "@adq/cluster";
import type { JobRecord } from "@adq/gateway";
import { sweepResults } from "@adq/gateway/testing";
import { FsArtifactStore, MemoryJobStore, type StagedArtifactStore } from "@adq/platform";
import type { ObjectArtifactStore } from "@adq/platform/nats";
import { ApiKeyAuthenticator, CompressionClient, Logger } from "@adq/service-common";
import { hashApiKey, MemorySink } from "@adq/service-common/testing";
import * as grpc from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { demoSlice, tmp } from "../e2e/helpers.ts";
import { download, watchToEnd } from "../services/helpers.ts";
import { useNatsServer } from "../support/nats-server.ts";

describe("artifact store limits and result retention", () => {
  const nats = useNatsServer();

  it("opens the Object Store with the configured replicas and byte cap, and enforces the cap", async () => {
    const ports = await openClusterPorts({
      nats: nats.server.url,
      name: "adq-gateway",
      namespace: "capped",
      insecureNats: true,
      artifacts: { replicas: 1, maxBytes: 1 << 20 },
      log: new Logger(new MemorySink()),
    });
    try {
      // Every bucket of the staged store (one per writer) takes the settings.
      for (const part of ARTIFACT_PARTS) {
        const status = await (
          (ports.store as StagedArtifactStore).part(part) as ObjectArtifactStore
        ).os.status();
        expect(status.replicas, part).toBe(1);
        expect(status.streamInfo.config.max_bytes, part).toBe(1 << 20);
      }
      await ports.store.put("tenants/a/small", new Uint8Array(100_000));
      await expect(ports.store.put("tenants/a/big", new Uint8Array(2 << 20))).rejects.toThrow();
      expect(await ports.store.stat("tenants/a/small")).toMatchObject({ size: 100_000 });
    } finally {
      await ports.close(2000);
    }
  });

  it("deletes finished jobs (record and artifacts) once their retention has passed, and nothing else", async () => {
    const store = new FsArtifactStore(tmp("adq-retention-"));
    const jobs = new MemoryJobStore<JobRecord>();
    const HOUR = 3600_000;
    const now = 100 * HOUR;
    const rec = (id: string, state: JobRecord["state"], endTime?: number) =>
      ({
        id,
        tenant: "acme",
        state,
        artifactPrefix: `tenants/acme/jobs/${id}/`,
        ...(endTime !== undefined ? { endTime } : {}),
      }) as JobRecord;
    const all = [
      rec("job-old-ok", "SUCCEEDED", now - 25 * HOUR),
      rec("job-old-failed", "FAILED", now - 30 * HOUR),
      rec("job-fresh", "SUCCEEDED", now - 1 * HOUR),
      rec("job-running", "RUNNING"),
    ];
    for (const r of all) {
      await jobs.create(r);
      await store.put(`${r.artifactPrefix}result/manifest.json`, new TextEncoder().encode("{}"));
    }
    const expired = await sweepResults({ store, jobs, now, retentionMs: 24 * HOUR });
    expect(expired.sort()).toEqual(["job-old-failed", "job-old-ok"]);
    expect((await jobs.list()).map((r) => r.id).sort()).toEqual(["job-fresh", "job-running"]);
    expect((await store.list("tenants/acme/jobs/")).map((a) => a.key).sort()).toEqual([
      "tenants/acme/jobs/job-fresh/result/manifest.json",
      "tenants/acme/jobs/job-running/result/manifest.json",
    ]);
  });

  it("a coordinator with a short result retention deletes a finished job by itself on schedule, and keeps a running one", async () => {
    const KEY = "retention-key";
    const data = demoSlice(2, 12);
    const gw = await startClusterGateway({
      nats: nats.server.url,
      namespace: "retention",
      insecureNats: true,
      address: "127.0.0.1:0",
      auth: new ApiKeyAuthenticator([{ id: "acme", keys: [hashApiKey(KEY)] }]),
      dataRoots: [data],
      defaultModel: DEFAULT_MODEL,
      // `--result-retention-hours 0.0005` (serve.ts takes fractional hours): the runner then
      // sweeps every retention / 4 = 450 ms. Each stage task waits 2.5 s, so the second job is
      // still running well after the first one's retention has passed.
      resultRetentionMs: 0.0005 * 3600_000,
      faults: { delayMs: 2500 },
      threads: 1,
      log: new Logger(new MemorySink()),
    });
    const client = new CompressionClient(gw.address, { apiKey: KEY, timeoutMs: 10_000 });
    const artifactsOf = async (id: string) =>
      (await gw.ports.store.list(`tenants/acme/jobs/${id}/`)).map((a) => a.key);
    const gone = async (id: string) => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const e = await client.getJob(id).then(
          () => undefined,
          (err: { code?: number }) => err,
        );
        if (e) return e;
        if (Date.now() > deadline) throw new Error(`job ${id} was not swept within 20 s`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    try {
      const run = { dataset: { uri: `file://${data}` } };
      const { job: first } = await client.createJob({ ...run, params: { ratio: 0.25, seed: 1 } });
      const ended = (await watchToEnd(client, first.id)).at(-1)!;
      expect(ended.terminal?.state).toBe("JOB_STATE_SUCCEEDED");
      expect(await artifactsOf(first.id)).toContain(`tenants/acme/jobs/${first.id}/result/manifest.json`);
      // Another job (other parameters: no dedup) runs while the first one expires.
      const { job: second } = await client.createJob({ ...run, params: { ratio: 0.5, seed: 2 } });

      expect(await gone(first.id)).toMatchObject({ code: grpc.status.NOT_FOUND });
      expect(await artifactsOf(first.id)).toEqual([]);
      await expect(download(client, first.id, "manifest.json")).rejects.toMatchObject({
        code: grpc.status.NOT_FOUND,
      });
      // Not finished: kept, whatever its age.
      expect(["JOB_STATE_QUEUED", "JOB_STATE_RUNNING"]).toContain((await client.getJob(second.id)).state);

      const last = (await watchToEnd(client, second.id)).at(-1)!;
      expect(last.terminal?.state).toBe("JOB_STATE_SUCCEEDED");
      // Once it has ended, its own retention runs.
      expect(await gone(second.id)).toMatchObject({ code: grpc.status.NOT_FOUND });
      expect(await artifactsOf(second.id)).toEqual([]);
    } finally {
      client.close();
      await gw.close(2000);
    }
  }, 90_000);
});
