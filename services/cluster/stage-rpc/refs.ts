/**
 * ArtifactRefs and task identities of the stage RPCs (proto/adq/v1/common.proto).
 *
 * Keys: outputs go to `jobs/{job_id}/{stage}/{task_key}/…` as the protos specify, in the
 * caller's namespace (the store the RPC gets is already confined to it). A feature shard
 * is named by its FeatureArtifacts; its arrays must sit side by side under one prefix with
 * the handler's names (`embedding.npy`, `logits.npy`, `pooled.npy`, `texture.npy`, and
 * `view.npy` for the diversity score) — the layout ExtractFeatures writes. Rows are
 * addressed by item index − shard.start.
 */

import { type ArtifactStore, assertValidKey, decodeNpy, NotFoundError } from "@adq/platform";
import { failedPrecondition, invalidArgument, RpcError } from "@adq/service-common";
import type {
  ArtifactRef,
  ClassBins__Output,
  FeatureArtifacts__Output,
  TaskContext__Output,
} from "@adq/service-common/proto";
import { canonicalJson, SHARD_ARRAYS, type ShardRef } from "@adq/stages";
import * as grpc from "@grpc/grpc-js";

/** The stage messages as received (generated from proto/adq/v1/common.proto). */
export type TaskContextMsg = TaskContext__Output;
export type FeatureArtifactsMsg = FeatureArtifacts__Output;
export type ClassBinsMsg = ClassBins__Output;

const SEGMENT = /^[A-Za-z0-9._-]{1,128}$/;

export function outPrefix(
  task: Pick<TaskContextMsg, "jobId" | "taskKey"> | null | undefined,
  stage: string,
): string {
  const jobId = task?.jobId ?? "";
  const parts = (task?.taskKey ?? "").split("/");
  if (!SEGMENT.test(jobId) || jobId === "." || jobId === "..")
    throw invalidArgument("task.job_id", "required: 1-128 characters of [A-Za-z0-9._-]");
  if (parts.some((p) => !SEGMENT.test(p) || p === "." || p === ".."))
    throw invalidArgument("task.task_key", "required: '/'-separated segments of [A-Za-z0-9._-]");
  return `jobs/${jobId}/${stage}/${parts.join("/")}`;
}

export function checkKey(key: string, field: string): string {
  try {
    assertValidKey(key);
  } catch (e) {
    throw invalidArgument(field, (e as Error).message);
  }
  return key;
}

export async function ref(store: ArtifactStore, key: string): Promise<ArtifactRef> {
  const info = await store.stat(key);
  if (!info) throw new Error(`${key} was not stored`);
  return { key, sha256: info.digest, sizeBytes: info.size, mediaType: info.mediaType };
}

/** Checks an input ref exists (and its digest when given). */
export async function input(
  store: ArtifactStore,
  r: ArtifactRef | null | undefined,
  field: string,
): Promise<string> {
  if (!r?.key) throw invalidArgument(field, "required");
  const key = checkKey(r.key, `${field}.key`);
  const info = await store.stat(key);
  if (!info)
    throw failedPrecondition(`${field}: artifact ${key} not found`, "ERROR_REASON_ARTIFACT_UNAVAILABLE");
  if (r.sha256 && r.sha256 !== info.digest)
    throw failedPrecondition(
      `${field}: artifact ${key} has digest ${info.digest}, not ${r.sha256}`,
      "ERROR_REASON_ARTIFACT_UNAVAILABLE",
    );
  return key;
}

/** FeatureArtifacts (one per shard, in shard order) → the handlers' ShardRefs. */
export async function shardRefs(
  store: ArtifactStore,
  features: FeatureArtifactsMsg[],
  need: Array<keyof FeatureArtifactsMsg & keyof typeof KIND_ARRAY>,
): Promise<ShardRef[]> {
  if (features.length === 0) throw invalidArgument("features", "required: one entry per shard");
  const out: ShardRef[] = [];
  for (const [i, f] of features.entries()) {
    const field = `features[${i}]`;
    const start = Number(f.shard?.start ?? 0);
    const end = Number(f.shard?.end ?? 0);
    if (!(end > start)) throw invalidArgument(`${field}.shard`, "end must be > start");
    let prefix: string | undefined;
    for (const kind of need) {
      const key = await input(store, f[kind] as ArtifactRef | null, `${field}.${kind}`);
      const name = KIND_ARRAY[kind];
      if (!key.endsWith(`/${name}`))
        throw invalidArgument(
          `${field}.${kind}`,
          `expected a ${name} written by the features stage, got ${key}`,
        );
      const p = key.slice(0, -name.length - 1);
      if (prefix !== undefined && p !== prefix)
        throw invalidArgument(field, "the arrays of one shard must share one prefix");
      prefix = p;
    }
    out.push({ index: i, start, end, prefix: prefix! });
  }
  return out;
}

