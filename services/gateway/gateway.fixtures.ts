/**
 * For the unit tests of the CompressionService methods: a GatewayCore over the embedded
 * adapters (MemoryJobStore, LocalBus, FsArtifactStore: the ports' contract suites hold for
 * them, packages/platform/src/embedded-adapters.test.ts), a call context, and a call's outcome
 * as "CODE: message". No runner consumes the `jobs` queue.
 */
import { fileURLToPath } from "node:url";
import { FsArtifactStore, LocalBus, MemoryJobStore } from "@adq/platform";
import { type CallContext, Logger, RpcError, type Tenant } from "@adq/service-common";
import * as grpc from "@grpc/grpc-js";
import { tmp } from "../../test/support/index.ts";
import { GatewayCore, type GatewayOptions } from "./core.ts";
import type { IdempotencyRecord, JobRecord } from "./records.ts";
import { UploadStore } from "./upload.ts";

export const MODEL = fileURLToPath(new URL("../../models/resnet20-cifar10.onnx", import.meta.url));
export const ACME: Tenant = { id: "acme", quotas: { concurrentJobs: 2, imagesPerJob: 1000 } };
export const GLOBEX: Tenant = { id: "globex", quotas: { concurrentJobs: 2, imagesPerJob: 1000 } };

export function ctx(principal: Tenant, signal = new AbortController().signal): CallContext<Tenant> {
  return {
    principal,
    method: "test",
    requestId: "r",
    log: new Logger({ write() {} }),
    metadata: new grpc.Metadata(),
    signal,
    annotate() {},
  };
}

/** "OK", or the RpcError a call ended with as "CODE: message" (anything else is rethrown). */
export async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "OK";
  } catch (e) {
    if (!(e instanceof RpcError)) throw e;
    return `${grpc.status[e.code]}: ${e.message}`;
  }
}

/** The RpcError a call ends with (its details: reason, field violations, quota). */
export async function rpcError(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RpcError) return e;
    throw e;
  }
  throw new Error("the call succeeded");
}

/** A GatewayCore on fresh embedded adapters (a temp artifact directory); `over` replaces options. */
export function embeddedGateway(over: Partial<GatewayOptions> = {}) {
  const bus = new LocalBus();
  const jobs = new MemoryJobStore<JobRecord>();
  const store = new FsArtifactStore(tmp("adq-gateway-unit-"));
  const g = new GatewayCore({
    jobs,
    idempotency: new MemoryJobStore<IdempotencyRecord>(),
    bus,
    store,
    // A real UploadStore over the same artifact store (UploadDataset, artifact:// URIs).
    uploads: new UploadStore(store, tmp("adq-gateway-uploads-")),
    auth: undefined as never,
    dataRoots: [],
    models: { defaultModel: MODEL, builtin: {}, roots: [] },
    log: new Logger({ write() {} }),
    now: () => 1_700_000_000_000,
    ...over,
  });
  return { g, bus, jobs, store };
}
