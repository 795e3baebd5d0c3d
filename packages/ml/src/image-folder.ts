/**
 * ImageFolder reader: `root/<class>/<image>`, the layout of torchvision's ImageFolder.
 *
 * Classes are the root's sub-directories sorted byte-wise (label = position); a class's items
 * are its JPEG/PNG/WebP files (extension matched case-insensitively) sorted byte-wise. Only
 * files directly inside a class folder count: nested folders are not walked, so pointing at a
 * split's parent (`cifar10/` instead of `cifar10/train`) fails loudly instead of silently
 * becoming a two-class "train"/"test" dataset. Names starting with "." are ignored (macOS
 * `._x.jpg` resource forks and `.ipynb_checkpoints` are not data).
 */
import type { Dirent } from "node:fs";
import { readdir, realpath, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { confinedRealpath } from "./confine.ts";
import type { DatasetDescription, DatasetItem, ReaderOptions } from "./dataset-types.ts";
import { decodeImage, defaultMaxFileBytes, readImageBytes } from "./decode.ts";
import { DatasetError } from "./errors.ts";
import { ImageItemReader } from "./item-reader.ts";
import type { RasterImage } from "./raster.ts";
import { byteCompare } from "./reader-util.ts";

export const IMAGE_EXTENSIONS = [".jpg", ".jpeg", ".png", ".webp"] as const;

const IMAGE_FILE = /\.(jpe?g|png|webp)$/i;

export function isImageFileName(name: string): boolean {
  return !name.startsWith(".") && IMAGE_FILE.test(name);
}

const DEFAULT_CONCURRENCY = 8;

export class ImageFolderReader extends ImageItemReader {
  readonly format = "imagefolder" as const;
  readonly root: string;
  private readonly syncReads: boolean;
  /** Real path of the root: every file read must lie inside it (confine.ts). */
  private realRoot: string | undefined;

  constructor(root: string, opts: ReaderOptions = {}) {
    super(opts, DEFAULT_CONCURRENCY);
    this.root = resolve(root);
    const mode = opts.readMode ?? (process.env.ADQ_READ_MODE === "async" ? "async" : "sync");
    if (mode !== "sync" && mode !== "async")
      throw new RangeError(`readMode must be "sync" or "async", got ${mode}`);
    this.syncReads = mode === "sync";
    const c = opts.concurrency ?? DEFAULT_CONCURRENCY;
    if (!Number.isInteger(c) || c < 1)
      throw new RangeError(`concurrency must be a positive integer, got ${c}`);
  }

  protected async scan(): Promise<DatasetDescription> {
    this.realRoot = await realpath(this.root);
    return scanImageFolder(this.root);
  }

  protected async load(item: DatasetItem): Promise<RasterImage> {
    const bytes = await readImageBytes(
      item.source,
      this.syncReads,
      this.realRoot,
      defaultMaxFileBytes(this.decodeOpts.maxPixels),
    );
    this.opts.onRead?.({ path: item.source, bytes: bytes.length });
    return decodeImage(bytes, item.source, this.decodeOpts);
  }
}

/**
 * Resolves symlinks so that a linked class folder or image counts like a real one — as long
 * as it stays inside the dataset folder (`realRoot`); a link out of it is refused.
 */
async function kindOf(dir: string, e: Dirent, realRoot: string): Promise<"dir" | "file" | "other"> {
  if (e.isDirectory()) return "dir";
  if (e.isFile()) return "file";
  if (!e.isSymbolicLink()) return "other";
  const path = join(dir, e.name);
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    return "other"; // dangling link
  }
  await confinedRealpath(real, realRoot);
  const s = await stat(real);
  return s.isDirectory() ? "dir" : s.isFile() ? "file" : "other";
}

async function listVisible(dir: string, realRoot: string): Promise<{ dirs: string[]; files: string[] }> {
  const entries = await readdir(dir, { withFileTypes: true });
  const dirs: string[] = [];
  const files: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith(".")) continue;
    const kind = await kindOf(dir, e, realRoot).catch((err: unknown) => {
      // Name the link as the dataset spells it, not its target.
      if (err instanceof DatasetError && err.code === "OUTSIDE_ROOT")
        throw new DatasetError(
          "OUTSIDE_ROOT",
          join(dir, e.name),
          `${join(dir, e.name)} is a symbolic link out of the dataset folder: refused (links must stay inside the dataset)`,
        );
      throw err;
    });
    if (kind === "dir") dirs.push(e.name);
    else if (kind === "file") files.push(e.name);
  }
  dirs.sort(byteCompare);
  files.sort(byteCompare);
  return { dirs, files };
}

/** Lists classes and items and validates the layout; reads no image data. */
export async function scanImageFolder(root: string): Promise<DatasetDescription> {
  const realRoot = await realpath(root);
  const top = await listVisible(root, realRoot);
  if (top.dirs.length === 0) {
    const images = top.files.filter(isImageFileName);
    if (images.length > 0)
      throw new DatasetError(
        "NO_CLASS_FOLDERS",
        root,
        `${root} holds ${images.length} image file(s) but no class folders: an ImageFolder dataset is laid out root/<class>/<image>`,
      );
    throw new DatasetError(
      "EMPTY_DATASET",
      root,
      top.files.length === 0
        ? `dataset directory ${root} is empty`
        : `dataset directory ${root} holds no class folders and no CIFAR-10 batch files`,
    );
  }
  const items: DatasetItem[] = [];
  for (const [label, cls] of top.dirs.entries()) {
    const dir = join(root, cls);
    const { dirs, files } = await listVisible(dir, realRoot);
    const images = files.filter(isImageFileName);
    if (images.length === 0) {
      // The usual cause: the parent of train/ and test/ was given instead of a split folder.
      const sub =
        dirs.length > 0
          ? ` It holds sub-folders (${preview(dirs)}): if ${root} is the parent of split folders, point at a split folder such as ${dir} instead.`
          : "";
      throw new DatasetError(
        "EMPTY_CLASS",
        dir,
        `class folder ${dir} holds no images (${IMAGE_EXTENSIONS.join(", ")}).${sub}`,
      );
    }
    for (const f of images) items.push({ id: `${cls}/${f}`, label, source: join(dir, f) });
  }
  return { format: "imagefolder", root, classes: top.dirs, size: items.length, items };
}

function preview(names: string[]): string {
  return names.length <= 3 ? names.join(", ") : `${names.slice(0, 3).join(", ")}, … ${names.length} in all`;
}
