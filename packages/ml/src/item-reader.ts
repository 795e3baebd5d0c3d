/**
 * What the dataset readers share. ScannedReader: describe() scans once and later calls get the
 * same promise; a failed scan is not cached, so a caller can fix the tree and retry.
 * ImageItemReader: the readers whose items are images loaded one by one (ImageFolder on disk or
 * S3, WebDataset) stream them through batchStream and list the files skipped on the way.
 */
import { batchStream } from "./batch-stream.ts";
import type {
  BatchOptions,
  DatasetBatch,
  DatasetDescription,
  DatasetFormat,
  DatasetItem,
  DatasetReader,
  ReaderOptions,
  SkippedFile,
} from "./dataset-types.ts";
import type { DecodeOptions } from "./decode.ts";
import type { RasterImage } from "./raster.ts";
import { checkBatchSize } from "./reader-util.ts";

export abstract class ScannedReader {
  private description: Promise<DatasetDescription> | undefined;

  /** Lists the items and validates the layout (called again only after a failure). */
  protected abstract scan(): Promise<DatasetDescription>;

  describe(): Promise<DatasetDescription> {
    this.description ??= this.scan().catch((err: unknown) => {
      this.description = undefined;
      throw err;
    });
    return this.description;
  }
}

/** The decode options a reader's options ask for. */
export function decodeOptions(opts: ReaderOptions): DecodeOptions {
  const { size, fit, maxPixels, fastJpeg } = opts;
  return { size, fit, maxPixels, ...(fastJpeg !== undefined ? { fastJpeg } : {}) };
}

export abstract class ImageItemReader extends ScannedReader implements DatasetReader {
  abstract readonly format: DatasetFormat;
  abstract readonly root: string;
  protected readonly decodeOpts: DecodeOptions;
  private readonly skippedById = new Map<string, SkippedFile>();

  constructor(
    protected readonly opts: ReaderOptions,
    /** Loads in flight when the options name none: what bounds a load (disk, network) differs. */
    private readonly defaultConcurrency: number,
  ) {
    super();
    this.decodeOpts = decodeOptions(opts);
  }

  get skipped(): readonly SkippedFile[] {
    return [...this.skippedById.values()];
  }

  /** One item's decoded image; a BadImageError is skipped with `skipBadFiles`. */
  protected abstract load(item: DatasetItem): Promise<RasterImage>;

  async *batches(batchSize: number, opts: BatchOptions = {}): AsyncGenerator<DatasetBatch, void, undefined> {
    checkBatchSize(batchSize);
    const { items } = await this.describe();
    yield* batchStream(items, batchSize, opts, (item) => this.load(item), {
      concurrency: this.opts.concurrency ?? this.defaultConcurrency,
      skipBadFiles: this.opts.skipBadFiles === true,
      skipped: this.skippedById,
    });
  }
}
