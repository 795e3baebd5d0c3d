/**
 * S3 access for the dataset readers (and for writing results): URI parsing, paged listing,
 * whole-object and ranged GETs pinned to an ETag.
 *
 * Configuration is the standard AWS chain and nothing else: `AWS_ENDPOINT_URL` (or
 * `AWS_ENDPOINT_URL_S3`), `AWS_REGION`, `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, a profile,
 * or web identity (`AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN`, as IRSA sets them). A custom
 * endpoint (SeaweedFS, MinIO, Ceph) is addressed path-style, which all of them serve. Retries
 * with exponential backoff and jitter are the SDK's standard strategy, with more attempts than
 * its default of 3 because a data set is read in tens of thousands of requests.
 */

import { AsyncLocalStorage } from "node:async_hooks";
import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  S3Client,
} from "@aws-sdk/client-s3";
import { DatasetError } from "./errors.ts";

export interface S3Location {
  readonly bucket: string;
  /** Object key or key prefix, never starting with "/". */
  readonly key: string;
}

export interface S3Object {
  readonly key: string;
  readonly size: number;
  /** The ETag as the server sends it (quoted): GETs pin it with If-Match. */
  readonly etag: string;
}

/** Static credentials for one client (a tenant's grant); absent: the standard AWS chain. */
export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export function isS3Uri(uri: string): boolean {
  return /^s3:\/\//i.test(uri);
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Parses `s3://bucket/key` strictly: a valid bucket name, and a key whose "/"-separated segments
 * are never "." or ".." and hold no percent-encoding or backslash. S3 itself treats such keys
 * literally, but anything that normalises paths (a proxy, a grant check, a person) would not,
 * so a key that reads differently to a human and to S3 is refused rather than interpreted.
 */
export function parseS3Uri(uri: string, field = "dataset"): S3Location {
  const m = /^s3:\/\/([^/?#]*)\/?([^?#]*)$/i.exec(uri);
  const bad = (why: string) =>
    new DatasetError("INVALID_ARGUMENT", uri, `${field} ${JSON.stringify(uri)}: ${why}`);
  if (!m) throw bad("not an s3://bucket/key URI (no query or fragment)");
  const bucket = m[1]!;
  const key = m[2]!;
  if (!BUCKET.test(bucket)) throw bad(`invalid bucket name ${JSON.stringify(bucket)}`);
  if (/[%\\]/.test(key)) throw bad("percent-encoding and backslashes are not allowed in keys");
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(key)) throw bad("control characters are not allowed in keys");
  const segs = key.split("/");
  if (segs.some((s) => s === "." || s === "..")) throw bad('"." and ".." segments are not allowed');
  if (segs.slice(0, -1).some((s) => s === "")) throw bad("empty path segments (//) are not allowed");
  return { bucket, key };
}

export function s3Uri(loc: S3Location): string {
  return `s3://${loc.bucket}/${loc.key}`;
}

const ambient = new AsyncLocalStorage<S3Credentials | undefined>();

/**
 * Runs `fn` with `creds` as the credentials of every `s3://` data set it opens without naming
 * its own: how a service scopes a task to its tenant's grant without threading secrets
 * through every stage handler (and never through the task payloads on the bus).
 */
export function withS3Credentials<T>(creds: S3Credentials | undefined, fn: () => T): T {
  return ambient.run(creds, fn);
}

export function ambientS3Credentials(): S3Credentials | undefined {
  return ambient.getStore();
}

const clients = new Map<string, S3Client>();

/**
 * One client per credential set (connections are pooled per client). Credentials absent: the
 * standard AWS chain (environment, profile, web identity).
 */
export function s3Client(creds?: S3Credentials): S3Client {
  const id = creds ? `${creds.accessKeyId}\0${creds.secretAccessKey}\0${creds.sessionToken ?? ""}` : "";
  let c = clients.get(id);
  if (!c) {
    // The lockfile pins an SDK release that supports Node 20 (package.json engines); its
    // notice about later releases would otherwise print on every CLI run.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    const endpoint = process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
    c = new S3Client({
      ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
      region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1",
      maxAttempts: 6,
      ...(creds ? { credentials: creds } : {}),
    });
    clients.set(id, c);
  }
  return c;
}

/** Maps an SDK failure to a DatasetError naming the URI where the cause is the caller's. */
export function s3Failure(err: unknown, uri: string): unknown {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  if (e.name === "NoSuchBucket" || e.name === "NoSuchKey" || status === 404)
    return new DatasetError("NOT_FOUND", uri, `${uri} does not exist`);
  if (e.name === "AccessDenied" || status === 403)
    return new DatasetError("ACCESS_DENIED", uri, `${uri}: access denied by the object store`);
  if (e.name === "PreconditionFailed" || status === 412)
    return new DatasetError(
      "CHANGED",
      uri,
      `${uri} changed while it was being read (its ETag no longer matches the listing): run again`,
    );
  return err;
}

/**
 * Every object under `prefix`, in key order, one page (≤ 1000 keys) at a time: memory is one
 * page plus what the caller keeps.
 */
export async function* listObjects(
  client: S3Client,
  bucket: string,
  prefix: string,
): AsyncGenerator<S3Object, void, undefined> {
  let token: string | undefined;
  do {
    let page: ListObjectsV2CommandOutput;
    try {
      page = await client.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
    } catch (err) {
      throw s3Failure(err, `s3://${bucket}/${prefix}`);
    }
    for (const o of page.Contents ?? [])
      if (o.Key !== undefined) yield { key: o.Key, size: o.Size ?? 0, etag: o.ETag ?? "" };
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

async function get(
  client: S3Client,
  loc: S3Location,
  etag: string | undefined,
  range?: readonly [number, number],
): Promise<GetObjectCommandOutput> {
  try {
    return await client.send(
      new GetObjectCommand({
        Bucket: loc.bucket,
        Key: loc.key,
        ...(etag ? { IfMatch: etag } : {}),
        ...(range ? { Range: `bytes=${range[0]}-${range[0] + range[1] - 1}` } : {}),
      }),
    );
  } catch (err) {
    throw s3Failure(err, s3Uri(loc));
  }
}

/** An object's bytes (or `range` = [offset, length] of them), pinned to `etag` when given. */
export async function getObjectBytes(
  client: S3Client,
  loc: S3Location,
  etag?: string,
  range?: readonly [number, number],
): Promise<Uint8Array> {
  const res = await get(client, loc, etag, range);
  const body = res.Body;
  if (!body) return new Uint8Array(0);
  return body.transformToByteArray();
}

/** An object's bytes as a stream of chunks, pinned to `etag` when given. */
export async function getObjectStream(
  client: S3Client,
  loc: S3Location,
  etag?: string,
): Promise<AsyncIterable<Uint8Array>> {
  const res = await get(client, loc, etag);
  return (res.Body as AsyncIterable<Uint8Array> | undefined) ?? (async function* () {})();
}
