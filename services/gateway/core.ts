/**
 * What every CompressionService method shares: the options (ports, roots, models, uploads),
 * the clock, tenant-owned job lookup, the per-tenant create mutex, and the open WatchJob
 * streams (woken at shutdown). The methods live by seam: jobs.ts (create, cancel, delete,
 * list), watch.ts, results.ts (result, download), upload-dataset.ts; service.ts routes them.
 */
import type { ArtifactStore, Bus, JobStore } from "@adq/platform";
import type { ApiKeyAuthenticator, DataGrants, Logger, ModelConfig, Tenant } from "@adq/service-common";
import { invalidArgument, notFound } from "@adq/service-common";
import type { IdempotencyRecord, JobRecord } from "./records.ts";
import type { UploadStore } from "./upload.ts";

export interface GatewayOptions {
  jobs: JobStore<JobRecord>;
  idempotency: JobStore<IdempotencyRecord>;
  bus: Bus;
  store: ArtifactStore;
  auth: ApiKeyAuthenticator;
  /** Real paths of the directories datasets may come from (every tenant; without `grants`). */
  dataRoots: string[];
  /** Per-tenant data grants (the API-key file's `data`): replace `dataRoots` for tenants. */
  grants?: DataGrants;
  models: ModelConfig;
  /** Uploaded datasets (UploadDataset, artifact:// URIs); absent: UploadDataset is UNIMPLEMENTED. */
  uploads?: UploadStore;
  /** Input side (pixels) of the default feature model: expresses the default patch grid. */
  imageSize?: number;
  log: Logger;
  /** WatchJob: re-read the record at least this often (ms), in case a bus event was missed. */
  watchPollMs?: number;
  /** WatchJob: heartbeat after this long without events (ms). */
  heartbeatMs?: number;
  /** Called once per finished call (metrics). */
  onRpc?: (method: string, code: string, ms: number) => void;
  now?: () => number;
}

/** Largest stream message payload (upload and download chunks). */
export const MAX_CHUNK = 1024 * 1024;
const JOB_ID = /^job-[0-9a-f]{20}$/;

/** A tiny per-key mutex: serializes quota check + create per tenant in this process. */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => {});
    this.tails.set(key, tail);
    try {
      return await next;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

export class GatewayCore {
  readonly mutex = new KeyedMutex();
  /** Wakes every WatchJob stream so it can end (shutdown). */
  readonly watchers = new Set<() => void>();
  draining = false;
  readonly now: () => number;

  constructor(readonly o: GatewayOptions) {
    this.now = o.now ?? Date.now;
  }

  /** The tenant's job, or NOT_FOUND (also for other tenants' jobs and malformed ids). */
  async owned(tenant: Tenant, jobId: string): Promise<JobRecord> {
    if (!jobId) throw invalidArgument("job_id", "required");
    const rec = JOB_ID.test(jobId) ? await this.o.jobs.get(jobId) : undefined;
    if (!rec || rec.value.tenant !== tenant.id) throw notFound(`job ${jobId} not found`);
    return rec.value;
  }
}
