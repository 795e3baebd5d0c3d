/**
 * The public `adq.v1.CompressionService` over the ports (JobStore, Bus, ArtifactStore).
 * Every call is authenticated to a tenant; every job it can see is that tenant's
 * (another tenant's job is NOT_FOUND, like one that does not exist).
 */
import { createHash, randomBytes } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import { type ArtifactStore, type Bus, ConflictError, type JobStore, NotFoundError } from "#platform";
import { type BinsFile, checkDataset } from "#stages";
import type { ApiKeyAuthenticator, Tenant } from "../common/auth.ts";
import {
  failedPrecondition,
  invalidArgument,
  notFound,
  quotaExceeded,
  RpcError,
  unimplemented,
} from "../common/errors.ts";
import type { Logger } from "../common/log.ts";
import { compressionServiceDefinition } from "../common/proto.ts";
import {
  type CallContext,
  clientStreamHandler,
  type HandlerOptions,
  serverStreamHandler,
  unaryHandler,
} from "../common/server.ts";
import type {
  ArtifactRef,
  BinScore,
  CancelJobRequest,
  CreateJobRequest,
  CreateJobResponse,
  DownloadResultChunk,
  DownloadResultRequest,
  Job,
  JobEvent,
  JobIdRequest,
  JobResult,
  ListJobsRequest,
  ListJobsResponse,
  UploadDatasetRequest,
  UploadDatasetResponse,
  WatchJobRequest,
} from "../common/types.ts";
import { eventToProto, jobToProto, snapshotEvent, summaryToProto, terminalToProto, ts } from "./convert.ts";
import { fieldPath, paramsFromProto, Violations } from "./params.ts";
import {
  ACTIVE_STATES,
  type IdempotencyRecord,
  initialStages,
  type JobRecord,
  type JobState,
  mutateJob,
  parseJobStateName,
  type ResultFileRecord,
  setJobState,
  TERMINAL_STATES,
} from "./records.ts";
import { formatName, type ModelConfig, resolveDataset, resolveModel } from "./resolve.ts";
import { JOB_QUEUE, type JobQueueMessage } from "./runner.ts";
import { archiveKey, type UploadStore, uploadsDisabled } from "./upload.ts";

export interface GatewayOptions {
  jobs: JobStore<JobRecord>;
  idempotency: JobStore<IdempotencyRecord>;
  bus: Bus;
  store: ArtifactStore;
  auth: ApiKeyAuthenticator;
  /** Real paths of the directories datasets may come from. */
  dataRoots: string[];
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

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,128}$/;
const LABEL_KEY = /^[a-z0-9_.-]{1,63}$/;
const JOB_ID = /^job-[0-9a-f]{20}$/;
const DEFAULT_PAGE = 50;
const MAX_PAGE = 500;
const DEFAULT_CHUNK = 256 * 1024;
const MAX_CHUNK = 1024 * 1024;

/** A tiny per-key mutex: serializes quota check + create per tenant in this process. */
class KeyedMutex {
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

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object")
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v) ?? "null";
}

function toRef(f: ResultFileRecord): ArtifactRef {
  return { key: f.key, sha256: f.digest, sizeBytes: f.size, mediaType: f.mediaType };
}

export class CompressionGateway {
  private readonly mutex = new KeyedMutex();
  /** Wakes every WatchJob stream so it can end (shutdown). */
  private readonly watchers = new Set<() => void>();
  private draining = false;
  private readonly now: () => number;
  private readonly log: Logger;

  constructor(private readonly o: GatewayOptions) {
    this.now = o.now ?? Date.now;
    this.log = o.log;
  }

  /** Ends open WatchJob streams with UNAVAILABLE (clients resume with after_sequence). */
  drain(): void {
    this.draining = true;
    for (const w of this.watchers) w();
  }

  addTo(server: grpc.Server): void {
    server.addService(compressionServiceDefinition(), this.implementation());
  }

