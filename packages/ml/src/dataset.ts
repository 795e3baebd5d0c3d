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
import type { DecodeOptions } from "./decode.ts";
import { DatasetError } from "./errors.ts";
import { ImageFolderReader } from "./image-folder.ts";
import type { RasterImage } from "./raster.ts";

export { DatasetError, type DatasetErrorCode } from "./errors.ts";

export type DatasetFormat = "imagefolder" | "cifar10-binary";

export interface DatasetItem {
  /**
   * Stable across runs and machines: ImageFolder `class/file` (the path relative to the
   * root, "/"-separated); CIFAR binary `file#index` (e.g. `data_batch_2.bin#17`).
   */
  readonly id: string;
  /** Index into `classes`. */
  readonly label: number;
  /** Absolute path of the file that holds the item. */
  readonly source: string;
  /** CIFAR binary only: the record's index inside `source`. */
  readonly record?: number;
}

export interface DatasetDescription {
  readonly format: DatasetFormat;
  /** Absolute path of the dataset root. */
  readonly root: string;
  /** Class names; a label is an index into this list. */
  readonly classes: readonly string[];
  readonly size: number;
  /** Every item, in the dataset's stable order (ImageFolder: class, then file name, byte-wise). */
  readonly items: readonly DatasetItem[];
}

export interface DatasetBatch {
  /** Positions of the items in `describe().items`. */
  readonly indices: number[];
  readonly items: DatasetItem[];
  /** Decoded RGB images, `images[k]` belonging to `items[k]`. */
  readonly images: RasterImage[];
}

export interface BatchOptions {
  /**
   * Visit only these item positions, in this order (duplicates are visited twice).
   * Default: every item in dataset order.
   */
  indices?: readonly number[];
  /** Stops the stream (the pending `next()` rejects with the signal's reason). */
  signal?: AbortSignal;
}

/** A file that `skipBadFiles` left out of the stream. */
export interface SkippedFile {
  readonly id: string;
  readonly path: string;
  readonly reason: string;
}

/** Observes every read of pixel data; lets callers (and tests) meter I/O. */
export type ReadHook = (event: { path: string; bytes: number }) => void;

export interface ReaderOptions extends DecodeOptions {
  /** Leave undecodable files out of the stream and list them in `skipped` instead of throwing. */
  skipBadFiles?: boolean;
  /**
   * Decodes in flight at once (ImageFolder). Default 8: enough to keep libuv's 4 threads busy.
   * At most 4 × concurrency decoded images wait ahead of the batch being assembled.
   */
  concurrency?: number;
  /**
   * How ImageFolder files are read: "sync" (default; fastest for local, page-cached data) or
   * "async" (overlaps latency on network storage). `ADQ_READ_MODE=async` changes the default.
   */
  readMode?: "sync" | "async";
  onRead?: ReadHook;
}

export interface DatasetReader {
  readonly format: DatasetFormat;
  /** Absolute path of the dataset root. */
  readonly root: string;
  /** Scans the dataset once (later calls return the same object) and validates its layout. */
  describe(): Promise<DatasetDescription>;
  /**
   * Streams decoded images. Every batch holds `batchSize` images except the last; with
   * `skipBadFiles`, bad files are dropped and the batch is topped up from the following items.
   */
  batches(batchSize: number, opts?: BatchOptions): AsyncGenerator<DatasetBatch, void, undefined>;
  /**
   * Files skipped so far (with `skipBadFiles`), in dataset order of discovery, each listed
   * once. Complete after one full pass of `batches()`.
   */
  readonly skipped: readonly SkippedFile[];
}

export interface OpenDatasetOptions extends ReaderOptions, Pick<Cifar10ReaderOptions, "split"> {
  /** Skip detection. */
  format?: DatasetFormat;
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
    format === "cifar10-binary" ? new Cifar10BinaryReader(root, opts) : new ImageFolderReader(root, opts);
  await reader.describe();
  return reader;
}

async function detectFormat(root: string): Promise<DatasetFormat> {
  const names = await readdir(root);
  return names.some((n) => CIFAR_BATCH_FILE.test(n)) ? "cifar10-binary" : "imagefolder";
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
  if (seen.has(item.source)) return 0;
  seen.add(item.source);
  return (await stat(item.source)).size;
}
