/**
 * The job runner (the coordinator's service side): takes accepted jobs from the Bus work
 * queue `jobs`, runs `runCompression` for each with bounded concurrency, and keeps the job
 * record (JobStore, compare-and-set) and the per-job event stream (Bus events) up to date.
 *
 * It depends only on the ports: the embedded mode gives it a LocalBus, FsArtifactStore and
 * MemoryJobStore; the cluster mode gives it the NATS JetStream adapters, and the gateway
 * and runner can then live in different processes (the queue message is the hand-off, the
 * record and the bus events carry state back).
 *
 * Cancellation: the gateway moves a RUNNING job to CANCELLING and publishes a state event;
 * the runner aborts the coordinator (fan-out stops waiting and rejects), drops the job's
 * queued stage tasks where the bus can, deletes everything under the job's artifact prefix
 * and records CANCELLED.
 */

import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { type ErrorInfo, errorInfo, type TypedError } from "@adq/core";
import { parseS3Uri, publishFiles, s3Client, withS3Credentials } from "@adq/ml";
import { type ArtifactStore, type Bus, type JobStore, type Subscription, sealArtifacts } from "@adq/platform";
import type { DataGrants, Logger } from "@adq/service-common";
import type { ErrorDetails } from "@adq/service-common/proto";
import {
  CancelledError,
  FairShare,
  GPU_STAGES,
  type LeaseRecord,
  runCompression,
  SharedFairShare,
  type StageName,
  type TaskGate,
} from "@adq/stages";
import { JobAdmission } from "./admission.ts";
import {
  DEFAULT_CACHE_RETENTION_MS,
  jobCacheGeneration,
  type SweepResult,
  sweepCache,
  sweepResults,
  tenantCachePrefix,
} from "./cache-gc.ts";
import { JOB_QUEUE, type JobQueueMessage } from "./create-plan.ts";
import { storeIntermediates, storeReconstruction } from "./extra-outputs.ts";
import { jobErrorDetails } from "./job-errors.ts";
import * as machine from "./job-machine.ts";
import { LostClaimError, ShutdownError } from "./job-machine.ts";
import { collectResult } from "./job-result.ts";
import { ProgressThrottle, throttle } from "./progress-throttle.ts";
import { type JobRecord, mutateJob } from "./records.ts";

export { JOB_QUEUE, type JobQueueMessage } from "./create-plan.ts";

const sleepMs = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Fair-share windows (RunnerOptions.tenantStageTasks / tenantGpuTasks). */
export const DEFAULT_TENANT_STAGE_TASKS = 4;
export const DEFAULT_TENANT_GPU_TASKS = 2;
/** Job messages a coordinator holds beyond those it runs, to admit fairly among (admission.ts). */
export const DEFAULT_JOB_LOOKAHEAD = 16;

export interface RunnerOptions {
  jobs: JobStore<JobRecord>;
  bus: Bus;
  store: ArtifactStore;
  log: Logger;
  /** Jobs run at once by this runner. */
  concurrency?: number;
  /**
   * Queued job messages this runner holds beyond `concurrency` (default 16), heartbeated, to
   * admit them fairly between tenants (admission.ts) rather than in queue order. 0: FIFO.
   */
  jobLookahead?: number;
  /** Images per features task. */
  shardSize?: number;
  batchSize?: number;
  /** ONNX Runtime threads of the MAE behind outputs.reconstruct (run in this process). */
  threads?: number;
  /** Minimum interval between two progress writes of the same stage (coalescing). */
  progressIntervalMs?: number;
  /** Deliveries of a stage task before it fails the job (reported in ErrorDetails.attempts). */
  maxTaskAttempts?: number;
  /**
   * Deliveries of a job's queue message (`jobs`) before the job is given up (default 10).
   * A message is redelivered when its runner died (no heartbeat within the bus's ack wait)
   * or shut down with the job unfinished; job failures themselves never redeliver it.
   */
  maxJobDeliveries?: number;
  /**
   * Stage outputs are reused between a tenant's jobs for one to two periods of this length,
   * then deleted (cache-gc.ts). Default 7 days.
   */
  cacheRetentionMs?: number;
  /**
   * Finished jobs (record, artifacts, result) are deleted this long after they ended
   * (cache-gc.ts sweepResults), by the same periodic sweep. Default: kept until DeleteJob.
   */
  resultRetentionMs?: number;
  /** How often this runner sweeps expired cache generations (default min(retention / 4, 1 h)). */
  cacheSweepIntervalMs?: number;
  /**
   * Outstanding stage tasks per tenant per stage (default 4), and on each GPU stage (default
   * 2: the per-tenant GPU quota): the fair share between tenants (packages/stages/src/fair-share.ts).
   */
  tenantStageTasks?: number;
  tenantGpuTasks?: number;
  /**
   * Where the windows are counted. Absent: in this process (one coordinator, the embedded
   * mode). Given (the cluster's `<ns>-fair-share` KV bucket): shared by every coordinator, as
   * leases that lapse after `claimTtlMs` when their coordinator dies (SharedFairShare).
   */
  leases?: JobStore<LeaseRecord>;
  /** This coordinator's name in job claims (default host-pid-random). */
  instanceId?: string;
  /**
   * How long a job claim holds without renewal (default 60 s; renewed every third of it).
   * A coordinator that dies leaves its jobs to others once their claims lapse: the cluster
   * sets it to the bus's ack wait, after which the job's message is redelivered anyway.
   */
  claimTtlMs?: number;
  /** Per-tenant data grants: the coordinator reads an s3:// data set with its grant's credentials. */
  grants?: DataGrants;
  /** Called once per job this runner finished (metrics). */
  onJobEnd?: (state: "SUCCEEDED" | "FAILED" | "CANCELLED", ms: number, tenant: string) => void;
  now?: () => number;
}

