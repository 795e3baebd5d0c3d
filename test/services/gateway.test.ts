// The public gateway over gRPC, in-process on a free port, with the real pipeline (ONNX
// ResNet-20, GraphCut, contrastive DS) on tiny slices of the demo set (2 classes × 12).
import { createHash } from "node:crypto";
import { readFileSync, symlinkSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { CompressionParams, JobEvent__Output as JobEvent } from "@adq/service-common/proto";
import { checkHealth } from "@adq/service-common/testing";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { brokenSlice, demoSlice } from "../support/fs.ts";
import {
  collect,
  download,
  expectStatus,
  failureOf,
  referenceCompress,
  startTestServer,
  type TestServer,
  watchToEnd,
} from "./helpers.ts";

// ADQ, the method with every stage; the default (CCS) has its own test below.
const PARAMS: CompressionParams = { ratio: 0.25, bins: 2, seed: 3, method: "METHOD_ADQ_PAPER" };
const CLI_FLAGS = ["--method", "adq-paper", "--ratio", "0.25", "--bins", "2", "--seed", "3"];

describe("CompressionService over gRPC (all-in-one, embedded adapters)", () => {
  let t: TestServer;
  let data: string;
  let bad: string;
  let outside: string;
  let uri: string;
  let cliOut: string;
  let cliRun: Promise<void>;

  beforeAll(async () => {
    data = demoSlice(2, 12);
    bad = brokenSlice(2, 12);
    outside = demoSlice(2, 12);
    uri = pathToFileURL(data).href;
    ({ out: cliOut, done: cliRun } = referenceCompress(data, CLI_FLAGS));
    t = await startTestServer([data, bad]);
  });

  afterAll(async () => {
    await cliRun?.catch(() => {});
    await t?.close();
  });

  it("health answers SERVING for the server and the API", async () => {
    expect(await checkHealth(t.srv.address)).toBe("SERVING");
    expect(await checkHealth(t.srv.address, "adq.v1.CompressionService")).toBe("SERVING");
    await expect(checkHealth(t.srv.address, "no.such.Service")).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
    });
  });

  it("runs a job: WatchJob streams a snapshot, progress and the terminal event; the manifest is byte-identical to adq compress", async () => {
    const { job, deduplicated } = await t.acme.createJob({ dataset: { uri }, params: PARAMS });
    expect(deduplicated).toBe(false);
    expect(job.state).toBe("JOB_STATE_QUEUED");
    expect(job.tenantId).toBe("acme");
    // Effective parameters: every default filled in.
    expect(job.params).toMatchObject({
      ratio: 0.25,
      bins: 2,
      seed: 3,
      alpha: 0.65,
      dropRatio: 0.25,
      method: "METHOD_ADQ_PAPER",
      graphcutLambda: 1,
      diversity: { method: "DIVERSITY_METHOD_CONTRASTIVE", tau: 0.5 },
      patchGrid: { imageSize: 32, patchSize: 4 },
    });
    expect(job.datasetSummary).toMatchObject({ numItems: "24", classNames: ["airplane", "automobile"] });

    const events = await watchToEnd(t.acme, job.id);
    expect(events[0]!.snapshot?.id).toBe(job.id);
    const last = events[events.length - 1]!;
    expect(last.terminal?.state).toBe("JOB_STATE_SUCCEEDED");
    expect(last.terminal?.summary).toMatchObject({ totalItems: "24", selectedItems: "6" });
    const seqs = events.slice(1).map((e) => Number(e.sequence));
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]!);
    const progress = events.filter((e) => e.progress).map((e) => e.progress!);
    for (const stage of [
      "STAGE_FEATURES",
      "STAGE_BINNING",
      "STAGE_SCORING",
      "STAGE_SAMPLING",
      "STAGE_REPORT",
    ]) {
      const ps = progress.filter((p) => p.stage === stage);
      expect(ps.length, stage).toBeGreaterThan(0);
      const end = ps[ps.length - 1]!;
      expect(end.state).toBe("STAGE_STATE_SUCCEEDED");
      expect(Number(end.done)).toBe(Number(end.total));
      expect(Number(end.total)).toBeGreaterThan(0);
      expect(end.eta).toEqual({ seconds: "0", nanos: 0 });
    }
    expect(progress.find((p) => p.stage === "STAGE_SCORING")!.total).toBe("4"); // 2 classes × 2 bins
    // RUNNING shows either in the snapshot (the job started before the watch) or as a change.
    expect(
      events[0]!.snapshot?.state === "JOB_STATE_RUNNING" ||
        events.some((e) => e.stateChanged?.state === "JOB_STATE_RUNNING"),
    ).toBe(true);

    const got = await t.acme.getJob(job.id);
    expect(got.state).toBe("JOB_STATE_SUCCEEDED");
    expect(got.stages.find((s) => s.stage === "STAGE_RECONSTRUCT")!.state).toBe("STAGE_STATE_SKIPPED");

    const result = await t.acme.getResult(job.id);
    expect(result.files.map((f) => f.name)).toEqual([
      "bins.json",
      "manifest.json",
      "report.html",
      "store.adqp",
    ]);
    expect(result.binScores).toHaveLength(4);
    expect(result.summary).toMatchObject({ totalItems: "24", selectedItems: "6", classSelected: ["3", "3"] });
    const manifest = await download(t.acme, job.id, "manifest.json");
    expect(createHash("sha256").update(manifest).digest("hex")).toBe(result.manifest!.sha256);
    // Resumable download: from an offset, the tail of the same bytes.
    const store = await download(t.acme, job.id, "store.adqp");
    expect(store.length).toBe(Number(result.store!.sizeBytes));
    expect((await download(t.acme, job.id, "store.adqp", 1000)).equals(store.subarray(1000))).toBe(true);
    await expectStatus(
      () => collect(t.acme.downloadResult({ jobId: job.id, name: "store.adqp", offset: store.length + 1 })),
      grpc.status.OUT_OF_RANGE,
    );
    await expectStatus(
      () => collect(t.acme.downloadResult({ jobId: job.id, name: "nope.txt" })),
      grpc.status.NOT_FOUND,
    );

    await cliRun;
    expect(manifest.equals(readFileSync(join(cliOut, "manifest.json")))).toBe(true);

    // Resuming a watch after the end yields the terminal event again.
    const resumed = await collect(t.acme.watchJob(job.id, Number(last.sequence) - 1));
    expect(resumed.map((e) => e.event)).toEqual(["terminal"]);

    // One JSON log line per call, with job id, tenant and method.
    const lines = t.logs.records().filter((r) => r.event === "rpc" && r.job_id === job.id);
    expect(lines.map((l) => l.method)).toEqual(
      expect.arrayContaining(["CreateJob", "WatchJob", "GetResult"]),
    );
    expect(lines.every((l) => l.tenant === "acme")).toBe(true);
  });

  it("an idempotency key returns the same job; reused with other content it is ALREADY_EXISTS", async () => {
    const req = { dataset: { uri }, params: PARAMS, idempotencyKey: "run-2024-01:a" };
    const a = await t.acme.createJob(req);
    const b = await t.acme.createJob(req);
    expect(b.job.id).toBe(a.job.id);
    expect(b.deduplicated).toBe(true);
    const { details } = await expectStatus(
      () => t.acme.createJob({ ...req, params: { ...PARAMS, ratio: 0.5 } }),
      grpc.status.ALREADY_EXISTS,
    );
    expect(details?.reason).toBe("ERROR_REASON_IDEMPOTENCY_KEY_REUSED");
    // The key is per tenant: another tenant's identical request is a new job.
    const other = await t.globex.createJob(req);
    expect(other.job.id).not.toBe(a.job.id);
    await watchToEnd(t.acme, a.job.id);
    await watchToEnd(t.globex, other.job.id);
  });

  it("rejects bad parameters with INVALID_ARGUMENT naming every bad proto field", async () => {
    const one = await expectStatus(
      () => t.acme.createJob({ dataset: { uri }, params: { ratio: 1.5 } }),
      grpc.status.INVALID_ARGUMENT,
    );
    expect(one.err.details).toBe("params.ratio: must be in (0, 1], got 1.5");
    expect(one.details?.fieldViolations).toEqual([
      { field: "params.ratio", description: "must be in (0, 1], got 1.5" },
    ]);
    expect(one.details?.code).toBe("INVALID_ARGUMENT");
    const many = await expectStatus(
      () => t.acme.createJob({ dataset: { uri }, params: { ratio: 0.2, alpha: 1.5, dropRatio: 1, bins: 0 } }),
      grpc.status.INVALID_ARGUMENT,
    );
    expect(many.details?.fieldViolations?.map((v) => v.field)).toEqual([
      "params.bins",
      "params.alpha",
      "params.drop_ratio",
    ]);
    expect(many.err.details).toContain("params.alpha: must be in [0, 1], got 1.5");
    // What the dataset's index tells: more bins than the smallest class (bins matter to ADQ/DQ).
    const bins = await expectStatus(
      () =>
        t.acme.createJob({ dataset: { uri }, params: { ratio: 0.2, bins: 13, method: "METHOD_ADQ_PAPER" } }),
      grpc.status.INVALID_ARGUMENT,
    );
    expect(bins.err.details).toBe("params.bins: must be at most the smallest class size (12), got 13");
    await expectStatus(() => t.acme.createJob({ params: { ratio: 0.2 } }), grpc.status.INVALID_ARGUMENT);
    // explicit zero survives the wire: alpha = 0 is accepted and echoed (DQ-equivalent).
    const v = await t.acme.createJob({
      dataset: { uri },
      params: { ratio: 0.2, alpha: 0 },
      validateOnly: true,
    });
    expect(v.job.params?.alpha).toBe(0);
    expect(v.job.id).toBe("");
    const ccs = await expectStatus(
      () =>
        t.acme.createJob({
          dataset: { uri },
          params: { ratio: 0.2, method: "METHOD_CCS", ccsBeta: 1, ccsStrata: 0 },
        }),
      grpc.status.INVALID_ARGUMENT,
    );
    expect(ccs.details?.fieldViolations?.map((f) => f.field)).toEqual([
      "params.ccs_beta",
      "params.ccs_strata",
    ]);
  });

  it("the default method, CCS, runs through the gateway and gives adq compress's manifest", async () => {
    // No method on either side: both default to CCS.
    const ref = referenceCompress(data, [
      "--ratio",
      "0.25",
      "--seed",
      "3",
      "--ccs-beta",
      "0.25",
      "--ccs-strata",
      "3",
    ]);
    const { job } = await t.acme.createJob({
      dataset: { uri },
      params: { ratio: 0.25, seed: 3, ccsBeta: 0.25, ccsStrata: 3 },
    });
    expect(job.params?.method).toBe("METHOD_CCS");
    const events = await watchToEnd(t.acme, job.id);
    expect(events.at(-1)?.terminal?.state).toBe("JOB_STATE_SUCCEEDED");
    const manifest = await download(t.acme, job.id, "manifest.json");
    await ref.done;
    expect(manifest.equals(readFileSync(join(ref.out, "manifest.json")))).toBe(true);
    const m = JSON.parse(manifest.toString("utf8"));
    expect(m.method).toBe("ccs");
    expect(m.ccs).toMatchObject({ beta: 0.25, strata: 3 });
    // CCS's default is the held-out model (the general backbone), as in adq compress.
    expect(m.model.file).toMatch(/efficientnet-lite0\.onnx$/);
  });

  it("confines datasets to the configured roots (INVALID_ARGUMENT on dataset.uri), symlinks included", async () => {
    const { err, details } = await expectStatus(
      () => t.acme.createJob({ dataset: { uri: pathToFileURL(outside).href }, params: PARAMS }),
      grpc.status.INVALID_ARGUMENT,
    );
    expect(err.details).toMatch(/^dataset\.uri: .* is not under a configured data root$/);
    expect(details?.reason).toBe("ERROR_REASON_DATASET_NOT_FOUND");
    await expectStatus(
      () => t.acme.createJob({ dataset: { uri: "file:///etc" }, params: PARAMS }),
      grpc.status.INVALID_ARGUMENT,
    );
    await expectStatus(
      () => t.acme.createJob({ dataset: { uri: `${uri}/../..` }, params: PARAMS }),
      grpc.status.INVALID_ARGUMENT,
    );
    // A symlink placed inside a root that leads out of it.
    symlinkSync(outside, join(data, "escape"));
    try {
      const link = await expectStatus(
        () => t.acme.createJob({ dataset: { uri: `${uri}/escape` }, params: PARAMS }),
        grpc.status.INVALID_ARGUMENT,
      );
      expect(link.err.details).toContain("not under a configured data root");
    } finally {
      unlinkSync(join(data, "escape"));
    }
    // Without per-tenant data grants no tenant may name object storage (SECURITY.md, "Data grants").
    const s3 = await expectStatus(
      () => t.acme.createJob({ dataset: { uri: "s3://bucket/x" }, params: PARAMS }),
      grpc.status.PERMISSION_DENIED,
    );
    expect(s3.err.details).toMatch(
      /^dataset\.uri: s3:\/\/ data sets are served only under a tenant's data grant/,
    );
  });

  it("authenticates every call; another tenant's job is NOT_FOUND", async () => {
    await expectStatus(() => t.client().getJob("job-00000000000000000000"), grpc.status.UNAUTHENTICATED);
    await expectStatus(() => t.client("wrong-key").listJobs(), grpc.status.UNAUTHENTICATED);
    const { job } = await t.acme.createJob({
      dataset: { uri },
      params: { ...PARAMS, method: "METHOD_RANDOM" },
    });
    await expectStatus(() => t.globex.getJob(job.id), grpc.status.NOT_FOUND);
    await expectStatus(() => t.globex.cancelJob({ jobId: job.id }), grpc.status.NOT_FOUND);
    await expectStatus(() => collect(t.globex.watchJob(job.id)), grpc.status.NOT_FOUND);
    await expectStatus(() => t.acme.getJob("job-ffffffffffffffffffff"), grpc.status.NOT_FOUND);
    expect((await t.globex.listJobs()).jobs.every((j) => j.tenantId === "globex")).toBe(true);
    // UploadDataset authenticates first; a header without its bytes is an UPLOAD_MISMATCH
    // (the rest: test/services/upload.test.ts).
    const upload = (c: typeof t.acme) =>
      new Promise<grpc.ServiceError | null>((resolve) => {
        const call = (
          c.raw.UploadDataset as unknown as (
            md: grpc.Metadata,
            cb: (e: grpc.ServiceError | null) => void,
          ) => grpc.ClientWritableStream<unknown>
        ).call(c.raw, c.metadata(), (e) => resolve(e));
        call.write({ header: { name: "x", sizeBytes: 1 } });
        call.end();
      });
    expect(await upload(t.acme)).toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    expect((await upload(t.acme))?.details).toContain("header.size_bytes");
    expect(await upload(t.client())).toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    await watchToEnd(t.acme, job.id);
  });

  it("lists jobs newest first with pages and a state filter", async () => {
    const all = await t.acme.listJobs({ pageSize: 500 });
    expect(all.jobs.length).toBeGreaterThanOrEqual(3);
    const pages: string[] = [];
    let token = "";
    do {
      const p = await t.acme.listJobs({ pageSize: 1, pageToken: token });
      pages.push(...p.jobs.map((j) => j.id));
      token = p.nextPageToken;
    } while (token);
    expect(pages).toEqual(all.jobs.map((j) => j.id));
    const ok = await t.acme.listJobs({ states: ["JOB_STATE_SUCCEEDED"] });
    expect(ok.jobs.length).toBeGreaterThan(0);
    expect(ok.jobs.every((j) => j.state === "JOB_STATE_SUCCEEDED")).toBe(true);
    await expectStatus(() => t.acme.listJobs({ pageToken: "garbage" }), grpc.status.INVALID_ARGUMENT);
    await expectStatus(() => t.acme.listJobs({ pageSize: -1 }), grpc.status.INVALID_ARGUMENT);
  });

  it("enforces the per-tenant concurrent-jobs quota with RESOURCE_EXHAUSTED", async () => {
    const first = await t.globex.createJob({ dataset: { uri }, params: PARAMS });
    const { details } = await expectStatus(
      () => t.globex.createJob({ dataset: { uri }, params: { ...PARAMS, seed: 4 } }),
      grpc.status.RESOURCE_EXHAUSTED,
    );
    expect(details?.quota).toEqual({ quota: "concurrent_jobs", limit: "1", requested: "2" });
    await watchToEnd(t.globex, first.job.id);
  });

  it("CancelJob stops a running job, records CANCELLED and frees its artifacts", async () => {
    t.bus.holdStages.add("sampling");
    const { job } = await t.acme.createJob({ dataset: { uri }, params: { ...PARAMS, seed: 11 } });
    const seen: JobEvent[] = [];
    let cancelled: Promise<unknown> | undefined;
    for await (const ev of t.acme.watchJob(job.id)) {
      seen.push(ev);
      if (
        !cancelled &&
        ev.progress?.stage === "STAGE_SAMPLING" &&
        ev.progress.state === "STAGE_STATE_RUNNING"
      ) {
        expect(t.bus.heldFor(job.id)).toBeGreaterThan(0);
        const before = await t.srv.store.list(`tenants/acme/jobs/${job.id}/`);
        expect(before).toEqual([]); // nothing published yet
        cancelled = t.acme.cancelJob({ jobId: job.id, reason: "changed my mind" }).then((j) => {
          expect(["JOB_STATE_CANCELLING", "JOB_STATE_CANCELLED"]).toContain(j.state);
        });
      }
    }
    await cancelled;
    await t.bus.release();
    expect(seen[seen.length - 1]!.terminal?.state).toBe("JOB_STATE_CANCELLED");
    const got = await t.acme.getJob(job.id);
    expect(got.state).toBe("JOB_STATE_CANCELLED");
    expect(got.cancelReason).toBe("changed my mind");
    expect(got.stages.find((s) => s.stage === "STAGE_SAMPLING")!.state).toBe("STAGE_STATE_CANCELLED");
    expect(t.bus.heldFor(job.id)).toBe(0); // its queued stage work was dropped
    await new Promise((r) => setTimeout(r, 300));
    expect(await t.srv.store.list(`tenants/acme/jobs/${job.id}/`)).toEqual([]);
    await expectStatus(() => t.acme.getResult(job.id), grpc.status.FAILED_PRECONDITION);
    // Idempotent; a job that succeeded cannot be cancelled.
    expect((await t.acme.cancelJob({ jobId: job.id })).state).toBe("JOB_STATE_CANCELLED");
    const done = (await t.acme.listJobs({ states: ["JOB_STATE_SUCCEEDED"] })).jobs[0]!;
    await expectStatus(() => t.acme.cancelJob({ jobId: done.id }), grpc.status.FAILED_PRECONDITION);
  });

  it("a dataset with a corrupt image fails the job once, naming the file, in GetJob and WatchJob", async () => {
    const { job } = await t.acme.createJob({ dataset: { uri: pathToFileURL(bad).href }, params: PARAMS });
    const terminal = await failureOf(t.acme, job.id);
    expect(terminal.error).toMatchObject({
      reason: "ERROR_REASON_BAD_FILES",
      code: "INVALID_ARGUMENT",
      stage: "STAGE_FEATURES",
      attempts: 1,
      badFiles: [{ path: "airplane/zz-broken.jpg" }],
    });
    const got = await t.acme.getJob(job.id);
    expect(got.state).toBe("JOB_STATE_FAILED");
    expect(got.error?.message).toMatch(/^bad image airplane\/zz-broken\.jpg: /);
    expect(got.stages.find((s) => s.stage === "STAGE_FEATURES")!.state).toBe("STAGE_STATE_FAILED");
    expect(await t.srv.store.list(`tenants/acme/jobs/${job.id}/`)).toEqual([]);
    // Deleting an ended job removes it.
    await t.acme.deleteJob(job.id);
    await expectStatus(() => t.acme.getJob(job.id), grpc.status.NOT_FOUND);
  });
});
