/** The job methods: CreateJob (validation, idempotency, quotas, the queue message), CancelJob, DeleteJob, ListJobs. */
import { randomBytes } from "node:crypto";
import { isS3Uri, type S3Credentials, withS3Credentials } from "@adq/ml";
import { ConflictError } from "@adq/platform";
import type { CallContext, Tenant } from "@adq/service-common";
import {
  failedPrecondition,
  invalidArgument,
  maeModel,
  notFound,
  permissionDenied,
  RpcError,
  resolveDataset,
  resolveGrantedDataset,
  resolveModel,
} from "@adq/service-common";
import type {
  CancelJobRequest__Output as CancelJobRequest,
  CreateJobRequest__Output as CreateJobRequest,
  CreateJobResponse,
  DeleteJobRequest__Output as DeleteJobRequest,
  Job,
  ListJobsRequest__Output as ListJobsRequest,
  ListJobsResponse,
} from "@adq/service-common/proto";
import { planJob, readDatasetShape } from "@adq/stages";
import * as grpc from "@grpc/grpc-js";
import { jobToProto } from "./convert.ts";
import type { GatewayCore } from "./core.ts";
import {
  type AdmissionState,
  admitDataset,
  admitJob,
  idempotencyId,
  jobRecordOf,
  readCreateRequest,
} from "./create-plan.ts";
import { requestCancel } from "./job-machine.ts";
import { type JobState, mutateJob, parseJobStateName, TERMINAL_STATES } from "./records.ts";

const DEFAULT_PAGE = 50;
const MAX_PAGE = 500;

/**
 * CreateJob: the pure plan (create-plan.ts) with the effects between its steps (resolving
 * the data set and models, reading the store) and after it (the writes, the queue message).
 */
export async function createJob(
  g: GatewayCore,
  req: CreateJobRequest,
  ctx: CallContext<Tenant>,
): Promise<CreateJobResponse> {
  const tenant = ctx.principal;
  const r = readCreateRequest(req, g.o.imageSize ?? 32);
  // The MAE is resolved now (a bad params.mae_model is refused at once), run after assemble.
  const mae = r.outputs.reconstruct ? await maeModel(req.params?.maeModel, g.o.models) : null;

  // Where the result is published: only under the tenant's own S3 grants, checked now.
  if (r.outputUri !== "") {
    if (!isS3Uri(r.outputUri)) throw invalidArgument("outputs.uri", "must be an s3://bucket/prefix URI");
    if (!g.o.grants)
      throw permissionDenied(
        "outputs.uri",
        `results are published to object storage only under a tenant's data grant (SECURITY.md, "Data grants")`,
      );
    await g.o.grants.authorize(tenant.id, r.outputUri, "outputs.uri");
  }

  // The dataset and what its index tells without decoding images.
  const { uri, format } = r.dataset;
  const ds =
    g.o.uploads && uri.startsWith("artifact://")
      ? await g.o.uploads.resolve(tenant.id, uri, format)
      : g.o.grants
        ? await resolveGrantedDataset(uri, format, g.o.grants, tenant.id)
        : await resolveDataset(uri, format, g.o.dataRoots);
  const classCounts = admitDataset(ds.description, r.params, tenant);
  // The default model by the job plan's rule (the data set's classes and first image), as
  // `adq compress` picks it; read only when the request names no model.
  const needsRule = !req.params?.model?.uri && planJob(r.params).model;
  const creds = "credentials" in ds ? (ds.credentials as S3Credentials | undefined) : undefined;
  const shape = needsRule ? await withS3Credentials(creds, () => readDatasetShape(ds.path)) : undefined;
  const plan = planJob(r.params, shape);
  const model = await resolveModel(
    req.params?.model,
    plan.model,
    g.o.models,
    "params.model",
    plan.defaultModel && { role: plan.defaultModel.role, heldOut: plan.spec.heldOutModel },
  );
  const resolved = { dataset: { path: ds.path, description: ds.description, classCounts }, model, mae };
  const id = req.validateOnly ? "" : `job-${randomBytes(10).toString("hex")}`;
  const rec = jobRecordOf(r, resolved, tenant, id, g.now());
  if (req.validateOnly) return { job: jobToProto(rec), deduplicated: false };

  return g.mutex.run(tenant.id, async () => {
    const idemId = r.idempotencyKey ? idempotencyId(tenant.id, r.idempotencyKey) : "";
    for (let attempt = 0; attempt < 5; attempt++) {
      const a = admitJob(rec, tenant, await admissionState(g, tenant.id, idemId));
      if (a.kind === "deduplicated") {
        ctx.annotate({ job_id: a.job.id, deduplicated: true });
        return { job: jobToProto(a.job), deduplicated: true };
      }
      if (a.releaseKey) await g.o.idempotency.delete(idemId); // a crash between the two writes left it
      if (a.idempotency) {
        try {
          await g.o.idempotency.create(a.idempotency);
        } catch (e) {
          if (e instanceof ConflictError) continue; // another gateway won: return its job
          throw e;
        }
      }
      const created = await g.o.jobs.create(a.job);
      await g.o.bus.publishTask(a.enqueue);
      ctx.annotate({ job_id: id });
      ctx.log.info("job_created", {
        job_id: id,
        dataset: rec.dataset.path,
        items: ds.description.size,
        method: r.params.method,
        ratio: r.params.ratio,
      });
      return { job: jobToProto(created.value), deduplicated: false };
    }
    throw new RpcError(grpc.status.ABORTED, "idempotency_key: concurrent requests with the same key; retry");
  });
}

/** What decides a create: the idempotency key's record and job, then (only if needed) the job list. */
async function admissionState(g: GatewayCore, tenant: string, idemId: string): Promise<AdmissionState> {
  const idem = idemId ? await g.o.idempotency.get(idemId) : undefined;
  const idempotent = idem && { record: idem.value, job: (await g.o.jobs.get(idem.value.jobId))?.value };
  // The key's own job answers (or refuses) without the job list, which scans every job.
  if (idempotent?.job?.tenant === tenant) return { jobs: [], idempotent };
  return { jobs: await g.o.jobs.list(), ...(idempotent ? { idempotent } : {}) };
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
  req: DeleteJobRequest,
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