export const KIND_ARRAY = {
  embeddings: SHARD_ARRAYS.embedding,
  logits: SHARD_ARRAYS.logits,
  pooled: SHARD_ARRAYS.pooled,
  textureLevels: SHARD_ARRAYS.texture,
} as const;

/** Item indices of `classIndex` over the shards, from each shard's labels (+ item indices). */
export async function classMembers(
  store: ArtifactStore,
  features: FeatureArtifactsMsg[],
  c: number,
): Promise<Int32Array> {
  const members: number[] = [];
  for (const [i, f] of features.entries()) {
    const lk = await input(store, f.labels, `features[${i}].labels`);
    const labels = decodeNpy(await store.get(lk), lk).data;
    let idx: ArrayLike<number | bigint>;
    if (f.itemIndices?.key) {
      const ik = await input(store, f.itemIndices, `features[${i}].item_indices`);
      idx = decodeNpy(await store.get(ik), ik).data as ArrayLike<number | bigint>;
    } else {
      const s = Number(f.shard?.start ?? 0);
      idx = Array.from({ length: labels.length }, (_, k) => s + k);
    }
    if (idx.length !== labels.length)
      throw invalidArgument(`features[${i}]`, "item_indices and labels have different lengths");
    for (let k = 0; k < labels.length; k++) if (Number(labels[k]) === c) members.push(Number(idx[k]));
  }
  return Int32Array.from(members);
}

export function asInvalid(e: unknown, field: string): never {
  if (e instanceof RangeError) throw invalidArgument(field, e.message);
  if (e instanceof NotFoundError) throw failedPrecondition(e.message, "ERROR_REASON_ARTIFACT_UNAVAILABLE");
  throw e;
}

/**
 * Binds a task's output prefix to the request that fills it. A retry (the same request)
 * reuses or rewrites the same outputs; a different request under the same job and task key
 * would otherwise be answered with the first one's outputs, so it is refused:
 * ALREADY_EXISTS (IDEMPOTENCY_KEY_REUSED) — the caller must use another task key.
 * `request` holds what determines the outputs (resolved paths, digests, parameters).
 */
export async function bindTask(store: ArtifactStore, out: string, request: unknown): Promise<void> {
  const key = `${out}/request.json`;
  const body = canonicalJson(request);
  if (await store.stat(key)) {
    if (Buffer.from(await store.get(key)).toString("utf8") === body) return;
    throw new RpcError(
      grpc.status.ALREADY_EXISTS,
      `task ${out} was already run with different inputs or parameters; use a new task_key`,
      { reason: "ERROR_REASON_IDEMPOTENCY_KEY_REUSED" },
    );
  }
  await store.put(key, new TextEncoder().encode(body), "application/json");
}

/** The stored digest of each named input (what a task's outputs depend on). */
export async function digests(store: ArtifactStore, keys: string[]): Promise<string[]> {
  return Promise.all(keys.map(async (k) => (await store.stat(k))?.digest ?? ""));
}

/** Parses a stored JSON artifact named by an input ref. */
export async function readJsonRef<T>(store: ArtifactStore, key: string, field: string): Promise<T> {
  try {
    return JSON.parse(Buffer.from(await store.get(key)).toString("utf8")) as T;
  } catch (e) {
    if (e instanceof NotFoundError)
      throw failedPrecondition(`${field}: artifact ${key} not found`, "ERROR_REASON_ARTIFACT_UNAVAILABLE");
    throw invalidArgument(field, `artifact ${key} is not valid JSON (${(e as Error).message})`);
  }
}

/** A uint64 field as a safe JS integer (proto-loader hands 64-bit ints over as strings). */
export function uint(v: string | number | null | undefined, field: string): number {
  const n = Number(v ?? 0);
  if (!Number.isSafeInteger(n) || n < 0)
    throw invalidArgument(field, `must be a non-negative integer, got ${v}`);
  return n;
}
