/**
 * Uploaded datasets (CompressionService.UploadDataset, `artifact://uploads/{id}`).
 *
 * The archive is stored in the ArtifactStore at `tenants/{tenant}/uploads/{id}/archive` and
 * extracted into `{uploadRoot}/{tenant}/{id}/`. id = `u-` + the content digest of what the
 * archive holds (every file's path and SHA-256, extractTarStream), not of the archive's bytes:
 * the same files re-archived (gzip's header timestamp, another tar tool or entry order) are one
 * upload per tenant. The id is known only once the files are out, so an upload is extracted
 * (under the tenant's quota) into a temp dir first; a duplicate's extraction is then removed
 * and the stored upload answered. The extraction is a local directory, which in
 * cluster mode must be a volume shared by the gateway, the coordinator and the features /
 * assemble workers (tasks carry filesystem paths). An extraction missing on this machine
 * (another gateway replica, a wiped volume) is redone from the stored archive on use.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readdir, rename, stat } from "node:fs/promises";
import { join } from "node:path";
import { errorInfo } from "@adq/core";
import { type DatasetDescription, openDataset } from "@adq/ml";
import type { ArtifactStore } from "@adq/platform";
import { invalidArgument, notFound, quotaExceeded, unimplemented } from "@adq/service-common";
import type { DatasetFormat__Output as DatasetFormatName } from "@adq/service-common/proto";
import { ACTIVE_STATES, type JobRecord } from "./records.ts";
import { removeTree } from "./remove-tree.ts";
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

/** How long an upload no job uses is kept (default 7 days; `--upload-retention-hours`). */
export const DEFAULT_UPLOAD_RETENTION_MS = 7 * 24 * 3600 * 1000;

export const UPLOAD_URI = /^artifact:\/\/uploads\/(u-[0-9a-f]{64})\/?$/;

export interface UploadMeta {
  name: string;
  /** Dataset folder inside the extraction ("" = its root). */
  subdir: string;
  format: DatasetFormatName;
  archiveBytes: number;
  /** SHA-256 of the stored archive (absent in uploads stored before content ids). */
  archiveSha256?: string;
  /** File bytes of the extraction (absent in uploads stored before quotas counted them). */
  extractedBytes?: number;
  /** ISO time of the upload (absent in older uploads: retention then uses the store's). */
  createdAt?: string;
}

/** A tenant's upload quotas (API-key file `uploads`, `upload_total_bytes`). */
export interface UploadQuotas {
  /** Uploads kept at once. */
  uploads: number;
  /** Archive + extracted bytes of all of them. */
  totalBytes: number;
}

/** A tenant's stored uploads: how many, and their archive + extracted bytes. */
export interface UploadUsage {
  count: number;
  bytes: number;
  ids: string[];
  /** Archive SHA-256 → upload id: the same bytes again are known before extraction. */
  archives: Map<string, string>;
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

const exists = async (path: string): Promise<boolean> => (await stat(path).catch(() => null)) !== null;

export class UploadStore {
  private readonly locks = new Map<string, Promise<void>>();

  constructor(
    private readonly store: ArtifactStore,
    /** Real path of the local extraction root. */
    private readonly root: string,
    readonly limits: UploadLimits = DEFAULT_UPLOAD_LIMITS,
  ) {}

  private dirOf(tenant: string, id: string): string {
    return join(this.root, tenant, id);
  }

  /** A stored upload's archive unpacked again to its place (a gateway that lacks it). */
  private async extract(tenant: string, id: string, archive: Uint8Array): Promise<void> {
    const { tmp } = await this.unpack(tenant, archive, "");
    await this.place(tmp, this.dirOf(tenant, id));
  }

  /**
   * Moves an extraction to its final place atomically; when one is there already (another call
   * meanwhile, or an earlier attempt that was not recorded) it holds the same files (the name is
   * their digest): that one is kept and `tmp` removed (streamed, removeTree).
   */
  private async place(tmp: string, final: string): Promise<void> {
    if (!(await exists(final)))
      try {
        await rename(tmp, final);
        return;
      } catch (e) {
        // Unless another call placed it meanwhile (then theirs is kept, below).
        if (!(await exists(final))) {
          await removeTree(tmp);
          throw e;
        }
      }
    await removeTree(tmp);
  }

