// UploadDataset: a tar of a tiny demo slice, then CreateJob on the returned artifact:// ref.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeTar } from "../../services/gateway/tar.ts";
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
function tarOf(dir: string, top = "slice"): Buffer {
  const entries: Array<{ name: string; data?: Uint8Array }> = [{ name: top }];
  for (const c of readdirSync(dir).sort()) {
    entries.push({ name: `${top}/${c}` });
    for (const f of readdirSync(join(dir, c)).sort())
      entries.push({ name: `${top}/${c}/${f}`, data: readFileSync(join(dir, c, f)) });
  }
  return writeTar(entries);
}

describe("UploadDataset", () => {
  let t: TestServer;
  let data: string;
  let archive: Buffer;
  let cliOut: string;
  let cliRun: Promise<void>;

  beforeAll(async () => {
    data = demoSlice(2, 12);
    archive = tarOf(data);
    ({ out: cliOut, done: cliRun } = referenceCompress(data, CLI_FLAGS));
    t = await startTestServer([tmp("adq-upl-root-")]);
  });

  afterAll(async () => {
    await cliRun?.catch(() => {});
    await t?.close();
  });

  it("stores the tar, dedups the same bytes, and a job on the ref matches adq compress on the folder", async () => {
    const sha256 = createHash("sha256").update(archive).digest("hex");
    const up = await t.acme.uploadDataset({ name: "slice", sha256 }, archive, { chunkSize: 64 * 1024 });
    expect(up.dataset.uri).toBe(`artifact://uploads/u-${sha256}`);
    expect(up.dataset.format).toBe("DATASET_FORMAT_IMAGE_FOLDER");
    expect(up.deduplicated).toBe(false);
    expect(up.archive).toMatchObject({
      key: `uploads/u-${sha256}/archive`,
      sha256,
      sizeBytes: String(archive.length),
    });
    expect(up.summary).toMatchObject({ numItems: "24", classCounts: ["12", "12"] });
    const again = await t.acme.uploadDataset({ name: "slice again" }, archive);
    expect(again.dataset.uri).toBe(up.dataset.uri);
    expect(again.deduplicated).toBe(true);
    // gzip of the same tar: a different archive, the same dataset content.
    const gz = await t.acme.uploadDataset(
      { name: "gz", archive: "ARCHIVE_FORMAT_TAR_GZIP" },
      gzipSync(archive),
    );
    expect(gz.dataset.uri).not.toBe(up.dataset.uri);
    expect(gz.summary.numItems).toBe("24");

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
      const id = `u-${createHash("sha256").update(bad).digest("hex")}`;
      expect(await t.srv.store.list(`tenants/acme/uploads/${id}/`)).toEqual([]);
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
