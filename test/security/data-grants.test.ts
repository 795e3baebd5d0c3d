/**
 * Per-tenant data grants (services/common/grants.ts), two tenants against a real server
 * (all-in-one over gRPC) and a real S3 (SeaweedFS): each tenant has its own file root and its
 * own bucket (with its own S3 key), both list one shared root; each may name its own data and
 * the shared root, and nothing of the other's by any trick — `..`, percent-encoding, S3 key
 * segments, a symlink, the other's upload ref, the other's bucket — all refused before a byte
 * is read. A job from s3:// selects what the same files on disk give, and a forged stage task
 * naming the other tenant's data fails on the worker.
 */
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { gzipSync } from "node:zlib";
import { writeTar } from "@adq/gateway";
import { ambientS3Credentials, getObjectBytes, listObjects } from "@adq/ml";
import { LocalBus, type TaskOutcome } from "@adq/platform";
import type { CompressionClient } from "@adq/service-common";
import { DataGrants, grantTasks } from "@adq/service-common";
import type { Manifest } from "@adq/stages";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoSlice, tmp } from "../e2e/helpers.ts";
import { download, expectStatus, startTestServer, type TestServer, watchToEnd } from "../services/helpers.ts";
import { useS3Server } from "../support/s3-server.ts";

const s3 = useS3Server({
  tenants: [
    { name: "acme", buckets: ["acme-data"] },
    { name: "globex", buckets: ["globex-data"] },
  ],
});

type Who = "acme" | "globex";
const OTHER: Record<Who, Who> = { acme: "globex", globex: "acme" };

