/**
 * Publishing a result folder to `s3://bucket/prefix/` so that a reader never sees a partial
 * result: `manifest.json` is the commit marker, written last and, when an earlier result is
 * replaced, deleted first. So "prefix/manifest.json exists" means every file beside it is
 * complete and belongs to it. An attempt in progress (or interrupted) is marked by
 * `.adq-partial`, written first and deleted right after the commit: a retry finds it and
 * overwrites the attempt without being told to (idempotent: the same folder gives the same
 * objects), while a prefix holding someone else's objects is only replaced when forced.
 * Stale objects of an older result are deleted before the new commit.
 */
import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { DeleteObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { orderedMap } from "./pool.ts";
import { listObjects, type S3Location, s3Failure, s3Uri } from "./s3.ts";

export const COMMIT_MARKER = "manifest.json";
export const PARTIAL_MARKER = ".adq-partial";

/**
 * What a destination holds: nothing, a committed result, an unfinished attempt of ours, or
 * objects of something else. One listing page.
 */
export async function inspectTarget(
  client: S3Client,
  dest: S3Location,
): Promise<"empty" | "committed" | "partial" | "foreign"> {
  const { bucket, key } = folderPrefix(dest);
  let seen = 0;
  let partial = false;
  for await (const o of listObjects(client, bucket, key)) {
    seen++;
    if (o.key === key + COMMIT_MARKER) return "committed";
    if (o.key === key + PARTIAL_MARKER) partial = true;
    if (seen >= 1000) break; // a result is a handful of objects: this is something else
  }
  if (partial) return "partial";
  if (seen > 0 && (await hasCommittedResult(client, dest))) return "committed";
  return seen > 0 ? "foreign" : "empty";
}

/** The prefix as a folder: "" or ending in "/". */
export function folderPrefix(loc: S3Location): S3Location {
  return { bucket: loc.bucket, key: loc.key === "" || loc.key.endsWith("/") ? loc.key : `${loc.key}/` };
}

/** True when `prefix/manifest.json` exists: a committed result is there. */
export async function hasCommittedResult(client: S3Client, dest: S3Location): Promise<boolean> {
  const { bucket, key } = folderPrefix(dest);
  try {
    await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key + COMMIT_MARKER }));
    return true;
  } catch (err) {
    const e = s3Failure(err, s3Uri({ bucket, key: key + COMMIT_MARKER })) as { code?: string };
    if (e.code === "NOT_FOUND") return false;
    throw e;
  }
}

async function filesUnder(dir: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
    const name = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await filesUnder(dir, name)));
    else if (e.isFile()) out.push(name);
  }
  return out.sort();
}

/**
 * Uploads every file of `dir` under `dest` (streamed from disk), the commit marker last.
 * Returns the object keys written.
 */
export async function publishDirectory(client: S3Client, dir: string, dest: S3Location): Promise<string[]> {
  return publishFiles(client, dest, await filesUnder(dir), async (name) => {
    const path = join(dir, name);
    return { body: createReadStream(path), size: (await stat(path)).size };
  });
}

/**
 * Uploads the named files under `dest` (8 PUTs in flight), `open(name)` giving each one's
 * bytes or stream: the partial marker first, the commit marker last (see the module comment).
 */
export async function publishFiles(
  client: S3Client,
  dest: S3Location,
  files: readonly string[],
  open: (name: string) => Promise<{ body: Uint8Array | Readable; size: number }>,
): Promise<string[]> {
  const { bucket, key: prefix } = folderPrefix(dest);
  if (!files.includes(COMMIT_MARKER)) throw new Error(`a result needs a ${COMMIT_MARKER}`);
  const uri = (k: string) => s3Uri({ bucket, key: k });
  const send = async (cmd: PutObjectCommand | DeleteObjectCommand, k: string) => {
    try {
      await client.send(cmd as PutObjectCommand);
    } catch (err) {
      throw s3Failure(err, uri(k));
    }
  };
  const put = async (name: string) => {
    const { body, size } = await open(name);
    await send(
      new PutObjectCommand({ Bucket: bucket, Key: prefix + name, Body: body, ContentLength: size }),
      prefix + name,
    );
  };
  // Mark the attempt, then uncommit: from here until the new marker lands, readers see no result.
  await send(
    new PutObjectCommand({ Bucket: bucket, Key: prefix + PARTIAL_MARKER, Body: "" }),
    prefix + PARTIAL_MARKER,
  );
  await send(
    new DeleteObjectCommand({ Bucket: bucket, Key: prefix + COMMIT_MARKER }),
    prefix + COMMIT_MARKER,
  );
  const keep = new Set(files.map((f) => prefix + f));
  const stale: string[] = [];
  for await (const o of listObjects(client, bucket, prefix))
    if (!keep.has(o.key) && o.key !== prefix + PARTIAL_MARKER) stale.push(o.key);
  const body = files.filter((f) => f !== COMMIT_MARKER);
  for await (const r of orderedMap(body, put, { concurrency: 8 })) if (!r.ok) throw r.error;
  for await (const r of orderedMap(
    stale,
    (k) => send(new DeleteObjectCommand({ Bucket: bucket, Key: k }), k),
    { concurrency: 8 },
  ))
    if (!r.ok) throw r.error;
  await put(COMMIT_MARKER);
  await send(
    new DeleteObjectCommand({ Bucket: bucket, Key: prefix + PARTIAL_MARKER }),
    prefix + PARTIAL_MARKER,
  );
  return files.map((f) => prefix + f);
}