export class JobRunner {
  private readonly active = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private sub: Subscription | undefined;
  private offOutcomes: (() => void) | undefined;
  private stopping = false;
  private readonly now: () => number;
  private readonly retentionMs: number;
  private sweeper: NodeJS.Timeout | undefined;
  readonly fairShare: { gate(tenant: string): TaskGate; close?(): Promise<void> };
  readonly instanceId: string;
  private readonly claimTtlMs: number;
  readonly admission: JobAdmission;

  constructor(private readonly o: RunnerOptions) {
    this.instanceId = o.instanceId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
    this.claimTtlMs = o.claimTtlMs ?? 60_000;
    if (!(this.claimTtlMs >= 30)) throw new RangeError(`claimTtlMs must be ≥ 30, got ${o.claimTtlMs}`);
    const windows = {
      tasksPerStage: o.tenantStageTasks ?? DEFAULT_TENANT_STAGE_TASKS,
      gpuTasksPerStage: o.tenantGpuTasks ?? DEFAULT_TENANT_GPU_TASKS,
      gpuStages: GPU_STAGES,
    };
    this.fairShare = o.leases
      ? new SharedFairShare({
          ...windows,
          store: o.leases,
          owner: this.instanceId,
          ttlMs: this.claimTtlMs,
          onError: (what, e) => o.log.warn(what, { error: e }),
        })
      : new FairShare(windows);
    this.admission = new JobAdmission(Math.max(1, o.concurrency ?? 2));
    const lookahead = o.jobLookahead ?? DEFAULT_JOB_LOOKAHEAD;
    if (!Number.isInteger(lookahead) || lookahead < 0)
      throw new RangeError(`jobLookahead must be an integer ≥ 0, got ${o.jobLookahead}`);
    this.now = o.now ?? Date.now;
    this.retentionMs = o.cacheRetentionMs ?? DEFAULT_CACHE_RETENTION_MS;
    if (!(this.retentionMs > 0))
      throw new RangeError(`cacheRetentionMs must be > 0, got ${o.cacheRetentionMs}`);
  }

  /** Deletes the expired stage-cache generations (also run periodically after `start`). */
  async sweepCache(): Promise<SweepResult> {
    const r = await sweepCache({
      store: this.o.store,
      jobs: this.o.jobs,
      now: this.now(),
      retentionMs: this.retentionMs,
    });
    if (r.deleted.length || r.kept.length)
      this.o.log.info("cache_swept", { deleted: r.deleted, kept: r.kept });
    if (this.o.resultRetentionMs !== undefined) {
      const jobs = await sweepResults({
        store: this.o.store,
        jobs: this.o.jobs,
        now: this.now(),
        retentionMs: this.o.resultRetentionMs,
      });
      if (jobs.length) this.o.log.info("results_expired", { jobs });
    }
    return r;
  }

