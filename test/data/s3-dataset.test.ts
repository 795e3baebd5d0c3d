/**
 * Data sets in object storage against a real S3 server (SeaweedFS, test/support/s3-server.ts):
 * the same files read from disk, from `s3://` in ImageFolder layout, and as WebDataset shards
 * (on disk and in S3, named by folder, prefix or brace pattern) list the same items and decode
 * to the same pixels; `adq compress s3://…` selects exactly what it selects from disk; the
 * server's own per-bucket permissions and ETag pinning are honoured.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeTar } from "@adq/gateway";
import {
  DatasetError,
  type DatasetReader,
  expandBraces,
  getObjectBytes,
  inspectTarget,
  listObjects,
  openDataset,
  PARTIAL_MARKER,
} from "@adq/ml";
import type { Manifest } from "@adq/stages";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { beforeAll, describe, expect, it } from "vitest";
import { compressCli, runCli } from "../e2e/cli.ts";
import { demoSlice, tmp } from "../e2e/helpers.ts";
import { useS3Server } from "../support/s3-server.ts";

const s3 = useS3Server({
  tenants: [
    { name: "alpha", buckets: ["alpha-data"] },
    { name: "beta", buckets: ["beta-data"] },
  ],
});

/** Every file of an ImageFolder tree as [class/file, bytes], byte-wise sorted. */
function files(root: string): [string, Buffer][] {
  const out: [string, Buffer][] = [];
  for (const c of readdirSync(root).sort())
    for (const f of readdirSync(join(root, c)).sort())
      out.push([`${c}/${f}`, readFileSync(join(root, c, f))]);
  return out;
}

async function pixels(reader: DatasetReader): Promise<string[]> {
  const out: string[] = [];
  for await (const b of reader.batches(5))
    for (const img of b.images)
      out.push(Buffer.from(img.data).toString("base64").slice(0, 64) + img.data.length);
  return out;
}