describe("data grants: two tenants, their own roots and buckets", () => {
  let t: TestServer;
  let grants: DataGrants;
  const root: Record<Who, string> = { acme: "", globex: "" };
  let shared: string;
  let slice: string;
  const client = (w: Who): CompressionClient => t[w];
  const validate = (w: Who, uri: string) =>
    client(w).createJob({ dataset: { uri }, params: { ratio: 0.5, bins: 2 }, validateOnly: true });
  const denied = async (w: Who, uri: string) => {
    const { err } = await expectStatus(() => validate(w, uri), grpc.status.PERMISSION_DENIED);
    expect(err.details, uri).toMatch(/^dataset\.uri: /);
    return err;
  };

  beforeAll(async () => {
    const srv = s3.server;
    Object.assign(process.env, { AWS_ENDPOINT_URL: srv.endpoint, AWS_REGION: srv.region });
    // The server's own AWS identity has no access at all: only a grant's credentials can read.
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: "AKNOBODY", AWS_SECRET_ACCESS_KEY: "none" });
    const admin = srv.client();
    slice = demoSlice(3, 4);
    const base = tmp("adq-grants-");
    shared = join(base, "shared");
    const keys = join(base, "keys");
    mkdirSync(keys);
    const config: { id: Who; data: unknown[] }[] = [];
    for (const w of ["acme", "globex"] as const) {
      root[w] = join(base, w);
      mkdirSync(root[w]);
      await admin.send(new CreateBucketCommand({ Bucket: `${w}-data` }));
      const id = srv.tenants[w]!;
      const credFile = join(keys, `${w}.json`);
      writeFileSync(
        credFile,
        JSON.stringify({ access_key_id: id.accessKeyId, secret_access_key: id.secretAccessKey }),
      );
      config.push({
        id: w,
        data: [
          { root: root[w] },
          { root: shared },
          { s3: `s3://${w}-data/sets/`, credentials_file: credFile },
        ],
      });
    }
    for (const dir of [join(root.acme, "ds"), join(root.globex, "ds"), join(shared, "ds")]) {
      for (const c of readdirSync(slice)) {
        mkdirSync(join(dir, c), { recursive: true });
        for (const f of readdirSync(join(slice, c)))
          writeFileSync(join(dir, c, f), readFileSync(join(slice, c, f)));
      }
    }
    for (const w of ["acme", "globex"] as const)
      for (const c of readdirSync(slice))
        for (const f of readdirSync(join(slice, c)))
          await admin.send(
            new PutObjectCommand({
              Bucket: `${w}-data`,
              Key: `sets/ds/${c}/${f}`,
              Body: readFileSync(join(slice, c, f)),
            }),
          );
    // A link inside acme's root to globex's data set.
    symlinkSync(join(root.globex, "ds"), join(root.acme, "sneaky"));
    grants = (await DataGrants.fromConfig(config))!;
    t = await startTestServer([base], undefined, { grants });
  }, 60_000);

  afterAll(async () => {
    await t?.close();
  });

  it("each tenant may name its own root, its own bucket and the shared root", async () => {
    for (const w of ["acme", "globex"] as const)
      for (const uri of [`file://${root[w]}/ds`, `s3://${w}-data/sets/ds`, `file://${shared}/ds`]) {
        const v = await validate(w, uri);
        expect(v.job.datasetSummary?.numItems, `${w} ${uri}`).toBe("12");
      }
  });

  it("refuses every way of naming the other tenant's data, before reading it", async () => {
    for (const w of ["acme", "globex"] as const) {
      const o = OTHER[w];
      const uris = [
        `file://${root[o]}/ds`,
        `file://${root[w]}/../${o}/ds`,
        `file://${root[w]}/%2e%2e/${o}/ds`,
        `file://${root[w]}/%2E%2E/%2E%2E/${basename(join(root[w], ".."))}/${o}/ds`,
        `s3://${o}-data/sets/ds`,
        `s3://${w}-data/sets/../../${o}-data/sets/ds`,
        `s3://${w}-data/sets/%2e%2e/x`,
        `s3://${w}-data/sets/./ds`,
        `s3://${w}-data/other/ds`, // the tenant's bucket, outside its granted prefix
        `s3://${o}-data/sets/ds/{a,b}`,
        `s3://${w}-data/sets/{ds,../../${o}-data/sets/ds}`,
        "file:///etc",
      ];
      for (const uri of uris) await denied(w, uri);
    }
    // A symbolic link inside acme's root to globex's data.
    const err = await denied("acme", `file://${root.acme}/sneaky`);
    expect(err.details).toContain("a link to");
  });

  it("another tenant's upload reference is NOT_FOUND", async () => {
    const entries: { name: string; data?: Uint8Array }[] = [{ name: "up" }];
    for (const c of readdirSync(slice)) {
      entries.push({ name: `up/${c}` });
      for (const f of readdirSync(join(slice, c)))
        entries.push({ name: `up/${c}/${f}`, data: readFileSync(join(slice, c, f)) });
    }
    const up = await t.globex.uploadDataset(
      { name: "g", archive: "ARCHIVE_FORMAT_TAR_GZIP" },
      gzipSync(writeTar(entries)),
    );
    expect((await validate("globex", up.dataset.uri)).job.datasetSummary?.numItems).toBe("12");
    await expectStatus(() => validate("acme", up.dataset.uri), grpc.status.NOT_FOUND);
  });

  it("a job from the tenant's bucket selects exactly what the same files on its root give", async () => {
    const run = async (uri: string, outputUri = ""): Promise<Manifest> => {
      const { job } = await t.acme.createJob({
        dataset: { uri },
        params: { ratio: 0.5, bins: 2, seed: 4 },
        ...(outputUri ? { outputs: { reconstruct: false, keepIntermediates: false, uri: outputUri } } : {}),
      });
      await watchToEnd(t.acme, job.id);
      const done = await t.acme.getJob(job.id);
      expect(done.state, JSON.stringify(done.error)).toBe("JOB_STATE_SUCCEEDED");
      return JSON.parse((await download(t.acme, job.id, "manifest.json")).toString("utf8")) as Manifest;
    };
    const fromDisk = await run(`file://${root.acme}/ds`);
    const fromS3 = await run("s3://acme-data/sets/ds", "s3://acme-data/sets/results/j1");
    expect(fromS3.selected).toBe(6);
    expect(fromS3.items).toEqual(fromDisk.items);
    // outputs.uri: the whole result in the tenant's bucket, manifest.json included, no marker left.
    const reader = s3.server.client(s3.server.tenants.acme!);
    const published: string[] = [];
    for await (const o of listObjects(reader, "acme-data", "sets/results/j1/"))
      published.push(o.key.split("/").pop()!);
    expect(published).toContain("manifest.json");
    expect(published).not.toContain(".adq-partial");
    const manifest = JSON.parse(
      Buffer.from(
        await getObjectBytes(reader, { bucket: "acme-data", key: "sets/results/j1/manifest.json" }),
      ).toString(),
    ) as Manifest;
    expect(manifest.items).toEqual(fromS3.items);
    // Only under the tenant's own S3 grants.
    for (const out of ["s3://globex-data/sets/r", "s3://acme-data/elsewhere/r", "s3://acme-data/sets/../x"])
      await expectStatus(
        () =>
          t.acme.createJob({
            dataset: { uri: "s3://acme-data/sets/ds" },
            params: { ratio: 0.5 },
            outputs: { reconstruct: false, keepIntermediates: false, uri: out },
            validateOnly: true,
          }),
        grpc.status.PERMISSION_DENIED,
      );
  }, 120_000);

  it("stage workers refuse a forged task naming another tenant's data, and read granted S3 data with the grant's key", async () => {
    const inner = new LocalBus();
    const bus = grantTasks(inner, grants);
    const ran: { key: string; access?: string }[] = [];
    const outcomes = new Map<string, TaskOutcome>();
    bus.onOutcome((o) => outcomes.set(o.task.taskKey, o));
    bus.consume("features", async (task) => {
      ran.push({
        key: task.taskKey,
        ...(ambientS3Credentials() ? { access: ambientS3Credentials()!.accessKeyId } : {}),
      });
      return { ok: true };
    });
    const send = (taskKey: string, path: string, out = "tenants/acme/cache/g1/features/x") =>
      bus.publishTask({ jobId: "job-1", stage: "features", taskKey, payload: { dataset: { path }, out } });
    await send("own-file", join(root.acme, "ds"));
    await send("own-s3", "s3://acme-data/sets/ds");
    await send("other-file", join(root.globex, "ds"));
    await send("other-s3", "s3://globex-data/sets/ds");
    await send("link", join(root.acme, "sneaky"));
    await send("no-tenant", join(root.acme, "ds"), "cache/features/x");
    for (let i = 0; i < 300 && outcomes.size < 6; i++) await new Promise((r) => setTimeout(r, 10));
    expect(ran).toEqual([
      { key: "own-file" },
      { key: "own-s3", access: s3.server.tenants.acme!.accessKeyId },
    ]);
    for (const k of ["other-file", "other-s3", "link", "no-tenant"]) {
      expect(outcomes.get(k), k).toMatchObject({ ok: false, permanent: true });
      expect(outcomes.get(k)?.errorInfo?.status, k).toBe("PERMISSION_DENIED");
    }
    await inner.close();
  });
});
