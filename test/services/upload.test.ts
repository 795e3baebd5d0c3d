// UploadDataset: a tar of a tiny demo slice, then CreateJob on the returned artifact:// ref.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { writeTar } from "@adq/gateway";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoSlice, tmp } from "../e2e/helpers.ts";
import {
  download,
  expectStatus,
  referenceCompress,
  startTestServer,
  type TestServer,
  watchToEnd,
} from "./helpers.ts";

const PARAMS = { ratio: 0.25, bins: 2, seed: 3 };
const CLI_FLAGS = ["--ratio", "0.25", "--bins", "2", "--seed", "3"];

/** A tar of `dir` (class folders) under one top-level folder `top`. */
function tarOf(
  dir: string,
  top = "slice",
  reversed = false,
  edit: (name: string, data: Buffer) => Buffer = (_, d) => d,
): Buffer {
  const entries: Array<{ name: string; data?: Uint8Array }> = [{ name: top }];
  for (const c of readdirSync(dir).sort()) {
    entries.push({ name: `${top}/${c}` });
    const files = readdirSync(join(dir, c)).sort();
    if (reversed) files.reverse();
    for (const f of files)
      entries.push({
        name: `${top}/${c}/${f}`,
        data: edit(`${top}/${c}/${f}`, readFileSync(join(dir, c, f))),
      });
  }
  return writeTar(entries);
}

