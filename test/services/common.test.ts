// services/common: error mapping, the rich status trailer, API keys, logs, shutdown.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { errorInfo } from "@adq/core";
import { fieldPath } from "@adq/gateway/testing";
import { BadImageError, DatasetError, ModelContractError } from "@adq/ml";
import { ConflictError, InvalidArgumentError, NotFoundError } from "@adq/platform";
import {
  ApiKeyAuthenticator,
  bindServer,
  fromErrorInfo,
  HealthService,
  invalidArgument,
  Logger,
  notFound,
  quotaExceeded,
  RpcError,
  shutdownServer,
  unimplemented,
} from "@adq/service-common";
import {
  decodeStatus,
  errorDetailsFromStatus,
  hashApiKey,
  MemorySink,
  STATUS_DETAILS_TRAILER,
  toRpcError,
  toServiceError,
  unauthenticated,
} from "@adq/service-common/testing";
import * as grpc from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { tmp } from "../e2e/helpers.ts";

function md(auth?: string): grpc.Metadata {
  const m = new grpc.Metadata();
  if (auth !== undefined) m.set("authorization", auth);
  return m;
}

describe("error mapping", () => {
  const sink = new MemorySink();
  const log = new Logger(sink);

  it("maps port errors to precise codes, with proto field paths", () => {
    const inv = toRpcError(new InvalidArgumentError("drop", "must be in [0, 1), got 1"), log, fieldPath);
    expect(inv.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(inv.message).toBe("params.drop_ratio: must be in [0, 1), got 1");
    expect(inv.toDetails().fieldViolations).toEqual([
      { field: "params.drop_ratio", description: "must be in [0, 1), got 1" },
    ]);
    expect(toRpcError(new NotFoundError("artifact not found: x"), log).code).toBe(grpc.status.NOT_FOUND);
    expect(toRpcError(new ConflictError("stale"), log).code).toBe(grpc.status.ABORTED);
  });

  it("maps every typed error by what it says about itself, thrown here or carried across the bus", () => {
    const ds = toRpcError(new DatasetError("NOT_FOUND", "/d", "/d does not exist"), log);
    expect(ds.toDetails()).toMatchObject({
      code: "INVALID_ARGUMENT",
      reason: "ERROR_REASON_DATASET_NOT_FOUND",
      message: "dataset.uri: /d does not exist",
      fieldViolations: [{ field: "dataset.uri", description: "/d does not exist" }],
    });
    // No word of the message decides the code: a contract error that never says "model".
    const contract = toRpcError(new ModelContractError("/m/x.bin", "output 3 is int64"), log);
    expect(contract.toDetails()).toMatchObject({
      code: "FAILED_PRECONDITION",
      reason: "ERROR_REASON_MODEL_CONTRACT",
      message: "/m/x.bin: output 3 is int64",
    });
    const bad = toRpcError(new BadImageError("/d/a/1.jpg", "truncated JPEG"), log);
    expect(bad.toDetails()).toMatchObject({
      code: "INVALID_ARGUMENT",
      reason: "ERROR_REASON_BAD_FILES",
      badFiles: [{ path: "/d/a/1.jpg", index: 0, reason: "truncated JPEG" }],
    });
    // The same account, as plain data after a trip through JSON (a NATS message), maps the same.
    for (const e of [
      new InvalidArgumentError("drop", "must be in [0, 1), got 1", "INVALID_ARGUMENT"),
      new ModelContractError("/m/x.bin", "output 3 is int64"),
      new BadImageError("/d/a/1.jpg", "truncated JPEG"),
    ])
      expect(fromErrorInfo(JSON.parse(JSON.stringify(errorInfo(e))), fieldPath).toDetails()).toEqual(
        toRpcError(e, log, fieldPath).toDetails(),
      );
    // A reason of its own (the data-set check's), kept with the field path.
    const single = toRpcError(
      new InvalidArgumentError("dataset", "/d has only one class (a)", "SINGLE_CLASS"),
      log,
    );
    expect(single.toDetails()).toMatchObject({
      reason: "ERROR_REASON_SINGLE_CLASS",
      message: "dataset.uri: /d has only one class (a)",
    });
  });

  it("turns anything else into INTERNAL with a correlation id, keeping the stack in the log only", () => {
    const e = new TypeError("cannot read properties of undefined (secret path /srv/x)");
    const err = toRpcError(e, log);
    expect(err.code).toBe(grpc.status.INTERNAL);
    expect(err.message).toMatch(/^internal error \(correlation id [0-9a-f]{12}\)$/);
    const id = /correlation id ([0-9a-f]+)/.exec(err.message)![1];
    const line = sink.records().find((r) => r.correlation_id === id)!;
    expect((line.error as { stack: string }).stack).toContain("TypeError");
    const wire = toServiceError(err);
    expect(wire.details).not.toContain("secret");
  });

  it("sends the standard rich status: ErrorInfo, QuotaFailure, RetryInfo and ErrorDetails", () => {
    const err = new RpcError(grpc.status.RESOURCE_EXHAUSTED, "quota", {
      reason: "ERROR_REASON_QUOTA_EXCEEDED",
      quota: { quota: "concurrent_jobs", limit: 2, requested: 3 },
      badFiles: [{ path: "a/b.jpg", index: 7, reason: "truncated" }],
    });
    const wire = toServiceError(err);
    const bytes = wire.metadata!.get(STATUS_DETAILS_TRAILER)[0] as Buffer;
    expect(Buffer.isBuffer(bytes)).toBe(true);
    const status = decodeStatus(bytes);
    expect(status).toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED, message: "quota" });
    expect(status.details.map((d) => d.type)).toEqual([
      "google.rpc.ErrorInfo",
      "google.rpc.QuotaFailure",
      "google.rpc.RetryInfo",
      "adq.v1.ErrorDetails",
    ]);
    expect(status.details[0]!.value).toEqual({
      reason: "QUOTA_EXCEEDED",
      domain: "adq.dev",
      metadata: { quota: "concurrent_jobs", limit: "2", requested: "3", badFile: "a/b.jpg" },
    });
    expect(status.details[1]!.value).toMatchObject({
      violations: [{ subject: "tenant", quotaId: "concurrent_jobs" }],
    });
    expect(status.details[2]!.value).toEqual({ retryDelay: { seconds: "30", nanos: 0 } });
    expect(errorDetailsFromStatus(bytes)).toMatchObject({
      reason: "ERROR_REASON_QUOTA_EXCEEDED",
      code: "RESOURCE_EXHAUSTED",
      message: "quota",
      quota: { quota: "concurrent_jobs", limit: "2", requested: "3" },
      badFiles: [{ path: "a/b.jpg", index: "7", reason: "truncated" }],
    });
  });

  it("names a reason for every error, and a retry only where it helps", () => {
    const reasonOf = (e: RpcError) =>
      decodeStatus(toServiceError(e).metadata!.get(STATUS_DETAILS_TRAILER)[0] as Buffer);
    const cases: Array<[RpcError, string, boolean]> = [
      [unauthenticated("missing key"), "UNAUTHENTICATED", false],
      [notFound("job j not found"), "NOT_FOUND", false],
      [unimplemented("nope"), "UNIMPLEMENTED", false],
      [new RpcError(grpc.status.UNAVAILABLE, "bus down"), "BACKEND_UNAVAILABLE", true],
      [new RpcError(grpc.status.ABORTED, "race"), "CONCURRENT_UPDATE", true],
      [invalidArgument("params.ratio", "must be in (0, 1], got 1.5"), "INVALID_ARGUMENT", false],
      [quotaExceeded("images_per_job", 10, 20), "QUOTA_EXCEEDED", false],
    ];
    for (const [e, reason, retry] of cases) {
      const s = reasonOf(e);
      expect(s.details[0], e.message).toMatchObject({
        type: "google.rpc.ErrorInfo",
        value: { reason, domain: "adq.dev" },
      });
      expect(
        s.details.some((d) => d.type === "google.rpc.RetryInfo"),
        e.message,
      ).toBe(retry);
    }
    const bad = reasonOf(invalidArgument("params.ratio", "must be in (0, 1], got 1.5"));
    expect(bad.details.find((d) => d.type === "google.rpc.BadRequest")?.value).toEqual({
      fieldViolations: [
        {
          field: "params.ratio",
          description: "must be in (0, 1], got 1.5",
          reason: "",
          localizedMessage: null,
        },
      ],
    });
    const big = new RpcError(grpc.status.INTERNAL, "x".repeat(300));
    expect(
      errorDetailsFromStatus(toServiceError(big).metadata!.get(STATUS_DETAILS_TRAILER)[0] as Buffer)?.message,
    ).toHaveLength(300);
  });
});

