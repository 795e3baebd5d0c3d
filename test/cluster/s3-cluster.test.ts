/**
 * A job from s3:// through the cluster with a process per stage: a real nats-server, a real
 * S3 (SeaweedFS), a gateway + coordinator process (`adq serve --nats --no-workers`) and one
 * `adq serve --stage` process per stage, all given the same API-key file with data grants. The
 * processes' own AWS identity (the platform's) cannot read the tenant's bucket: the data set can
 * only be read with the tenant's grant credentials, which the coordinator and each stage
 * process take from the grant (never from the task). The job selects exactly what the same
 * files on disk give, and publishes its result to the tenant's bucket (outputs.uri). The
 * artifact store is S3 as well (`--artifact-store`), under the platform's own identity.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { getObjectBytes, listObjects } from "@adq/ml";
import { CompressionClient } from "@adq/service-common";
import type { CompressionParams } from "@adq/service-common/proto";
import { hashApiKey } from "@adq/service-common/testing";
import type { Manifest } from "@adq/stages";
import type { S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../e2e/cli.ts";
import { demoSlice, tmp } from "../e2e/helpers.ts";
import { download, watchToEnd } from "../services/helpers.ts";
import { useNatsServer } from "../support/nats-server.ts";
import { useS3Server } from "../support/s3-server.ts";
import { dumpLogs, killAll, startService } from "./procs.ts";

const KEY = "s3-cluster-key";
const STAGES = ["features", "binning", "scoring", "sampling", "assemble"] as const;
// ADQ: every stage process gets work.
const PARAMS: CompressionParams = { ratio: 0.25, bins: 2, seed: 5, method: "METHOD_ADQ_PAPER" };

describe("cluster mode: a job from s3:// with a process per stage (slow: 6 service processes)", () => {
  const nats = useNatsServer();
  // The platform's own identity may use only the artifact bucket; acme's only its data bucket.
  const s3 = useS3Server({
    tenants: [
      { name: "acme", buckets: ["acme-data"] },
      { name: "platform", buckets: ["adq-artifacts"] },
    ],
  });
  let data: string;
  let client: CompressionClient;
  let admin: S3Client;
  let address: string;

  beforeAll(async () => {
    const srv = s3.server;
    admin = srv.client();
    await srv.createBuckets("acme-data", "adq-artifacts");
    data = demoSlice(2, 12);
    await srv.putTree("acme-data", "sets/ds", data);
    const dir = tmp("adq-s3-cluster-");
    const creds = join(dir, "acme.json");
    const acme = srv.tenants.acme!;
    writeFileSync(
      creds,
      JSON.stringify({ access_key_id: acme.accessKeyId, secret_access_key: acme.secretAccessKey }),
    );
    const keys = join(dir, "api-keys.json");
    writeFileSync(
      keys,
      JSON.stringify({
        tenants: [
          {
            id: "acme",
            keys: [hashApiKey(KEY)],
            data: [{ root: data }, { s3: "s3://acme-data/sets/", credentials_file: creds }],
          },
        ],
      }),
    );
    // The processes' own identity: the platform's, which cannot read acme's bucket.
    const platform = srv.tenants.platform!;
    const env = {
      AWS_ENDPOINT_URL: srv.endpoint,
      AWS_REGION: srv.region,
      AWS_ACCESS_KEY_ID: platform.accessKeyId,
      AWS_SECRET_ACCESS_KEY: platform.secretAccessKey,
    };
    const common = [
      "--nats",
      nats.server.url,
      "--insecure-nats",
      "--port",
      "0",
      "--threads",
      "1",
      "--api-keys",
      keys,
      // Artifacts (features, stores, results) on S3 too (@adq/platform/s3), not the NATS Object Store.
      "--artifact-store",
      "s3://adq-artifacts/cluster",
    ];
    const [coordinator] = await Promise.all([
      startService("coordinator", ["serve", ...common, "--no-workers"], env),
      ...STAGES.map((s) => startService(`worker-${s}`, ["serve", "--stage", s, ...common], env)),
    ]);
    address = coordinator!.address;
    client = new CompressionClient(address, { apiKey: KEY, timeoutMs: 10_000 });
  }, 120_000);

  afterAll(async () => {
    client?.close();
    dumpLogs();
    killAll();
  }, 30_000);

  it("selects exactly what the same files on disk give, and publishes the result to the tenant's bucket", async () => {
    const run = async (uri: string, outputUri?: string) => {
      const { job } = await client.createJob({
        dataset: { uri },
        params: PARAMS,
        ...(outputUri ? { outputs: { reconstruct: false, keepIntermediates: false, uri: outputUri } } : {}),
      });
      const events = await watchToEnd(client, job.id);
      const last = events.at(-1)!;
      expect(last.terminal?.state, JSON.stringify(last.terminal?.error)).toBe("JOB_STATE_SUCCEEDED");
      return JSON.parse((await download(client, job.id, "manifest.json")).toString("utf8")) as Manifest;
    };
    const fromS3 = await run("s3://acme-data/sets/ds", "s3://acme-data/sets/results/r1");
    const fromDisk = await run(`file://${data}`);
    expect(fromS3.selected).toBe(6);
    expect(fromS3.items).toEqual(fromDisk.items);
    const published = JSON.parse(
      Buffer.from(
        await getObjectBytes(admin, { bucket: "acme-data", key: "sets/results/r1/manifest.json" }),
      ).toString("utf8"),
    ) as Manifest;
    expect(published.items).toEqual(fromS3.items);
    // The stage outputs and the results went to the S3 artifact store.
    const artifacts: string[] = [];
    for await (const o of listObjects(admin, "adq-artifacts", "cluster/tenants/acme/")) artifacts.push(o.key);
    expect(artifacts.some((k) => /\/jobs\/job-[0-9a-f]+\/result\/manifest\.json$/.test(k))).toBe(true);
    expect(artifacts.some((k) => k.includes("/cache/"))).toBe(true);
  }, 240_000);

  it("adq submit s3://… --out s3://… --watch: the same through the CLI", async () => {
    const r = await runCli([
      ...["submit", "s3://acme-data/sets/ds", "--out", "s3://acme-data/sets/results/cli", "--watch"],
      ...["--method", "adq-paper", "--ratio", "0.25", "--bins", "2", "--seed", "5"],
      ...["--server", address, "--api-key", KEY],
    ]);
    expect(r.code, r.stderr).toBe(0);
    const published = JSON.parse(
      Buffer.from(
        await getObjectBytes(admin, { bucket: "acme-data", key: "sets/results/cli/manifest.json" }),
      ).toString("utf8"),
    ) as Manifest;
    expect(published.selected).toBe(6);
    // Outside the tenant's grants: refused at submit, nothing created.
    const denied = await runCli([
      ...["submit", "s3://acme-data/sets/ds", "--out", "s3://acme-data/elsewhere"],
      ...["--ratio", "0.25", "--server", address, "--api-key", KEY],
    ]);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/PERMISSION_DENIED|outputs\.uri/);
  }, 240_000);
});
