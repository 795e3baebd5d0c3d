/**
 * Loads the contracts (proto/adq/v1 and the gRPC health protocol) once, with the same
 * `@grpc/proto-loader` options as test/proto/contracts.test.ts, and exposes the service
 * definitions and client constructors the gateway, the CLI and the tests share.
 */
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

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
