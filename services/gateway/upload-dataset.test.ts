// UploadDataset called directly on a GatewayCore over the embedded adapters
// (gateway.fixtures.ts) with a real UploadStore: the stream of messages is an async iterable.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Tenant } from "@adq/service-common";
import type { UploadDatasetRequest__Output as UploadDatasetRequest } from "@adq/service-common/proto";
import { describe, expect, it } from "vitest";
import { demoSlice } from "../../test/support/index.ts";
import { MAX_CHUNK } from "./core.ts";
import { ACME, code, ctx, embeddedGateway, rpcError } from "./gateway.fixtures.ts";
import { writeTar } from "./tar.ts";
import { uploadDataset } from "./upload-dataset.ts";

/** A tar of a 2-class × 3-image folder under `slice/`. */
function sliceTar(): Buffer {
  const dir = demoSlice(2, 3);
  const entries: Array<{ name: string; data?: Uint8Array }> = [{ name: "slice" }];
  for (const c of readdirSync(dir).sort()) {
    entries.push({ name: `slice/${c}` });
    for (const f of readdirSync(join(dir, c)).sort())
      entries.push({ name: `slice/${c}/${f}`, data: readFileSync(join(dir, c, f)) });
  }
  return writeTar(entries);
}

const ARCHIVE = sliceTar();
const SHA = createHash("sha256").update(ARCHIVE).digest("hex");

/** A header as the wire gives it (64-bit sizes as decimal strings). */
type Header = { name?: string; sizeBytes?: number; sha256?: string };
const header = (h: Header) =>
  ({
    payload: "header",
    header: { ...h, sizeBytes: h.sizeBytes === undefined ? undefined : String(h.sizeBytes) },
  }) as UploadDatasetRequest;
const chunk = (b: Uint8Array) => ({ payload: "chunk", chunk: Buffer.from(b) }) as UploadDatasetRequest;

/** The messages of an upload: the header, then the archive in chunks of `size`. */
function messages(h: Header, bytes: Uint8Array = ARCHIVE, size = 64 * 1024): UploadDatasetRequest[] {
  const out = [header(h)];
  for (let at = 0; at < bytes.length; at += size) out.push(chunk(bytes.subarray(at, at + size)));
  return out;
}

async function* stream(msgs: UploadDatasetRequest[]) {
  yield* msgs;
}

describe("UploadDataset", () => {
  const { g } = embeddedGateway();
  const upload = (msgs: UploadDatasetRequest[], tenant: Tenant = ACME) =>
    uploadDataset(g, stream(msgs), ctx(tenant));

  it("stores the archive and describes it; the same bytes again are deduplicated", async () => {
    const r = await upload(messages({ name: "slice", sizeBytes: ARCHIVE.length, sha256: SHA }));
    const id = /^artifact:\/\/uploads\/(u-[0-9a-f]{64})$/.exec(r.dataset!.uri!)?.[1];
    expect(id).toBeDefined();
    expect(r).toMatchObject({
      dataset: { format: "DATASET_FORMAT_IMAGE_FOLDER" },
      archive: { key: `uploads/${id}/archive`, sha256: SHA, sizeBytes: ARCHIVE.length },
      summary: { numItems: 6, classCounts: [3, 3], format: "DATASET_FORMAT_IMAGE_FOLDER" },
      deduplicated: false,
    });
    // Without header.sha256, one chunk: the same files, the same reference.
    const again = await upload(messages({ name: "again", sizeBytes: ARCHIVE.length }, ARCHIVE, MAX_CHUNK));
    expect(again).toMatchObject({ dataset: { uri: r.dataset!.uri }, deduplicated: true });
  });

  it("needs the header first, once", async () => {
    expect(await code(upload([]))).toBe(
      "INVALID_ARGUMENT: header: required: the first message must be the header",
    );
    expect(await code(upload([chunk(ARCHIVE)]))).toBe(
      "INVALID_ARGUMENT: header: the first message must be the header",
    );
    const twice = messages({ sizeBytes: ARCHIVE.length });
    twice.splice(1, 0, header({ sizeBytes: ARCHIVE.length }));
    expect(await code(upload(twice))).toBe(
      "INVALID_ARGUMENT: header: a second header: only the first message is a header",
    );
  });

  it("lists every bad header field", async () => {
    const e = await rpcError(upload(messages({ name: "n".repeat(201), sizeBytes: 0, sha256: "ABC" })));
    expect(e.details.fieldViolations?.map((v) => v.field)).toEqual([
      "header.name",
      "header.size_bytes",
      "header.sha256",
    ]);
    expect(await code(upload(messages({ name: "n".repeat(201), sizeBytes: 0, sha256: "ABC" })))).toMatch(
      /^INVALID_ARGUMENT: header\.name: at most 200 characters; header\.size_bytes: required/,
    );
  });

  it("refuses empty and oversized chunks", async () => {
    expect(await code(upload([header({ sizeBytes: 10 }), chunk(new Uint8Array(0))]))).toBe(
      "INVALID_ARGUMENT: chunk: empty chunk",
    );
    const big = new Uint8Array(MAX_CHUNK + 1);
    expect(await code(upload([header({ sizeBytes: big.length }), chunk(big)]))).toBe(
      `INVALID_ARGUMENT: chunk: chunks are at most ${MAX_CHUNK} bytes`,
    );
  });

  it("refuses bytes that do not match the header: more, fewer, another SHA-256 (reason UPLOAD_MISMATCH)", async () => {
    const n = ARCHIVE.length;
    const more = await rpcError(upload(messages({ sizeBytes: n - 1 })));
    expect(more.message).toBe(`header.size_bytes: more bytes than the declared ${n - 1}`);
    expect(more.details.reason).toBe("ERROR_REASON_UPLOAD_MISMATCH");
    expect(await code(upload(messages({ sizeBytes: n + 1 })))).toBe(
      `INVALID_ARGUMENT: header.size_bytes: declared ${n + 1} bytes, received ${n}`,
    );
    const other = "0".repeat(64);
    const sha = await rpcError(upload(messages({ sizeBytes: n, sha256: other })));
    expect(sha.message).toBe(`header.sha256: declared ${other}, the bytes received hash to ${SHA}`);
    expect(sha.details.reason).toBe("ERROR_REASON_UPLOAD_MISMATCH");
  });

  it("refuses an archive over the tenant's upload_bytes before reading a chunk", async () => {
    const small: Tenant = { id: "small", quotas: { ...ACME.quotas, uploadBytes: 1000 } };
    const e = await rpcError(upload([header({ sizeBytes: ARCHIVE.length })], small));
    expect(e.message).toBe(
      `quota upload_bytes exceeded: limit 1000, this request would bring it to ${ARCHIVE.length}`,
    );
    expect(e.details.quota).toEqual({ quota: "upload_bytes", limit: 1000, requested: ARCHIVE.length });
  });

  it("is UNIMPLEMENTED on a gateway without an upload root", async () => {
    const bare = embeddedGateway({ uploads: undefined }).g;
    expect(
      await code(uploadDataset(bare, stream(messages({ sizeBytes: ARCHIVE.length })), ctx(ACME))),
    ).toMatch(/^UNIMPLEMENTED: UploadDataset: this server has no upload root configured/);
  });
});