  start(): void {
    if (this.sub) return;
    const every =
      this.o.cacheSweepIntervalMs ??
      Math.min(this.retentionMs / 4, (this.o.resultRetentionMs ?? Infinity) / 4, 3600_000);
    let sweeping = false;
    this.sweeper = setInterval(() => {
      if (sweeping) return; // a slow listing must not pile up sweeps
      sweeping = true;
      void this.sweepCache()
        .catch((e) => this.o.log.warn("cache_sweep_failed", { error: e }))
        .finally(() => {
          sweeping = false;
        });
    }, every);
    this.sweeper.unref?.();
    // A job message that used up its deliveries (runners kept dying on it) ends in a failed
    // outcome of the `jobs` queue: fail the job rather than leave it RUNNING forever.
    this.offOutcomes = this.o.bus.onOutcome((o) => {
      if (o.task.stage !== JOB_QUEUE || o.ok || this.stopping) return;
      const { jobId } = (o.task.payload ?? {}) as Partial<JobQueueMessage>;
      if (typeof jobId !== "string") return;
      void this.giveUp(jobId, o.error ?? "unknown error", o.task.attempt ?? 0).catch((e) =>
        this.o.log.error("job_give_up_failed", { job_id: jobId, error: e }),
      );
    });
    this.sub = this.o.bus.consume(
      JOB_QUEUE,
      async (task) => {
        const { jobId } = task.payload as JobQueueMessage;
        const release = await this.admit(jobId);
        try {
          await this.run(jobId);
        } finally {
          release();
        }
      },
      {
        // Run slots plus the look-ahead: held messages wait in `admission` for a run slot.
        concurrency: this.admission.slots + (this.o.jobLookahead ?? DEFAULT_JOB_LOOKAHEAD),
        maxAttempts: Math.max(1, this.o.maxJobDeliveries ?? 10),
      },
    );
  }

  /**
   * Waits for a run slot, granted fairly between tenants. Jobs that need no run (gone,
   * ended, being cancelled) or that this process already runs (a redelivery) take none.
   */
  private async admit(jobId: string): Promise<() => void> {
    if (this.stopping) throw new ShutdownError("runner is shutting down"); // nack: redelivered later
    const none = () => {};
    if (this.active.has(jobId)) return none;
    const rec = await this.o.jobs.get(jobId);
    if (!rec || (rec.value.state !== "QUEUED" && rec.value.state !== "RUNNING")) return none;
    return this.admission.admit(rec.value.tenant);
  }

  /** Fails a job whose queue message was given up (too many deliveries). */
  private async giveUp(jobId: string, reason: string, attempts: number): Promise<void> {
    const log = this.o.log.child({ job_id: jobId });
    let failed: JobRecord | undefined;
    const error: ErrorDetails = machine.giveUpError(attempts, reason);
    await mutateJob(this.o.jobs, jobId, (rec) => {
      if (!machine.fail(rec, error, this.now())) return false;
      failed = rec;
      return true;
    });
    if (!failed) return;
    await this.o.store.deletePrefix(failed.artifactPrefix);
    await this.o.bus.publishEvent({
      jobId,
      kind: "state",
      state: "FAILED",
      message: error.message,
      at: this.now(),
    });
    log.warn("job_failed", { tenant: failed.tenant, reason: error.reason, message: error.message });
    this.o.onJobEnd?.("FAILED", 0, failed.tenant);
  }

  /** Jobs running in this process now. */
  get running(): string[] {
    return [...this.active.keys()];
  }

  /** Aborts a job run by this process (the bus event path does the same across processes). */
  cancelLocal(jobId: string): boolean {
    const a = this.active.get(jobId);
    if (!a) return false;
    a.controller.abort(new CancelledError(`job ${jobId} was cancelled`));
    return true;
  }

