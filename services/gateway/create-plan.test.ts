import type { DatasetDescription } from "@adq/ml";
import type { Tenant } from "@adq/service-common";
import { RpcError } from "@adq/service-common";
import type { CreateJobRequest__Output as CreateJobRequest } from "@adq/service-common/proto";
import { describe, expect, it } from "vitest";
import {
  type AdmissionState,
  admitDataset,
  admitJob,
  type CreateRequest,
  idempotencyId,
  JOB_QUEUE,
  jobRecordOf,
  type Resolved,
  readCreateRequest,
} from "./create-plan.ts";
import { jobRecord } from "./records.fixtures.ts";
import type { IdempotencyRecord, JobRecord } from "./records.ts";

const TENANT: Tenant = { id: "acme", quotas: { concurrentJobs: 2, imagesPerJob: 6 } };
const URI = "file:///data/set";
const PARAMS = { ratio: 0.25, bins: 2, seed: 3, method: "METHOD_ADQ" } as const;

function dataset(perClass: number[]): DatasetDescription {
  const items = perClass.flatMap((n, label) =>
    Array.from({ length: n }, (_, i) => ({
      id: `c${label}/${i}.png`,
      label,
      source: `/d/c${label}/${i}.png`,
    })),
  );
  return {
    format: "imagefolder",
    root: "/d",
    classes: perClass.map((_, c) => `c${c}`),
    size: items.length,
    items,
  };
}

/** A request as the server hands it over (unset fields absent). */
const request = (r: Record<string, unknown>) => r as unknown as CreateJobRequest;

/** An RpcError's gRPC code name and message, or what else was thrown. */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof RpcError) return `${e.code}: ${e.message}`;
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
  return "accepted";
}

describe("readCreateRequest: every bad field in one INVALID_ARGUMENT", () => {
  it.each<{ name: string; req: Record<string, unknown>; want: RegExp }>([
    { name: "no dataset", req: { params: PARAMS }, want: /^3: dataset\.uri: required/ },
    { name: "no ratio", req: { dataset: { uri: URI }, params: {} }, want: /^3: params\.ratio: required/ },
    {
      name: "bad key and label",
      req: { dataset: { uri: URI }, params: PARAMS, idempotencyKey: "a b", labels: { "Bad Key": "v" } },
      want: /^3: idempotency_key: must be 1-128 characters.*; labels\["Bad Key"\]: keys are/,
    },
    {
      name: "too long a display name and label value",
      req: {
        dataset: { uri: URI },
        params: PARAMS,
        displayName: "x".repeat(201),
        labels: { k: "v".repeat(257) },
      },
      want: /display_name: at most 200 characters, got 201; labels\["k"\]: values are at most 256/,
    },
    { name: "a valid request", req: { dataset: { uri: URI }, params: PARAMS }, want: /^accepted$/ },
  ])("$name", ({ req, want }) => {
    expect(refusal(() => readCreateRequest(request(req), 32))).toMatch(want);
  });

  it("normalizes: defaults applied, outputs as booleans, unset strings empty", () => {
    const r = readCreateRequest(
      request({ dataset: { uri: URI }, params: PARAMS, outputs: { reconstruct: true } }),
      32,
    );
    expect(r).toMatchObject({
      dataset: { uri: URI },
      idempotencyKey: "",
      displayName: "",
      labels: {},
      outputs: { reconstruct: true, keepIntermediates: false },
      outputUri: "",
    });
    expect(r.params).toMatchObject({ ratio: 0.25, bins: 2, seed: 3, method: "adq" });
  });
});

describe("admitDataset", () => {
  it.each([
    { perClass: [3, 3], want: "accepted" },
    { perClass: [4, 3], want: "8: quota images_per_job exceeded" },
    { perClass: [5], want: "InvalidArgumentError" },
    { perClass: [], want: "InvalidArgumentError" },
  ])("$perClass → $want", ({ perClass, want }) => {
    const r = readCreateRequest(request({ dataset: { uri: URI }, params: PARAMS }), 32);
    expect(refusal(() => admitDataset(dataset(perClass), r.params, TENANT))).toContain(want);
  });
  it("counts the images of each class", () => {
    const r = readCreateRequest(request({ dataset: { uri: URI }, params: PARAMS }), 32);
    expect(admitDataset(dataset([2, 1, 3]), { ...r.params, bins: 1 }, TENANT)).toEqual([2, 1, 3]);
  });
});

