// Standard gRPC tooling against a real `adq serve`: grpcurl (v1.9.4, built from the Go module
// proxy by scripts/grpcurl.sh, which `npm run test:all` runs) lists, describes and calls the
// API through server reflection alone, and reads the standard error details.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "@adq/cli";
import { describe, expect, it } from "vitest";
import { demoSlice, useServe } from "../support/index.ts";

const GRPCURL = execFileSync("bash", [join(REPO_ROOT, "scripts", "grpcurl.sh"), "--print"], {
  encoding: "utf8",
}).trim();
const HAVE_GO = existsSync("/usr/local/go/bin/go") || spawnSync("go", ["version"]).status === 0;
if (!HAVE_GO && !existsSync(GRPCURL))
  console.warn("grpcurl interop test skipped: Go is not installed, so grpcurl cannot be built");

const KEY = "grpcurl-test-key";

describe.skipIf(!HAVE_GO && !existsSync(GRPCURL))("grpcurl through server reflection", () => {
  const serve = useServe(() => {
    if (!existsSync(GRPCURL))
      throw new Error(
        `grpcurl is not built at ${GRPCURL}: run bash scripts/grpcurl.sh (npm run test:all does)`,
      );
    return { data: demoSlice(2, 6), env: { ADQ_API_KEY: KEY } };
  });

  const grpcurl = (...args: string[]) => {
    const r = spawnSync(GRPCURL, ["-plaintext", ...args], { encoding: "utf8", timeout: 20_000 });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const call = (method: string, body: unknown, key: string | null = KEY) =>
    grpcurl(
      ...(key ? ["-H", `authorization: Bearer ${key}`] : []),
      "-d",
      JSON.stringify(body),
      serve.address,
      `adq.v1.CompressionService/${method}`,
    );

  it("lists and describes the services, map fields included", () => {
    const list = grpcurl(serve.address, "list");
    expect(list.err).toBe("");
    expect(list.out.trim().split("\n")).toEqual([
      "adq.v1.CompressionService",
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
    ]);
    const svc = grpcurl(serve.address, "describe", "adq.v1.CompressionService");
    expect(svc.code, svc.err).toBe(0);
    expect(svc.out).toContain(
      "rpc CreateJob ( .adq.v1.CreateJobRequest ) returns ( .adq.v1.CreateJobResponse );",
    );
    expect(svc.out).toContain("rpc WatchJob ( .adq.v1.WatchJobRequest ) returns ( stream .adq.v1.JobEvent )");
    const req = grpcurl(serve.address, "describe", "adq.v1.CreateJobRequest");
    expect(req.code, req.err).toBe(0);
    expect(req.out).toContain("map<string, string> labels = 6;");
    expect(req.out).toContain("string idempotency_key = 3;");
  });

  it("calls the API with JSON and health without a proto file", () => {
    const health = grpcurl(serve.address, "grpc.health.v1.Health/Check");
    expect(JSON.parse(health.out)).toEqual({ status: "SERVING" });
    const created = call("CreateJob", {
      dataset: { uri: `file://${serve.data}` },
      params: { ratio: 0.25, method: "METHOD_RANDOM", seed: 1 },
      labels: { run: "grpcurl" },
    });
    expect(created.code, created.err).toBe(0);
    const job = JSON.parse(created.out).job as { id: string; labels: Record<string, string>; state: string };
    expect(job.id).toMatch(/^job-[0-9a-f]{20}$/);
    expect(job.labels).toEqual({ run: "grpcurl" });
    const got = call("GetJob", { jobId: job.id });
    expect(got.code, got.err).toBe(0);
    expect(JSON.parse(got.out)).toMatchObject({
      id: job.id,
      params: { ratio: 0.25, method: "METHOD_RANDOM" },
    });
  });

  it("shows the standard error details: ErrorInfo, BadRequest and adq.v1.ErrorDetails", () => {
    const bad = call("CreateJob", { dataset: { uri: `file://${serve.data}` }, params: { ratio: 1.5 } });
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain("Code: InvalidArgument");
    expect(bad.err).toContain("Message: params.ratio: must be in (0, 1], got 1.5");
    expect(bad.err).toContain('"@type": "type.googleapis.com/google.rpc.ErrorInfo"');
    expect(bad.err).toContain('"reason": "INVALID_ARGUMENT"');
    expect(bad.err).toContain('"domain": "adq.dev"');
    expect(bad.err).toContain('"@type": "type.googleapis.com/google.rpc.BadRequest"');
    expect(bad.err).toContain('"@type": "type.googleapis.com/adq.v1.ErrorDetails"');
    expect(bad.err).not.toContain("not recognized");

    const anonymous = call("GetJob", { jobId: "job-00000000000000000000" }, null);
    expect(anonymous.err).toContain("Code: Unauthenticated");
    expect(anonymous.err).toContain('"reason": "UNAUTHENTICATED"');
    const missing = call("GetJob", { jobId: "job-00000000000000000000" });
    expect(missing.err).toContain("Code: NotFound");
    expect(missing.err).toContain('"reason": "NOT_FOUND"');
  });
});
