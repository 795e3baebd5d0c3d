/** GetResult and DownloadResult: a SUCCEEDED job's files, streamed in chunks and checked against their SHA-256. */

import { createHash } from "node:crypto";
import { NotFoundError } from "@adq/platform";
import type { CallContext, Tenant } from "@adq/service-common";
import { failedPrecondition, invalidArgument, notFound, RpcError } from "@adq/service-common";
import type {
  ArtifactRef,
  BinScore,
  DownloadResultChunk,
  DownloadResultRequest__Output as DownloadResultRequest,
  GetResultRequest__Output as GetResultRequest,
  JobResult,
} from "@adq/service-common/proto";
import type { BinsFile } from "@adq/stages";
import * as grpc from "@grpc/grpc-js";
import { summaryToProto } from "./convert.ts";
import { type GatewayCore, MAX_CHUNK } from "./core.ts";
import { RECONSTRUCTED_TAR } from "./extra-outputs.ts";
import type { JobRecord, ResultFileRecord } from "./records.ts";

const DEFAULT_CHUNK = 256 * 1024;

function toRef(f: ResultFileRecord): ArtifactRef {
  return { key: f.key, sha256: f.digest, sizeBytes: f.size, mediaType: f.mediaType };
}

export async function succeeded(g: GatewayCore, tenant: Tenant, jobId: string): Promise<JobRecord> {
  const rec = await g.owned(tenant, jobId);
  if (rec.state !== "SUCCEEDED" || !rec.result)
    throw failedPrecondition(
      `job ${rec.id} is ${rec.state}, not SUCCEEDED: no result`,
      "ERROR_REASON_JOB_STATE",
    );
  return rec;
}

export async function getResult(
  g: GatewayCore,
  req: GetResultRequest,
  ctx: CallContext<Tenant>,
): Promise<JobResult> {
  ctx.annotate({ job_id: req.jobId });
  const rec = await succeeded(g, ctx.principal, req.jobId);
  const result = rec.result!;
  const byName = new Map(result.files.map((f) => [f.name, f]));
  const ref = (name: string) => {
    const f = byName.get(name);
    return f ? toRef(f) : null;
  };
  let binScores: BinScore[] = [];
  const binsFile = byName.get("bins.json");
  if (binsFile) {
    const bins = JSON.parse(new TextDecoder().decode(await g.o.store.get(binsFile.key))) as BinsFile;
    binScores = bins.bins
      .map((b) => ({
        classIndex: b.class,
        className: b.className,
        binIndex: b.bin,
        size: b.size,
        rs: b.rs ?? 0,
        ds: b.ds ?? 0,
        rsNormalized: b.rsZ ?? 0,
        dsNormalized: b.dsZ ?? 0,
        importance: b.importance ?? 0,
        allocated: b.allocated,
      }))
      .sort((a, b) => a.classIndex - b.classIndex || a.binIndex - b.binIndex);
  }
  return {
    jobId: rec.id,
    manifest: ref("manifest.json"),
    bins: ref("bins.json"),
    report: ref("report.html"),
    store: ref("store.adqp"),
    reconstructed: result.files.some((f) => f.name === RECONSTRUCTED_TAR) ? ref(RECONSTRUCTED_TAR) : null,
    files: result.files.map((f) => ({ name: f.name, artifact: toRef(f) })),
    summary: summaryToProto(result),
    binScores,
  };
}

export async function downloadResult(
  g: GatewayCore,

  req: DownloadResultRequest,
  write: (c: DownloadResultChunk) => Promise<void>,
  ctx: CallContext<Tenant>,
): Promise<void> {
  ctx.annotate({ job_id: req.jobId, file: req.name });
  const rec = await succeeded(g, ctx.principal, req.jobId);
  if (!req.name) throw invalidArgument("name", "required: a file name from GetResult's files");
  const file = rec.result!.files.find((f) => f.name === req.name);
  if (!file)
    throw notFound(
      `no file ${JSON.stringify(req.name)} in the result of job ${rec.id} (files: ${rec.result!.files.map((f) => f.name).join(", ")})`,
    );
  const offset = Number(req.offset ?? 0);
  const length = Number(req.length ?? 0);
  if (offset > file.size)
    throw new RpcError(
      grpc.status.OUT_OF_RANGE,
      `offset ${offset} is past the end of ${file.name} (${file.size} bytes)`,
    );
  const end = length > 0 ? Math.min(file.size, offset + length) : file.size;
  const chunkSize = Math.min(MAX_CHUNK, req.chunkSize > 0 ? req.chunkSize : DEFAULT_CHUNK);
  const hash = createHash("sha256");
  let pos = 0;
  let first = true;
  const send = async (data: Uint8Array, at: number) => {
    await write({ ...(first ? { file: toRef(file) } : {}), offset: at, data });
    first = false;
  };
  let stream: AsyncIterable<Uint8Array>;
  try {
    stream = g.o.store.stream(file.key, chunkSize);
  } catch (e) {
    if (e instanceof NotFoundError)
      throw new RpcError(grpc.status.DATA_LOSS, `stored ${file.name} is missing`);
    throw e;
  }
  try {
    for await (const chunk of stream) {
      hash.update(chunk);
      const cStart = pos;
      pos += chunk.length;
      const from = Math.max(offset, cStart);
      const to = Math.min(end, pos);
      for (let a = from; a < to; a += chunkSize) {
        const b = Math.min(to, a + chunkSize);
        await send(chunk.subarray(a - cStart, b - cStart), a);
      }
      if (pos >= end && length > 0) break;
    }
  } catch (e) {
    if (e instanceof NotFoundError)
      throw new RpcError(grpc.status.DATA_LOSS, `stored ${file.name} is missing`);
    throw e;
  }
  if (first) await send(new Uint8Array(0), offset);
  if (length === 0 && (pos !== file.size || hash.digest("hex") !== file.digest))
    throw new RpcError(
      grpc.status.DATA_LOSS,
      `stored ${file.name} does not match its SHA-256; do not use the bytes`,
    );
}
