/**
 * The stage gRPC methods that map onto the stage handlers (proto/adq/v1/{binning,scoring}
 * .proto): request → task payload (packages/stages/src/tasks.ts) → the same handler the
 * NATS worker runs, over the process's ArtifactStore → response with ArtifactRefs (key,
 * digest and size from `store.stat`).
 *
 * Keys: outputs go to `jobs/{job_id}/{stage}/{task_key}/…` as the protos specify. Input
 * ArtifactRefs name store keys as they are (stage processes have no tenant yet: see
 * services/README.md, "Not done yet"). A feature shard is named by its FeatureArtifacts;
 * its arrays must sit side by side under one prefix with the handler's names
 * (`embedding.npy`, `logits.npy`, `pooled.npy`, `texture.npy`, and `view.npy` for the
 * diversity score) — the layout the features stage writes.
 */
import { type ArtifactStore, decodeNpy, encodeNpy, NotFoundError } from "#platform";
import { handleBinning, handleScoring, SHARD_ARRAYS, type ShardRef } from "#stages";
import { failedPrecondition, invalidArgument } from "../common/errors.ts";
import type { ArtifactRef, Long } from "../common/types.ts";

interface TaskContextMsg {
  jobId: string;
  taskKey: string;
}
interface FeatureArtifactsMsg {
  shard: { start: Long; end: Long } | null;
  itemIndices: ArtifactRef | null;
  labels: ArtifactRef | null;
  embeddings: ArtifactRef | null;
  logits: ArtifactRef | null;
  pooled: ArtifactRef | null;
  textureLevels: ArtifactRef | null;
}
interface ClassBinsMsg {
  classIndex: number;
  classSize: Long;
  binSizes: Long[];
  bins: ArtifactRef | null;
}

const SEGMENT = /^[A-Za-z0-9._-]{1,128}$/;

function outPrefix(task: TaskContextMsg | null | undefined, stage: string): string {
  const jobId = task?.jobId ?? "";
  const parts = (task?.taskKey ?? "").split("/");
  if (!SEGMENT.test(jobId) || jobId === "." || jobId === "..")
    throw invalidArgument("task.job_id", "required: 1-128 characters of [A-Za-z0-9._-]");
  if (parts.some((p) => !SEGMENT.test(p) || p === "." || p === ".."))
    throw invalidArgument("task.task_key", "required: '/'-separated segments of [A-Za-z0-9._-]");
  return `jobs/${jobId}/${stage}/${parts.join("/")}`;
}

function checkKey(key: string, field: string): string {
  if (!key || key.startsWith("/") || key.split("/").some((p) => p === "" || p === "." || p === ".."))
    throw invalidArgument(field, `not a valid artifact key: ${JSON.stringify(key)}`);
  return key;
}

async function ref(store: ArtifactStore, key: string): Promise<ArtifactRef> {
  const info = await store.stat(key);
  if (!info) throw new Error(`${key} was not stored`);
  return { key, sha256: info.digest, sizeBytes: info.size, mediaType: info.mediaType };
}

