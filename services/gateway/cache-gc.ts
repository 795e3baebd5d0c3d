/**
 * Lifetime of the stage-output cache in the services. Every stage output is stored under a
 * content key, so jobs with the same inputs reuse each other's work — and without a policy
 * the cache would only grow. The policy:
 *
 *  - Per tenant: outputs live under `tenants/{tenant}/cache/g{n}/`, so one tenant's jobs never
 *    read (or time) another's, and deleting a tenant's prefix deletes its cache.
 *  - Generations: time is cut into periods of `retentionMs`; a job uses the generation current
 *    when it first started (recorded in its job record, so a resumed job finds its outputs),
 *    unless that generation is no longer kept. Reuse therefore spans one to two periods.
 *  - Sweeping deletes every generation older than the previous one, except one a still
 *    running job uses: a whole prefix at a time, no per-entry bookkeeping, safe to run from
 *    several coordinators at once (deletes are idempotent).
 *
 * Storage is bounded by about two periods of work; cost of a sweep: one listing of the
 * store's `tenants/` keys plus one delete per expired generation.
 */
import type { ArtifactStore, JobStore } from "@adq/platform";
import { type JobRecord, TERMINAL_STATES } from "./records.ts";

export const DEFAULT_CACHE_RETENTION_MS = 7 * 24 * 3600 * 1000;

export function cacheGeneration(now: number, retentionMs: number): number {
  return Math.floor(now / retentionMs);
}

/** The generation a (re)starting job uses: the one it recorded while still kept, else the current one. */
export function jobCacheGeneration(recorded: number | undefined, now: number, retentionMs: number): number {
  const current = cacheGeneration(now, retentionMs);
  return recorded !== undefined && recorded >= current - 1 && recorded <= current ? recorded : current;
}

export function tenantCachePrefix(tenant: string, generation: number): string {
  return `tenants/${tenant}/cache/g${generation}`;
}

const GENERATION_PREFIX = /^tenants\/([^/]+)\/cache\/g(\d+)\//;

export interface SweepResult {
  /** Prefixes deleted (`tenants/{t}/cache/g{n}/`). */
  deleted: string[];
  /** Expired generations kept because a running job still uses them. */
  kept: string[];
}

export async function sweepCache(o: {
  store: ArtifactStore;
  jobs: JobStore<JobRecord>;
  now: number;
  retentionMs: number;
}): Promise<SweepResult> {
  const current = cacheGeneration(o.now, o.retentionMs);
  const inUse = new Set<string>();
  for (const rec of await o.jobs.list())
    if (!TERMINAL_STATES.has(rec.state) && rec.cacheGeneration !== undefined)
      inUse.add(`${tenantCachePrefix(rec.tenant, rec.cacheGeneration)}/`);
  const expired = new Set<string>();
  for (const a of await o.store.list("tenants/")) {
    const m = GENERATION_PREFIX.exec(a.key);
    if (m && Number(m[2]) < current - 1) expired.add(m[0]);
  }
  const result: SweepResult = { deleted: [], kept: [] };
  for (const prefix of [...expired].sort()) {
    if (inUse.has(prefix)) {
      result.kept.push(prefix);
      continue;
    }
    await o.store.deletePrefix(prefix);
    result.deleted.push(prefix);
  }
  return result;
}

/**
 * Retention of finished jobs (`--result-retention-hours`): a job that ended (succeeded, failed
 * or was cancelled) more than `retentionMs` ago is deleted as DeleteJob would — its artifacts
 * (`tenants/{t}/jobs/{id}/`, the result included) and then its record; an idempotency key that
 * pointed at it is released on its next use (create-plan.ts admitJob: `releaseKey`). Results published to
 * `outputs.uri` live in the tenant's bucket and are the tenant's to keep. O(jobs) per sweep.
 */
export async function sweepResults(o: {
  store: ArtifactStore;
  jobs: JobStore<JobRecord>;
  now: number;
  retentionMs: number;
}): Promise<string[]> {
  const expired: string[] = [];
  for (const rec of await o.jobs.list()) {
    if (!TERMINAL_STATES.has(rec.state) || rec.endTime === undefined) continue;
    if (rec.endTime + o.retentionMs > o.now) continue;
    await o.store.deletePrefix(rec.artifactPrefix);
    await o.jobs.delete(rec.id);
    expired.push(rec.id);
  }
  return expired;
}