  implementation(): grpc.UntypedServiceImplementation {
    const h: HandlerOptions<Tenant> = {
      log: this.log,
      authenticate: (md) => this.o.auth.authenticate(md),
      describe: (t) => ({ tenant: t.id }),
      fieldPath,
      ...(this.o.onRpc ? { onRpc: this.o.onRpc } : {}),
    };
    return {
      CreateJob: unaryHandler<Tenant, CreateJobRequest, CreateJobResponse>("CreateJob", h, (r, c) =>
        this.createJob(r, c),
      ),
      UploadDataset: clientStreamHandler<Tenant, UploadDatasetRequest, UploadDatasetResponse>(
        "UploadDataset",
        h,
        (m, c) => this.uploadDataset(m, c),
      ),
      GetJob: unaryHandler<Tenant, JobIdRequest, Job>("GetJob", h, async (r, c) => {
        c.annotate({ job_id: r.jobId });
        return jobToProto(await this.owned(c.principal, r.jobId));
      }),
      WatchJob: serverStreamHandler<Tenant, WatchJobRequest, JobEvent>("WatchJob", h, (r, w, c) =>
        this.watchJob(r, w, c),
      ),
      CancelJob: unaryHandler<Tenant, CancelJobRequest, Job>("CancelJob", h, (r, c) => this.cancelJob(r, c)),
      ListJobs: unaryHandler<Tenant, ListJobsRequest, ListJobsResponse>("ListJobs", h, (r, c) =>
        this.listJobs(r, c),
      ),
      DeleteJob: unaryHandler<Tenant, JobIdRequest, Record<string, never>>("DeleteJob", h, (r, c) =>
        this.deleteJob(r, c),
      ),
      GetResult: unaryHandler<Tenant, JobIdRequest, JobResult>("GetResult", h, (r, c) =>
        this.getResult(r, c),
      ),
      DownloadResult: serverStreamHandler<Tenant, DownloadResultRequest, DownloadResultChunk>(
        "DownloadResult",
        h,
        (r, w, c) => this.downloadResult(r, w, c),
      ),
    };
  }

  /** The tenant's job, or NOT_FOUND (also for other tenants' jobs and malformed ids). */
  private async owned(tenant: Tenant, jobId: string): Promise<JobRecord> {
    if (!jobId) throw invalidArgument("job_id", "required");
    const rec = JOB_ID.test(jobId) ? await this.o.jobs.get(jobId) : undefined;
    if (!rec || rec.value.tenant !== tenant.id) throw notFound(`job ${jobId} not found`);
    return rec.value;
  }

  // ---- UploadDataset ----

  private async uploadDataset(
    messages: AsyncIterable<UploadDatasetRequest>,
    ctx: CallContext<Tenant>,
  ): Promise<UploadDatasetResponse> {
    const uploads = this.o.uploads ?? uploadsDisabled();
    const tenant = ctx.principal;
    let header: UploadDatasetRequest["header"] | undefined;
    let size = 0;
    let received = 0;
    const parts: Buffer[] = [];
    const mismatch = (field: string, what: string) =>
      invalidArgument(field, what, "ERROR_REASON_UPLOAD_MISMATCH");
    for await (const msg of messages) {
      if (msg.payload === "header") {
        if (header) throw invalidArgument("header", "a second header: only the first message is a header");
        const hd = msg.header!;
        const v = new Violations();
        if ((hd.name ?? "").length > 200) v.add("header.name", "at most 200 characters");
        size = Number(hd.sizeBytes ?? 0);
        if (!Number.isSafeInteger(size) || size <= 0)
          v.add("header.size_bytes", "required: the archive size, > 0");
        if (hd.sha256 && !/^[0-9a-f]{64}$/.test(hd.sha256))
          v.add("header.sha256", "must be 64 lowercase hex characters");
        v.throwIfAny();
        const limit = tenant.quotas.uploadBytes ?? uploads.limits.maxArchiveBytes;
        if (size > limit) throw quotaExceeded("upload_bytes", limit, size);
        header = hd;
        continue;
      }
      if (!header) throw invalidArgument("header", "the first message must be the header");
      const chunk = msg.chunk;
      if (!chunk || chunk.length === 0) throw invalidArgument("chunk", "empty chunk");
      if (chunk.length > MAX_CHUNK) throw invalidArgument("chunk", `chunks are at most ${MAX_CHUNK} bytes`);
      received += chunk.length;
      if (received > size) throw mismatch("header.size_bytes", `more bytes than the declared ${size}`);
      parts.push(Buffer.from(chunk));
    }
    if (!header) throw invalidArgument("header", "required: the first message must be the header");
    if (received !== size)
      throw mismatch("header.size_bytes", `declared ${size} bytes, received ${received}`);
    const archive = Buffer.concat(parts, size);
    const digest = createHash("sha256").update(archive).digest("hex");
    if (header.sha256 && header.sha256 !== digest)
      throw mismatch("header.sha256", `declared ${header.sha256}, the bytes received hash to ${digest}`);
    const r = await uploads.put(tenant.id, archive, {
      name: header.name ?? "",
      format: header.format,
      archive: header.archive ?? "ARCHIVE_FORMAT_UNSPECIFIED",
    });
    ctx.annotate({ upload_id: r.id, deduplicated: r.deduplicated });
    const d = r.description;
    const classCounts = d.classes.map(() => 0);
    for (const it of d.items) classCounts[it.label]!++;
    const info = await this.o.store.stat(archiveKey(tenant.id, r.id));
    return {
      dataset: { uri: `artifact://uploads/${r.id}`, format: r.meta.format },
      archive: {
        key: `uploads/${r.id}/archive`,
        sha256: digest,
        sizeBytes: size,
        mediaType: info?.mediaType ?? "application/x-tar",
      },
      summary: {
        numItems: d.size,
        classNames: [...d.classes],
        classCounts,
        totalBytes: 0,
        format: r.meta.format,
      },
      deduplicated: r.deduplicated,
    };
  }

