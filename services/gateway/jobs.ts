/** The job methods: CreateJob (validation, idempotency, quotas, the queue message), CancelJob, DeleteJob, ListJobs. */
import { createHash, randomBytes } from "node:crypto";
import { isS3Uri, type S3Credentials, withS3Credentials } from "@adq/ml";
import { ConflictError } from "@adq/platform";
import type {
  CallContext,
  CancelJobRequest,
  CreateJobRequest,
  CreateJobResponse,
  Job,
  JobIdRequest,
  ListJobsRequest,
  ListJobsResponse,
  Tenant,
} from "@adq/service-common";
import {
  failedPrecondition,
  formatName,
  invalidArgument,
  maeModel,
  notFound,
  permissionDenied,
  quotaExceeded,
  RpcError,
  resolveDataset,
  resolveGrantedDataset,
  resolveModel,
} from "@adq/service-common";
import { checkDataset, planJob, readDatasetShape } from "@adq/stages";
import * as grpc from "@grpc/grpc-js";
import { jobToProto } from "./convert.ts";
import type { GatewayCore } from "./core.ts";
import { requestCancel } from "./job-machine.ts";
import { paramsFromProto, Violations } from "./params.ts";
import {
  ACTIVE_STATES,
  initialStages,
  type JobRecord,
  type JobState,
  mutateJob,
  parseJobStateName,
  TERMINAL_STATES,
} from "./records.ts";
import { JOB_QUEUE, type JobQueueMessage } from "./runner.ts";

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,128}$/;
const LABEL_KEY = /^[a-z0-9_.-]{1,63}$/;
const DEFAULT_PAGE = 50;
const MAX_PAGE = 500;