describe("API keys", () => {
  it("authenticates by the key's SHA-256; missing, malformed or unknown keys are UNAUTHENTICATED", () => {
    const auth = new ApiKeyAuthenticator([{ id: "acme", keys: [hashApiKey("k1")] }]);
    expect(auth.authenticate(md("Bearer k1")).id).toBe("acme");
    expect(auth.authenticate(md("bearer k1")).quotas.concurrentJobs).toBe(4);
    for (const bad of [undefined, "k1", "Bearer", "Bearer k2", "Basic k1"]) {
      expect(() => auth.authenticate(md(bad))).toThrow(
        expect.objectContaining({ code: grpc.status.UNAUTHENTICATED }) as Error,
      );
    }
  });

  it("loads the key file and refuses keys in clear, bad tenant ids and bad quotas", async () => {
    const dir = tmp("adq-keys-");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "keys.json");
    writeFileSync(
      file,
      JSON.stringify({
        tenants: [{ id: "t1", keys: [`sha256:${hashApiKey("abc")}`], quotas: { concurrent_jobs: 1 } }],
      }),
    );
    const auth = await ApiKeyAuthenticator.fromFile(file);
    expect(auth.authenticate(md("Bearer abc"))).toEqual({
      id: "t1",
      quotas: { concurrentJobs: 1, imagesPerJob: 1_000_000 },
    });
    expect(() => new ApiKeyAuthenticator([{ id: "t1", keys: ["my-clear-key"] }])).toThrow(
      /never the key itself/,
    );
    expect(() => new ApiKeyAuthenticator([{ id: "../x", keys: [hashApiKey("a")] }])).toThrow(/tenant id/);
    expect(
      () => new ApiKeyAuthenticator([{ id: "t", keys: [hashApiKey("a")], quotas: { concurrent_jobs: 0 } }]),
    ).toThrow(/positive/);
  });
});

