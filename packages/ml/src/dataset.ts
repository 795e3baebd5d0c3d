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

export type * from "./dataset-types.ts";
export { DatasetError, type DatasetErrorCode } from "./errors.ts";

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