/** The idempotency record of a tenant's key (hashed: keys are the caller's strings). */
function idempotencyId(tenant: string, key: string): string {
  return `idem-${createHash("sha256").update(`${tenant}\0${key}`).digest("hex").slice(0, 40)}`;
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

export async function createJob(
  g: GatewayCore,
  req: CreateJobRequest,
  ctx: CallContext<Tenant>,
): Promise<CreateJobResponse> {
  const tenant = ctx.principal;
  const v = new Violations();
  const { params, patchGrid } = paramsFromProto(req.params, v, g.o.imageSize ?? 32);
  const key = req.idempotencyKey ?? "";
  if (key !== "" && !IDEMPOTENCY_KEY.test(key))
    v.add("idempotency_key", "must be 1-128 characters of [A-Za-z0-9._:-]");
  const displayName = req.displayName ?? "";
  if (displayName.length > 200) v.add("display_name", `at most 200 characters, got ${displayName.length}`);
  const labels = req.labels ?? {};
  const labelKeys = Object.keys(labels);
  if (labelKeys.length > 32) v.add("labels", `at most 32 entries, got ${labelKeys.length}`);
  for (const k of labelKeys) {
    if (!LABEL_KEY.test(k)) v.add(`labels[${JSON.stringify(k)}]`, "keys are 1-63 characters of [a-z0-9_.-]");
    else if ((labels[k] ?? "").length > 256)
      v.add(`labels[${JSON.stringify(k)}]`, "values are at most 256 characters");
  }
  if (!req.dataset?.uri) v.add("dataset.uri", "required: file:///path/under/a/data/root");
  v.throwIfAny();
  const outputs = {
    reconstruct: req.outputs?.reconstruct === true,
    keepIntermediates: req.outputs?.keepIntermediates === true,
  };
  // The MAE is resolved now (a bad params.mae_model is refused at once), run after assemble.
  const mae = outputs.reconstruct ? await maeModel(req.params?.maeModel, g.o.models) : null;

  // Where the result is published: only under the tenant's own S3 grants, checked now.
  const outUri = req.outputs?.uri ?? "";
  if (outUri !== "") {
    if (!isS3Uri(outUri)) throw invalidArgument("outputs.uri", "must be an s3://bucket/prefix URI");
    if (!g.o.grants)
      throw permissionDenied(
        "outputs.uri",
        `results are published to object storage only under a tenant's data grant (SECURITY.md, "Data grants")`,
      );
    await g.o.grants.authorize(tenant.id, outUri, "outputs.uri");
  }

  // The dataset and what its index tells without decoding images.
  const ds =
    g.o.uploads && req.dataset!.uri.startsWith("artifact://")
      ? await g.o.uploads.resolve(tenant.id, req.dataset!.uri, req.dataset!.format)
      : g.o.grants
        ? await resolveGrantedDataset(req.dataset!.uri, req.dataset!.format, g.o.grants, tenant.id)
        : await resolveDataset(req.dataset!.uri, req.dataset!.format, g.o.dataRoots);
  const desc = ds.description;
  // The coordinator's own check (rules and messages in one place), refused here at once.
  checkDataset(desc, params);
  const classCounts = desc.classes.map(() => 0);
  for (const it of desc.items) classCounts[it.label]!++;
  if (desc.size > tenant.quotas.imagesPerJob)
    throw quotaExceeded("images_per_job", tenant.quotas.imagesPerJob, desc.size);
  // The default model by the job plan's rule (the data set's classes and first image), as
  // `adq compress` picks it; read only when the request names no model.
  const needsRule = !req.params?.model?.uri && planJob(params).model;
  const creds = "credentials" in ds ? (ds.credentials as S3Credentials | undefined) : undefined;
  const shape = needsRule ? await withS3Credentials(creds, () => readDatasetShape(ds.path)) : undefined;
  const plan = planJob(params, shape);
  const model = await resolveModel(
    req.params?.model,
    plan.model,
    g.o.models,
    "params.model",
    plan.defaultModel && { role: plan.defaultModel.role, heldOut: plan.spec.heldOutModel },
  );

  const requestHash = createHash("sha256")
    .update(
      canonical({
        dataset: { uri: req.dataset!.uri, format: req.dataset!.format ?? "DATASET_FORMAT_UNSPECIFIED" },
        params,
        patchGrid,
        model: model ? { uri: model.uri, sha256: model.spec.sha256 } : null,
        ...(outputs.reconstruct || outputs.keepIntermediates
          ? { outputs, mae: mae ? { uri: mae.uri, sha256: mae.spec.sha256 } : null }
          : {}),
        displayName,
        labels,
        ...(outUri ? { outputUri: outUri } : {}),
      }),
    )
    .digest("hex");
  const now = g.now();
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
    outputs: { ...outputs, ...(outUri ? { uri: outUri } : {}) },
    ...(mae ? { mae: mae.spec } : {}),
    idempotencyKey: key,
    requestHash,
    displayName,
    labels,
    createTime: now,
    updateTime: now,
    currentStage: "STAGE_UNSPECIFIED",
    stages: initialStages(params, outputs.reconstruct),
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

  return g.mutex.run(tenant.id, async () => {
    const idemId = key ? idempotencyId(tenant.id, key) : "";
    for (let attempt = 0; attempt < 5; attempt++) {
      if (idemId) {
        const existing = await lookupIdempotent(g, idemId, tenant, requestHash);
        if (existing) {
          ctx.annotate({ job_id: existing.id, deduplicated: true });
          return { job: jobToProto(existing), deduplicated: true };
        }
      }
      const active = (await g.o.jobs.list()).filter(
        (j) => j.tenant === tenant.id && ACTIVE_STATES.has(j.state),
      ).length;
      if (active + 1 > tenant.quotas.concurrentJobs)
        throw quotaExceeded("concurrent_jobs", tenant.quotas.concurrentJobs, active + 1);
      if (idemId) {
        try {
          await g.o.idempotency.create({ id: idemId, tenant: tenant.id, jobId: id, requestHash });
        } catch (e) {
          if (e instanceof ConflictError) continue; // another gateway won: return its job
          throw e;
        }
      }
      const created = await g.o.jobs.create(rec);
      const msg: JobQueueMessage = { jobId: id };
      await g.o.bus.publishTask({ jobId: id, stage: JOB_QUEUE, taskKey: "run", payload: msg });
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
    throw new RpcError(grpc.status.ABORTED, "idempotency_key: concurrent requests with the same key; retry");
  });
}

/** The job an idempotency key points at, if any; ALREADY_EXISTS when the content differs. */
export async function lookupIdempotent(
  g: GatewayCore,

  idemId: string,
  tenant: Tenant,
  requestHash: string,
): Promise<JobRecord | undefined> {
  const idem = await g.o.idempotency.get(idemId);
  if (!idem) return undefined;
  const job = await g.o.jobs.get(idem.value.jobId);
  if (!job) {
    // A crash between the two writes left a dangling key: release it.
    await g.o.idempotency.delete(idemId);
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

export async function cancelJob(
  g: GatewayCore,
  req: CancelJobRequest,
  ctx: CallContext<Tenant>,
): Promise<Job> {
  ctx.annotate({ job_id: req.jobId });
  const reason = req.reason ?? "";
  if (reason.length > 500) throw invalidArgument("reason", `at most 500 characters, got ${reason.length}`);
  const rec = await g.owned(ctx.principal, req.jobId);
  let wrongState: JobState | undefined;
  let next: JobState | undefined;
  const v = await mutateJob(g.o.jobs, rec.id, (r) => {
    const to = requestCancel(r, reason, g.now());
    wrongState = to === "ended" ? r.state : undefined;
    next = to === "ended" || to === "noop" ? undefined : to;
    return next !== undefined;
  });
  if (!v) throw notFound(`job ${req.jobId} not found`);
  if (wrongState)
    throw failedPrecondition(
      `job ${rec.id} has already ended (${wrongState}); nothing to cancel`,
      "ERROR_REASON_JOB_STATE",
    );
  if (next) {
    if (next === "CANCELLED") await g.o.store.deletePrefix(rec.artifactPrefix);
    await g.o.bus.publishEvent({ jobId: rec.id, kind: "state", state: next, at: g.now() });
    ctx.log.info("job_cancel_requested", { job_id: rec.id, state: next });
  }
  return jobToProto(v.value);
}

export async function deleteJob(
  g: GatewayCore,
  req: JobIdRequest,
  ctx: CallContext<Tenant>,
): Promise<Record<string, never>> {
  ctx.annotate({ job_id: req.jobId });
  const rec = await g.owned(ctx.principal, req.jobId);
  if (!TERMINAL_STATES.has(rec.state))
    throw failedPrecondition(`job ${rec.id} is ${rec.state}: cancel it first`, "ERROR_REASON_JOB_STATE");
  await g.o.store.deletePrefix(rec.artifactPrefix);
  if (rec.idempotencyKey) {
    const idemId = idempotencyId(rec.tenant, rec.idempotencyKey);
    const idem = await g.o.idempotency.get(idemId);
    if (idem?.value.jobId === rec.id) await g.o.idempotency.delete(idemId);
  }
  await g.o.jobs.delete(rec.id);
  return {};
}

export async function listJobs(
  g: GatewayCore,
  req: ListJobsRequest,
  ctx: CallContext<Tenant>,
): Promise<ListJobsResponse> {
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
      throw invalidArgument("page_token", "malformed; pass next_page_token from the previous page unchanged");
    }
  }
  // Newest first: create_time descending, then id.
  const order = (a: { createTime: number; id: string }, b: { createTime: number; id: string }) =>
    b.createTime - a.createTime || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const mine = (await g.o.jobs.list())
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