  // ---- CreateJob ----

  private async createJob(req: CreateJobRequest, ctx: CallContext<Tenant>): Promise<CreateJobResponse> {
    const tenant = ctx.principal;
    const v = new Violations();
    const { params, patchGrid } = paramsFromProto(req.params, v, this.o.imageSize ?? 32);
    const key = req.idempotencyKey ?? "";
    if (key !== "" && !IDEMPOTENCY_KEY.test(key))
      v.add("idempotency_key", "must be 1-128 characters of [A-Za-z0-9._:-]");
    const displayName = req.displayName ?? "";
    if (displayName.length > 200) v.add("display_name", `at most 200 characters, got ${displayName.length}`);
    const labels = req.labels ?? {};
    const labelKeys = Object.keys(labels);
    if (labelKeys.length > 32) v.add("labels", `at most 32 entries, got ${labelKeys.length}`);
    for (const k of labelKeys) {
      if (!LABEL_KEY.test(k))
        v.add(`labels[${JSON.stringify(k)}]`, "keys are 1-63 characters of [a-z0-9_.-]");
      else if ((labels[k] ?? "").length > 256)
        v.add(`labels[${JSON.stringify(k)}]`, "values are at most 256 characters");
    }
    if (!req.dataset?.uri) v.add("dataset.uri", "required: file:///path/under/a/data/root");
    v.throwIfAny();
    if (req.outputs?.reconstruct)
      throw unimplemented(
        "outputs.reconstruct: MAE reconstruction is not served yet; run `adq reconstruct` on the result",
      );
    if (req.outputs?.keepIntermediates)
      throw unimplemented(
        "outputs.keep_intermediates: not served yet; use `adq compress --keep-intermediates`",
      );

    // The dataset and what its index tells without decoding images.
    const ds =
      this.o.uploads && req.dataset!.uri.startsWith("artifact://")
        ? await this.o.uploads.resolve(tenant.id, req.dataset!.uri, req.dataset!.format)
        : await resolveDataset(req.dataset!.uri, req.dataset!.format, this.o.dataRoots);
    const desc = ds.description;
    // The coordinator's own check (rules and messages in one place), refused here at once.
    checkDataset(desc, params);
    const classCounts = desc.classes.map(() => 0);
    for (const it of desc.items) classCounts[it.label]!++;
    if (desc.size > tenant.quotas.imagesPerJob)
      throw quotaExceeded("images_per_job", tenant.quotas.imagesPerJob, desc.size);
    const needModel = params.method !== "random" || params.drop > 0;
    const model = await resolveModel(req.params?.model, needModel, this.o.models);

    const requestHash = createHash("sha256")
      .update(
        canonical({
          dataset: { uri: req.dataset!.uri, format: req.dataset!.format ?? "DATASET_FORMAT_UNSPECIFIED" },
          params,
          patchGrid,
          model: model ? { uri: model.uri, sha256: model.spec.sha256 } : null,
          displayName,
          labels,
        }),
      )
      .digest("hex");
    const now = this.now();
    const id = req.validateOnly ? "" : `job-${randomBytes(10).toString("hex")}`;
    const artifactPrefix = `tenants/${tenant.id}/jobs/${id || "validate-only"}/`;
    const rec: JobRecord = {
      id,
      tenant: tenant.id,
      state: "QUEUED",
      dataset: { uri: req.dataset!.uri, format: formatName(desc.format), path: ds.path },
      params,
      patchGrid,
      modelUri: model?.uri ?? "",
      model: model?.spec ?? null,
      outputs: { reconstruct: false, keepIntermediates: false },
      idempotencyKey: key,
      requestHash,
      displayName,
      labels,
      createTime: now,
      updateTime: now,
      currentStage: "STAGE_UNSPECIFIED",
      stages: initialStages(params),
      datasetSummary: {
        numItems: desc.size,
        classNames: [...desc.classes],
        classCounts,
        format: formatName(desc.format),
      },
      warnings: [],
      eventSequence: 0,
      events: [],
      cancelReason: "",
      artifactPrefix,
      resultPrefix: `${artifactPrefix}result`,
      runs: 0,
    };
    if (req.validateOnly) return { job: jobToProto(rec), deduplicated: false };

    return this.mutex.run(tenant.id, async () => {
      const idemId = key
        ? `idem-${createHash("sha256").update(`${tenant.id}\0${key}`).digest("hex").slice(0, 40)}`
        : "";
      for (let attempt = 0; attempt < 5; attempt++) {
        if (idemId) {
          const existing = await this.lookupIdempotent(idemId, tenant, requestHash);
          if (existing) {
            ctx.annotate({ job_id: existing.id, deduplicated: true });
            return { job: jobToProto(existing), deduplicated: true };
          }
        }
        const active = (await this.o.jobs.list()).filter(
          (j) => j.tenant === tenant.id && ACTIVE_STATES.has(j.state),
        ).length;
        if (active + 1 > tenant.quotas.concurrentJobs)
          throw quotaExceeded("concurrent_jobs", tenant.quotas.concurrentJobs, active + 1);
        if (idemId) {
          try {
            await this.o.idempotency.create({ id: idemId, tenant: tenant.id, jobId: id, requestHash });
          } catch (e) {
            if (e instanceof ConflictError) continue; // another gateway won: return its job
            throw e;
          }
        }
        const created = await this.o.jobs.create(rec);
        const msg: JobQueueMessage = { jobId: id };
        await this.o.bus.publishTask({ jobId: id, stage: JOB_QUEUE, taskKey: "run", payload: msg });
        ctx.annotate({ job_id: id });
        ctx.log.info("job_created", {
          job_id: id,
          dataset: rec.dataset.path,
          items: desc.size,
          method: params.method,
          ratio: params.ratio,
        });
        return { job: jobToProto(created.value), deduplicated: false };
      }
      throw new RpcError(
        grpc.status.ABORTED,
        "idempotency_key: concurrent requests with the same key; retry",
      );
    });
  }

