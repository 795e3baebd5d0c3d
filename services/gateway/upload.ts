/**
 * Uploaded datasets (CompressionService.UploadDataset, `artifact://uploads/{id}`).
 *
 * The archive is stored in the ArtifactStore at `tenants/{tenant}/uploads/{id}/archive` and
 * extracted into `{uploadRoot}/{tenant}/{id}/`. id = `u-` + the SHA-256 of what the archive
 * holds (contentDigest: every file's path and SHA-256), not of the archive's bytes: the same
 * files re-archived (another tar tool, gzip's header timestamp, another entry order) give the
 * same reference and are stored once per tenant. The extraction is a local directory, which in
 * cluster mode must be a volume shared by the gateway, the coordinator and the features /
 * assemble workers (tasks carry filesystem paths). An extraction missing on this machine
 * (another gateway replica, a wiped volume) is redone from the stored archive on use.
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { errorInfo } from "@adq/core";
import { type DatasetDescription, openDataset } from "@adq/ml";
import type { ArtifactStore } from "@adq/platform";
import type { DatasetFormatName } from "@adq/service-common";
import { invalidArgument, notFound, unimplemented } from "@adq/service-common";
import { TarError } from "./tar.ts";
import { extractTarStream } from "./tar-stream.ts";

export interface UploadLimits {
  /** Archive bytes (compressed, as sent) per upload; the "upload_bytes" quota default. */
  maxArchiveBytes: number;
  /** Bytes once extracted (caps gzip bombs). */
  maxExtractedBytes: number;
  /** Entries in the archive. */
  maxFiles: number;
}

export const DEFAULT_UPLOAD_LIMITS: UploadLimits = {
  maxArchiveBytes: 1024 * 1024 * 1024,
  maxExtractedBytes: 2 * 1024 * 1024 * 1024,
  maxFiles: 200_000,
};

export const UPLOAD_URI = /^artifact:\/\/uploads\/(u-[0-9a-f]{64})\/?$/;

export interface UploadMeta {
  name: string;
  /** Dataset folder inside the extraction ("" = its root). */
  subdir: string;
  format: DatasetFormatName;
  archiveBytes: number;
}

export function archiveKey(tenant: string, id: string): string {
  return `tenants/${tenant}/uploads/${id}/archive`;
}
function metaKey(tenant: string, id: string): string {
  return `tenants/${tenant}/uploads/${id}/upload.json`;
}

function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

export class UploadStore {
  constructor(
    private readonly store: ArtifactStore,
    /** Real path of the local extraction root. */
    private readonly root: string,
    readonly limits: UploadLimits = DEFAULT_UPLOAD_LIMITS,
  ) {}

