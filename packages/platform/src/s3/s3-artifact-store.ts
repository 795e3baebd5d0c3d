/**
 * ArtifactStore on an S3 bucket (any S3-compatible store): objects under `prefix`, the hex
 * sha256 and the media type in the object's metadata (`x-amz-meta-adq-sha256`, Content-Type).
 * A PUT is atomic in S3 (readers see the old object or the whole new one), so `put` is one
 * request; re-putting identical content is a no-op (a HEAD finds the same digest). `stream`
 * reads ranged GETs of `chunkSize` (bounded memory whatever the artifact's size). `list`
 * pages the listing and HEADs each object for its digest and media type: O(n) requests, fine for
 * the artifacts of a few jobs. Configuration: the standard AWS chain, as for data sets.
 */
import { createHash } from "node:crypto";
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { NotFoundError } from "../errors.ts";
import { assertValidKey, assertValidPrefix } from "../keys.ts";
import type { ArtifactInfo, ArtifactStore } from "../ports.ts";

const META_DIGEST = "adq-sha256";
const DEFAULT_MEDIA = "application/octet-stream";

function isMissing(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err.name === "NotFound" || err.name === "NoSuchKey" || err.$metadata?.httpStatusCode === 404;
}

export class S3ArtifactStore implements ArtifactStore {
  private readonly base: string;

  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
    /** Key prefix of every artifact ("" or ending in "/"). */
    prefix = "",
  ) {
    this.base = prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/`;
  }

  async put(key: string, data: Uint8Array, mediaType = DEFAULT_MEDIA): Promise<ArtifactInfo> {
    assertValidKey(key);
    const digest = createHash("sha256").update(data).digest("hex");
    const info: ArtifactInfo = { key, size: data.byteLength, digest, mediaType };
    const existing = await this.stat(key);
    if (existing && existing.digest === digest && existing.mediaType === mediaType) return existing;
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.base + key,
        Body: data,
        ContentLength: data.byteLength,
        ContentType: mediaType,
        Metadata: { [META_DIGEST]: digest },
      }),
    );
    return info;
  }

  async get(key: string): Promise<Uint8Array> {
    assertValidKey(key);
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.base + key }));
      return res.Body ? await res.Body.transformToByteArray() : new Uint8Array(0);
    } catch (e) {
      if (isMissing(e)) throw new NotFoundError(`artifact ${key} not found`);
      throw e;
    }
  }

  async *stream(key: string, chunkSize = 1024 * 1024): AsyncIterable<Uint8Array> {
    const info = await this.stat(key);
    if (!info) throw new NotFoundError(`artifact ${key} not found`);
    for (let off = 0; off < info.size; off += chunkSize) {
      const end = Math.min(info.size, off + chunkSize) - 1;
      const res = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.base + key, Range: `bytes=${off}-${end}` }),
      );
      yield res.Body ? await res.Body.transformToByteArray() : new Uint8Array(0);
    }
  }

  async stat(key: string): Promise<ArtifactInfo | undefined> {
    assertValidKey(key);
    try {
      const h = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.base + key }));
      return {
        key,
        size: h.ContentLength ?? 0,
        digest: h.Metadata?.[META_DIGEST] ?? "",
        mediaType: h.ContentType ?? DEFAULT_MEDIA,
      };
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
  }

  private async *keys(prefix: string): AsyncGenerator<string> {
    let token: string | undefined;
    do {
      const page: ListObjectsV2CommandOutput = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.base + prefix,
          ContinuationToken: token,
        }),
      );
      for (const o of page.Contents ?? []) if (o.Key) yield o.Key.slice(this.base.length);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async list(prefix: string): Promise<ArtifactInfo[]> {
    assertValidPrefix(prefix);
    const out: ArtifactInfo[] = [];
    for await (const k of this.keys(prefix)) {
      const info = await this.stat(k);
      if (info) out.push(info);
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async deletePrefix(prefix: string): Promise<number> {
    assertValidPrefix(prefix);
    const all: string[] = [];
    for await (const k of this.keys(prefix)) all.push(k);
    // DeleteObjects takes at most 1000 keys per request.
    for (let i = 0; i < all.length; i += 1000)
      await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: all.slice(i, i + 1000).map((k) => ({ Key: this.base + k })), Quiet: true },
        }),
      );
    return all.length;
  }
}