describe("data sets in S3 and WebDataset shards", () => {
  let disk: string;
  let shardDir: string;
  let admin: S3Client;
  const alpha = () => s3.server.tenants.alpha!;

  beforeAll(async () => {
    const srv = s3.server;
    // In-process reads use the standard AWS variables, exactly as the CLI does.
    Object.assign(process.env, srv.env(srv.admin));
    admin = srv.client();
    await srv.createBuckets("alpha-data", "beta-data");
    disk = demoSlice(3, 12);
    const all = files(disk);
    const classes = [...new Set(all.map(([id]) => id.split("/")[0]!))];
    await Promise.all(
      all.map(([id, body]) =>
        admin.send(new PutObjectCommand({ Bucket: "alpha-data", Key: `sets/demo/${id}`, Body: body })),
      ),
    );
    // Two shards: samples keyed by class/file-stem (WebDataset's __key__), .cls = class index.
    shardDir = tmp("adq-wds-");
    const half = Math.ceil(all.length / 2);
    for (const [k, part] of [all.slice(0, half), all.slice(half)].entries()) {
      const tar = writeTar(
        part.flatMap(([id, body]) => [
          {
            name: `${id.replace(/\.jpg$/, "")}.cls`,
            data: Buffer.from(String(classes.indexOf(id.split("/")[0]!))),
          },
          { name: id, data: body },
        ]),
      );
      writeFileSync(join(shardDir, `shard-${k}.tar`), tar);
      await admin.send(new PutObjectCommand({ Bucket: "alpha-data", Key: `wds/shard-${k}.tar`, Body: tar }));
    }
  }, 60_000);

  it("lists the same classes, ids and labels from s3:// as from disk, and decodes the same pixels", async () => {
    const local = await openDataset(disk);
    const remote = await openDataset("s3://alpha-data/sets/demo", { s3Credentials: alpha() });
    const [a, b] = [await local.describe(), await remote.describe()];
    expect(b.format).toBe("imagefolder");
    expect(b.classes).toEqual(a.classes);
    expect(b.items.map((i) => [i.id, i.label])).toEqual(a.items.map((i) => [i.id, i.label]));
    expect(b.items.every((i) => /^"?[0-9a-f-]+"?$/.test(i.version ?? ""))).toBe(true);
    expect(await pixels(remote)).toEqual(await pixels(local));
  });

  it("reads WebDataset shards from a folder, a brace pattern and an s3:// prefix alike", async () => {
    const local = await openDataset(disk);
    const want = await pixels(local);
    const specs = [
      shardDir,
      join(shardDir, "shard-{0..1}.tar"),
      "s3://alpha-data/wds",
      "s3://alpha-data/wds/shard-{0..1}.tar",
    ];
    for (const spec of specs) {
      const r = await openDataset(spec, { s3Credentials: alpha() });
      const d = await r.describe();
      expect(d.format, spec).toBe("webdataset");
      expect(d.classes).toEqual(["0", "1", "2"]);
      expect(
        d.items.map((i) => [i.id, i.label]),
        spec,
      ).toEqual((await local.describe()).items.map((i) => [i.id.replace(/\.jpg$/, ""), i.label]));
      expect(await pixels(r), spec).toEqual(want);
    }
    // A subset in any order reads just those members (ranged reads).
    const r = await openDataset("s3://alpha-data/wds", { s3Credentials: alpha() });
    const got: string[] = [];
    for await (const b of r.batches(2, { indices: [30, 3, 17] })) got.push(...b.items.map((i) => i.id));
    const ids = (await r.describe()).items.map((i) => i.id);
    expect(got).toEqual([ids[30], ids[3], ids[17]]);
  });

  it("expands brace patterns in order, zero-padded", () => {
    expect(expandBraces("s-{08..11}.tar")).toEqual(["s-08.tar", "s-09.tar", "s-10.tar", "s-11.tar"]);
    expect(expandBraces("{a,b}/{1..2}")).toEqual(["a/1", "a/2", "b/1", "b/2"]);
  });

  it("refuses another tenant's bucket with the server's own verdict, and path tricks before any request", async () => {
    const err = await openDataset("s3://alpha-data/sets/demo", {
      s3Credentials: s3.server.tenants.beta!,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as DatasetError).code).toBe("ACCESS_DENIED");
    expect((err as DatasetError).info.status).toBe("PERMISSION_DENIED");
    for (const uri of [
      "s3://beta-data/a/../../alpha-data",
      "s3://alpha-data/sets/%2e%2e/x",
      "s3://alpha-data/./sets",
      "s3://Alpha_Data/x",
    ])
      await expect(openDataset(uri, { s3Credentials: alpha() }), uri).rejects.toMatchObject({
        code: "INVALID_ARGUMENT",
      });
  });

  it("pins the listed ETag: an object changed after listing fails the read instead of mixing versions", async () => {
    await admin.send(
      new PutObjectCommand({ Bucket: "alpha-data", Key: "pin/a/0.jpg", Body: files(disk)[0]![1] }),
    );
    const r = await openDataset("s3://alpha-data/pin", { s3Credentials: alpha() });
    await admin.send(
      new PutObjectCommand({ Bucket: "alpha-data", Key: "pin/a/0.jpg", Body: files(disk)[1]![1] }),
    );
    await expect(pixels(r)).rejects.toMatchObject({ code: "CHANGED" });
  });

  it("adq compress selects exactly the same items from s3:// as from the same files on disk", async () => {
    const env = s3.server.env(alpha());
    const run = async (data: string) => {
      const r = await compressCli(data, ["--ratio", "0.25", "--bins", "3", "--seed", "3"], { env });
      const { out } = r;
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as Manifest;
    };
    const fromDisk = await run(disk);
    const fromS3 = await run("s3://alpha-data/sets/demo");
    expect(fromS3.selected).toBe(9);
    expect(fromS3.items).toEqual(fromDisk.items);
    expect(fromS3.dataset.path).toBe("s3://alpha-data/sets/demo");
    expect(fromS3.dataset.fingerprint).not.toBe(fromDisk.dataset.fingerprint);
  }, 120_000);

  it("adq compress --out s3:// publishes the result with manifest.json last; refuses to clobber; retries an unfinished attempt", async () => {
    const env = s3.server.env(alpha());
    const cli = (out: string, ...extra: string[]) =>
      compressCli(disk, ["--method", "random", "--ratio", "0.25", ...extra], { out, env });
    const keys = async (prefix: string) => {
      const out: string[] = [];
      for await (const o of listObjects(admin, "alpha-data", prefix)) out.push(o.key.slice(prefix.length));
      return out.sort();
    };
    const local = join(tmp("adq-out-"), "r");
    expect((await compressCli(disk, ["--method", "random", "--ratio", "0.25"], { out: local })).code).toBe(0);
    const r = await cli("s3://alpha-data/results/r1");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("report: s3://alpha-data/results/r1/report.html");
    expect(await keys("results/r1/")).toEqual(readdirSync(local).sort());
    const manifest = JSON.parse(
      Buffer.from(
        await getObjectBytes(admin, { bucket: "alpha-data", key: "results/r1/manifest.json" }),
      ).toString("utf8"),
    ) as Manifest;
    expect(manifest.items).toEqual(
      (JSON.parse(readFileSync(join(local, "manifest.json"), "utf8")) as Manifest).items,
    );
    // A committed result is not replaced without --force; with it, stale objects go.
    const again = await cli("s3://alpha-data/results/r1");
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already holds a result \(use --force/);
    await admin.send(
      new PutObjectCommand({ Bucket: "alpha-data", Key: "results/r1/stale.txt", Body: "old" }),
    );
    expect((await cli("s3://alpha-data/results/r1", "--force")).code).toBe(0);
    expect(await keys("results/r1/")).toEqual(readdirSync(local).sort());
    // An interrupted attempt (marker, no manifest) is simply overwritten by the retry.
    for (const k of [PARTIAL_MARKER, "selection.json"])
      await admin.send(
        new PutObjectCommand({ Bucket: "alpha-data", Key: `results/r2/${k}`, Body: "partial" }),
      );
    expect(await inspectTarget(admin, { bucket: "alpha-data", key: "results/r2" })).toBe("partial");
    expect((await cli("s3://alpha-data/results/r2")).code).toBe(0);
    expect(await keys("results/r2/")).toEqual(readdirSync(local).sort());
    // Someone else's objects, or the data set itself, are never a result folder.
    await admin.send(new PutObjectCommand({ Bucket: "alpha-data", Key: "results/r3/notes.txt", Body: "x" }));
    expect((await cli("s3://alpha-data/results/r3")).stderr).toMatch(/already holds other objects/);
    const overlap = await runCli(
      [
        "compress",
        "s3://alpha-data/sets/demo",
        "--out",
        "s3://alpha-data/sets/demo/out",
        "--method",
        "random",
        "--ratio",
        "0.25",
      ],
      { env },
    );
    expect(overlap.code).toBe(2);
    expect(overlap.stderr).toMatch(/overlaps the data set/);
    // Another tenant's bucket: refused by the server, nothing written.
    const beta = await compressCli(disk, ["--method", "random", "--ratio", "0.25"], {
      out: "s3://beta-data/r",
      env,
    });
    expect(beta.code).not.toBe(0);
    expect(beta.stderr).toMatch(/access denied/);
  }, 120_000);
});
