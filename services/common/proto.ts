/**
 * Loads the contracts (proto/adq/v1 and the gRPC health protocol) once, with the same
 * `@grpc/proto-loader` options as test/proto/contracts.test.ts, and exposes the service
 * definitions and client constructors the gateway, the CLI and the tests share.
 */
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import type { ErrorDetails, Job } from "./types.ts";

/** The repository's proto/ folder (the public contracts). */
export const PROTO_ROOT = fileURLToPath(new URL("../../proto/", import.meta.url));
/** Protos owned by the services (the standard grpc.health.v1). */
export const SERVICES_PROTO_ROOT = fileURLToPath(new URL("./proto/", import.meta.url));

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT, SERVICES_PROTO_ROOT],
};

interface Loaded {
  definition: protoLoader.PackageDefinition;
  compressionService: grpc.ServiceDefinition;
  healthService: grpc.ServiceDefinition;
  CompressionClient: grpc.ServiceClientConstructor;
  HealthClient: grpc.ServiceClientConstructor;
}

let loaded: Loaded | undefined;

function load(): Loaded {
  if (loaded) return loaded;
  const definition = protoLoader.loadSync(
    ["adq/v1/compression_service.proto", "grpc/health/v1/health.proto"],
    LOADER_OPTIONS,
  );
  const root = grpc.loadPackageDefinition(definition) as unknown as {
    adq: { v1: { CompressionService: grpc.ServiceClientConstructor } };
    grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
  };
  const CompressionClient = root.adq.v1.CompressionService;
  const HealthClient = root.grpc.health.v1.Health;
  loaded = {
    definition,
    compressionService: CompressionClient.service,
    healthService: HealthClient.service,
    CompressionClient,
    HealthClient,
  };
  return loaded;
}

/** The package definition of the public API and the health protocol (server reflection). */
export function apiPackageDefinition(): protoLoader.PackageDefinition {
  return load().definition;
}

export function compressionServiceDefinition(): grpc.ServiceDefinition {
  return load().compressionService;
}

export function healthServiceDefinition(): grpc.ServiceDefinition {
  return load().healthService;
}

export function compressionClientConstructor(): grpc.ServiceClientConstructor {
  return load().CompressionClient;
}

export function healthClientConstructor(): grpc.ServiceClientConstructor {
  return load().HealthClient;
}

// ErrorDetails as bytes (the `adq-error-details-bin` trailer). proto-loader exposes
// serializers only for method messages, and Job.error (field 17, never renumbered by the
// evolution rules) is an ErrorDetails: so a Job holding only `error` serializes to
// tag(17, length-delimited) + length + the ErrorDetails bytes. Stripping / adding that
// prefix converts both ways without a second protobuf dependency.

const JOB_ERROR_TAG = [0x8a, 0x01]; // (17 << 3) | 2 as a varint

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

export function encodeErrorDetails(details: ErrorDetails): Buffer {
  const method = compressionServiceDefinition().GetJob!;
  const bytes = method.responseSerialize({ error: details });
  if (bytes.length === 0) return Buffer.alloc(0);
  if (bytes[0] !== JOB_ERROR_TAG[0] || bytes[1] !== JOB_ERROR_TAG[1])
    throw new Error("unexpected encoding of Job.error");
  let pos = 2;
  let len = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[pos++]!;
    len += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) break;
    shift += 7;
  }
  return Buffer.from(bytes.subarray(pos, pos + len));
}

export function decodeErrorDetails(bytes: Uint8Array): ErrorDetails {
  const method = compressionServiceDefinition().GetJob!;
  const framed = Buffer.concat([Buffer.from(JOB_ERROR_TAG), Buffer.from(varint(bytes.length)), bytes]);
  const job = method.responseDeserialize(framed) as Job;
  if (!job.error) throw new Error("empty ErrorDetails");
  return job.error;
}
