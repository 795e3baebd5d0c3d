/**
 * WebDataset reader: samples stored as consecutive members of `.tar` shards, grouped by
 * `__key__` (the member path up to the first "." of its base name), with the image in a
 * `.jpg`/`.jpeg`/`.png`/`.webp` member and the class index in a `.cls` member (decimal text).
 *
 * Shards are named by a local `.tar` file, a directory of `.tar` files, an `s3://` prefix of
 * `.tar` objects, or a brace pattern over either (`shards-{000..009}.tar`, `{a,b}`). Order:
 * shards in the pattern's order (a listing: byte-wise), samples in archive order. Classes are
 * the distinct `.cls` values in increasing order, named by their decimal string.
 *
 * describe() streams every shard once, keeping only the small `.cls` members and each image
 * member's offset and length (tar.ts); batches() then reads exactly those byte ranges — a
 * positional read on disk, a ranged GET pinned to the shard's ETag on S3 — so any subset can
 * be visited in any order without unpacking the shards.
 */
import { createReadStream } from "node:fs";
import { open, readdir, stat } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import type { DatasetDescription, DatasetItem, ReaderOptions } from "./dataset-types.ts";
import { BadImageError, decodeImage } from "./decode.ts";
import { DatasetError } from "./errors.ts";
import { ImageItemReader } from "./item-reader.ts";
import type { RasterImage } from "./raster.ts";
import { byteCompare } from "./reader-util.ts";
import { getObjectBytes, getObjectStream, isS3Uri, listObjects, parseS3Uri } from "./s3.ts";
import { scanTar } from "./tar.ts";

const IMAGE_EXT = ["jpg", "jpeg", "png", "webp"] as const;
const SHARD = /\.tar$/i;
const MAX_SHARDS = 1_000_000;

/** A shard as listed: where it is, and for S3 its ETag and size. */
export interface Shard {
  readonly source: string;
  readonly version?: string;
  readonly size?: number;
}

/** True for names that are WebDataset shard specs: a `.tar` file/key or a brace pattern. */
export function isShardSpec(spec: string): boolean {
  return SHARD.test(spec) || /\{[^}]*(\.\.|,)[^}]*\}/.test(spec);
}

/**
 * Expands `{a..b}` (integers; zero-padded to the wider bound when either is) and `{x,y,z}`
 * braces, left to right; O(product of the ranges), refused above a million names.
 */
export function expandBraces(pattern: string): string[] {
  const m = /\{([^{}]*)\}/.exec(pattern);
  if (!m) return [pattern];
  const body = m[1]!;
  let alts: string[];
  const range = /^(-?\d+)\.\.(-?\d+)$/.exec(body);
  if (range) {
    const [a, b] = [range[1]!, range[2]!];
    const from = Number.parseInt(a, 10);
    const to = Number.parseInt(b, 10);
    if (Math.abs(to - from) >= MAX_SHARDS) throw new RangeError(`brace range {${body}} is too large`);
    const width = /^-?0\d/.test(a) || /^-?0\d/.test(b) ? Math.max(a.length, b.length) : 0;
    const step = from <= to ? 1 : -1;
    alts = [];
    for (let i = from; step > 0 ? i <= to : i >= to; i += step) alts.push(String(i).padStart(width, "0"));
  } else if (body.includes(",")) alts = body.split(",");
  else return [pattern];
  // The left-most brace varies slowest, as in a shell.
  const head = pattern.slice(0, m.index);
  const rests = expandBraces(pattern.slice(m.index + m[0].length));
  if (alts.length * rests.length > MAX_SHARDS)
    throw new RangeError(`brace pattern ${pattern} names more than ${MAX_SHARDS} shards`);
  const out: string[] = [];
  for (const a of alts) for (const r of rests) out.push(head + a + r);
  return out;
}

