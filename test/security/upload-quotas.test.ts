// Upload storage that cannot be exhausted (issue 28: two 1.9 MB uploads took 3.8 GB of disk;
// no per-tenant total, no delete RPC, no retention): per-tenant count and byte quotas,
// DeleteUpload, and retention of unused uploads, on a real gateway.
import { readdirSync, readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { writeTar } from "@adq/gateway";
import { UploadStore } from "@adq/gateway/testing";
import { FsArtifactStore } from "@adq/platform";
import { ApiKeyAuthenticator } from "@adq/service-common";
import { hashApiKey } from "@adq/service-common/testing";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoSlice, tmp } from "../e2e/helpers.ts";
import { expectStatus, KEYS, startTestServer, type TestServer } from "../services/helpers.ts";

const MiB = 1024 * 1024;

/** A tar of an ImageFolder slice under `top`, plus `pad` zero bytes in one extra file. */
function archiveOf(dir: string, top: string, pad = 0): Buffer {
  const entries: Array<{ name: string; data?: Uint8Array }> = [{ name: top }];
  for (const c of readdirSync(dir).sort()) {
    entries.push({ name: `${top}/${c}` });
    for (const f of readdirSync(join(dir, c)).sort())
      entries.push({ name: `${top}/${c}/${f}`, data: readFileSync(join(dir, c, f)) });
  }
  if (pad > 0) entries.push({ name: `${top}/padding.bin`, data: new Uint8Array(pad) });
  return gzipSync(writeTar(entries));
}

