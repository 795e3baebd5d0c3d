/**
 * Durable, bounded artifacts: the artifact Object Store takes its replicas and byte cap from
 * the serve flags (a real nats-server: a put past the cap fails instead of filling the disk),
 * and finished jobs expire on schedule (cache-gc.ts sweepResults: record, artifacts, result).
 */
import { FsArtifactStore, MemoryJobStore } from "@adq/platform";
import { describe, expect, it } from "vitest";
import { openClusterPorts } from "../../services/cluster/ports.ts";
import { Logger, MemorySink } from "../../services/common/log.ts";
import { sweepResults } from "../../services/gateway/cache-gc.ts";
import type { JobRecord } from "../../services/gateway/records.ts";
import { tmp } from "../e2e/helpers.ts";
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
      const status = await ports.store.os.status();
      expect(status.replicas).toBe(1);
      expect(status.streamInfo.config.max_bytes).toBe(1 << 20);
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
});