/** Lists the shards a spec names, failing with NOT_FOUND on the first missing one. */
export async function listShards(spec: string, client?: S3Client): Promise<Shard[]> {
  if (isS3Uri(spec)) {
    if (!client) throw new Error("an S3 client is needed for s3:// shards");
    const names = expandBraces(spec);
    for (const n of names) parseS3Uri(n); // every expansion must be a clean key
    const { bucket, key } = parseS3Uri(spec.replace(/\{.*$/, ""));
    // List the pattern's fixed prefix once (paged) instead of one HEAD per shard.
    const prefix =
      names.length === 1 && SHARD.test(key) ? key : key.endsWith("/") || names.length > 1 ? key : `${key}/`;
    const listed = new Map<string, { etag: string; size: number }>();
    for await (const o of listObjects(client, bucket, prefix))
      if (SHARD.test(o.key)) listed.set(`s3://${bucket}/${o.key}`, { etag: o.etag, size: o.size });
    if (names.length === 1 && !SHARD.test(key)) {
      // A plain prefix: its direct .tar objects, byte-wise.
      const direct = [...listed.keys()].filter(
        (u) => !u.slice(`s3://${bucket}/${prefix}`.length).includes("/"),
      );
      if (direct.length === 0) throw new DatasetError("NOT_FOUND", spec, `${spec} holds no .tar shards`);
      return direct
        .sort(byteCompare)
        .map((u) => ({ source: u, version: listed.get(u)!.etag, size: listed.get(u)!.size }));
    }
    return names.map((n) => {
      const o = listed.get(n);
      if (!o) throw new DatasetError("NOT_FOUND", n, `shard ${n} does not exist`);
      return { source: n, version: o.etag, size: o.size };
    });
  }
  const names = expandBraces(spec).map((n) => resolve(n));
  if (names.length === 1 && !SHARD.test(names[0]!)) {
    const dir = names[0]!;
    const files = (await readdir(dir)).filter((n) => SHARD.test(n) && !n.startsWith(".")).sort(byteCompare);
    if (files.length === 0) throw new DatasetError("EMPTY_DATASET", dir, `${dir} holds no .tar shards`);
    return files.map((f) => ({ source: join(dir, f) }));
  }
  for (const n of names) {
    const s = await stat(n).catch(() => undefined);
    if (!s?.isFile()) throw new DatasetError("NOT_FOUND", n, `shard ${n} does not exist or is not a file`);
  }
  return names.map((source) => ({ source }));
}

/** `dir/abc.seg.jpg` → key `dir/abc`, extension `seg.jpg` (WebDataset's base_plus_ext). */
function splitMember(name: string): { key: string; ext: string } | null {
  const m = /^((?:.*\/|)[^./]+)\.([^/]*)$/.exec(name);
  return m ? { key: m[1]!, ext: m[2]!.toLowerCase() } : null;
}

const DEFAULT_CONCURRENCY = 16;

export class WebDatasetReader extends ImageItemReader {
  readonly format = "webdataset" as const;
  readonly root: string;

  constructor(
    spec: string,
    private readonly client: S3Client | undefined,
    opts: ReaderOptions = {},
  ) {
    super(opts, DEFAULT_CONCURRENCY);
    this.root = isS3Uri(spec) ? spec : resolve(spec);
  }

  private async open(shard: Shard): Promise<AsyncIterable<Uint8Array>> {
    if (isS3Uri(shard.source)) return getObjectStream(this.client!, parseS3Uri(shard.source), shard.version);
    return createReadStream(shard.source, { highWaterMark: 1 << 20 });
  }

  protected async scan(): Promise<DatasetDescription> {
    const shards = await listShards(this.root, this.client);
    type Pending = {
      key: string;
      shard: Shard;
      image?: { ext: string; offset: number; size: number };
      cls?: string;
    };
    const raw: { key: string; shard: Shard; offset: number; size: number; cls: number }[] = [];
    const seen = new Set<string>();
    const finish = (p: Pending | undefined) => {
      if (!p) return;
      const where = `${p.shard.source}: sample ${JSON.stringify(p.key)}`;
      if (!p.image)
        throw new DatasetError(
          "CORRUPT_DATASET",
          p.shard.source,
          `${where} has no image (.${IMAGE_EXT.join(", .")})`,
        );
      if (p.cls === undefined)
        throw new DatasetError("CORRUPT_DATASET", p.shard.source, `${where} has no .cls member`);
      const cls = p.cls.trim();
      if (!/^\d{1,9}$/.test(cls))
        throw new DatasetError(
          "CORRUPT_DATASET",
          p.shard.source,
          `${where}: .cls is ${JSON.stringify(cls.slice(0, 20))}, not a class index`,
        );
      if (seen.has(p.key))
        throw new DatasetError(
          "CORRUPT_DATASET",
          p.shard.source,
          `${where}: __key__ appears twice in the data set`,
        );
      seen.add(p.key);
      raw.push({ key: p.key, shard: p.shard, offset: p.image.offset, size: p.image.size, cls: Number(cls) });
    };
    for (const shard of shards) {
      let cur: Pending | undefined;
      const keep = (name: string) => /\.cls$/i.test(name);
      for await (const m of scanTar(await this.open(shard), keep, shard.source)) {
        const parts = splitMember(m.name);
        if (!parts || basename(parts.key).startsWith(".")) continue;
        if (cur?.key !== parts.key) {
          finish(cur);
          cur = { key: parts.key, shard };
        }
        if (parts.ext === "cls") cur.cls = new TextDecoder().decode(m.data);
        else if ((IMAGE_EXT as readonly string[]).includes(parts.ext)) {
          const rank = IMAGE_EXT.indexOf(parts.ext as (typeof IMAGE_EXT)[number]);
          if (!cur.image || rank < IMAGE_EXT.indexOf(cur.image.ext as (typeof IMAGE_EXT)[number]))
            cur.image = { ext: parts.ext, offset: m.offset, size: m.size };
        }
      }
      finish(cur);
    }
    if (raw.length === 0) throw new DatasetError("EMPTY_DATASET", this.root, `${this.root} holds no samples`);
    const values = [...new Set(raw.map((r) => r.cls))].sort((a, b) => a - b);
    const labelOf = new Map(values.map((v, i) => [v, i]));
    const items: DatasetItem[] = raw.map((r) => ({
      id: r.key,
      label: labelOf.get(r.cls)!,
      source: r.shard.source,
      range: [r.offset, r.size] as const,
      ...(r.shard.version !== undefined ? { version: r.shard.version } : {}),
      ...(r.shard.size !== undefined ? { size: r.shard.size } : {}),
    }));
    return { format: "webdataset", root: this.root, classes: values.map(String), size: items.length, items };
  }

  protected async load(item: DatasetItem): Promise<RasterImage> {
    const range = item.range!;
    const where = `${item.source}#${item.id}`;
    let bytes: Uint8Array;
    if (isS3Uri(item.source))
      bytes = await getObjectBytes(this.client!, parseS3Uri(item.source), item.version, range);
    else {
      const fh = await open(item.source, "r");
      try {
        const buf = Buffer.alloc(range[1]);
        const { bytesRead } = await fh.read(buf, 0, range[1], range[0]);
        if (bytesRead !== range[1])
          throw new BadImageError(where, "shard is shorter than when it was listed");
        bytes = buf;
      } finally {
        await fh.close();
      }
    }
    this.opts.onRead?.({ path: where, bytes: bytes.length });
    return decodeImage(bytes, where, this.decodeOpts);
  }
}