  /**
   * The id of an extracted upload: the SHA-256 over its files in path order, each as
   * `path NUL sha256 LF` (directories and empty folders do not count). O(extracted bytes).
   */
  static async contentId(dir: string): Promise<string> {
    const files: string[] = [];
    const walk = async (rel: string) => {
      for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) await walk(r);
        else if (e.isFile()) files.push(r);
      }
    };
    await walk("");
    files.sort();
    const h = createHash("sha256");
    for (const f of files) {
      const fh = createHash("sha256");
      for await (const chunk of createReadStream(join(dir, f))) fh.update(chunk as Buffer);
      h.update(`${f}\0${fh.digest("hex")}\n`);
    }
    return `u-${h.digest("hex")}`;
  }

  private dirOf(tenant: string, id: string): string {
    return join(this.root, tenant, id);
  }

  /**
   * Unpacks `archive` into a fresh temp dir, names it by its content (contentId, unless `id`
   * is given: a stored upload extracted again) and moves it to its final place atomically
   * (an extraction already there is kept). Throws INVALID_ARGUMENT on anything unsafe or
   * malformed.
   */
  private async extract(
    tenant: string,
    id: string | undefined,
    archive: Uint8Array,
    archiveFormat: string,
  ): Promise<{ id: string; dir: string }> {
    const field = "header.archive";
    const gzip = isGzip(archive);
    if (gzip && archiveFormat === "ARCHIVE_FORMAT_TAR")
      throw invalidArgument(field, "the archive is gzip-compressed, not a plain tar");
    if (!gzip && archiveFormat === "ARCHIVE_FORMAT_TAR_GZIP")
      throw invalidArgument(field, "the archive is not gzip-compressed");
    const tmp = join(this.root, tenant, `.extract.tmp-${randomBytes(6).toString("hex")}`);
    await mkdir(tmp, { recursive: true });
    let final = "";
    try {
      try {
        // Streamed: inflate on the thread pool, entries straight to disk, caps checked first.
        await extractTarStream(archive, tmp, {
          maxFiles: this.limits.maxFiles,
          maxBytes: this.limits.maxExtractedBytes,
        });
      } catch (e) {
        if (e instanceof TarError)
          throw invalidArgument(
            e.message.startsWith("gzip:") ? field : "chunk",
            e.message.startsWith("gzip:") ? e.message : `not a usable tar archive: ${e.message}`,
          );
        throw e;
      }
      id ??= await UploadStore.contentId(tmp);
      final = this.dirOf(tenant, id);
      if (await exists(final)) await rm(tmp, { recursive: true, force: true });
      else
        try {
          await rename(tmp, final);
        } catch (e) {
          // Another call extracted the same upload meanwhile: keep theirs.
          if (!(await exists(final))) throw e;
          await rm(tmp, { recursive: true, force: true });
        }
    } catch (e) {
      await rm(tmp, { recursive: true, force: true });
      throw e;
    }
    return { id, dir: final };
  }

  /** The dataset folder: the root, or its only top-level folder when it holds nothing else. */
  private static async datasetSubdir(dir: string): Promise<string> {
    const top = (await readdir(dir, { withFileTypes: true })).filter((d) => !d.name.startsWith("."));
    if (top.length === 1 && top[0]!.isDirectory()) {
      const inner = (await readdir(join(dir, top[0]!.name), { withFileTypes: true })).filter(
        (d) => !d.name.startsWith("."),
      );
      // One folder holding folders (ImageFolder) or batch files (CIFAR-10): the dataset.
      if (inner.some((d) => d.isDirectory()) || inner.some((d) => /\.bin$/.test(d.name))) return top[0]!.name;
    }
    return "";
  }

  /**
   * Stores, checks and indexes an upload. On failure nothing is kept (neither the artifact
   * nor the extraction).
   */
  async put(
    tenant: string,
    archive: Uint8Array,
    header: { name: string; format: DatasetFormatName | undefined; archive: string },
  ): Promise<{ id: string; meta: UploadMeta; description: DatasetDescription; deduplicated: boolean }> {
    // Extracted first: the id is the content's, known only once the files are out.
    const extractedBefore = new Set(await readdir(join(this.root, tenant)).catch(() => [] as string[]));
    const { id, dir } = await this.extract(tenant, undefined, archive, header.archive);
    const fresh = !extractedBefore.has(id);
    const key = archiveKey(tenant, id);
    const deduplicated = (await this.store.stat(metaKey(tenant, id))) !== undefined;
    try {
      const subdir = await UploadStore.datasetSubdir(dir);
      const description = await describe(join(dir, subdir), "chunk");
      const format =
        description.format === "imagefolder"
          ? "DATASET_FORMAT_IMAGE_FOLDER"
          : "DATASET_FORMAT_CIFAR10_BINARY";
      const want = header.format ?? "DATASET_FORMAT_UNSPECIFIED";
      if (want !== "DATASET_FORMAT_UNSPECIFIED" && want !== format)
        throw invalidArgument("header.format", `the archive holds a ${format} dataset, not ${want}`);
      const meta: UploadMeta = deduplicated
        ? (JSON.parse(Buffer.from(await this.store.get(metaKey(tenant, id))).toString("utf8")) as UploadMeta)
        : { name: header.name, subdir, format, archiveBytes: archive.length };
      if (!deduplicated) {
        await this.store.put(key, archive, isGzip(archive) ? "application/gzip" : "application/x-tar");
        // The metadata goes last: its presence means the upload is complete.
        await this.store.put(metaKey(tenant, id), Buffer.from(JSON.stringify(meta)), "application/json");
      }
      return { id, meta, description, deduplicated };
    } catch (e) {
      if (fresh && !deduplicated) {
        await rm(dir, { recursive: true, force: true });
        await this.store.deletePrefix(`tenants/${tenant}/uploads/${id}/`);
      }
      throw e;
    }
  }

  /** Local path of an uploaded dataset of `tenant` (extracting it again if needed). */
  async resolve(
    tenant: string,
    uri: string,
    format?: DatasetFormatName,
  ): Promise<{ path: string; description: DatasetDescription }> {
    const m = UPLOAD_URI.exec(uri);
    if (!m)
      throw invalidArgument(
        "dataset.uri",
        `not an upload reference: ${JSON.stringify(uri)} (artifact://uploads/u-<sha256>)`,
      );
    const id = m[1]!;
    const metaInfo = await this.store.stat(metaKey(tenant, id));
    if (!metaInfo) throw notFound(`dataset ${uri} not found`);
    const meta = JSON.parse(
      Buffer.from(await this.store.get(metaKey(tenant, id))).toString("utf8"),
    ) as UploadMeta;
    const dir = this.dirOf(tenant, id);
    if (!(await exists(dir)))
      await this.extract(tenant, id, await this.store.get(archiveKey(tenant, id)), "");
    if (format && format !== "DATASET_FORMAT_UNSPECIFIED" && format !== meta.format)
      throw invalidArgument("dataset.format", `${uri} is ${meta.format}, not ${format}`);
    const path = join(dir, meta.subdir);
    return { path, description: await describe(path, "dataset.uri") };
  }
}

async function describe(path: string, field: string): Promise<DatasetDescription> {
  try {
    return await (await openDataset(path)).describe();
  } catch (e) {
    const info = errorInfo(e);
    if (info?.field === "dataset")
      throw invalidArgument(
        field,
        `not a dataset of a supported format: ${info.message}`,
        info.reason === "DATASET_EMPTY" ? "ERROR_REASON_DATASET_EMPTY" : "ERROR_REASON_INVALID_ARGUMENT",
      );
    throw e;
  }
}

/** For gateways started without an upload root. */
export function uploadsDisabled(): never {
  throw unimplemented(
    "UploadDataset: this server has no upload root configured (startGateway uploadRoot / ADQ_UPLOAD_ROOT); use a file:// URI under a data root",
  );
}
