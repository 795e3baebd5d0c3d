/**
 * CIFAR-10 binary batches (the "binary version" of https://www.cs.toronto.edu/~kriz/cifar.html):
 * each record is 1 label byte then 3072 pixel bytes — the 1024-byte R plane, then G, then B,
 * each 32×32 row-major. Train split = `data_batch_1.bin` … `data_batch_5.bin`, test split =
 * `test_batch.bin`; `batches.meta.txt` lists the class names one per line.
 *
 * The reader never holds more than one batch of records: it scans label bytes once for
 * `describe()` with a fixed-size buffer, then reads records by offset from an open file handle,
 * coalescing consecutive records into one read.
 */
import { type FileHandle, readdir, realpath } from "node:fs/promises";
import { join, resolve } from "node:path";
import { openConfined, readConfinedFile } from "./confine.ts";
import type {
  BatchOptions,
  DatasetBatch,
  DatasetDescription,
  DatasetItem,
  DatasetReader,
  ReaderOptions,
  SkippedFile,
} from "./dataset-types.ts";
import { resizeRaster } from "./decode.ts";
import { DatasetError } from "./errors.ts";
import { ScannedReader } from "./item-reader.ts";
import type { RasterImage } from "./raster.ts";
import { byteCompare, checkBatchSize, resolveIndices } from "./reader-util.ts";

export const CIFAR_SIDE = 32;
export const CIFAR_PIXELS = CIFAR_SIDE * CIFAR_SIDE;
export const CIFAR_RECORD_BYTES = 1 + 3 * CIFAR_PIXELS;
export const CIFAR10_CLASSES: readonly string[] = [
  "airplane",
  "automobile",
  "bird",
  "cat",
  "deer",
  "dog",
  "frog",
  "horse",
  "ship",
  "truck",
];
export const CIFAR_META_FILE = "batches.meta.txt";
/** Names of CIFAR-10 batch files (either split). */
export const CIFAR_BATCH_FILE = /^(data_batch_\d+|test_batch)\.bin$/;
const TRAIN_FILE = /^data_batch_\d+\.bin$/;
const TEST_FILE = /^test_batch\.bin$/;

// ---- pure record codec ----

/** One record (label byte + planar RGB) to a label and an interleaved 32×32 RGB image. */
export function decodeCifarRecord(buf: Uint8Array, offset = 0): { label: number; image: RasterImage } {
  if (buf.length - offset < CIFAR_RECORD_BYTES)
    throw new RangeError(`a CIFAR record needs ${CIFAR_RECORD_BYTES} bytes, got ${buf.length - offset}`);
  const label = buf[offset]!;
  const data = new Uint8Array(CIFAR_PIXELS * 3);
  const r = offset + 1;
  const g = r + CIFAR_PIXELS;
  const b = g + CIFAR_PIXELS;
  for (let p = 0, k = 0; p < CIFAR_PIXELS; p++, k += 3) {
    data[k] = buf[r + p]!;
    data[k + 1] = buf[g + p]!;
    data[k + 2] = buf[b + p]!;
  }
  return { label, image: { width: CIFAR_SIDE, height: CIFAR_SIDE, channels: 3, data } };
}

/** The inverse of `decodeCifarRecord`: for writing batch files (fixtures, exports). */
export function encodeCifarRecord(label: number, image: RasterImage): Uint8Array {
  if (!Number.isInteger(label) || label < 0 || label > 255)
    throw new RangeError(`CIFAR label must be a byte, got ${label}`);
  if (image.width !== CIFAR_SIDE || image.height !== CIFAR_SIDE || image.channels !== 3)
    throw new RangeError(`CIFAR records are 32×32 RGB, got ${image.width}×${image.height}×${image.channels}`);
  const out = new Uint8Array(CIFAR_RECORD_BYTES);
  out[0] = label;
  for (let p = 0, k = 0; p < CIFAR_PIXELS; p++, k += 3) {
    out[1 + p] = image.data[k]!;
    out[1 + CIFAR_PIXELS + p] = image.data[k + 1]!;
    out[1 + 2 * CIFAR_PIXELS + p] = image.data[k + 2]!;
  }
  return out;
}

