// Contract tests for proto/: every .proto parses with @grpc/proto-loader, every service
// has exactly the expected methods with the expected streaming shape, request/response
// types and idempotency level, messages round-trip, and the package follows its own
// conventions (enum prefixes, no tenancy in messages, no bulk bytes, Python-safe names).
//
// Adding a .proto file without adding it to CONTRACTS below fails the coverage test.

import { readdirSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { ErrorDetails__Output as ErrorDetails } from "@adq/service-common/proto";
import {
  decodeStatus,
  encodeStatus,
  errorDetailsFromStatus,
  STATUS_DETAILS_TRAILER,
} from "@adq/service-common/testing";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";

const PROTO_ROOT = fileURLToPath(new URL("../../proto/", import.meta.url));
const PACKAGE = "adq.v1";

const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};

type Streaming = "unary" | "client-stream" | "server-stream" | "bidi-stream";
type Idempotency = "IDEMPOTENCY_UNKNOWN" | "NO_SIDE_EFFECTS" | "IDEMPOTENT";

interface MethodSpec {
  streaming: Streaming;
  request: string;
  response: string;
  idempotency: Idempotency;
}

function rpc(streaming: Streaming, request: string, response: string, idempotency: Idempotency): MethodSpec {
  return { streaming, request, response, idempotency };
}

/** Every .proto file under proto/ (path relative to it) → the services it defines → their methods. */
const CONTRACTS: Record<string, Record<string, Record<string, MethodSpec>>> = {
  "adq/v1/common.proto": {},
  "adq/v1/compression_service.proto": {
    CompressionService: {
      CreateJob: rpc("unary", "CreateJobRequest", "CreateJobResponse", "IDEMPOTENCY_UNKNOWN"),
      UploadDataset: rpc("client-stream", "UploadDatasetRequest", "UploadDatasetResponse", "IDEMPOTENT"),
      GetJob: rpc("unary", "GetJobRequest", "Job", "NO_SIDE_EFFECTS"),
      WatchJob: rpc("server-stream", "WatchJobRequest", "JobEvent", "NO_SIDE_EFFECTS"),
      CancelJob: rpc("unary", "CancelJobRequest", "Job", "IDEMPOTENT"),
      ListJobs: rpc("unary", "ListJobsRequest", "ListJobsResponse", "NO_SIDE_EFFECTS"),
      DeleteUpload: rpc("unary", "DeleteUploadRequest", "DeleteUploadResponse", "IDEMPOTENT"),
      DeleteJob: rpc("unary", "DeleteJobRequest", "DeleteJobResponse", "IDEMPOTENT"),
      GetResult: rpc("unary", "GetResultRequest", "JobResult", "NO_SIDE_EFFECTS"),
      DownloadResult: rpc("server-stream", "DownloadResultRequest", "DownloadResultChunk", "NO_SIDE_EFFECTS"),
    },
  },
  "adq/v1/features.proto": {
    FeatureService: {
      ExtractFeatures: rpc("unary", "ExtractFeaturesRequest", "ExtractFeaturesResponse", "IDEMPOTENT"),
    },
  },
  "adq/v1/binning.proto": {
    BinningService: {
      BinClass: rpc("unary", "BinClassRequest", "BinClassResponse", "IDEMPOTENT"),
    },
  },
  "adq/v1/scoring.proto": {
    ScoringService: {
      ScoreBin: rpc("unary", "ScoreBinRequest", "ScoreBinResponse", "IDEMPOTENT"),
    },
  },
  "adq/v1/sampling.proto": {
    SamplingService: {
      Allocate: rpc("unary", "AllocateRequest", "AllocateResponse", "IDEMPOTENT"),
      SampleClass: rpc("unary", "SampleClassRequest", "SampleClassResponse", "IDEMPOTENT"),
      DropPatches: rpc("unary", "DropPatchesRequest", "DropPatchesResponse", "IDEMPOTENT"),
      Reconstruct: rpc("unary", "ReconstructRequest", "ReconstructResponse", "IDEMPOTENT"),
    },
  },
};

