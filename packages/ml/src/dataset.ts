/**
 * Dataset readers: one interface over ImageFolder trees and CIFAR-10 binary batches.
 *
 * A reader first describes the dataset (classes and a stable, ordered list of items with
 * stable ids — metadata only, cheap to hold for millions of items), then streams decoded
 * images in batches. Pixel memory is bounded by the batch size plus the decode window; no
 * reader ever loads the whole set.
 */
import { readdir, stat } from "node:fs/promises";
import { basename, resolve } from "node:path";
import { CIFAR_BATCH_FILE, Cifar10BinaryReader, type Cifar10ReaderOptions } from "./cifar10-binary.ts";
import type { DatasetFormat, DatasetItem, DatasetReader, ReaderOptions } from "./dataset-types.ts";
import { DatasetError } from "./errors.ts";
import { ImageFolderReader } from "./image-folder.ts";
import {
  ambientS3Credentials,
  isS3Uri,
  listObjects,
  parseS3Uri,
  type S3Credentials,
  s3Client,
} from "./s3.ts";
import { S3ImageFolderReader } from "./s3-image-folder.ts";
import { isShardSpec, WebDatasetReader } from "./webdataset.ts";

export type * from "./dataset-types.ts";
export { DatasetError, type DatasetErrorCode } from "./errors.ts";

export interface OpenDatasetOptions extends ReaderOptions, Pick<Cifar10ReaderOptions, "split"> {
  /** Skip detection. */
  format?: DatasetFormat;
  /** `s3://` data sets: these credentials instead of the standard AWS chain (a tenant's grant). */
  s3Credentials?: S3Credentials;
}

const ARCHIVE = /\.(tar|tar\.gz|tgz|zip|tar\.bz2|tar\.xz)$/i;

/**
 * Opens the dataset at `path`, detecting its format: a directory holding CIFAR-10 batch files
 * (`data_batch_N.bin`, `test_batch.bin`) is CIFAR-10 binary, any other directory is an
 * ImageFolder root (point at the split folder, e.g. `cifar10/train`). The layout is validated
 * before returning, so layout problems surface here as a `DatasetError` naming the path.
 * A dataset with a single class is accepted: whether that is useful is the caller's decision.
 */
export async function openDataset(path: string, opts: OpenDatasetOptions = {}): Promise<DatasetReader> {
  if (isS3Uri(path)) return openS3Dataset(path, opts);
  if (opts.format === "webdataset" || (isShardSpec(path) && !(await isDirectory(path)))) {
    const reader = new WebDatasetReader(path, undefined, opts);
    await reader.describe();
    return reader;
  }
  const root = resolve(path);
  let isDir: boolean;
  try {
    isDir = (await stat(root)).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR")
      throw new DatasetError("NOT_FOUND", root, `dataset path ${root} does not exist`);
    throw err;
  }
  if (!isDir) {
    const hint = ARCHIVE.test(root)
      ? "it is an archive: extract it and pass the extracted directory"
      : CIFAR_BATCH_FILE.test(basename(root))
        ? "pass the directory that holds the CIFAR-10 batch files"
        : "a dataset is a directory (ImageFolder root or CIFAR-10 batch directory)";
    throw new DatasetError(
      "NOT_A_DIRECTORY",
      root,
      `dataset path ${root} is a file, not a directory: ${hint}`,
    );
  }
  const format = opts.format ?? (await detectFormat(root));
  const reader: DatasetReader =
    format === "cifar10-binary"
      ? new Cifar10BinaryReader(root, opts)
      : format === "webdataset"
        ? new WebDatasetReader(root, undefined, opts)
        : new ImageFolderReader(root, opts);
  await reader.describe();
  return reader;
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** CIFAR-10 batch files: CIFAR; only `.tar` files and no sub-folders: WebDataset; else ImageFolder. */
async function detectFormat(root: string): Promise<DatasetFormat> {
  const entries = await readdir(root, { withFileTypes: true });
  if (entries.some((e) => CIFAR_BATCH_FILE.test(e.name))) return "cifar10-binary";
  const visible = entries.filter((e) => !e.name.startsWith("."));
  if (visible.some((e) => SHARD_FILE.test(e.name)) && !visible.some((e) => e.isDirectory()))
    return "webdataset";
  return "imagefolder";
}

const SHARD_FILE = /\.tar$/i;

/**
 * `s3://bucket/prefix`: a `.tar` key or brace pattern is WebDataset; a prefix whose direct
 * objects are `.tar` shards (and that has no class folders) is WebDataset; else ImageFolder.
 * Detection costs one listing page.
 */
async function openS3Dataset(uri: string, opts: OpenDatasetOptions): Promise<DatasetReader> {
  const loc = parseS3Uri(uri);
  const client = s3Client(opts.s3Credentials ?? ambientS3Credentials());
  let format = opts.format;
  if (format === undefined) {
    if (isShardSpec(loc.key)) format = "webdataset";
    else {
      const prefix = loc.key === "" || loc.key.endsWith("/") ? loc.key : `${loc.key}/`;
      let shards = false;
      let folders = false;
      let n = 0;
      for await (const o of listObjects(client, loc.bucket, prefix)) {
        const rel = o.key.slice(prefix.length);
        if (rel.includes("/")) folders = true;
        else if (SHARD_FILE.test(rel)) shards = true;
        if (++n >= 1000) break;
      }
      format = shards && !folders ? "webdataset" : "imagefolder";
    }
  }
  if (format === "cifar10-binary")
    throw new DatasetError(
      "INVALID_ARGUMENT",
      uri,
      `${uri}: CIFAR-10 binary batches are read from disk only`,
    );
  const reader: DatasetReader =
    format === "webdataset"
      ? new WebDatasetReader(uri, client, opts)
      : new S3ImageFolderReader(uri, client, opts);
  await reader.describe();
  return reader;
}

/**
 * Bytes of an item's original encoding, for storage ratios: its file's size, counted once per
 * file in `seen`; a CIFAR-10 binary record is 1 label byte + its pixels.
 */
export async function encodedBytes(
  item: DatasetItem,
  img: { width: number; height: number },
  seen: Set<string>,
): Promise<number> {
  if (item.record !== undefined) return 1 + img.width * img.height * 3;
  // A WebDataset sample's image member (the shard also holds .cls and tar headers).
  if (item.range !== undefined) return item.range[1];
  if (seen.has(item.source)) return 0;
  seen.add(item.source);
  return item.size ?? (await stat(item.source)).size;
}