describe("logs, health and shutdown", () => {
  it("writes one JSON object per line with the context fields", () => {
    const sink = new MemorySink();
    new Logger(sink)
      .child({ service: "gateway" })
      .info("rpc", { method: "GetJob", tenant: "t", job_id: "j" });
    expect(sink.lines).toHaveLength(1);
    expect(sink.lines[0]!.endsWith("\n")).toBe(true);
    expect(JSON.parse(sink.lines[0]!)).toMatchObject({
      level: "info",
      event: "rpc",
      service: "gateway",
      method: "GetJob",
      tenant: "t",
      job_id: "j",
    });
  });

  it("shuts a server down by the deadline even with a stream that never ends", async () => {
    const server = new grpc.Server();
    const health = new HealthService(["x.Y"]);
    health.addTo(server);
    const port = await bindServer(server, "127.0.0.1:0");
    health.setAll("SERVING");
    const { healthClientConstructor } = await import("@adq/service-common");
    const Ctor = healthClientConstructor();
    const c = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
      Watch(req: unknown): grpc.ClientReadableStream<{ status: string }>;
    };
    const stream = c.Watch({ service: "x.Y" });
    const statuses: string[] = [];
    stream.on("data", (d: { status: string }) => statuses.push(d.status));
    stream.on("error", () => {});
    await new Promise((r) => setTimeout(r, 100));
    health.set("x.Y", "NOT_SERVING");
    await new Promise((r) => setTimeout(r, 100));
    expect(statuses).toEqual(["SERVING", "NOT_SERVING"]);
    const t0 = Date.now();
    expect(await shutdownServer(server, 300)).toBe(false); // the Watch stream kept it open: forced
    expect(Date.now() - t0).toBeLessThan(2000);
    c.close();
  });
});
