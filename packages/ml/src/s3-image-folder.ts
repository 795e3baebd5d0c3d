/**
 * ImageFolder over S3: `s3://bucket/prefix/<class>/<image>`, with exactly the rules of the
 * on-disk reader (image-folder.ts): classes are the first key segments sorted byte-wise,
 * items the image keys directly under a class sorted byte-wise, names starting with "." are
 * ignored, nested "folders" are not walked. So the same tree uploaded to a bucket gives the
 * same ids, labels and order, hence the same selection.
 *
 * describe() lists the prefix once, page by page (1000 keys per request; memory: the item
 * list, O(N) small records). Images are fetched one GET each, `concurrency` in flight, each
 * pinned to the listed ETag so that a changed object fails the read instead of mixing versions.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import type { DatasetDescription, DatasetItem, ReaderOptions } from "./dataset-types.ts";
import { decodeImage } from "./decode.ts";
import { DatasetError } from "./errors.ts";
import { IMAGE_EXTENSIONS, isImageFileName } from "./image-folder.ts";
import { ImageItemReader } from "./item-reader.ts";
import type { RasterImage } from "./raster.ts";
import { byteCompare } from "./reader-util.ts";
import { getObjectBytes, listObjects, parseS3Uri, type S3Location } from "./s3.ts";

const DEFAULT_CONCURRENCY = 16; // network latency, not CPU, bounds a GET

export class S3ImageFolderReader extends ImageItemReader {
  readonly format = "imagefolder" as const;
  readonly root: string;
  private readonly loc: S3Location;

  constructor(
    uri: string,
    private readonly client: S3Client,
    opts: ReaderOptions = {},
  ) {
    super(opts, DEFAULT_CONCURRENCY);
    const loc = parseS3Uri(uri);
    // The prefix names a folder: "a/b" must not match "a/bc/…".
    this.loc = { bucket: loc.bucket, key: loc.key === "" || loc.key.endsWith("/") ? loc.key : `${loc.key}/` };
    this.root = `s3://${this.loc.bucket}/${this.loc.key}`;
  }

  protected scan(): Promise<DatasetDescription> {
    return scanS3ImageFolder(this.client, this.loc, this.root);
  }

  protected async load(item: DatasetItem): Promise<RasterImage> {
    const key = item.source.slice(`s3://${this.loc.bucket}/`.length);
    const bytes = await getObjectBytes(this.client, { bucket: this.loc.bucket, key }, item.version);
    this.opts.onRead?.({ path: item.source, bytes: bytes.length });
    return decodeImage(bytes, item.source, this.decodeOpts);
  }
}

/** Lists classes and items from the keys and validates the layout; reads no object. */
export async function scanS3ImageFolder(
  client: S3Client,
  loc: S3Location,
  root: string,
): Promise<DatasetDescription> {
  const byClass = new Map<
    string,
    { images: { name: string; size: number; etag: string }[]; subdirs: Set<string> }
  >();
  let topFiles = 0;
  let topImages = 0;
  let any = false;
  for await (const o of listObjects(client, loc.bucket, loc.key)) {
    any = true;
    const parts = o.key.slice(loc.key.length).split("/");
    if (parts.length === 1) {
      if (!parts[0]!.startsWith(".")) {
        topFiles++;
        if (isImageFileName(parts[0]!)) topImages++;
      }
      continue;
    }
    const cls = parts[0]!;
    if (cls === "" || cls.startsWith(".")) continue;
    let c = byClass.get(cls);
    if (!c) {
      c = { images: [], subdirs: new Set() };
      byClass.set(cls, c);
    }
    if (parts.length > 2) {
      if (!parts[1]!.startsWith(".") && parts[1] !== "") c.subdirs.add(parts[1]!);
    } else if (isImageFileName(parts[1]!)) c.images.push({ name: parts[1]!, size: o.size, etag: o.etag });
  }
  if (!any) throw new DatasetError("NOT_FOUND", root, `dataset ${root} does not exist (no object under it)`);
  if (byClass.size === 0) {
    if (topImages > 0)
      throw new DatasetError(
        "NO_CLASS_FOLDERS",
        root,
        `${root} holds ${topImages} image file(s) but no class folders: an ImageFolder dataset is laid out root/<class>/<image>`,
      );
    throw new DatasetError(
      "EMPTY_DATASET",
      root,
      topFiles === 0 ? `dataset ${root} is empty` : `dataset ${root} holds no class folders`,
    );
  }
  const classes = [...byClass.keys()].sort(byteCompare);
  const items: DatasetItem[] = [];
  for (const [label, cls] of classes.entries()) {
    const c = byClass.get(cls)!;
    if (c.images.length === 0) {
      const dirs = [...c.subdirs].sort(byteCompare);
      const sub =
        dirs.length > 0
          ? ` It holds sub-folders (${dirs.slice(0, 3).join(", ")}${dirs.length > 3 ? `, … ${dirs.length} in all` : ""}): point at a split folder instead.`
          : "";
      throw new DatasetError(
        "EMPTY_CLASS",
        `${root}${cls}/`,
        `class folder ${root}${cls}/ holds no images (${IMAGE_EXTENSIONS.join(", ")}).${sub}`,
      );
    }
    c.images.sort((a, b) => byteCompare(a.name, b.name));
    for (const f of c.images)
      items.push({
        id: `${cls}/${f.name}`,
        label,
        source: `${root}${cls}/${f.name}`,
        version: f.etag,
        size: f.size,
      });
  }
  return { format: "imagefolder", root, classes, size: items.length, items };
}