  /**
   * Unpacks `archive` into a fresh temp dir of the tenant's folder (same file system as the
   * final place), file bytes capped at `maxBytes`, and names its content. Throws
   * INVALID_ARGUMENT on anything unsafe or malformed (QuotaTarError past a quota-sized cap);
   * nothing is left then.
   */
  private async unpack(
    tenant: string,
    archive: Uint8Array,
    archiveFormat: string,
    maxBytes = this.limits.maxExtractedBytes,
  ): Promise<{ tmp: string; bytes: number; id: string }> {
    const field = "header.archive";
    const gzip = isGzip(archive);
    if (gzip && archiveFormat === "ARCHIVE_FORMAT_TAR")
      throw invalidArgument(field, "the archive is gzip-compressed, not a plain tar");
    if (!gzip && archiveFormat === "ARCHIVE_FORMAT_TAR_GZIP")
      throw invalidArgument(field, "the archive is not gzip-compressed");
    const tmp = join(this.root, tenant, `.extract.tmp-${randomBytes(6).toString("hex")}`);
    await mkdir(tmp, { recursive: true });
    try {
      // Streamed: inflate on the thread pool, entries straight to disk (and hashed on the way),
      // caps checked first.
      const { bytes, contentSha256 } = await extractTarStream(archive, tmp, {
        maxFiles: this.limits.maxFiles,
        maxBytes,
        // The inflate cap stays the upload cap's: a quota-sized cap is about files kept.
        maxInflatedBytes: this.limits.maxExtractedBytes + 64 * 1024 * 1024,
      });
      return { tmp, bytes, id: `u-${contentSha256}` };
    } catch (e) {
      await removeTree(tmp);
      if (
        e instanceof TarError &&
        maxBytes < this.limits.maxExtractedBytes &&
        /once extracted/.test(e.message)
      )
        throw new QuotaTarError(maxBytes);
      if (e instanceof TarError)
        throw invalidArgument(
          e.message.startsWith("gzip:") ? field : "chunk",
          e.message.startsWith("gzip:") ? e.message : `not a usable tar archive: ${e.message}`,
        );
      throw e;
    }
  }

  /** The tenant's stored uploads (their metadata objects): O(objects under its prefix). */
  async usage(tenant: string): Promise<UploadUsage> {
    const u: UploadUsage = { count: 0, bytes: 0, ids: [], archives: new Map() };
    for (const it of await this.store.list(`tenants/${tenant}/uploads/`)) {
      const m = /^tenants\/[^/]+\/uploads\/(u-[0-9a-f]{64})\/upload\.json$/.exec(it.key);
      if (!m) continue;
      const meta = await this.meta(tenant, m[1]!);
      if (!meta) continue;
      u.count++;
      u.ids.push(m[1]!);
      u.bytes += meta.archiveBytes + (meta.extractedBytes ?? 0);
      // Uploads from before content ids were named by their archive's digest.
      u.archives.set(meta.archiveSha256 ?? m[1]!.slice(2), m[1]!);
    }
    return u;
  }

  private async meta(tenant: string, id: string): Promise<UploadMeta | undefined> {
    try {
      return JSON.parse(
        Buffer.from(await this.store.get(metaKey(tenant, id))).toString("utf8"),
      ) as UploadMeta;
    } catch {
      return undefined;
    }
  }

  /** Refuses an upload of `archiveBytes` that would exceed the tenant's count or byte quota. */
  static checkQuotas(usage: UploadUsage, quotas: UploadQuotas, archiveBytes: number): void {
    if (usage.count + 1 > quotas.uploads) throw quotaExceeded("uploads", quotas.uploads, usage.count + 1);
    if (usage.bytes + archiveBytes > quotas.totalBytes)
      throw quotaExceeded("upload_total_bytes", quotas.totalBytes, usage.bytes + archiveBytes);
  }

  /** Runs `fn` after the tenant's previous upload call in this process (quota checks race otherwise). */
  private serial<T>(tenant: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(tenant) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.then(
      () => {},
      () => {},
    );
    this.locks.set(tenant, tail);
    void tail.then(() => {
      if (this.locks.get(tenant) === tail) this.locks.delete(tenant);
    });
    return next;
  }