describe("jobRecordOf and admitJob: what a create writes and enqueues", () => {
  const resolved = (r: CreateRequest): Resolved => ({
    dataset: { path: "/d", description: dataset([3, 3]), classCounts: [3, 3] },
    model: { uri: "builtin://resnet20-cifar10", spec: { file: "/m.onnx", sha256: "ab" } as never },
    mae: r.outputs.reconstruct
      ? { uri: "builtin://mae-cifar10", spec: { file: "/mae.onnx", sha256: "cd" } as never }
      : null,
  });
  const plan = (req: Record<string, unknown> = {}, id = "job-1") => {
    const r = readCreateRequest(request({ dataset: { uri: URI }, params: PARAMS, ...req }), 32);
    return jobRecordOf(r, resolved(r), TENANT, id, 1000);
  };

  it("a queued record under the tenant's prefix, every stage planned, no run yet", () => {
    const rec = plan({ labels: { team: "a" } });
    expect(rec).toMatchObject({
      id: "job-1",
      tenant: "acme",
      state: "QUEUED",
      dataset: { uri: URI, format: "DATASET_FORMAT_IMAGE_FOLDER", path: "/d" },
      modelUri: "builtin://resnet20-cifar10",
      artifactPrefix: "tenants/acme/jobs/job-1/",
      resultPrefix: "tenants/acme/jobs/job-1/result",
      createTime: 1000,
      runs: 0,
      datasetSummary: { numItems: 6, classCounts: [3, 3], classNames: ["c0", "c1"] },
    });
    expect(rec.stages.map((s) => s.state)).toContain("PENDING");
    expect(rec.stages.find((s) => s.stage === "STAGE_RECONSTRUCT")?.state).toBe("SKIPPED");
    expect(plan({}, "").artifactPrefix).toBe("tenants/acme/jobs/validate-only/");
  });

  it("the request hash: the same request gives the same hash; any field that changes the job changes it", () => {
    const base = plan().requestHash;
    expect(plan({}, "job-2").requestHash).toBe(base); // the id is not part of the request
    const changed = [
      plan({ params: { ...PARAMS, ratio: 0.5 } }),
      plan({ displayName: "x" }),
      plan({ labels: { a: "b" } }),
      plan({ outputs: { reconstruct: true } }),
      plan({ dataset: { uri: `${URI}2` } }),
    ].map((r) => r.requestHash);
    expect(new Set([base, ...changed]).size).toBe(changed.length + 1);
  });

  const job = plan({ idempotencyKey: "k1" });
  const idem = (requestHash: string, tenant = "acme"): IdempotencyRecord => ({
    id: idempotencyId(tenant, "k1"),
    tenant,
    jobId: "job-0",
    requestHash,
  });
  const other = (state: JobRecord["state"], tenant = "acme") => ({ tenant, state });
  it.each<{ name: string; state: AdmissionState; want: string }>([
    { name: "nothing in the way", state: { jobs: [] }, want: "create" },
    {
      name: "finished and other tenants' jobs do not count",
      state: { jobs: [other("SUCCEEDED"), other("RUNNING", "x"), other("CANCELLED"), other("QUEUED")] },
      want: "create",
    },
    {
      name: "the quota is full (QUEUED + CANCELLING)",
      state: { jobs: [other("QUEUED"), other("CANCELLING")] },
      want: "8: quota concurrent_jobs exceeded",
    },
    {
      name: "the key made this job already",
      state: {
        jobs: [],
        idempotent: { record: idem(job.requestHash), job: jobRecord("job-0", "RUNNING", { tenant: "acme" }) },
      },
      want: "deduplicated job-0",
    },
    {
      name: "the key was used for another request",
      state: {
        jobs: [],
        idempotent: { record: idem("other"), job: jobRecord("job-0", "RUNNING", { tenant: "acme" }) },
      },
      want: "6: idempotency_key was already used for a different request (job job-0)",
    },
    {
      name: "a dangling key (its job is gone) is released",
      state: { jobs: [], idempotent: { record: idem("other"), job: undefined } },
      want: "create, release the key",
    },
  ])("$name → $want", ({ state, want }) => {
    const got = refusal(() => {
      const a = admitJob(job, TENANT, state);
      throw new Error(
        a.kind === "deduplicated"
          ? `deduplicated ${a.job.id}`
          : a.releaseKey
            ? "create, release the key"
            : "create",
      );
    });
    expect(got.replace(/^Error: /, "")).toContain(want);
  });

  it("create: the idempotency record, then the job, then its queue message", () => {
    const a = admitJob(job, TENANT, { jobs: [] });
    expect(a).toEqual({
      kind: "create",
      releaseKey: false,
      idempotency: {
        id: idempotencyId("acme", "k1"),
        tenant: "acme",
        jobId: "job-1",
        requestHash: job.requestHash,
      },
      job,
      enqueue: { jobId: "job-1", stage: JOB_QUEUE, taskKey: "run", payload: { jobId: "job-1" } },
    });
    expect(admitJob(plan(), TENANT, { jobs: [] })).not.toHaveProperty("idempotency");
    expect(idempotencyId("acme", "k1")).not.toBe(idempotencyId("other", "k1"));
  });
});