describe("upload quotas, DeleteUpload and retention", () => {
  let t: TestServer;
  let uploadRoot: string;
  let cacheDir: string;
  let data: string;
  const kept = (tenant: string) => {
    try {
      return readdirSync(join(uploadRoot, tenant)).filter((d) => !d.includes(".tmp-"));
    } catch {
      return [];
    }
  };

  beforeAll(async () => {
    uploadRoot = tmp("adq-quota-uploads-");
    cacheDir = tmp("adq-quota-cache-");
    data = demoSlice(2, 3);
    t = await startTestServer([tmp("adq-quota-root-")], cacheDir, {
      uploadRoot,
      auth: new ApiKeyAuthenticator([
        { id: "acme", keys: [hashApiKey(KEYS.acme)], quotas: { uploads: 2 } },
        { id: "globex", keys: [hashApiKey(KEYS.globex)], quotas: { upload_total_bytes: 24 * MiB } },
      ]),
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("counts uploads per tenant: the third is RESOURCE_EXHAUSTED, a re-upload is free, DeleteUpload frees one", async () => {
    const [a, b, c] = ["a", "b", "c"].map((top) => archiveOf(data, top));
    const ua = await t.acme.uploadDataset({ name: "a" }, a!);
    // The same files in another archive (another gzip header timestamp): the same upload,
    // counted once (b below still fits the quota of 2).
    const regz = Buffer.from(a!);
    regz.writeUInt32LE(1_700_000_000, 4);
    const ua2 = await t.acme.uploadDataset({ name: "a re-gzipped" }, regz);
    expect([ua2.dataset.uri, ua2.deduplicated]).toEqual([ua.dataset.uri, true]);
    expect(kept("acme")).toHaveLength(1);
    await t.acme.uploadDataset({ name: "b" }, b!);
    const { details } = await expectStatus(
      () => t.acme.uploadDataset({ name: "c" }, c!),
      grpc.status.RESOURCE_EXHAUSTED,
    );
    expect(details?.quota).toMatchObject({ quota: "uploads" });
    expect([Number(details?.quota?.limit), Number(details?.quota?.requested)]).toEqual([2, 3]);
    expect((await t.acme.uploadDataset({ name: "a again" }, a!)).deduplicated).toBe(true);
    expect(kept("acme")).toHaveLength(2);
    // Another tenant cannot delete it; a malformed reference names the field.
    await expectStatus(() => t.globex.deleteUpload(ua.dataset.uri), grpc.status.NOT_FOUND);
    const bad = await expectStatus(() => t.acme.deleteUpload("file:///etc"), grpc.status.INVALID_ARGUMENT);
    expect(bad.err.details).toMatch(/dataset_uri/);
    await t.acme.deleteUpload(ua.dataset.uri);
    expect(kept("acme")).toHaveLength(1);
    await expectStatus(() => t.acme.deleteUpload(ua.dataset.uri), grpc.status.NOT_FOUND);
    await expectStatus(
      () => t.acme.createJob({ dataset: { uri: ua.dataset.uri }, params: { ratio: 0.5 } as never }),
      grpc.status.NOT_FOUND,
    );
    await t.acme.uploadDataset({ name: "c" }, c!);
    expect(kept("acme")).toHaveLength(2);
  }, 60_000);

  it("bounds a tenant's stored bytes (archive + extraction): refused past upload_total_bytes, nothing kept", async () => {
    // 16 MiB of zeros each: ~16 KB sent, 16 MiB on disk (the 1.9 MB → 1.9 GB case, scaled).
    const first = archiveOf(data, "first", 16 * MiB);
    expect(first.length).toBeLessThan(MiB);
    await t.globex.uploadDataset({ name: "first" }, first);
    const { details } = await expectStatus(
      () => t.globex.uploadDataset({ name: "second" }, archiveOf(data, "second", 16 * MiB)),
      grpc.status.RESOURCE_EXHAUSTED,
    );
    expect(details?.quota).toMatchObject({ quota: "upload_total_bytes" });
    expect(Number(details?.quota?.limit)).toBe(24 * MiB);
    expect(kept("globex")).toHaveLength(1);
  }, 60_000);

  it("DeleteUpload is FAILED_PRECONDITION while a job reads the upload", async () => {
    const u = await t.acme.uploadDataset({ name: "held" }, archiveOf(data, "c"));
    t.bus.holdStages.add("features");
    const { job } = await t.acme.createJob({
      dataset: { uri: u.dataset.uri },
      params: { ratio: 0.5, bins: 1, seed: 1 } as never,
    });
    const { err } = await expectStatus(
      () => t.acme.deleteUpload(u.dataset.uri),
      grpc.status.FAILED_PRECONDITION,
    );
    expect(err.details).toMatch(new RegExp(`read by job ${job.id}`));
    await t.acme.cancelJob({ jobId: job.id } as never);
    await t.bus.release();
  }, 60_000);

  it("retention deletes an upload no job used for the retention period, and keeps a used one", async () => {
    const store = new FsArtifactStore(cacheDir);
    const uploads = new UploadStore(store, realpathSync(uploadRoot));
    const day = 24 * 3600_000;
    const now = Date.now();
    const before = (await uploads.usage("acme")).ids;
    expect(before.length).toBeGreaterThan(0);
    // Within the period: nothing.
    expect(await uploads.sweep({ now: now + day, retentionMs: 7 * day, jobs: [] })).toEqual([]);
    // A job that used one of them 1 day ago keeps it; the others expire.
    const usedId = before[0]!;
    const job = {
      tenant: "acme",
      dataset: { uri: `artifact://uploads/${usedId}` },
      state: "SUCCEEDED",
      createTime: now + 7 * day,
      updateTime: now + 7 * day,
    } as never;
    const deleted = await uploads.sweep({ now: now + 8 * day, retentionMs: 7 * day, jobs: [job] });
    expect(deleted.filter((k) => k.startsWith("acme/")).sort()).toEqual(
      before
        .filter((id) => id !== usedId)
        .map((id) => `acme/${id}`)
        .sort(),
    );
    expect(deleted.some((k) => k.startsWith("globex/"))).toBe(true); // every tenant's
    expect((await uploads.usage("acme")).ids).toEqual([usedId]);
    expect(kept("acme")).toEqual([usedId]);
  }, 60_000);
});