  /**
   * Retention: deletes every upload (any tenant) that no job has used for `retentionMs` — no
   * job of its tenant still in the job store referencing it was created or updated since,
   * and it was not uploaded since — unless a QUEUED, RUNNING or CANCELLING job reads it.
   * Uploads stored before retention existed get their clock started now. Safe from several
   * gateways at once (deletes are idempotent). O(store keys under `tenants/` + jobs).
   */
  async sweep(o: { now: number; retentionMs: number; jobs: readonly JobRecord[] }): Promise<string[]> {
    const lastUse = new Map<string, number>();
    const active = new Set<string>();
    for (const j of o.jobs) {
      const m = UPLOAD_URI.exec(j.dataset.uri);
      if (!m) continue;
      const k = `${j.tenant}/${m[1]}`;
      lastUse.set(k, Math.max(lastUse.get(k) ?? 0, j.updateTime, j.createTime));
      if (ACTIVE_STATES.has(j.state)) active.add(k);
    }
    const deleted: string[] = [];
    for (const it of await this.store.list("tenants/")) {
      const m = /^tenants\/([^/]+)\/uploads\/(u-[0-9a-f]{64})\/upload\.json$/.exec(it.key);
      if (!m) continue;
      const [, tenant, id] = m as unknown as [string, string, string];
      const k = `${tenant}/${id}`;
      if (active.has(k)) continue;
      const meta = await this.meta(tenant, id);
      if (!meta) continue;
      const created = meta.createdAt ? Date.parse(meta.createdAt) : Number.NaN;
      if (!Number.isFinite(created)) {
        const started = { ...meta, createdAt: new Date(o.now).toISOString() };
        await this.store.put(metaKey(tenant, id), Buffer.from(JSON.stringify(started)), "application/json");
        continue;
      }
      if (o.now - Math.max(created, lastUse.get(k) ?? 0) <= o.retentionMs) continue;
      await this.delete(tenant, `artifact://uploads/${id}`).catch((e: unknown) => {
        if ((e as { code?: number }).code !== 5) throw e; // NOT_FOUND: another gateway was first
      });
      deleted.push(k);
    }
    return deleted;
  }

