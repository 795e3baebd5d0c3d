/**
 * The dataset reader contract: what `openDataset` returns and both readers (ImageFolder,
 * CIFAR-10 binary) implement. A module of its own so that the readers depend on the contract
 * and `dataset.ts` (format detection) depends on the readers, with no import cycle.
 */
import type { DecodeOptions } from "./decode.ts";
import type { RasterImage } from "./raster.ts";

export type DatasetFormat = "imagefolder" | "cifar10-binary" | "webdataset";

export interface DatasetItem {
  /**
   * Stable across runs and machines: ImageFolder `class/file` (the path relative to the
   * root, "/"-separated); CIFAR binary `file#index` (e.g. `data_batch_2.bin#17`).
   */
  readonly id: string;
  /** Index into `classes`. */
  readonly label: number;
  /**
   * What holds the item: an absolute path, or an `s3://bucket/key` URI. WebDataset: the shard
   * (ids are the samples' `__key__`).
   */
  readonly source: string;
  /** CIFAR binary only: the record's index inside `source`. */
  readonly record?: number;
  /** WebDataset only: `[offset, length]` of the image member's bytes inside the shard. */
  readonly range?: readonly [number, number];
  /** Remote sources: the listed ETag of `source`, which every read pins (a change fails the read). */
  readonly version?: string;
  /** Remote sources: the listed size in bytes of `source`. */
  readonly size?: number;
}

export interface DatasetDescription {
  readonly format: DatasetFormat;
  /** Absolute path of the dataset root, or the `s3://` URI / shard pattern as given. */
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
