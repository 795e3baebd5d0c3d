// GetResult and DownloadResult called directly on a GatewayCore over the embedded adapters
// (gateway.fixtures.ts): a SUCCEEDED record whose result files are in the artifact store.
import { createHash } from "node:crypto";
import type { MemoryJobStore } from "@adq/platform";
import type { DownloadResultChunk } from "@adq/service-common/proto";
import { describe, expect, it } from "vitest";
import { ACME, code, ctx, embeddedGateway, GLOBEX } from "./gateway.fixtures.ts";
import { jobRecord } from "./records.fixtures.ts";
import type { JobRecord, ResultFileRecord } from "./records.ts";
import { downloadResult, getResult } from "./results.ts";

const ID = "job-00000000000000000001";
const RUNNING_ID = "job-00000000000000000002";
const BINS = {
  version: 1,
  bins: [
    {
      class: 1,
      className: "b",
      bin: 0,
      size: 3,
      rs: 0.5,
      ds: 0.25,
      rsZ: 1,
      dsZ: -1,
      importance: 0.7,
      allocated: 2,
    },
    { class: 0, className: "a", bin: 1, size: 2, allocated: 1 },
    {
      class: 0,
      className: "a",
      bin: 0,
      size: 4,
      rs: 0.1,
      ds: 0.2,
      rsZ: 0,
      dsZ: 0,
      importance: 0.3,
      allocated: 1,
    },
  ],
};
/** 1,000 bytes that differ from chunk to chunk: a misplaced range shows. */
const STORE_BYTES = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7 + (i >> 8)) & 0xff);

async function setup() {
  const t = embeddedGateway();
  const rec = jobRecord(ID, "SUCCEEDED", { tenant: "acme" });
  const put = async (name: string, data: Uint8Array, mediaType: string): Promise<ResultFileRecord> => {
    const key = `${rec.resultPrefix}/${name}`;
    await t.store.put(key, data, mediaType);
    return {
      name,
      key,
      size: data.length,
      digest: createHash("sha256").update(data).digest("hex"),
      mediaType,
    };
  };
  const enc = (s: string) => new TextEncoder().encode(s);
  rec.result = {
    files: [
      await put("manifest.json", enc('{"items":[]}'), "application/json"),
      await put("bins.json", enc(JSON.stringify(BINS)), "application/json"),
      await put("store.adqp", STORE_BYTES, "application/octet-stream"),
    ],
    totalItems: 9,
    selectedItems: 4,
    classSelected: [2, 2],
    storedBytes: 1000,
    originalSubsetBytes: 4000,
    skippedBadFiles: 0,
    modelSha256: "ab",
    toolVersion: "test",
    durationMs: 12,
  };
  const jobs = t.g.o.jobs as MemoryJobStore<JobRecord>;
  await jobs.create(rec);
  await jobs.create(jobRecord(RUNNING_ID, "RUNNING", { tenant: "acme" }));
  return { ...t, rec };
}

/** The chunks of a DownloadResult call, and its outcome. */
async function download(t: Awaited<ReturnType<typeof setup>>, req: Record<string, unknown>) {
  const chunks: DownloadResultChunk[] = [];
  const outcome = await code(
    downloadResult(
      t.g,
      { jobId: ID, name: "store.adqp", chunkSize: 0, ...req } as never,
      async (c) => {
        chunks.push(c);
      },
      ctx(ACME),
    ),
  );
  const bytes = Buffer.concat(chunks.map((c) => Buffer.from(c.data as Uint8Array)));
  return { chunks, outcome, bytes };
}