/** Stage services: internal, one unit of work per call, keyed by a TaskContext. */
const STAGE_SERVICES = ["FeatureService", "BinningService", "ScoringService", "SamplingService"];

/** The only bytes fields allowed: the upload and download streams (bulk data goes through artifacts). */
const ALLOWED_BYTES_FIELDS = new Set([
  `${PACKAGE}.UploadDatasetRequest.chunk`,
  `${PACKAGE}.DownloadResultChunk.data`,
]);

const PYTHON_KEYWORDS = new Set(
  (
    "False None True and as assert async await break class continue def del elif else except finally " +
    "for from global if import in is lambda nonlocal not or pass raise return try while with yield"
  ).split(" "),
);

// ---------------------------------------------------------------------------------------------

function listProtoFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listProtoFiles(full));
    else if (entry.isFile() && entry.name.endsWith(".proto"))
      out.push(relative(PROTO_ROOT, full).split(sep).join("/"));
  }
  return out.sort();
}

type MessageDef = protoLoader.MessageTypeDefinition<object, object>;

/** The parts of a protobufjs descriptor (google.protobuf.DescriptorProto) that these tests read. */
interface FieldDescriptor {
  name: string;
  number: number;
  type: string;
  typeName: string;
  label: string;
}
interface MessageDescriptor {
  name: string;
  field: FieldDescriptor[];
}
interface EnumDescriptor {
  name: string;
  value: Array<{ name: string; number: number }>;
}

function isService(def: protoLoader.AnyDefinition): def is protoLoader.ServiceDefinition {
  return !("format" in def);
}

function isMessage(def: protoLoader.AnyDefinition): def is MessageDef {
  return "format" in def && def.format === "Protocol Buffer 3 DescriptorProto";
}

function isEnum(def: protoLoader.AnyDefinition): def is protoLoader.EnumTypeDefinition {
  return "format" in def && def.format === "Protocol Buffer 3 EnumDescriptorProto";
}

/** Loads files and records every process warning emitted meanwhile (e.g. an import not found). */
function load(files: string[], options: protoLoader.Options = LOADER_OPTIONS) {
  const warnings: string[] = [];
  const spy = vi.spyOn(process, "emitWarning").mockImplementation((warning: string | Error) => {
    warnings.push(String(warning));
  });
  try {
    const definition = protoLoader.loadSync(files, options);
    return { definition, warnings };
  } finally {
    spy.mockRestore();
  }
}