/** Checks an input ref exists (and its digest when given). */
async function input(
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
async function shardRefs(
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

const KIND_ARRAY = {
  embeddings: SHARD_ARRAYS.embedding,
  logits: SHARD_ARRAYS.logits,
  pooled: SHARD_ARRAYS.pooled,
  textureLevels: SHARD_ARRAYS.texture,
} as const;

/** Item indices of `classIndex` over the shards, from each shard's labels (+ item indices). */
async function classMembers(
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

function asInvalid(e: unknown, field: string): never {
  if (e instanceof RangeError) throw invalidArgument(field, e.message);
  if (e instanceof NotFoundError) throw failedPrecondition(e.message, "ERROR_REASON_ARTIFACT_UNAVAILABLE");
  throw e;
}

export interface BinClassRequest {
  task: TaskContextMsg | null;
  features: FeatureArtifactsMsg[];
  classIndex: number;
  bins: number;
  graphcutLambda: number;
}

export async function binClass(store: ArtifactStore, req: BinClassRequest): Promise<unknown> {
  const out = outPrefix(req.task, "binning");
  if (req.graphcutLambda < 0) throw invalidArgument("graphcut_lambda", "must be > 0");
  const shards = await shardRefs(store, req.features, ["embeddings", "logits"]);
  const reused = (await store.stat(`${out}/bins.json`)) !== undefined;
  const members = await classMembers(store, req.features, req.classIndex);
  if (members.length === 0) throw invalidArgument("class_index", `class ${req.classIndex} has no items`);
  const membersKey = `${out}/members.npy`;
  await store.put(membersKey, encodeNpy({ data: members, shape: [members.length] }), "application/x-npy");
  const r = await handleBinning(
    {
      classIndex: req.classIndex,
      membersKey,
      shards,
      bins: req.bins,
      lambda: req.graphcutLambda || 1,
      embedding: "gradient",
      out,
    },
    store,
  ).catch((e) => asInvalid(e, "bins"));
  return {
    bins: {
      classIndex: req.classIndex,
      classSize: members.length,
      binSizes: r.sizes,
      bins: await ref(store, r.key),
    },
    reused,
  };
}

export interface ScoreBinRequest {
  task: TaskContextMsg | null;
  features: FeatureArtifactsMsg[];
  bins: ClassBinsMsg | null;
  binIndex: number;
  diversity: { method?: string; tau?: number | null } | null;
  seed: number;
  skipDiversity: boolean;
}

const DIVERSITY = {
  DIVERSITY_METHOD_UNSPECIFIED: "infonce",
  DIVERSITY_METHOD_CONTRASTIVE: "infonce",
  DIVERSITY_METHOD_UNTRAINED_HEAD: "untrained-head",
} as const;

export async function scoreBin(
  store: ArtifactStore,
  req: ScoreBinRequest,
  defaultTau = 0.5,
): Promise<unknown> {
  const out = outPrefix(req.task, "scoring");
  if (req.skipDiversity)
    throw invalidArgument("skip_diversity", "not supported: the scoring handler always computes DS");
  const binsKey = await input(store, req.bins?.bins, "bins.bins");
  const tau = req.diversity?.tau ?? defaultTau;
  if (!(tau > 0)) throw invalidArgument("diversity.tau", "must be > 0");
  const method =
    DIVERSITY[(req.diversity?.method ?? "DIVERSITY_METHOD_UNSPECIFIED") as keyof typeof DIVERSITY];
  if (!method) throw invalidArgument("diversity.method", `unknown ${req.diversity?.method}`);
  const shards = await shardRefs(store, req.features, ["embeddings", "pooled", "textureLevels"]);
  for (const s of shards)
    if (!(await store.stat(`${s.prefix}/${SHARD_ARRAYS.view}`)))
      throw failedPrecondition(
        `features: ${s.prefix}/${SHARD_ARRAYS.view} (augmented-view features) is missing`,
        "ERROR_REASON_ARTIFACT_UNAVAILABLE",
      );
  const sizes = (req.bins?.binSizes ?? []).map(Number);
  if (sizes.length > 0 && !(req.binIndex < sizes.length))
    throw invalidArgument("bin_index", `must be < ${sizes.length}`);
  const reused = (await store.stat(`${out}/scores.json`)) !== undefined;
  const classIndex = req.bins?.classIndex ?? 0;
  const r = await handleScoring(
    { classIndex, bin: req.binIndex, binsKey, shards, diversity: method, tau, seed: req.seed, out },
    store,
  ).catch((e) => asInvalid(e, "bin_index"));
  const bins = JSON.parse(Buffer.from(await store.get(binsKey)).toString("utf8")) as { bins: number[][] };
  return {
    score: {
      classIndex,
      className: "",
      binIndex: req.binIndex,
      size: bins.bins[req.binIndex]?.length ?? 0,
      rs: r.rs,
      ds: r.ds,
    },
    diagnostics: null,
    reused,
  };
}