describe("GetResult", () => {
  it("names every result file by reference and gives the bin scores sorted by class, then bin", async () => {
    const t = await setup();
    const r = await getResult(t.g, { jobId: ID }, ctx(ACME));
    const ref = (name: string) => {
      const f = t.rec.result!.files.find((x) => x.name === name)!;
      return { key: f.key, sha256: f.digest, sizeBytes: f.size, mediaType: f.mediaType };
    };
    expect(r).toMatchObject({
      jobId: ID,
      manifest: ref("manifest.json"),
      bins: ref("bins.json"),
      store: ref("store.adqp"),
      report: null,
      reconstructed: null,
      files: ["manifest.json", "bins.json", "store.adqp"].map((name) => ({ name, artifact: ref(name) })),
      summary: { selectedItems: 4, totalItems: 9 },
    });
    expect(r.binScores!.map((b) => [b.classIndex, b.binIndex])).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
    ]);
    // Unset scores (a method without them) read as 0.
    expect(r.binScores![1]).toMatchObject({
      className: "a",
      size: 2,
      rs: 0,
      ds: 0,
      importance: 0,
      allocated: 1,
    });
    expect(r.binScores![2]).toMatchObject({
      rs: 0.5,
      ds: 0.25,
      rsNormalized: 1,
      dsNormalized: -1,
      importance: 0.7,
    });
  });

  it("refuses a job that has not succeeded, another tenant's job and a missing job_id", async () => {
    const t = await setup();
    expect(await code(getResult(t.g, { jobId: RUNNING_ID }, ctx(ACME)))).toBe(
      `FAILED_PRECONDITION: job ${RUNNING_ID} is RUNNING, not SUCCEEDED: no result`,
    );
    expect(await code(getResult(t.g, { jobId: ID }, ctx(GLOBEX)))).toBe(`NOT_FOUND: job ${ID} not found`);
    expect(await code(getResult(t.g, { jobId: "" }, ctx(ACME)))).toMatch(/^INVALID_ARGUMENT: job_id/);
  });
});

describe("DownloadResult", () => {
  it("streams the whole file in chunks of chunk_size, the first naming the file", async () => {
    const t = await setup();
    const { chunks, outcome, bytes } = await download(t, { chunkSize: 300 });
    expect(outcome).toBe("OK");
    expect(bytes.equals(Buffer.from(STORE_BYTES))).toBe(true);
    expect(chunks.map((c) => [Number(c.offset), (c.data as Uint8Array).length])).toEqual([
      [0, 300],
      [300, 300],
      [600, 300],
      [900, 100],
    ]);
    expect(chunks[0]!.file).toMatchObject({ key: `${t.rec.resultPrefix}/store.adqp`, sizeBytes: 1000 });
    expect(chunks.slice(1).every((c) => c.file === undefined)).toBe(true);
  });

  it("gives a byte range (offset, length), an empty chunk at the end, and refuses an offset past it", async () => {
    const t = await setup();
    const mid = await download(t, { offset: 250, length: 500, chunkSize: 128 });
    expect(mid.outcome).toBe("OK");
    expect(mid.bytes.equals(Buffer.from(STORE_BYTES.subarray(250, 750)))).toBe(true);
    expect(Number(mid.chunks[0]!.offset)).toBe(250);
    const tail = await download(t, { offset: 900 });
    expect(tail.bytes.equals(Buffer.from(STORE_BYTES.subarray(900)))).toBe(true);
    const end = await download(t, { offset: 1000 });
    expect(end.chunks.map((c) => [Number(c.offset), (c.data as Uint8Array).length])).toEqual([[1000, 0]]);
    expect((await download(t, { offset: 1001 })).outcome).toBe(
      "OUT_OF_RANGE: offset 1001 is past the end of store.adqp (1000 bytes)",
    );
  });

  it("refuses a missing name, a file not in the result and a job without a result", async () => {
    const t = await setup();
    expect((await download(t, { name: "" })).outcome).toBe(
      "INVALID_ARGUMENT: name: required: a file name from GetResult's files",
    );
    expect((await download(t, { name: "x.bin" })).outcome).toBe(
      `NOT_FOUND: no file "x.bin" in the result of job ${ID} (files: manifest.json, bins.json, store.adqp)`,
    );
    expect((await download(t, { jobId: RUNNING_ID })).outcome).toMatch(
      /^FAILED_PRECONDITION: .* not SUCCEEDED/,
    );
    expect((await download(t, { jobId: "" })).outcome).toMatch(/^INVALID_ARGUMENT: job_id/);
  });

  it("is DATA_LOSS when the stored file is missing or no longer matches its SHA-256", async () => {
    const t = await setup();
    const key = `${t.rec.resultPrefix}/store.adqp`;
    const changed = Uint8Array.from(STORE_BYTES);
    changed[500] = STORE_BYTES[500]! ^ 1;
    await t.store.put(key, changed);
    expect((await download(t, {})).outcome).toBe(
      "DATA_LOSS: stored store.adqp does not match its SHA-256; do not use the bytes",
    );
    await t.store.deletePrefix(key);
    expect((await download(t, {})).outcome).toBe("DATA_LOSS: stored store.adqp is missing");
  });
});
