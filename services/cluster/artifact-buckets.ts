/**
 * The artifact Object Store split into one bucket per writer, so that nats-server's subject
 * permissions (deploy/nats/adq-auth.conf) decide who writes and reads what: an object's
 * chunks and metadata live on `$O.<bucket>.>`, whose names carry no key (base64 name, random
 * chunk ids), so no permission can narrow a single bucket by key prefix — separate buckets
 * can be narrowed.
 *
 * | part          | bucket (`ns` = namespace) | written by                  | holds                                          |
 * | ------------- | ------------------------- | --------------------------- | ---------------------------------------------- |
 * | `control`     | `ns-artifacts`            | gateway / coordinator       | uploads, sealed job results, anything else     |
 * | `coordinator` | `ns-art-coordinator`      | gateway / coordinator       | per-class members, labels, items (`…/members/`) |
 * | `features`    | `ns-art-features`         | the features worker         | `…/features/`                                  |
 * | `binning`     | `ns-art-binning`          | the binning worker          | `…/bins/`, `…/head/`                           |
 * | `scoring`     | `ns-art-scoring`          | the scoring worker          | `…/scores/`                                    |
 * | `sampling`    | `ns-art-sampling`         | the sampling worker         | `…/select/`                                    |
 * | `assemble`    | `ns-art-assemble`         | the assemble worker         | a job's results until the coordinator seals them |
 *
 * A stage reads only the buckets of the stages before it (and the coordinator's); no worker
 * can read `ns-artifacts`: a finished job's results are moved there (`seal`) before the job
 * is SUCCEEDED, out of every worker's reach.
 */

import type { ArtifactStore } from "@adq/platform";
import { StagedArtifactStore } from "@adq/platform";
import {
  type NatsConnection,
  ObjectArtifactStore,
  type ObjectArtifactStoreOptions,
} from "@adq/platform/nats";

export const ARTIFACT_PARTS = [
  "control",
  "coordinator",
  "features",
  "binning",
  "scoring",
  "sampling",
  "assemble",
] as const;
export type ArtifactPart = (typeof ARTIFACT_PARTS)[number];
export type StageRole = Exclude<ArtifactPart, "control" | "coordinator">;

/** The Object Store bucket of a part. */
export function artifactBucket(ns: string, part: ArtifactPart): string {
  return part === "control" ? `${ns}-artifacts` : `${ns}-art-${part}`;
}

const KIND_PART: Record<string, ArtifactPart> = {
  members: "coordinator",
  features: "features",
  head: "binning",
  bins: "binning",
  scores: "scoring",
  select: "sampling",
};

/**
 * Which part produced `key` in the job layout: stage cache keys
 * `tenants/<t>/cache/g<n>/<kind>/…` (packages/stages/src/coordinator.ts) by their kind, a
 * job's results `tenants/<t>/jobs/<id>/…` the control plane's (sealed there). O(key length).
 */
export function artifactPartOf(key: string): ArtifactPart | undefined {
  const m = /(?:^|\/)cache\/g\d+\/([a-z]+)\//.exec(key);
  if (m) return KIND_PART[m[1]!];
  if (/^tenants\/[^/]+\/jobs\//.test(key)) return "control";
  return undefined;
}

/** What each stage worker reads: its own outputs and those of the stages before it. */
export const STAGE_READS: Record<StageRole, readonly ArtifactPart[]> = {
  features: ["features"],
  binning: ["binning", "features", "coordinator"],
  scoring: ["scoring", "features", "coordinator", "binning"],
  sampling: ["sampling", "features", "coordinator", "binning", "scoring"],
  assemble: ["assemble", "features", "coordinator", "binning", "scoring", "sampling"],
};

/**
 * The staged artifact store of one process: `stage` absent — the control plane (gateway,
 * coordinator, in-process workers): every bucket, created here; a stage — its reads, writing
 * only its own bucket (buckets it may not create are waited for).
 */
export async function openStagedArtifacts(
  nc: NatsConnection,
  ns: string,
  stage: StageRole | undefined,
  options: Omit<ObjectArtifactStoreOptions, "bucket"> = {},
): Promise<StagedArtifactStore> {
  const held: readonly ArtifactPart[] = stage ? STAGE_READS[stage] : ARTIFACT_PARTS;
  const parts = new Map<string, ArtifactStore>();
  for (const part of held)
    parts.set(part, await ObjectArtifactStore.open(nc, { ...options, bucket: artifactBucket(ns, part) }));
  return new StagedArtifactStore(parts, {
    own: stage ?? "control",
    writable: stage ? [stage] : ARTIFACT_PARTS,
    route: artifactPartOf,
  });
}
