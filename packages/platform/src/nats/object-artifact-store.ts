import { createHash } from "node:crypto";
import type { ObjectInfo, ObjectStore } from "@nats-io/obj";
import { NotFoundError } from "../errors.ts";
import { assertValidKey, assertValidPrefix } from "../keys.ts";
import type { ArtifactInfo, ArtifactStore } from "../ports.ts";
import { ensureObjectStore, type NatsConnection } from "./connection.ts";

export interface ObjectArtifactStoreOptions {
  /** Bucket name (default `adq-artifacts`; stream `OBJ_adq-artifacts`). */
  bucket?: string;
  replicas?: number;
  /** Maximum bucket size in bytes (default unlimited). */
  maxBytes?: number;
  /** Expire artifacts after this many milliseconds (default never). */
  ttlMs?: number;
}

/** Our metadata on each object: the hex sha256 and the media type. */
const META_DIGEST = "adq-sha256";
const META_MEDIA = "adq-media-type";
const DEFAULT_MEDIA = "application/octet-stream";

function toInfo(o: ObjectInfo): ArtifactInfo {
  const digest = o.metadata?.[META_DIGEST] ?? objectDigestHex(o.digest);
  return { key: o.name, size: o.size, digest, mediaType: o.metadata?.[META_MEDIA] ?? DEFAULT_MEDIA };
}

/** The object store's own digest (`SHA-256=<base64url>`) as hex, for objects written by others. */
function objectDigestHex(d: string): string {
  const b64 = d.replace(/^SHA-256=/i, "");
  return Buffer.from(b64.replace(/-/g, "+").replace(/_/g, "/"), "base64").toString("hex");
}

/**
 * ArtifactStore on a JetStream Object Store bucket. The object store writes the chunks
 * first and the metadata last, so readers see the old version or the whole new one, never
 * a torn one. The hex sha256 (ArtifactInfo.digest) is computed here and kept in the object's
 * metadata, with the media type. Re-putting identical content is a no-op.
 *
 * `list`/`deletePrefix` read the bucket's metadata (one message per object) and filter by
 * prefix client-side: fine for the thousands of artifacts of a few jobs, not for millions.
 */
export class ObjectArtifactStore implements ArtifactStore {
  private constructor(readonly os: ObjectStore) {}

  static async open(
    nc: NatsConnection,
    options: ObjectArtifactStoreOptions = {},
  ): Promise<ObjectArtifactStore> {
    const os = await ensureObjectStore(nc, options.bucket ?? "adq-artifacts", {
      replicas: options.replicas ?? 1,
      ...(options.maxBytes ? { max_bytes: options.maxBytes } : {}),
      ...(options.ttlMs ? { ttl: options.ttlMs * 1_000_000 } : {}),
    });
    return new ObjectArtifactStore(os);
  }

  async put(key: string, data: Uint8Array, mediaType = DEFAULT_MEDIA): Promise<ArtifactInfo> {
    assertValidKey(key);
    const digest = createHash("sha256").update(data).digest("hex");
    const existing = await this.stat(key);
    if (existing && existing.digest === digest && existing.size === data.byteLength) return existing;
    const o = await this.os.putBlob(
      { name: key, metadata: { [META_DIGEST]: digest, [META_MEDIA]: mediaType } },
      data,
    );
    return toInfo(o);
  }

  /**
   * Writes `source` under `key` as the artifact `info` describes (a copy of another store's
   * object, e.g. when results are sealed), in bounded memory; the object store's own SHA-256
   * of what arrived must be `info.digest`, else the object is deleted and this throws.
   */
  async putStream(key: string, source: AsyncIterable<Uint8Array>, info: ArtifactInfo): Promise<ArtifactInfo> {
    assertValidKey(key);
    const existing = await this.stat(key);
    if (existing && existing.digest === info.digest && existing.size === info.size) return existing;
    const it = source[Symbol.asyncIterator]();
    const rs = new ReadableStream<Uint8Array>({
      async pull(c) {
        const { done, value } = await it.next();
        if (done) c.close();
        else c.enqueue(value);
      },
      async cancel() {
        await it.return?.();
      },
    });
    const o = await this.os.put(
      { name: key, metadata: { [META_DIGEST]: info.digest, [META_MEDIA]: info.mediaType } },
      rs,
    );
    if (objectDigestHex(o.digest) !== info.digest || o.size !== info.size) {
      await this.os.delete(key).catch(() => {});
      throw new Error(`artifact ${key}: the copied content does not match its digest`);
    }
    return toInfo(o);
  }

  async get(key: string): Promise<Uint8Array> {
    assertValidKey(key);
    const data = await this.os.getBlob(key);
    if (!data) throw new NotFoundError(`artifact not found: ${key}`);
    return data;
  }

  async *stream(key: string, chunkSize = 1 << 20): AsyncIterable<Uint8Array> {
    assertValidKey(key);
    if (!(chunkSize > 0)) throw new RangeError(`chunkSize must be positive: ${chunkSize}`);
    const r = await this.os.get(key);
    if (!r) throw new NotFoundError(`artifact not found: ${key}`);
    const reader = r.data.getReader();
    let pending: Uint8Array[] = [];
    let pendingLen = 0;
    let finished = false;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) {
          finished = true;
          break;
        }
        let v = value;
        // Re-chunk the store's chunks (128 KiB by default) to exactly `chunkSize`.
        while (v.byteLength > 0) {
          const take = Math.min(chunkSize - pendingLen, v.byteLength);
          pending.push(v.subarray(0, take));
          pendingLen += take;
          v = v.subarray(take);
          if (pendingLen === chunkSize) {
            yield pending.length === 1 ? pending[0]! : Buffer.concat(pending);
            pending = [];
            pendingLen = 0;
          }
        }
      }
      if (pendingLen > 0) yield pending.length === 1 ? pending[0]! : Buffer.concat(pending);
    } finally {
      // A consumer that stops early cancels the read of the remaining chunks.
      if (!finished) await reader.cancel().catch(() => {});
      reader.releaseLock();
    }
    const err = await r.error;
    if (err) throw err;
  }

  async stat(key: string): Promise<ArtifactInfo | undefined> {
    assertValidKey(key);
    const o = await this.os.info(key);
    if (!o || o.deleted) return undefined;
    return toInfo(o);
  }

  async list(prefix: string): Promise<ArtifactInfo[]> {
    assertValidPrefix(prefix);
    const all = await this.os.list();
    return all
      .filter((o) => !o.deleted && o.name.startsWith(prefix))
      .map(toInfo)
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async deletePrefix(prefix: string): Promise<number> {
    const items = await this.list(prefix);
    for (const it of items) await this.os.delete(it.key);
    return items.length;
  }
}