  /**
   * Deletes an upload: its extraction and its stored archive and metadata. NOT_FOUND when the
   * tenant has no such upload. O(files of the extraction).
   */
  async delete(tenant: string, uri: string): Promise<void> {
    const id = uploadIdOf(uri, "dataset_uri");
    if (!(await this.store.stat(metaKey(tenant, id)))) throw notFound(`dataset ${uri} not found`);
    await this.store.deletePrefix(metaKey(tenant, id)); // first: the upload is gone for every reader
    await removeTree(this.dirOf(tenant, id));
    await this.store.deletePrefix(`tenants/${tenant}/uploads/${id}/`);
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
  put(
    tenant: string,
    archive: Uint8Array,
    header: { name: string; format: DatasetFormatName | undefined; archive: string },
    quotas: UploadQuotas = { uploads: Number.POSITIVE_INFINITY, totalBytes: Number.POSITIVE_INFINITY },
  ): Promise<{ id: string; meta: UploadMeta; description: DatasetDescription; deduplicated: boolean }> {
    return this.serial(tenant, () => this.putNow(tenant, archive, header, quotas));
  }

  private async putNow(
    tenant: string,
    archive: Uint8Array,
    header: { name: string; format: DatasetFormatName | undefined; archive: string },
    quotas: UploadQuotas,
  ): Promise<{ id: string; meta: UploadMeta; description: DatasetDescription; deduplicated: boolean }> {
    const archiveSha256 = createHash("sha256").update(archive).digest("hex");
    const usage = await this.usage(tenant);
    // The same bytes again: known without extracting (free even at a full quota).
    const sameBytes = usage.archives.get(archiveSha256);
    if (sameBytes) return this.existing(tenant, sameBytes, header.format);
    UploadStore.checkQuotas(usage, quotas, archive.length);
    // The extraction may use what the byte quota leaves: refused past it, nothing kept.
    const room = quotas.totalBytes - usage.bytes - archive.length;
    let unpacked: { tmp: string; bytes: number; id: string };
    try {
      unpacked = await this.unpack(
        tenant,
        archive,
        header.archive,
        Math.min(this.limits.maxExtractedBytes, room),
      );
    } catch (e) {
      if (e instanceof QuotaTarError)
        throw quotaExceeded("upload_total_bytes", quotas.totalBytes, quotas.totalBytes + 1);
      throw e;
    }
    const { tmp, bytes: extractedBytes, id } = unpacked;
    // The same files in another archive: the stored upload, counted once; this copy goes.
    if (usage.ids.includes(id)) {
      await removeTree(tmp);
      return this.existing(tenant, id, header.format);
    }
    const dir = this.dirOf(tenant, id);
    await this.place(tmp, dir);
    try {
      const subdir = await UploadStore.datasetSubdir(dir);
      const description = await describe(join(dir, subdir), "chunk");
      const format = formatOf(description);
      checkFormat(header.format, format);
      const meta: UploadMeta = {
        name: header.name,
        subdir,
        format,
        archiveBytes: archive.length,
        archiveSha256,
        extractedBytes,
        createdAt: new Date().toISOString(),
      };
      await this.store.put(
        archiveKey(tenant, id),
        archive,
        isGzip(archive) ? "application/gzip" : "application/x-tar",
      );
      // The metadata goes last: its presence means the upload is complete.
      await this.store.put(metaKey(tenant, id), Buffer.from(JSON.stringify(meta)), "application/json");
      return { id, meta, description, deduplicated: false };
    } catch (e) {
      await removeTree(dir);
      await this.store.deletePrefix(`tenants/${tenant}/uploads/${id}/`);
      throw e;
    }
  }

  /** A stored upload answered again (deduplicated): re-extracted if this machine lacks it. */
  private async existing(
    tenant: string,
    id: string,
    want: DatasetFormatName | undefined,
  ): Promise<{ id: string; meta: UploadMeta; description: DatasetDescription; deduplicated: boolean }> {
    const meta = await this.meta(tenant, id);
    if (!meta) throw notFound(`upload ${id} vanished meanwhile (deleted): upload it again`);
    const dir = this.dirOf(tenant, id);
    if (!(await exists(dir))) await this.extract(tenant, id, await this.store.get(archiveKey(tenant, id)));
    const description = await describe(join(dir, meta.subdir), "chunk");
    checkFormat(want, meta.format);
    return { id, meta, description, deduplicated: true };
  }

  /** Local path of an uploaded dataset of `tenant` (extracting it again if needed). */
  async resolve(
    tenant: string,
    uri: string,
    format?: DatasetFormatName,
  ): Promise<{ path: string; description: DatasetDescription }> {
    const id = uploadIdOf(uri, "dataset.uri");
    const metaInfo = await this.store.stat(metaKey(tenant, id));
    if (!metaInfo) throw notFound(`dataset ${uri} not found`);
    const meta = JSON.parse(
      Buffer.from(await this.store.get(metaKey(tenant, id))).toString("utf8"),
    ) as UploadMeta;
    const dir = this.dirOf(tenant, id);
    if (!(await exists(dir))) await this.extract(tenant, id, await this.store.get(archiveKey(tenant, id)));
    if (format && format !== "DATASET_FORMAT_UNSPECIFIED" && format !== meta.format)
      throw invalidArgument("dataset.format", `${uri} is ${meta.format}, not ${format}`);
    const path = join(dir, meta.subdir);
    return { path, description: await describe(path, "dataset.uri") };
  }
}

/** The upload id of an `artifact://uploads/u-<sha256>` reference; INVALID_ARGUMENT on `field` otherwise. */
export function uploadIdOf(uri: string, field: string): string {
  const m = UPLOAD_URI.exec(uri);
  if (!m)
    throw invalidArgument(
      field,
      `not an upload reference: ${JSON.stringify(uri)} (artifact://uploads/u-<sha256>)`,
    );
  return m[1]!;
}

/** An extraction cut at the tenant's remaining byte quota (not at the per-upload cap). */
class QuotaTarError extends Error {
  constructor(readonly cap: number) {
    super(`extraction over the remaining quota of ${cap} bytes`);
  }
}

function formatOf(d: DatasetDescription): DatasetFormatName {
  return d.format === "imagefolder" ? "DATASET_FORMAT_IMAGE_FOLDER" : "DATASET_FORMAT_CIFAR10_BINARY";
}

/** INVALID_ARGUMENT when the header declared another format than the archive holds. */
function checkFormat(want: DatasetFormatName | undefined, format: DatasetFormatName): void {
  const w = want ?? "DATASET_FORMAT_UNSPECIFIED";
  if (w !== "DATASET_FORMAT_UNSPECIFIED" && w !== format)
    throw invalidArgument("header.format", `the archive holds a ${format} dataset, not ${w}`);
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