  /** The job an idempotency key points at, if any; ALREADY_EXISTS when the content differs. */
  private async lookupIdempotent(
    idemId: string,
    tenant: Tenant,
    requestHash: string,
  ): Promise<JobRecord | undefined> {
    const idem = await this.o.idempotency.get(idemId);
    if (!idem) return undefined;
    const job = await this.o.jobs.get(idem.value.jobId);
    if (!job) {
      // A crash between the two writes left a dangling key: release it.
      await this.o.idempotency.delete(idemId);
      return undefined;
    }
    if (idem.value.requestHash !== requestHash)
      throw new RpcError(
        grpc.status.ALREADY_EXISTS,
        `idempotency_key was already used for a different request (job ${job.value.id})`,
        { reason: "ERROR_REASON_IDEMPOTENCY_KEY_REUSED" },
      );
    if (job.value.tenant !== tenant.id) return undefined;
    return job.value;
  }

  // ---- WatchJob ----

  private async watchJob(
    req: WatchJobRequest,
    write: (e: JobEvent) => Promise<void>,
    ctx: CallContext<Tenant>,
  ): Promise<void> {
    ctx.annotate({ job_id: req.jobId });
    let rec = await this.owned(ctx.principal, req.jobId);
    const pollMs = this.o.watchPollMs ?? 1000;
    const heartbeatMs = this.o.heartbeatMs ?? 15_000;
    let pending = false;
    let wake: () => void = () => {};
    const unsubscribe = this.o.bus.subscribeEvents(rec.id, () => {
      pending = true;
      wake();
    });
    const onAbort = () => wake();
    ctx.signal.addEventListener("abort", onAbort);
    this.watchers.add(onAbort);
    try {
      let last = Number(req.afterSequence ?? 0);
      const oldest = rec.events[0]?.seq ?? rec.eventSequence + 1;
      if (last === 0 || last > rec.eventSequence || oldest > last + 1) {
        await write(snapshotEvent(rec, this.now()));
        last = rec.eventSequence;
      }
      let lastSent = this.now();
      for (;;) {
        for (const ev of rec.events) {
          if (ev.seq <= last) continue;
          await write(eventToProto(rec, ev));
          last = ev.seq;
          lastSent = this.now();
          if (ev.kind === "terminal") return;
        }
        if (TERMINAL_STATES.has(rec.state)) {
          // Resumed after the end, or the snapshot already covered it: the terminal event closes.
          const t = [...rec.events].reverse().find((e) => e.kind === "terminal");
          await write({
            sequence: t?.seq ?? rec.eventSequence,
            time: ts(t?.time ?? rec.endTime),
            jobId: rec.id,
            terminal: terminalToProto(rec, t?.kind === "terminal" ? t : undefined),
          });
          return;
        }
        if (this.draining)
          throw new RpcError(
            grpc.status.UNAVAILABLE,
            `server is shutting down; resume the watch with after_sequence=${last}`,
          );
        if (!pending) {
          const waitMs = Math.max(1, Math.min(pollMs, heartbeatMs - (this.now() - lastSent)));
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, waitMs);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          wake = () => {};
        }
        pending = false;
        if (ctx.signal.aborted) return;
        const cur = await this.o.jobs.get(rec.id);
        if (!cur) throw notFound(`job ${rec.id} was deleted`);
        rec = cur.value;
        if (this.now() - lastSent >= heartbeatMs && !rec.events.some((e) => e.seq > last)) {
          await write({ sequence: last, time: ts(this.now()), jobId: rec.id, heartbeat: {} });
          lastSent = this.now();
        }
      }
    } finally {
      unsubscribe();
      this.watchers.delete(onAbort);
      ctx.signal.removeEventListener("abort", onAbort);
    }
  }

  // ---- CancelJob / DeleteJob ----

  private async cancelJob(req: CancelJobRequest, ctx: CallContext<Tenant>): Promise<Job> {
    ctx.annotate({ job_id: req.jobId });
    const reason = req.reason ?? "";
    if (reason.length > 500) throw invalidArgument("reason", `at most 500 characters, got ${reason.length}`);
    const rec = await this.owned(ctx.principal, req.jobId);
    let wrongState: JobState | undefined;
    let next: JobState | undefined;
    const v = await mutateJob(this.o.jobs, rec.id, (r) => {
      if (r.state === "SUCCEEDED" || r.state === "FAILED") {
        wrongState = r.state;
        return false;
      }
      if (r.state === "CANCELLING" || r.state === "CANCELLED") return false;
      r.cancelReason = reason;
      next = r.state === "QUEUED" ? "CANCELLED" : "CANCELLING";
      setJobState(r, next, this.now());
      return true;
    });
    if (!v) throw notFound(`job ${req.jobId} not found`);
    if (wrongState)
      throw failedPrecondition(
        `job ${rec.id} has already ended (${wrongState}); nothing to cancel`,
        "ERROR_REASON_JOB_STATE",
      );
    if (next) {
      if (next === "CANCELLED") await this.o.store.deletePrefix(rec.artifactPrefix);
      await this.o.bus.publishEvent({ jobId: rec.id, kind: "state", state: next, at: this.now() });
      ctx.log.info("job_cancel_requested", { job_id: rec.id, state: next });
    }
    return jobToProto(v.value);
  }

  private async deleteJob(req: JobIdRequest, ctx: CallContext<Tenant>): Promise<Record<string, never>> {
    ctx.annotate({ job_id: req.jobId });
    const rec = await this.owned(ctx.principal, req.jobId);
    if (!TERMINAL_STATES.has(rec.state))
      throw failedPrecondition(`job ${rec.id} is ${rec.state}: cancel it first`, "ERROR_REASON_JOB_STATE");
    await this.o.store.deletePrefix(rec.artifactPrefix);
    if (rec.idempotencyKey) {
      const idemId = `idem-${createHash("sha256").update(`${rec.tenant}\0${rec.idempotencyKey}`).digest("hex").slice(0, 40)}`;
      const idem = await this.o.idempotency.get(idemId);
      if (idem?.value.jobId === rec.id) await this.o.idempotency.delete(idemId);
    }
    await this.o.jobs.delete(rec.id);
    return {};
  }

  // ---- ListJobs ----

  private async listJobs(req: ListJobsRequest, ctx: CallContext<Tenant>): Promise<ListJobsResponse> {
    const size = req.pageSize ?? 0;
    if (size < 0) throw invalidArgument("page_size", `must be ≥ 0, got ${size}`);
    const pageSize = size === 0 ? DEFAULT_PAGE : Math.min(size, MAX_PAGE);
    const states = new Set<JobState>();
    for (const s of req.states ?? []) {
      const st = parseJobStateName(String(s));
      if (!st) throw invalidArgument("states", `unknown job state ${JSON.stringify(s)}`);
      states.add(st);
    }
    const filter = [...states].sort().join(",");
    let after: { t: number; id: string } | undefined;
    if (req.pageToken) {
      try {
        const tok = JSON.parse(Buffer.from(req.pageToken, "base64url").toString("utf8")) as {
          v: number;
          f: string;
          t: number;
          id: string;
        };
        if (tok.v !== 1 || typeof tok.t !== "number" || typeof tok.id !== "string")
          throw new Error("bad token");
        if (tok.f !== filter) throw invalidArgument("page_token", "was issued for a different states filter");
        after = { t: tok.t, id: tok.id };
      } catch (e) {
        if (e instanceof RpcError) throw e;
        throw invalidArgument(
          "page_token",
          "malformed; pass next_page_token from the previous page unchanged",
        );
      }
    }
    // Newest first: create_time descending, then id.
    const order = (a: { createTime: number; id: string }, b: { createTime: number; id: string }) =>
      b.createTime - a.createTime || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    const mine = (await this.o.jobs.list())
      .filter((j) => j.tenant === ctx.principal.id && (states.size === 0 || states.has(j.state)))
      .sort(order);
    const start = after ? mine.filter((j) => order(j, { createTime: after.t, id: after.id }) > 0) : mine;
    const page = start.slice(0, pageSize);
    const lastJob = page[page.length - 1];
    const nextPageToken =
      start.length > pageSize && lastJob
        ? Buffer.from(JSON.stringify({ v: 1, f: filter, t: lastJob.createTime, id: lastJob.id })).toString(
            "base64url",
          )
        : "";
    return { jobs: page.map(jobToProto), nextPageToken };
  }

  // ---- GetResult / DownloadResult ----

  private async succeeded(tenant: Tenant, jobId: string): Promise<JobRecord> {
    const rec = await this.owned(tenant, jobId);
    if (rec.state !== "SUCCEEDED" || !rec.result)
      throw failedPrecondition(
        `job ${rec.id} is ${rec.state}, not SUCCEEDED: no result`,
        "ERROR_REASON_JOB_STATE",
      );
    return rec;
  }

  private async getResult(req: JobIdRequest, ctx: CallContext<Tenant>): Promise<JobResult> {
    ctx.annotate({ job_id: req.jobId });
    const rec = await this.succeeded(ctx.principal, req.jobId);
    const result = rec.result!;
    const byName = new Map(result.files.map((f) => [f.name, f]));
    const ref = (name: string) => {
      const f = byName.get(name);
      return f ? toRef(f) : null;
    };
    let binScores: BinScore[] = [];
    const binsFile = byName.get("bins.json");
    if (binsFile) {
      const bins = JSON.parse(new TextDecoder().decode(await this.o.store.get(binsFile.key))) as BinsFile;
      binScores = bins.bins
        .map((b) => ({
          classIndex: b.class,
          className: b.className,
          binIndex: b.bin,
          size: b.size,
          rs: b.rs ?? 0,
          ds: b.ds ?? 0,
          rsNormalized: b.rsZ ?? 0,
          dsNormalized: b.dsZ ?? 0,
          importance: b.importance ?? 0,
          allocated: b.allocated,
        }))
        .sort((a, b) => a.classIndex - b.classIndex || a.binIndex - b.binIndex);
    }
    return {
      jobId: rec.id,
      manifest: ref("manifest.json"),
      bins: ref("bins.json"),
      report: ref("report.html"),
      store: ref("store.adqp"),
      reconstructed: null,
      files: result.files.map((f) => ({ name: f.name, artifact: toRef(f) })),
      summary: summaryToProto(result),
      binScores,
    };
  }

  private async downloadResult(
    req: DownloadResultRequest,
    write: (c: DownloadResultChunk) => Promise<void>,
    ctx: CallContext<Tenant>,
  ): Promise<void> {
    ctx.annotate({ job_id: req.jobId, file: req.name });
    const rec = await this.succeeded(ctx.principal, req.jobId);
    if (!req.name) throw invalidArgument("name", "required: a file name from GetResult's files");
    const file = rec.result!.files.find((f) => f.name === req.name);
    if (!file)
      throw notFound(
        `no file ${JSON.stringify(req.name)} in the result of job ${rec.id} (files: ${rec.result!.files.map((f) => f.name).join(", ")})`,
      );
    const offset = Number(req.offset ?? 0);
    const length = Number(req.length ?? 0);
    if (offset > file.size)
      throw new RpcError(
        grpc.status.OUT_OF_RANGE,
        `offset ${offset} is past the end of ${file.name} (${file.size} bytes)`,
      );
    const end = length > 0 ? Math.min(file.size, offset + length) : file.size;
    const chunkSize = Math.min(MAX_CHUNK, req.chunkSize > 0 ? req.chunkSize : DEFAULT_CHUNK);
    const hash = createHash("sha256");
    let pos = 0;
    let first = true;
    const send = async (data: Uint8Array, at: number) => {
      await write({ ...(first ? { file: toRef(file) } : {}), offset: at, data });
      first = false;
    };
    let stream: AsyncIterable<Uint8Array>;
    try {
      stream = this.o.store.stream(file.key, chunkSize);
    } catch (e) {
      if (e instanceof NotFoundError)
        throw new RpcError(grpc.status.DATA_LOSS, `stored ${file.name} is missing`);
      throw e;
    }
    try {
      for await (const chunk of stream) {
        hash.update(chunk);
        const cStart = pos;
        pos += chunk.length;
        const from = Math.max(offset, cStart);
        const to = Math.min(end, pos);
        for (let a = from; a < to; a += chunkSize) {
          const b = Math.min(to, a + chunkSize);
          await send(chunk.subarray(a - cStart, b - cStart), a);
        }
        if (pos >= end && length > 0) break;
      }
    } catch (e) {
      if (e instanceof NotFoundError)
        throw new RpcError(grpc.status.DATA_LOSS, `stored ${file.name} is missing`);
      throw e;
    }
    if (first) await send(new Uint8Array(0), offset);
    if (length === 0 && (pos !== file.size || hash.digest("hex") !== file.digest))
      throw new RpcError(
        grpc.status.DATA_LOSS,
        `stored ${file.name} does not match its SHA-256; do not use the bytes`,
      );
  }
}