  /**
   * Stops taking jobs; lets running ones finish until `deadlineMs`, then aborts them and
   * puts them back to QUEUED (a durable bus redelivers them; the stage cache makes the
   * re-run resume where it stopped).
   */
  async close(deadlineMs = 10_000): Promise<void> {
    this.stopping = true;
    // Held messages not yet admitted go back to the queue at once (nack), for other coordinators.
    this.admission.close(new ShutdownError("runner is shutting down"));
    if (this.sweeper) clearInterval(this.sweeper);
    const all = Promise.all([...this.active.values()].map((a) => a.done));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      all.then(() => false),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(true), deadlineMs);
      }),
    ]);
    if (timer) clearTimeout(timer);
    if (timedOut)
      for (const a of this.active.values()) a.controller.abort(new ShutdownError("shutting down"));
    await all;
    await this.sub?.close();
    this.sub = undefined;
    await this.fairShare.close?.();
    this.offOutcomes?.();
    this.offOutcomes = undefined;
  }

  private async run(jobId: string): Promise<void> {
    const log = this.o.log.child({ job_id: jobId });
    if (this.stopping) throw new ShutdownError("runner is shutting down"); // nack: redelivered later
    // The same job redelivered to this process while it still runs it (e.g. heartbeats lost
    // during a NATS outage): keep the message in progress until that run ends, never run twice.
    const running = this.active.get(jobId);
    if (running) {
      log.info("job_redelivered_while_running");
      await running.done;
      return;
    }
    // Set by the last try of the compare-and-set below.
    let outcome = { kind: "ended", state: "QUEUED" } as machine.ClaimResult;
    const claim = () =>
      mutateJob(this.o.jobs, jobId, (rec) => {
        outcome = machine.claim(rec, {
          owner: this.instanceId,
          now: this.now(),
          claimTtlMs: this.claimTtlMs,
          retentionMs: this.retentionMs,
        });
        return outcome.kind === "claimed";
      });
    let v = await claim();
    // The job's message was redelivered here while another coordinator runs it (its
    // heartbeats were lost for a while): hold the message, and take the job over only if
    // that claim lapses (its coordinator died); if it ends there, this delivery is acked.
    while (v && outcome.kind === "elsewhere") {
      if (this.stopping) throw new ShutdownError("runner is shutting down");
      const elsewhere = outcome.claim;
      log.info("job_claimed_elsewhere", { owner: elsewhere.owner });
      await sleepMs(Math.max(10, Math.min(this.claimTtlMs / 3, elsewhere.until - this.now() + 10)));
      v = await claim();
    }
    if (!v) {
      log.warn("job_missing");
      return;
    }
    if (outcome.kind === "cancelling") {
      // Cancelled while no runner held it (its runner died): finish the cancellation here.
      await this.finishCancel(v.value, log);
      return;
    }
    if (outcome.kind !== "claimed") {
      log.info("job_skipped", { state: v.value.state });
      return;
    }
    const claimed = v.value;
    const controller = new AbortController();
    // Renew the claim while the job runs; losing it (a lapse another coordinator used) stops this run.
    const renew = setInterval(() => {
      void mutateJob(this.o.jobs, jobId, (rec) => {
        const r = machine.renewClaim(rec, this.instanceId, this.now(), this.claimTtlMs);
        if (r === "lost" && !controller.signal.aborted)
          controller.abort(new LostClaimError(`claimed by ${rec.claim?.owner}`));
        return r === "renewed";
      }).catch((e) => log.warn("job_claim_renew_failed", { error: e }));
    }, this.claimTtlMs / 3);
    renew.unref?.();
    let resolveDone: () => void = () => {};
    const done = new Promise<void>((r) => {
      resolveDone = r;
    });
    this.active.set(jobId, { controller, done });
    const unsubscribe = this.o.bus.subscribeEvents(jobId, (ev) => {
      if (ev.kind === "state" && ev.state === "CANCELLING") controller.abort(new CancelledError("cancelled"));
    });
    try {
      await this.execute(claimed, controller, log);
    } finally {
      clearInterval(renew);
      unsubscribe();
      this.active.delete(jobId);
      resolveDone();
    }
  }

  private async execute(job: JobRecord, controller: AbortController, log: Logger): Promise<void> {
    const { jobs, bus, store } = this.o;
    const jobId = job.id;
    const interval = this.o.progressIntervalMs ?? 250;
    // Writes are serialized per job, so events keep their order.
    let chain: Promise<unknown> = Promise.resolve();
    const write = (change: (rec: JobRecord) => boolean, event?: Parameters<Bus["publishEvent"]>[0]) => {
      chain = chain
        .then(async () => {
          const v = await mutateJob(jobs, jobId, (rec) => {
            if (!machine.acceptsRunWrites(rec)) {
              // Someone else (CancelJob) owns the record now; stop the coordinator.
              if (!controller.signal.aborted) controller.abort(new CancelledError("cancelled"));
              return false;
            }
            return change(rec);
          });
          if (v && event) await bus.publishEvent(event);
        })
        .catch((e) => log.error("job_record_write_failed", { error: e }));
      return chain;
    };
    let current: StageName | null = null;
    // Coalesce: at most one write per stage per interval, the latest value wins.
    const throttled = new ProgressThrottle<StageName>(interval);
    let trailing: NodeJS.Timeout | undefined;
    const writeProgress = (p: { stage: StageName; done: number; total: number }, now: number) =>
      write(
        (rec) => {
          machine.reportProgress(rec, p.stage, p.done, p.total, now);
          return true;
        },
        { jobId, kind: "progress", stage: p.stage, done: p.done, total: p.total, at: now },
      );
    const progress = (p: { stage: StageName; done: number; total: number }) => {
      const now = this.now();
      const d = throttled.offer(p, now);
      if (d.kind === "skip") return; // onStage already recorded the start
      if (trailing) clearTimeout(trailing);
      trailing = undefined;
      if (d.kind === "write") {
        void writeProgress(p, now);
        return;
      }
      // The report is written with the time it was made, as when it is written at once.
      trailing = setTimeout(() => {
        trailing = undefined;
        if (throttled.takePending(this.now())) void writeProgress(p, now);
      }, d.delayMs);
    };
    const started = this.now();
    try {
      const creds = this.o.grants?.credentialsFor(job.tenant, job.dataset.path);
      const outcome = await withS3Credentials(creds, () =>
        runCompression(
          {
            jobId,
            dataset: { path: job.dataset.path },
            model: job.model,
            params: job.params,
            resultPrefix: job.resultPrefix,
            cachePrefix: tenantCachePrefix(
              job.tenant,
              job.cacheGeneration ?? jobCacheGeneration(undefined, this.now(), this.retentionMs),
            ),
            ...(this.o.shardSize ? { shardSize: this.o.shardSize } : {}),
            ...(this.o.batchSize ? { batchSize: this.o.batchSize } : {}),
          },
          {
            bus,
            store,
            signal: controller.signal,
            taskGate: this.fairShare.gate(job.tenant),
            tenant: job.tenant,
            onStage: (stage, total) => {
              const now = this.now();
              const prev = current;
              current = stage;
              void write(
                (rec) => {
                  machine.enterStage(rec, prev, stage, total, now);
                  return true;
                },
                { jobId, kind: "progress", stage, done: 0, total, at: now },
              );
              throttled.started(stage, now);
            },
            onProgress: (p) => progress({ stage: p.stage, done: p.done, total: p.total }),
          },
        ),
      );
      if (trailing) clearTimeout(trailing);
      await chain;
      if (controller.signal.aborted) throw controller.signal.reason ?? new CancelledError("cancelled");
      // The results leave the producing stage's bucket for the control plane's, which no
      // worker can read or write (cluster/artifact-buckets.ts); a no-op for one-part stores.
      await sealArtifacts(store, `${outcome.resultPrefix}/`);
      if (job.outputs.keepIntermediates) outcome.files.push(...(await storeIntermediates(store, outcome)));
      if (job.outputs.reconstruct && job.mae) {
        const wake = { jobId, kind: "progress" as const, stage: "assemble" as const, done: 0, total: 0 };
        const at = this.now();
        void write(
          (rec) => {
            machine.enterReconstruct(rec, outcome.selected, at);
            return true;
          },
          { ...wake, at },
        );
        let last = 0;
        outcome.files.push(
          await storeReconstruction(store, outcome.resultPrefix, job.mae.file, {
            signal: controller.signal,
            ...(this.o.threads ? { threads: this.o.threads } : {}),
            onProgress: (doneN, total) => {
              const now = this.now();
              // Leading-edge only: the last report (done = total) is always written.
              if (throttle(last, doneN, total, now, interval).kind !== "write") return;
              last = now;
              void write(
                (rec) => {
                  machine.reportReconstruct(rec, doneN, total, now);
                  return true;
                },
                { ...wake, done: doneN, total, at: now },
              );
            },
          }),
        );
        await chain;
        if (controller.signal.aborted) throw controller.signal.reason ?? new CancelledError("cancelled");
      }
      const result = await collectResult(this.o.store, outcome, this.now() - started);
      // outputs.uri: published (manifest last) before the job is SUCCEEDED, so a client that
      // sees SUCCEEDED finds the whole result there. A retried job overwrites its own attempt.
      if (job.outputs.uri)
        await this.publishResult(
          job,
          outcome.resultPrefix,
          result.files.map((f) => f.name),
        );
      let cancelledMeanwhile = false;
      await mutateJob(jobs, jobId, (rec) => {
        const r = machine.succeed(rec, result, this.now());
        cancelledMeanwhile = r === "cancelling";
        return r === "succeeded";
      });
      if (cancelledMeanwhile) throw new CancelledError("cancelled");
      await bus.publishEvent({ jobId, kind: "state", state: "SUCCEEDED", at: this.now() });
      log.info("job_succeeded", {
        tenant: job.tenant,
        selected: outcome.selected,
        total: outcome.total,
        ms: this.now() - started,
      });
      this.o.onJobEnd?.("SUCCEEDED", this.now() - started, job.tenant);
    } catch (e) {
      if (trailing) clearTimeout(trailing);
      throttled.cancelPending();
      await chain;
      const reason: unknown = controller.signal.reason;
      switch (machine.runEnding(e, controller.signal.aborted, reason)) {
        case "requeue":
          await this.requeue(job, log);
          throw reason; // nack: a durable bus redelivers the job
        case "lost-claim":
          log.warn("job_claim_lost", { tenant: job.tenant, error: (reason as Error).message });
          throw reason; // nack: its new owner holds the job; a redelivery waits on that claim
        case "cancel":
          await this.finishCancel(job, log);
          return;
        case "interrupted":
          log.warn("job_interrupted", { tenant: job.tenant, error: e });
          throw e; // nack: the job stays RUNNING, its message is redelivered and it resumes
        case "fail":
          break;
      }
      const error = jobErrorDetails(e, job, log, this.o.maxTaskAttempts ?? 3);
      await mutateJob(jobs, jobId, (rec) => machine.fail(rec, error, this.now()));
      // Nothing half-written is ever published as a result.
      await store.deletePrefix(job.artifactPrefix);
      await bus.publishEvent({
        jobId,
        kind: "state",
        state: "FAILED",
        message: error.message,
        at: this.now(),
      });
      log.info("job_failed", {
        tenant: job.tenant,
        code: error.code,
        reason: error.reason,
        message: error.message,
      });
      this.o.onJobEnd?.("FAILED", this.now() - started, job.tenant);
      const rec = await jobs.get(jobId);
      if (rec?.value.state === "CANCELLING") await this.finishCancel(job, log);
    }
  }

  private async publishResult(job: JobRecord, resultPrefix: string, files: string[]): Promise<void> {
    const uri = job.outputs.uri!;
    const client = s3Client(this.o.grants?.credentialsFor(job.tenant, uri));
    await publishFiles(client, parseS3Uri(uri, "outputs.uri"), files, async (name) => {
      const data = await this.o.store.get(`${resultPrefix}/${name}`);
      return { body: data, size: data.length };
    }).catch((e: unknown) => {
      const info = errorInfo(e);
      // The store's verdict on the tenant's prefix (access denied, …) names outputs.uri.
      throw info ? new PublishError(info.message, info.status) : e;
    });
  }

  private async requeue(job: JobRecord, log: Logger): Promise<void> {
    await mutateJob(this.o.jobs, job.id, (rec) => machine.requeue(rec, this.instanceId, this.now()));
    log.info("job_requeued", { tenant: job.tenant, reason: "shutdown" });
  }

  /** Frees a cancelled job's artifacts and records CANCELLED. */
  private async finishCancel(job: JobRecord, log: Logger): Promise<void> {
    const { bus, store, jobs } = this.o;
    let purged = 0;
    try {
      purged = await bus.cancelJob(job.id);
    } catch (e) {
      log.warn("job_purge_failed", { error: e });
    }
    const prefix = job.artifactPrefix;
    await store.deletePrefix(prefix);
    // A stage task already running when the cancel came may still publish outputs under
    // the job's prefix: delete again when its outcome arrives (bounded wait).
    const off = bus.onOutcome((o) => {
      if (o.task.jobId !== job.id) return;
      void store.deletePrefix(prefix).catch(() => {});
    });
    setTimeout(off, 120_000).unref?.();
    await mutateJob(jobs, job.id, (rec) => machine.finishCancel(rec, this.now()));
    await bus.publishEvent({ jobId: job.id, kind: "state", state: "CANCELLED", at: this.now() });
    log.info("job_cancelled", { tenant: job.tenant, purged_tasks: typeof purged === "number" ? purged : 0 });
    this.o.onJobEnd?.("CANCELLED", this.now() - (job.startTime ?? job.createTime), job.tenant);
  }
}

/** Publishing the result to outputs.uri failed for a reason of the request (the store's verdict). */
class PublishError extends Error implements TypedError {
  override readonly name = "PublishError";
  constructor(
    readonly description: string,
    private readonly status: ErrorInfo["status"],
  ) {
    super(`outputs.uri: ${description}`);
  }
  get info(): ErrorInfo {
    return {
      status: this.status,
      message: this.message,
      field: "outputs.uri",
      description: this.description,
    };
  }
}
