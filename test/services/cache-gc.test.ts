// The stage-output cache of the services: per tenant, cut into generations, expired ones swept.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JobRecord } from "@adq/gateway";
import { cacheGeneration, jobCacheGeneration, sweepCache, tenantCachePrefix } from "@adq/gateway/testing";
import { FsArtifactStore, MemoryJobStore } from "@adq/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoSlice } from "../e2e/helpers.ts";
import { startTestServer, type TestServer, watchToEnd } from "./helpers.ts";

const H = 3600_000;

describe("cache generations", () => {
  it("number periods of the retention and keep a job's generation while it is kept", () => {
    expect(cacheGeneration(0, H)).toBe(0);
    expect(cacheGeneration(5 * H + 1, H)).toBe(5);
    expect(jobCacheGeneration(undefined, 5 * H, H)).toBe(5);
    expect(jobCacheGeneration(4, 5 * H, H)).toBe(4); // previous period: still kept, resume reuses it
    expect(jobCacheGeneration(3, 5 * H, H)).toBe(5); // swept: start afresh in the current one
    expect(jobCacheGeneration(9, 5 * H, H)).toBe(5); // from a clock ahead of this one
    expect(tenantCachePrefix("acme", 5)).toBe("tenants/acme/cache/g5");
  });

  it("a sweep deletes generations older than the previous one, except those a running job uses", async () => {
    const store = new FsArtifactStore(await mkdtemp(join(tmpdir(), "adq-gc-")));
    const jobs = new MemoryJobStore<JobRecord>();
    const put = (k: string) => store.put(k, new Uint8Array([1]));
    for (const g of [1, 2, 3, 4, 5]) await put(`tenants/acme/cache/g${g}/features/x/done.json`);
    await put("tenants/globex/cache/g2/bins/y/bins.json");
    await put("tenants/acme/jobs/j1/result/manifest.json");
    const job = (id: string, state: JobRecord["state"], cacheGeneration: number) =>
      ({ id, tenant: "acme", state, cacheGeneration }) as JobRecord;
    await jobs.create(job("running", "RUNNING", 2));
    await jobs.create(job("done", "SUCCEEDED", 1));
    const r = await sweepCache({ store, jobs, now: 5 * H + 10, retentionMs: H });
    expect(r.deleted).toEqual([
      "tenants/acme/cache/g1/",
      "tenants/acme/cache/g3/",
      "tenants/globex/cache/g2/",
    ]);
    expect(r.kept).toEqual(["tenants/acme/cache/g2/"]);
    expect((await store.list("tenants/")).map((a) => a.key)).toEqual([
      "tenants/acme/cache/g2/features/x/done.json",
      "tenants/acme/cache/g4/features/x/done.json",
      "tenants/acme/cache/g5/features/x/done.json",
      "tenants/acme/jobs/j1/result/manifest.json",
    ]);
    // Idempotent: a second sweep (another coordinator) finds nothing more to do.
    expect((await sweepCache({ store, jobs, now: 5 * H + 10, retentionMs: H })).deleted).toEqual([]);
  });
});

describe("the job runner's cache", () => {
  const RETENTION = 3000;
  let t: TestServer;
  let data: string;
  beforeAll(async () => {
    data = demoSlice(2, 6);
    t = await startTestServer([data], undefined, { cacheRetentionMs: RETENTION });
  });
  afterAll(async () => {
    await t?.close();
  });

  const run = async (client: TestServer["acme"]) => {
    const { job } = await client.createJob({
      dataset: { uri: `file://${data}` },
      params: { ratio: 0.5, bins: 2 },
    });
    expect((await watchToEnd(client, job.id)).at(-1)?.terminal?.state).toBe("JOB_STATE_SUCCEEDED");
    return (await t.srv.jobs.get(job.id))!.value;
  };

  it("stores each tenant's stage outputs under its own generation, and sweeps them once expired", async () => {
    const prefixOf = (r: JobRecord) => `${tenantCachePrefix(r.tenant, r.cacheGeneration!)}/`;
    // Each job's outputs are looked at as soon as it ends: on a loaded machine a second job can
    // outlast two retention periods, and the runner's own sweep may then already have taken them.
    const keysNow = async () => (await t.srv.store.list("")).map((x) => x.key);
    const a = await run(t.acme);
    expect(a.cacheGeneration).toBeDefined();
    expect((await keysNow()).some((k) => k.startsWith(`${prefixOf(a)}features/`))).toBe(true);
    const b = await run(t.globex);
    const keys = await keysNow();
    expect(keys.some((k) => k.startsWith(`${prefixOf(b)}features/`))).toBe(true);
    expect(keys.filter((k) => k.startsWith("cache/"))).toEqual([]);

    // Two periods later both generations have expired.
    const last = Math.max(a.cacheGeneration!, b.cacheGeneration!);
    while (cacheGeneration(Date.now(), RETENTION) < last + 2) await new Promise((r) => setTimeout(r, 100));
    // The runner sweeps every retention / 4 by itself; an explicit sweep finishes the job.
    await t.srv.runner!.sweepCache();
    const swept = t.logs
      .records()
      .filter((l) => l.event === "cache_swept")
      .flatMap((l) => l.deleted as string[]);
    expect(swept).toEqual(expect.arrayContaining([prefixOf(a), prefixOf(b)]));
    const left = (await t.srv.store.list("")).map((x) => x.key);
    expect(left.filter((k) => k.includes("/cache/"))).toEqual([]);
    // Results are not cache: they stay until the job is deleted.
    expect(left.some((k) => k.startsWith(`${a.resultPrefix}/manifest.json`))).toBe(true);

    // The next job starts a new generation and recomputes.
    const c = await run(t.acme);
    expect(c.cacheGeneration!).toBeGreaterThan(a.cacheGeneration!);
  }, 120_000);
});