/** Class names from `batches.meta.txt` text: one per line, blank lines (the original ends with some) dropped. */
export function parseCifarMeta(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

// ---- reader ----

export type CifarSplit = "train" | "test";

export interface Cifar10ReaderOptions extends ReaderOptions {
  /** Default: "train" when `data_batch_*.bin` files are present, else "test". */
  split?: CifarSplit;
}

/** Records read per `read()` while scanning labels: ~1 MB, whatever the file size. */
const SCAN_RECORDS = 341;

export class Cifar10BinaryReader extends ScannedReader implements DatasetReader {
  readonly format = "cifar10-binary" as const;
  readonly root: string;
  /** Records are raw bytes, never undecodable: nothing is ever skipped. */
  readonly skipped: readonly SkippedFile[] = [];
  private readonly opts: Cifar10ReaderOptions;

  constructor(dir: string, opts: Cifar10ReaderOptions = {}) {
    super();
    this.root = resolve(dir);
    this.opts = opts;
  }

  protected scan(): Promise<DatasetDescription> {
    return scanCifarDir(this.root, this.opts.split);
  }

  async *batches(batchSize: number, opts: BatchOptions = {}): AsyncGenerator<DatasetBatch, void, undefined> {
    checkBatchSize(batchSize);
    const { items } = await this.describe();
    const order = resolveIndices(opts.indices, items.length);
    const handles = new Map<string, FileHandle>();
    try {
      for (let start = 0; start < order.length; start += batchSize) {
        opts.signal?.throwIfAborted();
        const indices = order.slice(start, start + batchSize);
        const batchItems = indices.map((i) => items[i]!);
        let images = await this.readRecords(batchItems, handles);
        const size = this.opts.size;
        if (size !== undefined && size !== CIFAR_SIDE)
          images = await Promise.all(images.map((img) => resizeRaster(img, size, this.opts.fit ?? "fill")));
        yield { indices: [...indices], items: batchItems, images };
      }
    } finally {
      await Promise.all([...handles.values()].map((h) => h.close()));
    }
  }

  /** Reads the records of one batch, one `read()` per run of consecutive records in a file. */
  private async readRecords(items: DatasetItem[], handles: Map<string, FileHandle>): Promise<RasterImage[]> {
    const images: RasterImage[] = new Array(items.length);
    let k = 0;
    while (k < items.length) {
      const first = items[k]!;
      let end = k + 1;
      while (
        end < items.length &&
        items[end]!.source === first.source &&
        items[end]!.record === first.record! + (end - k)
      )
        end++;
      let fh = handles.get(first.source);
      if (fh === undefined) {
        fh = await openConfined(first.source, await realpath(this.root));
        handles.set(first.source, fh);
      }
      const bytes = (end - k) * CIFAR_RECORD_BYTES;
      const buf = new Uint8Array(bytes);
      const { bytesRead } = await fh.read(buf, 0, bytes, first.record! * CIFAR_RECORD_BYTES);
      this.opts.onRead?.({ path: first.source, bytes: bytesRead });
      if (bytesRead !== bytes)
        throw new DatasetError(
          "CORRUPT_DATASET",
          first.source,
          `${first.source} is shorter than when it was scanned (record ${first.record} onwards missing)`,
        );
      for (let j = k; j < end; j++) images[j] = decodeCifarRecord(buf, (j - k) * CIFAR_RECORD_BYTES).image;
      k = end;
    }
    return images;
  }
}

/** Lists the split's batch files, reads class names and label bytes, validates sizes and labels. */
export async function scanCifarDir(root: string, split?: CifarSplit): Promise<DatasetDescription> {
  const names = await readdir(root);
  const realRoot = await realpath(root);
  const train = names.filter((n) => TRAIN_FILE.test(n)).sort(byteCompare);
  const test = names.filter((n) => TEST_FILE.test(n));
  const chosen = split ?? (train.length > 0 ? "train" : "test");
  const files = chosen === "train" ? train : test;
  if (files.length === 0) {
    const expected = chosen === "train" ? "data_batch_1.bin … data_batch_5.bin" : "test_batch.bin";
    throw new DatasetError(
      split === undefined ? "EMPTY_DATASET" : "INVALID_ARGUMENT",
      root,
      `${root} has no CIFAR-10 ${chosen} split (expected ${expected})`,
    );
  }
  const classes = names.includes(CIFAR_META_FILE)
    ? parseCifarMeta(
        // Ten short class names: 1 MiB is ample, and bounds what a huge meta file costs.
        (await readConfinedFile(join(root, CIFAR_META_FILE), realRoot, 1 << 20)).toString("utf8"),
      )
    : [...CIFAR10_CLASSES];
  if (classes.length === 0)
    throw new DatasetError(
      "CORRUPT_DATASET",
      join(root, CIFAR_META_FILE),
      `${CIFAR_META_FILE} lists no class names`,
    );

  const items: DatasetItem[] = [];
  for (const name of files) {
    const path = join(root, name);
    const fh = await openConfined(path, realRoot);
    try {
      const { size } = await fh.stat();
      if (size === 0 || size % CIFAR_RECORD_BYTES !== 0)
        throw new DatasetError(
          "CORRUPT_DATASET",
          path,
          `${path} is ${size} bytes, not a whole number of ${CIFAR_RECORD_BYTES}-byte CIFAR-10 records`,
        );
      const count = size / CIFAR_RECORD_BYTES;
      const buf = new Uint8Array(SCAN_RECORDS * CIFAR_RECORD_BYTES);
      for (let first = 0; first < count; first += SCAN_RECORDS) {
        const n = Math.min(SCAN_RECORDS, count - first);
        const { bytesRead } = await fh.read(buf, 0, n * CIFAR_RECORD_BYTES, first * CIFAR_RECORD_BYTES);
        if (bytesRead !== n * CIFAR_RECORD_BYTES)
          throw new DatasetError("CORRUPT_DATASET", path, `${path} changed while being read`);
        for (let j = 0; j < n; j++) {
          const record = first + j;
          const label = buf[j * CIFAR_RECORD_BYTES]!;
          if (label >= classes.length)
            throw new DatasetError(
              "CORRUPT_DATASET",
              path,
              `${path} record ${record} has label ${label}, but there are only ${classes.length} classes`,
            );
          items.push({ id: `${name}#${record}`, label, source: path, record });
        }
      }
    } finally {
      await fh.close();
    }
  }
  return { format: "cifar10-binary", root, classes, size: items.length, items };
}