function lookup(root: grpc.GrpcObject, dotted: string): unknown {
  let node: unknown = root;
  for (const part of dotted.split(".")) {
    if (node === null || (typeof node !== "object" && typeof node !== "function")) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

function streamingOf(method: protoLoader.MethodDefinition<object, object>): Streaming {
  if (method.requestStream && method.responseStream) return "bidi-stream";
  if (method.requestStream) return "client-stream";
  if (method.responseStream) return "server-stream";
  return "unary";
}

function messageType(definition: protoLoader.PackageDefinition, name: string): MessageDef {
  const def = definition[`${PACKAGE}.${name}`];
  if (!def || !isMessage(def)) throw new Error(`message ${PACKAGE}.${name} not found`);
  return def;
}

/**
 * A field's type name as written in the .proto (protobufjs keeps it unresolved), made fully
 * qualified: every file here is in package adq.v1, so a relative name is relative to it.
 */
function qualified(typeName: string): string {
  const name = typeName.replace(/^\./, "");
  return name.startsWith("google.") || name.startsWith(`${PACKAGE}.`) ? name : `${PACKAGE}.${name}`;
}

function descriptorOf(def: MessageDef): MessageDescriptor {
  return def.type as unknown as MessageDescriptor;
}

const PROTO_FILES = listProtoFiles(PROTO_ROOT);
const ALL_SERVICES = Object.values(CONTRACTS).flatMap((services) => Object.entries(services));

afterEach(() => {
  vi.restoreAllMocks();
});

// ---------------------------------------------------------------------------------------------

describe("proto/ file coverage", () => {
  it("finds the proto files", () => {
    expect(PROTO_FILES.length).toBeGreaterThan(0);
  });

  it("lists every .proto file under proto/ in CONTRACTS, and nothing else", () => {
    expect(PROTO_FILES).toEqual(Object.keys(CONTRACTS).sort());
  });
});

describe.each(Object.keys(CONTRACTS))("%s", (file) => {
  it("parses on its own, imports resolved, without warnings", () => {
    const { definition, warnings } = load([file]);
    expect(warnings).toEqual([]);
    for (const [service, methods] of Object.entries(CONTRACTS[file] ?? {})) {
      const def = definition[`${PACKAGE}.${service}`];
      expect(def, `${service} in ${file}`).toBeDefined();
      expect(def && isService(def)).toBe(true);
      expect(Object.keys(def as protoLoader.ServiceDefinition).sort()).toEqual(Object.keys(methods).sort());
    }
  });
});

describe("services", () => {
  // Loaded in beforeAll, not at collection, so a broken file fails tests with a message, not the run.
  let definition: protoLoader.PackageDefinition;
  let warnings: string[];
  let grpcObject: grpc.GrpcObject;
  beforeAll(() => {
    ({ definition, warnings } = load(PROTO_FILES));
    grpcObject = grpc.loadPackageDefinition(definition);
  });

  it("load together without warnings", () => {
    expect(warnings).toEqual([]);
  });

  it("are exactly the expected ones", () => {
    const found = Object.entries(definition)
      .filter(([, def]) => isService(def))
      .map(([name]) => name)
      .sort();
    expect(found).toEqual(ALL_SERVICES.map(([service]) => `${PACKAGE}.${service}`).sort());
  });

  describe.each(ALL_SERVICES)("%s", (service, methods) => {
    it("is a client constructor with exactly the expected methods", () => {
      const ctor = lookup(grpcObject, `${PACKAGE}.${service}`) as grpc.ServiceClientConstructor | undefined;
      expect(typeof ctor).toBe("function");
      expect(ctor?.serviceName).toBe(service);
      expect(Object.keys(ctor?.service ?? {}).sort()).toEqual(Object.keys(methods).sort());
    });

    it.each(Object.entries(methods))("%s has the expected shape", (name, spec) => {
      const ctor = lookup(grpcObject, `${PACKAGE}.${service}`) as grpc.ServiceClientConstructor;
      const method = ctor.service[name] as protoLoader.MethodDefinition<object, object> | undefined;
      expect(method).toBeDefined();
      if (!method) return;
      expect(method.path).toBe(`/${PACKAGE}.${service}/${name}`);
      expect(method.requestStream).toBe(
        spec.streaming === "client-stream" || spec.streaming === "bidi-stream",
      );
      expect(method.responseStream).toBe(
        spec.streaming === "server-stream" || spec.streaming === "bidi-stream",
      );
      expect(streamingOf(method)).toBe(spec.streaming);
      expect(descriptorOf(method.requestType).name).toBe(spec.request);
      expect(descriptorOf(method.responseType).name).toBe(spec.response);
      expect(method.requestType.type).toEqual(messageType(definition, spec.request).type);
      expect(method.responseType.type).toEqual(messageType(definition, spec.response).type);
      const options = (method as { options?: { idempotency_level?: string } }).options;
      expect(options?.idempotency_level ?? "IDEMPOTENCY_UNKNOWN").toBe(spec.idempotency);
    });
  });

  it.each(STAGE_SERVICES)("%s requests carry a TaskContext as field 1 `task`", (service) => {
    const methods = ALL_SERVICES.find(([name]) => name === service)?.[1];
    expect(methods).toBeDefined();
    for (const spec of Object.values(methods ?? {})) {
      const task = descriptorOf(messageType(definition, spec.request)).field.find((f) => f.number === 1);
      expect(task?.name, `${spec.request} field 1`).toBe("task");
      expect(qualified(task?.typeName ?? ""), `${spec.request}.task`).toBe(`${PACKAGE}.TaskContext`);
    }
  });
});

describe("message round trips", () => {
  let service: protoLoader.ServiceDefinition;
  beforeAll(() => {
    service = load(PROTO_FILES).definition[`${PACKAGE}.CompressionService`] as protoLoader.ServiceDefinition;
  });

  it("CreateJobRequest survives serialize → deserialize, explicit zeros included", () => {
    const createJob = service.CreateJob!;
    const request = {
      dataset: { uri: "file:///data/cifar-10-batches-bin", format: "DATASET_FORMAT_CIFAR10_BINARY" },
      params: {
        ratio: 0.1,
        bins: 10,
        alpha: 0, // explicit zero: DQ-equivalent allocation, must stay distinguishable from "unset"
        dropRatio: 0.25,
        patchGrid: { imageSize: 224, patchSize: 16 },
        seed: 7,
        method: "METHOD_ADQ",
        graphcutLambda: 1,
        texturePatchSize: 32,
        diversity: { method: "DIVERSITY_METHOD_UNTRAINED_HEAD", tau: 0.5 },
        rsWeight: 1,
        dsWeight: 0.5,
        model: { uri: "builtin://resnet20-cifar10", sha256: "ab".repeat(32) },
        maeModel: { uri: "builtin://mae-tiny", sha256: "" },
        skipBadFiles: true,
        // Every non-optional field is set: protobufjs re-serializes a decoded message's defaults.
        storeCodec: "STORE_CODEC_WEBP_LOSSLESS",
        storeQuality: 90,
      },
      idempotencyKey: "7d444840-9dc0-11d1-b245-5ffdce74fad2",
      outputs: { reconstruct: true, keepIntermediates: false, uri: "s3://results/cifar10/r10" },
      displayName: "CIFAR-10 at 10%",
      labels: { pipeline: "nightly", run: "42" },
      validateOnly: false,
    };

    const bytes = createJob.requestSerialize(request);
    expect(bytes.length).toBeGreaterThan(0);
    const decoded = createJob.requestDeserialize(bytes) as typeof request & {
      params: Record<string, unknown>;
    };
    expect(decoded).toMatchObject(request);
    // proto3 `optional` presence survives the wire: alpha = 0 is set, not defaulted.
    expect(decoded.params._alpha).toBe("alpha");
    expect(decoded.params.alpha).toBe(0);
    expect(decoded.params.diversity).toMatchObject({ _tau: "tau", tau: 0.5 });
    // Re-serializing the decoded message gives the same bytes.
    expect(Buffer.compare(createJob.requestSerialize(decoded), bytes)).toBe(0);
  });

  it("CreateJobRequest leaves unset optional parameters absent, so server defaults apply", () => {
    const createJob = service.CreateJob!;
    const decoded = createJob.requestDeserialize(
      createJob.requestSerialize({ dataset: { uri: "artifact://uploads/u1" }, params: { ratio: 0.2 } }),
    ) as { params: Record<string, unknown>; dataset: Record<string, unknown>; idempotencyKey: string };
    expect(decoded.params.ratio).toBe(0.2);
    for (const field of [
      "alpha",
      "bins",
      "dropRatio",
      "graphcutLambda",
      "texturePatchSize",
      "rsWeight",
      "dsWeight",
      "allocationStrength",
    ]) {
      expect(decoded.params[field], field).toBeUndefined();
      expect(decoded.params[`_${field}`], `_${field}`).toBeUndefined();
    }
    expect(decoded.params.method).toBe("METHOD_UNSPECIFIED");
    expect(decoded.params.seed).toBe(0);
    expect(decoded.dataset.format).toBe("DATASET_FORMAT_UNSPECIFIED");
    expect(decoded.idempotencyKey).toBe("");
  });

  it("UploadDatasetRequest carries either a header or a chunk (oneof payload)", () => {
    const upload = service.UploadDataset!;
    const header = upload.requestDeserialize(
      upload.requestSerialize({
        header: {
          name: "cifar10",
          format: "DATASET_FORMAT_CIFAR10_BINARY",
          archive: "ARCHIVE_FORMAT_TAR_GZIP",
          sizeBytes: "170052171",
          sha256: "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
        },
      }),
    ) as Record<string, unknown>;
    expect(header.payload).toBe("header");
    expect(header.header).toMatchObject({ sizeBytes: "170052171", archive: "ARCHIVE_FORMAT_TAR_GZIP" });

    const chunk = upload.requestDeserialize(
      upload.requestSerialize({ chunk: Buffer.from([1, 2, 3]) }),
    ) as Record<string, unknown>;
    expect(chunk.payload).toBe("chunk");
    expect(Buffer.from(chunk.chunk as Uint8Array)).toEqual(Buffer.from([1, 2, 3]));
  });

  it("JobEvent round-trips with google.protobuf Timestamp and Duration", () => {
    const watch = service.WatchJob!;
    const event = {
      sequence: "12",
      time: { seconds: "1767225600", nanos: 500_000_000 },
      jobId: "job_01",
      progress: {
        stage: "STAGE_FEATURES",
        state: "STAGE_STATE_RUNNING",
        done: "2500",
        total: "50000",
        unit: "images",
        tasksDone: "0",
        tasksTotal: "5",
        eta: { seconds: "95", nanos: 0 },
        rate: 500.5,
      },
    };
    const decoded = watch.responseDeserialize(watch.responseSerialize(event)) as Record<string, unknown>;
    expect(decoded).toMatchObject(event);
    expect(decoded.event).toBe("progress");
  });
});

describe("package conventions", () => {
  let messages: Array<[string, MessageDef]>;
  let enums: Array<[string, protoLoader.EnumTypeDefinition]>;
  beforeAll(() => {
    // keepCase: true, so field names are checked as written in the .proto files.
    const { definition } = load(PROTO_FILES, { ...LOADER_OPTIONS, keepCase: true });
    const ours = Object.entries(definition).filter(([name]) => name.startsWith(`${PACKAGE}.`));
    messages = ours.filter(([, def]) => isMessage(def)) as Array<[string, MessageDef]>;
    enums = ours.filter(([, def]) => isEnum(def)) as Array<[string, protoLoader.EnumTypeDefinition]>;
  });

  it("every enum starts with <ENUM_NAME>_UNSPECIFIED = 0 and prefixes all its values", () => {
    expect(enums.length).toBeGreaterThan(0);
    for (const [name, def] of enums) {
      const desc = def.type as unknown as EnumDescriptor;
      const prefix = `${desc.name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()}_`;
      expect(desc.value[0], name).toEqual(
        expect.objectContaining({ name: `${prefix}UNSPECIFIED`, number: 0 }),
      );
      for (const value of desc.value)
        expect(value.name.startsWith(prefix), `${name}.${value.name}`).toBe(true);
    }
  });

  it("field names are lower_snake_case and never Python keywords", () => {
    for (const [name, def] of messages) {
      for (const field of descriptorOf(def).field) {
        expect(field.name, `${name}.${field.name}`).toMatch(/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/);
        expect(PYTHON_KEYWORDS.has(field.name), `${name}.${field.name}`).toBe(false);
      }
    }
  });

  it("no message carries a tenant: tenancy comes from the call's auth metadata", () => {
    for (const [name, def] of messages) {
      if (name === `${PACKAGE}.Job`) continue; // Job.tenant_id is output only, echoing the caller's tenant
      for (const field of descriptorOf(def).field) {
        expect(field.name.startsWith("tenant"), `${name}.${field.name}`).toBe(false);
      }
    }
  });

  it("bulk bytes appear only in the upload and download streams", () => {
    const bytesFields = messages.flatMap(([name, def]) =>
      descriptorOf(def)
        .field.filter((f) => f.type === "TYPE_BYTES")
        .map((f) => `${name}.${f.name}`),
    );
    expect(bytesFields.sort()).toEqual([...ALLOWED_BYTES_FIELDS].sort());
  });

  it("timestamps and durations use the google.protobuf well-known types", () => {
    for (const [name, def] of messages) {
      for (const field of descriptorOf(def).field) {
        const type = qualified(field.typeName);
        if (/_time$/.test(field.name))
          expect(type, `${name}.${field.name}`).toBe("google.protobuf.Timestamp");
        if (/^(eta|duration|retry_after)$/.test(field.name)) {
          expect(type, `${name}.${field.name}`).toBe("google.protobuf.Duration");
        }
      }
    }
  });
});

describe("over the wire (in-process grpc-js server)", () => {
  let server: grpc.Server;
  let client: grpc.Client & Record<string, (...args: unknown[]) => unknown>;
  const API_KEY = "test-key";

  function tenantOf(metadata: grpc.Metadata): string | undefined {
    const [auth] = metadata.get("authorization");
    return auth === `Bearer ${API_KEY}` ? "tenant-a" : undefined;
  }

  function fail(code: grpc.status, details: Record<string, unknown>): Partial<grpc.StatusObject> {
    const metadata = new grpc.Metadata();
    metadata.set(STATUS_DETAILS_TRAILER, encodeStatus(code, details as unknown as ErrorDetails));
    return { code, details: String(details.message), metadata };
  }

  beforeAll(async () => {
    const { definition } = load(PROTO_FILES);
    const adq = grpc.loadPackageDefinition(definition);
    const ctor = lookup(adq, `${PACKAGE}.CompressionService`) as grpc.ServiceClientConstructor;

    server = new grpc.Server();
    server.addService(ctor.service, {
      CreateJob(
        call: grpc.ServerUnaryCall<{ params: { alpha?: number } }, unknown>,
        callback: grpc.sendUnaryData<unknown>,
      ) {
        const tenant = tenantOf(call.metadata);
        if (!tenant) return callback({ code: grpc.status.UNAUTHENTICATED, details: "missing API key" });
        const alpha = call.request.params.alpha;
        if (alpha !== undefined && (alpha < 0 || alpha > 1)) {
          return callback(
            fail(grpc.status.INVALID_ARGUMENT, {
              reason: "ERROR_REASON_INVALID_ARGUMENT",
              code: "INVALID_ARGUMENT",
              message: `params.alpha: must be in [0, 1], got ${alpha}`,
              fieldViolations: [{ field: "params.alpha", description: `must be in [0, 1], got ${alpha}` }],
            }),
          );
        }
        callback(null, { job: { id: "job_1", tenantId: tenant, state: "JOB_STATE_QUEUED" } });
      },
      UploadDataset(
        call: grpc.ServerReadableStream<Record<string, unknown>, unknown>,
        callback: grpc.sendUnaryData<unknown>,
      ) {
        let received = 0;
        let header: Record<string, unknown> | undefined;
        call.on("data", (message: Record<string, unknown>) => {
          if (message.payload === "header") header = message.header as Record<string, unknown>;
          else received += (message.chunk as Uint8Array).length;
        });
        call.on("end", () =>
          callback(null, {
            dataset: { uri: "artifact://uploads/u1", format: header?.format },
            archive: { key: "uploads/u1/archive.tar", sizeBytes: String(received) },
          }),
        );
      },
      WatchJob(call: grpc.ServerWritableStream<{ jobId: string }, unknown>) {
        call.write({ sequence: "0", jobId: call.request.jobId, snapshot: { id: call.request.jobId } });
        call.write({
          sequence: "1",
          jobId: call.request.jobId,
          progress: { stage: "STAGE_FEATURES", done: "10", total: "10", eta: { seconds: "0" } },
        });
        call.write({ sequence: "2", jobId: call.request.jobId, terminal: { state: "JOB_STATE_SUCCEEDED" } });
        call.end();
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    client = new ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as typeof client;
  });

  afterAll(() => {
    client?.close();
    server?.forceShutdown();
  });

  function auth(): grpc.Metadata {
    const metadata = new grpc.Metadata();
    metadata.set("authorization", `Bearer ${API_KEY}`);
    return metadata;
  }

  it("CreateJob: tenant from the authorization metadata; INVALID_ARGUMENT with grpc-status-details-bin", async () => {
    const call = (request: unknown, metadata: grpc.Metadata) =>
      new Promise<{ err: grpc.ServiceError | null; res: Record<string, unknown> }>((resolve) => {
        client.CreateJob!(request, metadata, (err: grpc.ServiceError | null, res: Record<string, unknown>) =>
          resolve({ err, res }),
        );
      });

    const ok = await call({ dataset: { uri: "artifact://uploads/u1" }, params: { ratio: 0.1 } }, auth());
    expect(ok.err).toBeNull();
    expect(ok.res).toMatchObject({ job: { id: "job_1", tenantId: "tenant-a", state: "JOB_STATE_QUEUED" } });

    const anonymous = await call({ params: { ratio: 0.1 } }, new grpc.Metadata());
    expect(anonymous.err?.code).toBe(grpc.status.UNAUTHENTICATED);

    const bad = await call({ params: { ratio: 0.1, alpha: 1.5 } }, auth());
    expect(bad.err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    const [raw] = bad.err?.metadata.get(STATUS_DETAILS_TRAILER) ?? [];
    expect(Buffer.isBuffer(raw)).toBe(true);
    expect(decodeStatus(raw as Buffer).details.map((d) => d.type)).toEqual([
      "google.rpc.ErrorInfo",
      "google.rpc.BadRequest",
      "adq.v1.ErrorDetails",
    ]);
    const details = errorDetailsFromStatus(raw as Buffer) as unknown as Record<string, unknown>;
    expect(details).toMatchObject({
      reason: "ERROR_REASON_INVALID_ARGUMENT",
      fieldViolations: [{ field: "params.alpha" }],
    });
  });

  it("UploadDataset is a client stream: header first, then chunks", async () => {
    const res = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const stream = client.UploadDataset!(
        auth(),
        (err: grpc.ServiceError | null, r: Record<string, unknown>) => (err ? reject(err) : resolve(r)),
      ) as grpc.ClientWritableStream<unknown>;
      stream.write({ header: { name: "demo", format: "DATASET_FORMAT_IMAGE_FOLDER", sizeBytes: "5" } });
      stream.write({ chunk: Buffer.from("abc") });
      stream.write({ chunk: Buffer.from("de") });
      stream.end();
    });
    expect(res).toMatchObject({
      dataset: { uri: "artifact://uploads/u1", format: "DATASET_FORMAT_IMAGE_FOLDER" },
      archive: { sizeBytes: "5" },
    });
  });

  it("WatchJob is a server stream ending after the terminal event", async () => {
    const events: Array<Record<string, unknown>> = [];
    await new Promise<void>((resolve, reject) => {
      const stream = client.WatchJob!({ jobId: "job_1" }, auth()) as grpc.ClientReadableStream<
        Record<string, unknown>
      >;
      stream.on("data", (e: Record<string, unknown>) => events.push(e));
      stream.on("error", reject);
      stream.on("end", () => resolve());
    });
    expect(events.map((e) => e.event)).toEqual(["snapshot", "progress", "terminal"]);
    expect(events[2]).toMatchObject({ terminal: { state: "JOB_STATE_SUCCEEDED" } });
  });
});
