/** UploadDataset: a streamed archive (header, then chunks) checked against its header, stored per tenant (upload.ts). */
import { createHash } from "node:crypto";
import type { CallContext, Tenant } from "@adq/service-common";
import {
  DEFAULT_UPLOAD_QUOTAS,
  failedPrecondition,
  invalidArgument,
  quotaExceeded,
} from "@adq/service-common";
import type {
  DeleteUploadRequest__Output as DeleteUploadRequest,
  UploadDatasetRequest__Output as UploadDatasetRequest,
  UploadDatasetResponse,
} from "@adq/service-common/proto";
import { type GatewayCore, MAX_CHUNK } from "./core.ts";
import { Violations } from "./params.ts";
import { ACTIVE_STATES } from "./records.ts";
import { archiveKey, type UploadQuotas, UploadStore, uploadIdOf, uploadsDisabled } from "./upload.ts";

/** The tenant's upload quotas, defaults filled in. */
export function uploadQuotas(tenant: Tenant): UploadQuotas {
  return {
    uploads: tenant.quotas.uploads ?? DEFAULT_UPLOAD_QUOTAS.uploads,
    totalBytes: tenant.quotas.uploadTotalBytes ?? DEFAULT_UPLOAD_QUOTAS.uploadTotalBytes,
  };
}

export async function uploadDataset(
  g: GatewayCore,

  messages: AsyncIterable<UploadDatasetRequest>,
  ctx: CallContext<Tenant>,
): Promise<UploadDatasetResponse> {
  const uploads = g.o.uploads ?? uploadsDisabled();
  const tenant = ctx.principal;
  let header: UploadDatasetRequest["header"] | undefined;
  let size = 0;
  let received = 0;
  const parts: Buffer[] = [];
  const mismatch = (field: string, what: string) =>
    invalidArgument(field, what, "ERROR_REASON_UPLOAD_MISMATCH");
  for await (const msg of messages) {
    if (msg.payload === "header") {
      if (header) throw invalidArgument("header", "a second header: only the first message is a header");
      const hd = msg.header!;
      const v = new Violations();
      if ((hd.name ?? "").length > 200) v.add("header.name", "at most 200 characters");
      size = Number(hd.sizeBytes ?? 0);
      if (!Number.isSafeInteger(size) || size <= 0)
        v.add("header.size_bytes", "required: the archive size, > 0");
      if (hd.sha256 && !/^[0-9a-f]{64}$/.test(hd.sha256))
        v.add("header.sha256", "must be 64 lowercase hex characters");
      v.throwIfAny();
      const limit = tenant.quotas.uploadBytes ?? uploads.limits.maxArchiveBytes;
      if (size > limit) throw quotaExceeded("upload_bytes", limit, size);
      // Count and total before any chunk is accepted when header.sha256 says the bytes are new
      // to the tenant (without it a retry of a stored upload, deduplicated and free, cannot be
      // told apart yet). Always checked, serialised, once the bytes are in. (The same files in
      // another archive are known only once extracted, which the quota bounds.)
      if (hd.sha256) {
        const usage = await uploads.usage(tenant.id);
        if (!usage.archives.has(hd.sha256)) UploadStore.checkQuotas(usage, uploadQuotas(tenant), size);
      }
      header = hd;
      continue;
    }
    if (!header) throw invalidArgument("header", "the first message must be the header");
    const chunk = msg.chunk;
    if (!chunk || chunk.length === 0) throw invalidArgument("chunk", "empty chunk");
    if (chunk.length > MAX_CHUNK) throw invalidArgument("chunk", `chunks are at most ${MAX_CHUNK} bytes`);
    received += chunk.length;
    if (received > size) throw mismatch("header.size_bytes", `more bytes than the declared ${size}`);
    parts.push(Buffer.from(chunk));
  }
  if (!header) throw invalidArgument("header", "required: the first message must be the header");
  if (received !== size) throw mismatch("header.size_bytes", `declared ${size} bytes, received ${received}`);
  const archive = Buffer.concat(parts, size);
  const digest = createHash("sha256").update(archive).digest("hex");
  if (header.sha256 && header.sha256 !== digest)
    throw mismatch("header.sha256", `declared ${header.sha256}, the bytes received hash to ${digest}`);
  const r = await uploads.put(
    tenant.id,
    archive,
    {
      name: header.name ?? "",
      format: header.format,
      archive: header.archive ?? "ARCHIVE_FORMAT_UNSPECIFIED",
    },
    uploadQuotas(tenant),
  );
  ctx.annotate({ upload_id: r.id, deduplicated: r.deduplicated });
  const d = r.description;
  const classCounts = d.classes.map(() => 0);
  for (const it of d.items) classCounts[it.label]!++;
  const info = await g.o.store.stat(archiveKey(tenant.id, r.id));
  return {
    dataset: { uri: `artifact://uploads/${r.id}`, format: r.meta.format },
    // The stored archive: when deduplicated, the one first uploaded with these files.
    archive: {
      key: `uploads/${r.id}/archive`,
      sha256: r.meta.archiveSha256 ?? (r.deduplicated ? r.id.slice(2) : digest),
      sizeBytes: r.meta.archiveBytes,
      mediaType: info?.mediaType ?? "application/x-tar",
    },
    summary: {
      numItems: d.size,
      classNames: [...d.classes],
      classCounts,
      totalBytes: 0,
      format: r.meta.format,
    },
    deduplicated: r.deduplicated,
  };
}

/**
 * DeleteUpload: the tenant's upload, unless one of its QUEUED, RUNNING or CANCELLING jobs reads
 * it (FAILED_PRECONDITION). Serialised with the tenant's job creation, so a job cannot be
 * created on an upload being deleted. O(jobs) for the check, O(files) for the removal.
 */
export async function deleteUpload(
  g: GatewayCore,
  req: DeleteUploadRequest,
  ctx: CallContext<Tenant>,
): Promise<Record<string, never>> {
  const uploads = g.o.uploads ?? uploadsDisabled();
  const uri = req.datasetUri ?? "";
  uploadIdOf(uri, "dataset_uri");
  ctx.annotate({ dataset_uri: uri });
  return g.mutex.run(ctx.principal.id, async () => {
    const users = (await g.o.jobs.list()).filter(
      (j) => j.tenant === ctx.principal.id && ACTIVE_STATES.has(j.state) && sameUpload(j.dataset.uri, uri),
    );
    if (users.length > 0)
      throw failedPrecondition(
        `${uri} is read by job ${users[0]!.id} (${users[0]!.state}): cancel it or wait for it to end`,
        "ERROR_REASON_JOB_STATE",
      );
    await uploads.delete(ctx.principal.id, uri);
    return {};
  });
}

function sameUpload(a: string, b: string): boolean {
  return a.replace(/\/$/, "") === b.replace(/\/$/, "");
}