describe("UploadDataset", () => {
  let t: TestServer;
  let data: string;
  let archive: Buffer;
  let cliOut: string;
  let cliRun: Promise<void>;
  let uploadRoot: string;

  beforeAll(async () => {
    data = demoSlice(2, 12);
    archive = tarOf(data);
    ({ out: cliOut, done: cliRun } = referenceCompress(data, CLI_FLAGS));
    uploadRoot = tmp("adq-upl-uploads-");
    t = await startTestServer([tmp("adq-upl-root-")], undefined, { uploadRoot });
  });

  afterAll(async () => {
    await cliRun?.catch(() => {});
    await t?.close();
  });

  it("stores the tar, dedups the same content, and a job on the ref matches adq compress on the folder", async () => {
    const sha256 = createHash("sha256").update(archive).digest("hex");
    const up = await t.acme.uploadDataset({ name: "slice", sha256 }, archive, { chunkSize: 64 * 1024 });
    // The reference names the files (paths + SHA-256s), not the archive's bytes.
    const id = /^artifact:\/\/uploads\/(u-[0-9a-f]{64})$/.exec(up.dataset.uri)?.[1];
    expect(id).toBeDefined();
    expect(id).not.toBe(`u-${sha256}`);
    expect(up.dataset.format).toBe("DATASET_FORMAT_IMAGE_FOLDER");
    expect(up.deduplicated).toBe(false);
    expect(up.archive).toMatchObject({
      key: `uploads/${id}/archive`,
      sha256,
      sizeBytes: String(archive.length),
    });
    expect(up.summary).toMatchObject({ numItems: "24", classCounts: ["12", "12"] });
    const again = await t.acme.uploadDataset({ name: "slice again" }, archive);
    expect(again.dataset.uri).toBe(up.dataset.uri);
    expect(again.deduplicated).toBe(true);
    // gzip of the same tar (another header each time: mtime 0 vs now, level), or the same files
    // in another entry order: other archives, the same content, so one upload. The answer names
    // the archive stored first.
    const gz1 = gzipSync(archive, { level: 1 });
    const gz9 = Buffer.from(gzipSync(archive, { level: 9 }));
    gz9.writeUInt32LE(1_700_000_000, 4); // a gzip header timestamp, as Python's tarfile writes
    for (const [name, other] of [
      ["gz", gz1],
      ["gz again", gz9],
      ["reordered", tarOf(data, "slice", true)],
    ] as const) {
      expect(createHash("sha256").update(other).digest("hex")).not.toBe(sha256);
      const r = await t.acme.uploadDataset(
        { name, archive: other[0] === 0x1f ? "ARCHIVE_FORMAT_TAR_GZIP" : "ARCHIVE_FORMAT_TAR" },
        other,
      );
      expect(r.dataset.uri, name).toBe(up.dataset.uri);
      expect(r.deduplicated, name).toBe(true);
      expect(r.archive, name).toMatchObject({ sha256, sizeBytes: String(archive.length) });
      expect(r.summary.numItems).toBe("24");
    }
    // One upload on disk: the duplicates' extractions were removed.
    const dirs = readdirSync(join(uploadRoot, "acme"));
    expect(dirs).toEqual([id]);
    // One changed byte in one file, or another top folder: another data set.
    const first = `slice/${readdirSync(data).sort()[0]}/${readdirSync(join(data, readdirSync(data).sort()[0]!)).sort()[0]}`;
    const changed = tarOf(data, "slice", false, (name, bytes) => {
      if (name !== first) return bytes;
      const copy = Buffer.from(bytes);
      copy[copy.length - 10]! ^= 1;
      return copy;
    });
    for (const other of [changed, tarOf(data, "renamed")]) {
      const r = await t.acme.uploadDataset({ name: "other" }, other);
      expect(r.dataset.uri).not.toBe(up.dataset.uri);
      expect(r.deduplicated).toBe(false);
    }

    // Another tenant cannot use the ref.
    await expectStatus(
      () => t.globex.createJob({ dataset: up.dataset, params: PARAMS }),
      grpc.status.NOT_FOUND,
    );

    const { job } = await t.acme.createJob({ dataset: up.dataset, params: PARAMS });
    const events = await watchToEnd(t.acme, job.id);
    expect(events.at(-1)?.terminal?.state).toBe("JOB_STATE_SUCCEEDED");
    const manifest = JSON.parse((await download(t.acme, job.id, "manifest.json")).toString("utf8"));
    await cliRun;
    const ref = JSON.parse(readFileSync(join(cliOut, "manifest.json"), "utf8"));
    expect(manifest.items).toEqual(ref.items);
    expect(manifest.params).toEqual(ref.params);
    const strip = (m: Record<string, unknown>) => {
      const { dataset: _d, ...rest } = m;
      return rest;
    };
    expect(strip(manifest)).toEqual(strip(ref));
  }, 240_000);

  it("rejects path traversal, absolute paths and symlinks; keeps nothing", async () => {
    const png = readFileSync(
      join(data, readdirSync(data)[0]!, readdirSync(join(data, readdirSync(data)[0]!))[0]!),
    );
    const keys = async () => (await t.srv.store.list("tenants/acme/uploads/")).map((o) => o.key).sort();
    const storedBefore = await keys();
    const extracted = () =>
      existsSync(join(uploadRoot, "acme")) ? readdirSync(join(uploadRoot, "acme")).sort() : [];
    const extractedBefore = extracted();
    for (const bad of [
      writeTar([
        { name: "a/x.png", data: png },
        { name: "../evil.png", data: png },
      ]),
      writeTar([
        { name: "a/x.png", data: png },
        { name: "b/../../evil.png", data: png },
      ]),
      writeTar([{ name: "/etc/evil.png", data: png }]),
      writeTar([
        { name: "a/x.png", data: png },
        { name: "b/link.png", type: "2" },
      ]),
      writeTar([
        { name: "a/x.png", data: png },
        { name: "b/dev", type: "3" },
      ]),
    ]) {
      const { details } = await expectStatus(
        () => t.acme.uploadDataset({ name: "bad" }, bad),
        grpc.status.INVALID_ARGUMENT,
      );
      expect(details?.reason).toBe("ERROR_REASON_INVALID_ARGUMENT");
      // Neither stored nor extracted (no temp folder left either).
      expect(await keys()).toEqual(storedBefore);
      expect(extracted()).toEqual(extractedBefore);
    }
  });

  it("checks the header: size and digest mismatches, quota, stream order", async () => {
    const small = writeTar([{ name: "a/x.png", data: new Uint8Array(10) }]);
    let r = await expectStatus(
      () => t.acme.uploadDataset({ name: "x", sizeBytes: small.length + 1 }, small),
      grpc.status.INVALID_ARGUMENT,
    );
    expect(r.details?.reason).toBe("ERROR_REASON_UPLOAD_MISMATCH");
    r = await expectStatus(
      () => t.acme.uploadDataset({ name: "x", sha256: "0".repeat(64) }, small),
      grpc.status.INVALID_ARGUMENT,
    );
    expect(r.details?.reason).toBe("ERROR_REASON_UPLOAD_MISMATCH");
    r = await expectStatus(
      () => t.acme.uploadDataset({ name: "big", sizeBytes: 2 * 1024 ** 3 }, small),
      grpc.status.RESOURCE_EXHAUSTED,
    );
    expect(r.details?.quota?.quota).toBe("upload_bytes");
    expect(r.err.details).toMatch(/upload_bytes/);
    await expectStatus(
      () => t.acme.uploadDataset({}, small, { messages: [{ chunk: small }] }),
      grpc.status.INVALID_ARGUMENT,
    );
    await expectStatus(
      () =>
        t.acme.uploadDataset({}, small, {
          messages: [{ header: { sizeBytes: small.length } }, { header: { sizeBytes: 1 } }],
        }),
      grpc.status.INVALID_ARGUMENT,
    );
    // Not a dataset: one file at the root.
    const notData = writeTar([{ name: "readme.txt", data: new Uint8Array(10) }]);
    await expectStatus(() => t.acme.uploadDataset({ name: "x" }, notData), grpc.status.INVALID_ARGUMENT);
    await expectStatus(
      () => t.client("nope").uploadDataset({ name: "x" }, small),
      grpc.status.UNAUTHENTICATED,
    );
  });
});
